"""The three roles as groups. Admins also get the Django admin's permissions on the
console's models and on users and groups (they manage instances, tokens, users, roles)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = ("viewer", "member", "admin")
ADMIN_APPS = ("catalog", "runs", "access", "auth")


def create_role_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    admin = Group.objects.get(name="admin")
    admin.permissions.set(Permission.objects.filter(content_type__app_label__in=ADMIN_APPS))


def remove_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("catalog", "0005_token_grants_expiry_and_health"),
        ("runs", "0003_history_indexes"),
    ]

    operations = [migrations.RunPython(create_role_groups, remove_role_groups)]
