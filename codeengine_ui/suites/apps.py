from django.apps import AppConfig


class SuitesConfig(AppConfig):
    name = "codeengine_ui.suites"
    label = "suites"
    verbose_name = "Function tests"
