"""Who last changed what a saved function's runs call, and when (a monitor that runs it
may act as them); existing functions are their creator's, as of their creation."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F


def creators_changed_them(apps, schema_editor):
    Function = apps.get_model("catalog", "Function")
    Function.objects.update(changed_by=F("created_by"), changed_at=F("created_at"))


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0010_directory_names_per_token"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="function",
            name="changed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="function",
            name="changed_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(creators_changed_them, migrations.RunPython.noop),
    ]
