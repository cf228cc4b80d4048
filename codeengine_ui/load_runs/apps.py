from django.apps import AppConfig


class LoadRunsConfig(AppConfig):
    name = "codeengine_ui.load_runs"
    label = "load_runs"
    verbose_name = "Load runs"
