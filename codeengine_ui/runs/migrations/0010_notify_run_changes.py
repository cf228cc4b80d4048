"""On PostgreSQL, every new run and every change of a run's status is announced (NOTIFY),
so the live pages answer as soon as it happens. Other databases are watched instead."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION codeengine_notify_run_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('codeengine_run_changed', NEW.id::text);
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER codeengine_run_inserted AFTER INSERT ON runs_execution
    FOR EACH ROW EXECUTE FUNCTION codeengine_notify_run_changed();
CREATE TRIGGER codeengine_run_changed AFTER UPDATE ON runs_execution
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status OR OLD.attempts IS DISTINCT FROM NEW.attempts)
    EXECUTE FUNCTION codeengine_notify_run_changed();
"""
DROP = """
DROP TRIGGER IF EXISTS codeengine_run_changed ON runs_execution;
DROP TRIGGER IF EXISTS codeengine_run_inserted ON runs_execution;
DROP FUNCTION IF EXISTS codeengine_notify_run_changed();
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("runs", "0009_run_stopped_by_a_person")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
