from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "codeengine_ui.operations"
    label = "operations"
    verbose_name = "Operations"
