from django.apps import AppConfig
from django.db.backends.signals import connection_created


def _load_json_columns_as_text(sender, connection, **kwargs):
    """Let OrderedJSONField parse json columns itself (psycopg would build dicts early)."""
    if connection.vendor == "postgresql":
        from psycopg.types.string import TextLoader

        connection.connection.adapters.register_loader("json", TextLoader)


class RunsConfig(AppConfig):
    name = "codeengine_ui.runs"
    label = "runs"
    verbose_name = "Runs"

    def ready(self):
        connection_created.connect(_load_json_columns_as_text)
