from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "codeengine_ui.access"
    label = "access"
    verbose_name = "Access"

    def ready(self):
        from . import audit, sign_in  # noqa: F401  (connect their signal handlers)
