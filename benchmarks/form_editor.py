"""Inputs-editor benchmark: a 200-parameter definition nested 4 levels deep.

  form_render_200_params_p50    normalise the definition, build the editor, render its HTML (ms)
  form_validate_200_params_p50  read what the browser posts back, validate it, build the
                                inputVariables (ms)
  editor_json_to_form_10k_items_ms  switch from the JSON tab to the form with a list of
                                10,000 numbers and render the editor htmx swaps in (p50, ms)
  editor_form_at_field_limit_ms the same with the longest list the form draws item by item
                                (the worst case any request can ask for; p50, ms)

Runs with production settings (DEBUG off, cached templates); no server is needed.
"""

import json
import statistics
import time
from pathlib import Path

from shared import setup_django_in_memory

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 60
LEAF_TYPES = ["text", "number", "decimal", "boolean", "date", "dateTime", "time", "duration",
              "person", "dataset"]  # fmt: skip


def definition() -> list[dict]:
    """5 objects > 3 objects each > 2 objects each > 5 leaves each: 200 parameters."""
    leaf_count = 0

    def leaves() -> list[dict]:
        nonlocal leaf_count
        found = []
        for _ in range(5):
            type_name = LEAF_TYPES[leaf_count % len(LEAF_TYPES)]
            found.append(
                {
                    "name": f"leaf{leaf_count}",
                    "type": type_name,
                    "nullable": leaf_count % 3 == 0,
                    "isList": leaf_count % 7 == 0,
                    "value": None,
                }
            )
            leaf_count += 1
        return found

    return [
        {"name": f"section{a}", "type": "object", "children": [
            {"name": f"group{b}", "type": "object", "children": [
                {"name": f"block{c}", "type": "object", "children": leaves()}
                for c in range(2)
            ]} for b in range(3)
        ]} for a in range(5)
    ]  # fmt: skip


def filled(parameters: list[dict]) -> dict:
    samples = {"text": "hello", "number": 42, "decimal": 0.1, "boolean": True,
               "date": "2026-04-23", "dateTime": "2026-04-23T12:00:00Z", "time": "14:30:00",
               "duration": "PT1H30M", "person": "481303514",
               "dataset": "8c1b5e2a-6f3d-4a9b-b1c7-2d4e6f8a0b1c"}  # fmt: skip

    def value(parameter: dict):
        if parameter["children"]:
            return {child["name"]: value(child) for child in parameter["children"]}
        sample = samples[parameter["type"]]
        return [sample, sample] if parameter["isList"] else sample

    return {parameter["name"]: value(parameter) for parameter in parameters}


def main() -> None:
    setup_django_in_memory(ROOT)
    from django.http import QueryDict
    from django.template.loader import render_to_string

    from codeengine_ui.parameters.definitions import normalise_parameters, walk
    from codeengine_ui.parameters.editor import MAX_FORM_FIELDS, InputsEditor
    from tests.html_forms import submitted_fields

    raw = definition()
    assert sum(1 for _ in walk(normalise_parameters(raw))) == 200
    values = filled(normalise_parameters(raw))

    def render() -> str:
        editor = InputsEditor(normalise_parameters(raw), values=values)
        return render_to_string(
            "parameters/inputs_editor.html", {"editor": editor, "editor_url": "/functions/1/run/"}
        )

    posted = submitted_fields(render())
    parameters = normalise_parameters(raw)

    def validate() -> dict:
        editor = InputsEditor(parameters, posted)
        assert editor.is_valid()
        return editor.input_variables()

    assert validate() == values

    numbers = normalise_parameters([{"name": "values", "type": "number", "isList": True}])

    def json_to_form(count: int):
        def step() -> str:
            data = QueryDict(mutable=True)
            data.update(
                {"editor_mode": "json", "inputs_json": json.dumps({"values": list(range(count))})}
            )
            editor = InputsEditor(numbers, data)
            editor.perform("mode:form")
            return render_to_string(
                "parameters/inputs_editor.html",
                {"editor": editor, "editor_url": "/functions/1/run/"},
            )

        return step

    for name, step in (
        ("form_render_200_params_p50", render),
        ("form_validate_200_params_p50", validate),
        ("editor_json_to_form_10k_items_ms", json_to_form(10_000)),
        ("editor_form_at_field_limit_ms", json_to_form(MAX_FORM_FIELDS - 1)),
    ):
        step()
        timings = []
        for _ in range(ROUNDS):
            started = time.perf_counter()
            step()
            timings.append((time.perf_counter() - started) * 1000)
        print(f"{name} {statistics.median(timings):.1f} ms", flush=True)


if __name__ == "__main__":
    main()
