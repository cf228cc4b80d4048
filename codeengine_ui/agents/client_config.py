"""How each assistant is told about /mcp/: the configuration a person copies. Keys are
never written in: each configuration reads the key from the person's own environment or
asks for it, and the OAuth ones need none."""

import json
from dataclasses import dataclass

SERVER_NAME = "code-engine-console"
KEY_VARIABLE = "CODE_ENGINE_CONSOLE_KEY"


@dataclass(frozen=True)
class ClientConfig:
    client: str
    where: str  # where the text goes, in words
    text: str
    language: str  # json or shell


def client_configs(url: str) -> list[ClientConfig]:
    return [
        ClientConfig(
            "Claude Desktop",
            "Settings → Connectors → Add custom connector, with this URL; Claude signs in "
            "through the console (OAuth) and you choose which functions it may use. Claude "
            "connects from Anthropic's servers: the console must be reachable from the "
            "internet over HTTPS. For a console on your own network, use Claude Code, "
            "Cursor or VS Code.",
            url,
            "text",
        ),
        ClientConfig(
            "Claude Code",
            ".mcp.json at your project's root: Claude Code reads the key from the environment "
            f"variable {KEY_VARIABLE} when it connects, so the file holds no key and may be "
            f"shared. To sign in with OAuth instead: claude mcp add --transport http "
            f"{SERVER_NAME} {url}, then /mcp in Claude Code.",
            _json(
                {
                    "mcpServers": {
                        SERVER_NAME: {
                            "type": "http",
                            "url": url,
                            "headers": {"Authorization": f"Bearer ${{{KEY_VARIABLE}}}"},
                        }
                    }
                }
            ),
            "json",
        ),
        ClientConfig(
            "Cursor",
            "~/.cursor/mcp.json (or .cursor/mcp.json in a project); the key comes from the "
            f"environment variable {KEY_VARIABLE}.",
            _json(
                {
                    "mcpServers": {
                        SERVER_NAME: {
                            "url": url,
                            "headers": {"Authorization": f"Bearer ${{env:{KEY_VARIABLE}}}"},
                        }
                    }
                }
            ),
            "json",
        ),
        ClientConfig(
            "VS Code",
            ".vscode/mcp.json; VS Code asks for the key once and keeps it in its secret storage.",
            _json(
                {
                    "inputs": [
                        {
                            "type": "promptString",
                            "id": "code-engine-console-key",
                            "description": "Code Engine Console API key (AI tools)",
                            "password": True,
                        }
                    ],
                    "servers": {
                        SERVER_NAME: {
                            "type": "http",
                            "url": url,
                            "headers": {"Authorization": "Bearer ${input:code-engine-console-key}"},
                        }
                    },
                }
            ),
            "json",
        ),
    ]


def _json(value: dict) -> str:
    return json.dumps(value, indent=2)
