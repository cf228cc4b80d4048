"""A monitor acts as whoever last changed what it runs: who changed each case and suite,
and when, replace the suite's fixed "run as". Existing suites are their "run as" person's
(or their creator's) as of their creation; existing cases their author's as of their last
save. Also: why each automatic run acted as whom, the last notification that failed, and
an index on the cases that await a verdict."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F
from django.db.models.functions import Coalesce


def keep_who_they_ran_as(apps, schema_editor):
    Case = apps.get_model("suites", "Case")
    Suite = apps.get_model("suites", "Suite")
    Case.objects.update(changed_by=F("created_by"), changed_at=F("updated_at"))
    Suite.objects.update(
        changed_by=Coalesce(F("run_as"), F("created_by")), changed_at=F("created_at")
    )


def run_as_who_changed_them(apps, schema_editor):
    Suite = apps.get_model("suites", "Suite")
    Suite.objects.update(run_as=F("changed_by"))


def _person():
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="+",
        to=settings.AUTH_USER_MODEL,
    )


class Migration(migrations.Migration):

    dependencies = [
        ("suites", "0004_run_on_new_version"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField("case", "changed_by", _person()),
        migrations.AddField("case", "changed_at", models.DateTimeField(blank=True, null=True)),
        migrations.AddField("suite", "changed_by", _person()),
        migrations.AddField("suite", "changed_at", models.DateTimeField(blank=True, null=True)),
        migrations.AddField(
            "suite", "changed_part", models.CharField(blank=True, max_length=40)
        ),
        migrations.AddField(
            "suite", "notification_failed_at", models.DateTimeField(blank=True, null=True)
        ),
        migrations.AddField(
            "suite", "notification_failure", models.CharField(blank=True, max_length=500)
        ),
        migrations.AddField("suiterun", "authority", models.CharField(blank=True, max_length=400)),
        migrations.RunPython(keep_who_they_ran_as, run_as_who_changed_them),
        migrations.RemoveField("suite", "run_as"),
        migrations.AddIndex(
            model_name="caseresult",
            index=models.Index(
                condition=models.Q(("verdict", "pending")),
                fields=["suite_run"],
                name="case_result_pending",
            ),
        ),
    ]
