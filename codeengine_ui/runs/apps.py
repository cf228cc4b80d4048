from django.apps import AppConfig


class RunsConfig(AppConfig):
    name = "codeengine_ui.runs"
    label = "runs"
    verbose_name = "Runs"
