from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "codeengine_ui.dashboard"
    label = "dashboard"
    verbose_name = "Dashboard"
