from django.apps import AppConfig


class TablesConfig(AppConfig):
    name = "codeengine_ui.tables"
    label = "tables"
    verbose_name = "Table runs"
