import django.db.models.deletion
from django.db import migrations, models


def forget_names_kept_without_their_token(apps, schema_editor):
    """Names kept so far do not say which token read them: the next hourly refresh reads
    them again, each with the token of the runs that need it."""
    apps.get_model("catalog", "DirectoryName").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0009_directory_names"),
    ]

    operations = [
        migrations.RunPython(forget_names_kept_without_their_token, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="directoryname",
            name="directory_name_once",
        ),
        migrations.AddField(
            model_name="directoryname",
            name="token",
            field=models.ForeignKey(
                default=None,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="catalog.accesstoken",
            ),
            preserve_default=False,
        ),
        migrations.AddConstraint(
            model_name="directoryname",
            constraint=models.UniqueConstraint(
                fields=("instance", "kind", "entity_id", "token"),
                name="directory_name_per_token",
            ),
        ),
    ]
