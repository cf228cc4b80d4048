from django.apps import AppConfig


class DomoConfig(AppConfig):
    name = "codeengine_ui.domo"
    label = "domo"
    verbose_name = "Domo Code Engine"
