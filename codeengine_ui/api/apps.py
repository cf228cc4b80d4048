from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "codeengine_ui.api"
    verbose_name = "JSON API"
