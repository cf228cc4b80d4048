"""Runs an AI agent started keep the client's names. On SQLite, adding a column that is not
null rebuilds the table, and a rebuilt table loses its triggers: the rollups' triggers
(migration 0017's) are made again after it, either way."""

import importlib

from django.db import migrations, models

_triggers = importlib.import_module("codeengine_ui.runs.migrations.0017_rollups_keep_pruned_runs")


def triggers_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        _triggers.create(apps, schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('runs', '0017_rollups_keep_pruned_runs'),
    ]

    operations = [
        migrations.RunPython(migrations.RunPython.noop, triggers_again),
        migrations.AddField(
            model_name='execution',
            name='agent_client',
            field=models.CharField(blank=True, max_length=200, verbose_name='AI client'),
        ),
        migrations.AddField(
            model_name='execution',
            name='oauth_client_name',
            field=models.CharField(blank=True, max_length=200, verbose_name='Connected client'),
        ),
        migrations.AlterField(
            model_name='execution',
            name='source',
            field=models.CharField(choices=[('form', 'Web'), ('run_again', 'Web, run again'), ('api', 'API'), ('cli', 'Command line'), ('suite', 'Suite'), ('demo', 'Demo history'), ('batch', 'Batch'), ('agent', 'AI agent')], default='form', max_length=16),
        ),
        migrations.RunPython(triggers_again, migrations.RunPython.noop),
    ]
