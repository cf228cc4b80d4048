from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The local Code Engine emulator, its demo package, the demo data and the demo stack
    (the Procfile under honcho): installed only where settings ask for it (DEMO), never
    imported by the product's own apps."""

    name = "codeengine_ui.demo"
    label = "demo"
    verbose_name = "Demo"
