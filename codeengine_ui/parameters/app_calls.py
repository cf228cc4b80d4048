"""How an app calls a function through its packageMapping alias.

Inside a Domo app, `domo.post('/domo/codeengine/v2/packages/{alias}', body)` sends a flat
object keyed by the app's parameter aliases; Domo renames them to the function's input
names. This builds that body from inputVariables, so an app developer can copy it.
"""

from typing import Any

from codeengine_ui.json_text import indented


def app_call_body(parameters: list[dict], values: dict[str, Any]) -> dict[str, Any]:
    """inputVariables keyed by the app's aliases (inputs without an alias keep their name)."""
    body = {}
    for parameter in parameters:
        value = values.get(parameter["name"])
        if parameter["children"]:
            if isinstance(value, dict):
                value = app_call_body(parameter["children"], value)
            elif isinstance(value, list):
                value = [
                    app_call_body(parameter["children"], item) if isinstance(item, dict) else item
                    for item in value
                ]
        body[parameter["alias"] or parameter["name"]] = value
    return body


def app_call_snippet(app_alias: str, parameters: list[dict], values: dict[str, Any]) -> str:
    body = indented(app_call_body(parameters, values))
    return f"domo.post('/domo/codeengine/v2/packages/{app_alias}', {body})"
