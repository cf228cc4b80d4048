from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "codeengine_ui.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from . import audit, checks  # noqa: F401  (connects the audit signals, registers the checks)
