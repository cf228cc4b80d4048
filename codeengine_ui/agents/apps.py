from django.apps import AppConfig


class AgentsConfig(AppConfig):
    name = "codeengine_ui.agents"
    verbose_name = "AI agents (MCP)"
