from django.apps import AppConfig


class ParametersConfig(AppConfig):
    name = "codeengine_ui.parameters"
    label = "parameters"
    verbose_name = "Parameters"
