from django.template.loader import render_to_string

from codeengine_ui.parameters.definitions import normalise_parameters
from codeengine_ui.parameters.editor import InputsEditor
from tests.html_forms import submitted_fields


def render(editor: InputsEditor) -> str:
    return render_to_string(
        "parameters/inputs_editor.html", {"editor": editor, "editor_url": "/functions/1/run/"}
    )


def browser_post(
    parameters: list[dict],
    values: dict | None = None,
    typed: dict | None = None,
    action: str | None = None,
):
    """Show the editor for `values`, type `typed` (value path -> text) into it, and post it
    back as a browser would, with `action` as the button pressed, if any."""
    shown = InputsEditor(parameters, values=values or {})
    names = {node.path: node.name for node in shown.all_nodes()}
    data = submitted_fields(render(shown))
    for path, text in (typed or {}).items():
        field, _, part = path.partition("#")
        data[names[field] + (f".{part}" if part else "")] = text
    if action:
        data["editor_action"] = action
    return data


def posted_editor(definition, values=None, typed=None) -> InputsEditor:
    parameters = normalise_parameters(definition)
    return InputsEditor(parameters, browser_post(parameters, values, typed))


def sent(definition, values=None, typed=None) -> dict:
    editor = posted_editor(definition, values, typed)
    assert editor.is_valid(), [(n.path, n.errors) for n in editor.all_nodes() if n.errors]
    return editor.input_variables()


def errors(definition, values=None, typed=None) -> dict[str, list[str]]:
    editor = posted_editor(definition, values, typed)
    assert not editor.is_valid()
    return {node.path: node.errors for node in editor.all_nodes() if node.errors}


def resent(editor: InputsEditor) -> dict:
    """What the editor sends once the page it renders is posted again unchanged."""
    again = InputsEditor(editor.parameters, submitted_fields(render(editor)))
    assert again.is_valid(), [(n.path, n.errors) for n in again.all_nodes() if n.errors]
    return again.input_variables()
