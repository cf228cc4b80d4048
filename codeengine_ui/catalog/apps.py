from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "codeengine_ui.catalog"
    label = "catalog"
    verbose_name = "Catalog"

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
