"""A saved function's inputs as an MCP tool's JSON Schema.

mcp_schema_200_params_ms   input_schema of a 200-parameter definition, already normalised
                           as a saved function holds it (ms, 95th percentile of 500 calls)

The definition mixes every type (an object without children among them), nullable inputs,
lists, lists of objects and objects nested three levels deep; most inputs have a
description and a display name, a quarter a default, and a few a default that does not fit
its type, as Domo's own definitions sometimes do. No server or database is needed.
"""

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from shared import figure, percentile, setup_django_in_memory  # noqa: E402

ROUNDS = 500
SAMPLES = {
    "text": "north", "number": 42, "decimal": 0.1, "boolean": True, "date": "2026-04-23",
    "dateTime": "2026-04-23T12:00:00Z", "time": "14:30:00", "duration": "PT1H30M",
    "person": "481303514", "group": "1324037627",
    "dataset": "8c1b5e2a-6f3d-4a9b-b1c7-2d4e6f8a0b1c", "account": "123",
    "file": {"id": 7}, "directory": "42", "object": {"any": "thing"},
}  # fmt: skip
LEAF_TYPES = list(SAMPLES)


def definition() -> list[dict]:
    """38 inputs and 6 objects of 27 parameters each (8 inputs, 2 objects of 5 inputs and
    an object of 2): 200 parameters, in Domo's own definition style."""
    count = 0

    def leaves(number: int) -> list[dict]:
        nonlocal count
        found = []
        for _ in range(number):
            type_name = LEAF_TYPES[count % len(LEAF_TYPES)]
            leaf = {
                "name": f"{type_name}Input{count}",
                "displayName": f"{type_name.title()} input {count}",
                "type": type_name,
                "nullable": count % 3 == 0,
                "isList": count % 5 == 0,
            }
            if count % 7:
                leaf["description"] = f"What the {type_name} input {count} is for."
            if count % 4 == 0:
                sample = SAMPLES[type_name]
                leaf["value"] = [sample] if leaf["isList"] else sample
            if count % 17 == 0:
                leaf["value"] = "not a value of this type"
            found.append(leaf)
            count += 1
        return found

    def section(index: int) -> dict:
        return {
            "name": f"section{index}",
            "displayName": f"Section {index}",
            "description": "A group of settings.",
            "type": "object",
            "nullable": index % 2 == 0,
            "isList": index % 3 == 0,
            "children": [
                *leaves(8),
                *(
                    {
                        "name": f"part{part}",
                        "type": "object",
                        "description": "Part of the section.",
                        "children": [
                            *leaves(5),
                            {"name": "detail", "type": "object", "children": leaves(2)},
                        ],
                    }
                    for part in range(2)
                ),
            ],
        }

    return [*leaves(38), *(section(index) for index in range(6))]


def main() -> None:
    setup_django_in_memory(ROOT)  # messages about defaults that do not fit are translated
    from codeengine_ui.parameters.definitions import normalise_parameters, walk
    from codeengine_ui.parameters.json_schema import input_schema

    parameters = normalise_parameters(definition())
    assert sum(1 for _ in walk(parameters)) == 200
    types = {parameter["type"] for parameter in walk(parameters)}
    assert types == set(LEAF_TYPES), types

    input_schema(parameters)
    timings = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        input_schema(parameters)
        timings.append((time.perf_counter() - started) * 1000)
    figure("mcp_schema_200_params_ms", percentile(timings, 0.95), "ms")


if __name__ == "__main__":
    main()
