from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "codeengine_ui.access"
    label = "access"
    verbose_name = "Access"

    def ready(self):
        from . import audit  # noqa: F401  (connects the audit signal handlers)
