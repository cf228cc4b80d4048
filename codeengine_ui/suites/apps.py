from django.apps import AppConfig


class SuitesConfig(AppConfig):
    name = "codeengine_ui.suites"
    label = "suites"
    verbose_name = "Function tests"

    def ready(self):
        from codeengine_ui.catalog.signals import newer_version_released

        from . import audit, authority  # noqa: F401  (connect the audit and authority signals)
        from .services import run_on_new_release

        newer_version_released.connect(run_on_new_release, dispatch_uid="suites-new-release")
