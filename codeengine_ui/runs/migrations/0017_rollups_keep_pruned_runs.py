"""The rollups count runs as they end and follow them when they change (their status, how
long they took, how the call ended, and when, where and whence they were queued); a run
deleted later (pruned) stays counted, as a counter should. The triggers are made again
with those rules; the function that writes the rollups is migration 0016's."""

import importlib

from django.db import migrations

_totals = importlib.import_module("codeengine_ui.runs.migrations.0016_rollup_totals")
_rollups = importlib.import_module("codeengine_ui.runs.migrations.0015_rollups")
FINISHED = _rollups.FINISHED

CHANGED = [
    "status",
    "duration",
    "http_status",
    "error_code",
    "queued_at",
    "instance_id",
    "function_id",
    "source",
]


def _postgresql() -> str:
    changed = " OR ".join(f"OLD.{column} IS DISTINCT FROM NEW.{column}" for column in CHANGED)
    return f"""
DROP TRIGGER IF EXISTS codeengine_run_rolled_up ON runs_execution;
DROP TRIGGER IF EXISTS codeengine_run_rolled_up_again ON runs_execution;
CREATE TRIGGER codeengine_run_rolled_up AFTER INSERT ON runs_execution
    FOR EACH ROW EXECUTE FUNCTION codeengine_roll_up_run();
CREATE TRIGGER codeengine_run_rolled_up_again AFTER UPDATE ON runs_execution
    FOR EACH ROW WHEN ({changed}) EXECUTE FUNCTION codeengine_roll_up_run();
"""


def _sqlite() -> list[str]:
    def hour(row):
        return f"strftime('%Y-%m-%d %H:00:00', {row}.queued_at)"

    def seconds(row):
        return f"(coalesce({row}.duration, 0) / 1000000.0)"

    changed = " OR ".join(f"OLD.{column} IS NOT NEW.{column}" for column in CHANGED)
    add = _totals._upserts("NEW", "", hour("NEW"), seconds("NEW"))
    remove = _totals._upserts("OLD", "-", hour("OLD"), seconds("OLD"))
    return [
        *_rollups._sqlite()[1],
        f"CREATE TRIGGER codeengine_run_rolled_up AFTER INSERT ON runs_execution "
        f"WHEN NEW.status {FINISHED} BEGIN {add} END;",
        f"CREATE TRIGGER codeengine_run_moved_out AFTER UPDATE ON runs_execution "
        f"WHEN OLD.status {FINISHED} AND ({changed}) BEGIN {remove} END;",
        f"CREATE TRIGGER codeengine_run_moved_in AFTER UPDATE ON runs_execution "
        f"WHEN NEW.status {FINISHED} AND ({changed}) BEGIN {add} END;",
        f"CREATE TRIGGER codeengine_run_retried AFTER UPDATE ON runs_execution "
        f"WHEN OLD.status = 'running' AND NEW.status = 'queued' AND NEW.attempts > OLD.attempts "
        f"BEGIN {_totals._retried(hour('NEW'))} END;",
    ]


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(_postgresql())
    elif vendor == "sqlite":
        for statement in _sqlite():
            schema_editor.execute(statement)


def back(apps, schema_editor):
    """Migration 0016's triggers again (the function stays as it is)."""
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER IF EXISTS codeengine_run_rolled_up ON runs_execution;"
            "DROP TRIGGER IF EXISTS codeengine_run_rolled_up_again ON runs_execution;"
        )
        schema_editor.execute(_rollups._postgresql()[0].split("$$ LANGUAGE plpgsql;")[1])
    elif vendor == "sqlite":
        for statement in _rollups._sqlite()[1] + _totals._sqlite_triggers():
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("runs", "0016_rollup_totals")]

    operations = [migrations.RunPython(create, back)]
