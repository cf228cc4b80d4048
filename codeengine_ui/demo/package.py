"""The demo Code Engine package served by the local emulator.

Its functions cover every parameter type, lists, nullable inputs, nested objects and
defaults, logging, and each way a run can end (success, FAILED, RESULT_TYPE_FAILURE,
OUTPUT_UNDEFINED), plus a slow function and a large result. They are plain Python: each
takes the input variables and a `console` with `log` and `error`, and returns the result.
"""

import time
from decimal import Decimal
from typing import Any

DEMO_PACKAGE_ID = "5f0c6b1e-8a4d-4c2b-9e71-3d2a1f6c9b80"
PRIVATE_PACKAGE_ID = "b7e2d9a4-1c3f-4e5a-8b6d-0f9e8d7c6b5a"
GLOBAL_PACKAGE_ID = "0d6f3a2b-9c8e-4b7a-a1f2-3e4d5c6b7a89"
LATEST_DEMO_VERSION = "1.1.0"


def variable(
    name: str,
    type_: str,
    *,
    display_name: str | None = None,
    description: str = "",
    value: Any = None,
    nullable: bool = False,
    is_list: bool = False,
    children: list | None = None,
) -> dict:
    """A Variable in Domo's own function-definition shape."""
    return {
        "name": name,
        "displayName": display_name,
        "description": description,
        "type": type_,
        "value": value,
        "nullable": nullable,
        "isList": is_list,
        "children": children,
        "entitySubType": None,
    }


def greet(inputs, console):
    name = inputs["name"]
    console.log(f"Greeting {name}")
    console.log({"event": "greeted", "name": name})
    punctuation = "!" if inputs.get("excited") else "."
    return f"Hello, {name}{punctuation}"


def greet_v1(inputs, console):
    console.log(f"Greeting {inputs['name']}")
    return f"Hello, {inputs['name']}"


def share_dataset(inputs, console):
    people, teams = inputs.get("recipients") or [], inputs.get("teams") or []
    console.log(f"Sharing {inputs['dataset']} with {people} and groups {teams}")
    return f"Shared with {len(people)} people and {len(teams)} groups."


def add_numbers(inputs, console):
    return inputs["a"] + inputs["b"]


def describe_types(inputs, console):
    console.log(f"Received {len(inputs)} inputs")
    return {
        name: {"value": value, "pythonType": type(value).__name__} for name, value in inputs.items()
    }


def summarise_order(inputs, console):
    order = inputs["order"]
    total = sum(
        Decimal(str(line["unitPrice"])) * line["quantity"] for line in order.get("lines") or []
    )
    console.log(f"Order {order['orderId']} has {len(order.get('lines') or [])} lines")
    if inputs.get("notes") is None:
        console.error("No notes given for this order")
    return {
        "orderId": order["orderId"],
        "lineCount": len(order.get("lines") or []),
        "total": float(total),
        "tags": inputs.get("tags") or [],
    }


def average_of(inputs, console):
    values = inputs["values"]
    if not values:
        console.error("Average of an empty list: returning null")
        return None
    digits = inputs.get("roundTo")
    average = sum(values) / len(values)
    return round(average, 2 if digits is None else digits)


def fail_with_error(inputs, console):
    console.log("About to fail on purpose")
    console.error("Something went wrong")
    raise RuntimeError(inputs.get("reason") or "Simulated failure")


def wrong_result_type(inputs, console):
    console.log("Returning text where the definition declares a number")
    return "forty-two"


def sleep_for(inputs, console):
    seconds = inputs["seconds"]
    console.log(f"Sleeping {seconds:g} seconds")
    time.sleep(max(0.0, seconds))
    return f"Slept {seconds:g} seconds"


def busy_service(inputs, console):
    seconds = inputs["seconds"]
    time.sleep(max(0.0, seconds))
    return f"Served in {seconds:g} seconds"


BUSY_SERVICE_LIMIT = 4  # calls of busyService at once, above which the emulator answers 429


def large_result(inputs, console):
    rows = inputs["rows"]
    console.log(f"Building {rows} rows")
    return [
        {"row": index, "label": f"Row number {index}", "even": index % 2 == 0}
        for index in range(rows)
    ]


def echo_markup(inputs, console):
    """Returns and logs markup: the console must show it as text and never run it."""
    console.log("<script>window.injected = 'stdout'</script>")
    console.error('<img src="x" onerror="window.injected = \'stderr\'">')
    console.log({"html": "<b onmouseover=\"window.injected = 'object log'\">hover</b>"})
    return {
        "label": inputs["label"],
        "html": "<img src=x onerror=\"window.injected = 'result'\">",
        "<script>key</script>": "</div></details><script>window.injected = 'key'</script>",
    }


def return_nothing(inputs, console):
    console.log("This function forgets to return")
    return None


def _function(name, display_name, description, inputs, output, implementation):
    return {
        "definition": {
            "name": name,
            "displayName": display_name,
            "description": description,
            "isPrivate": False,
            "hasReturn": output is not None,
            "inputs": inputs,
            "output": output,
        },
        "implementation": implementation,
    }


_ORDER_LINE = [
    variable("sku", "text"),
    variable("quantity", "number"),
    variable("unitPrice", "decimal"),
]

_LATEST_FUNCTIONS = [
    _function(
        "greet",
        "Greet someone",
        "Says hello; logs to stdout.",
        [
            variable("name", "text", display_name="Name", description="Who to greet"),
            variable("excited", "boolean", display_name="Excited?", nullable=True, value=False),
        ],
        variable("greeting", "text"),
        greet,
    ),
    _function(
        "addNumbers",
        "Add two numbers",
        "Adds two integers.",
        [variable("a", "number", value=1), variable("b", "number", value=2)],
        variable("sum", "number"),
        add_numbers,
    ),
    _function(
        "describeTypes",
        "Describe every input type",
        "Echoes every parameter type back with the value it received.",
        [
            variable("text", "text", value="hello"),
            variable("number", "number", value=42),
            variable("decimal", "decimal", value=0.1),
            variable("boolean", "boolean", value=True),
            variable("date", "date", value="2026-04-23"),
            variable("dateTime", "dateTime", value="2026-04-23T12:00:00Z"),
            variable("time", "time", value="14:30:00"),
            variable("duration", "duration", value="PT1H30M"),
            variable("person", "person", value="481303514"),
            variable("group", "group", value="1201"),
            variable("dataset", "dataset", value="9b1c4e2a-0000-4000-8000-000000000001"),
            variable("account", "ACCOUNT", nullable=True),
            variable("file", "FILE", nullable=True),
            variable("directory", "DIRECTORY", nullable=True),
            variable(
                "anything",
                "object",
                nullable=True,
                description="Free-form settings (an object without declared children)",
            ),
        ],
        variable("echo", "object"),
        describe_types,
    ),
    _function(
        "summariseOrder",
        "Summarise an order",
        "Totals an order given as a nested object with a list of line objects.",
        [
            variable(
                "order",
                "object",
                value={"orderId": "A-1", "customer": "481303514", "lines": []},
                children=[
                    variable("orderId", "text"),
                    variable("customer", "person"),
                    variable("lines", "object", is_list=True, children=_ORDER_LINE),
                ],
            ),
            variable("notes", "text", nullable=True),
            variable("tags", "text", is_list=True, nullable=True),
        ],
        variable(
            "summary",
            "object",
            children=[
                variable("orderId", "text"),
                variable("lineCount", "number"),
                variable("total", "decimal"),
                variable("tags", "text", is_list=True),
            ],
        ),
        summarise_order,
    ),
    _function(
        "averageOf",
        "Average of numbers",
        "Averages a list of decimals; stderr on empty list.",
        [
            variable("values", "decimal", is_list=True, value=[1.5, 2.5]),
            variable("roundTo", "number", nullable=True, value=2),
        ],
        variable("average", "decimal", nullable=True),
        average_of,
    ),
    _function(
        "failWithError",
        "Fail with an error",
        "Always throws: status FAILED.",
        [variable("reason", "text", nullable=True, value="Simulated failure")],
        variable("never", "text"),
        fail_with_error,
    ),
    _function(
        "wrongResultType",
        "Return the wrong type",
        "Declares a number output but returns text: status RESULT_TYPE_FAILURE.",
        [],
        variable("answer", "number"),
        wrong_result_type,
    ),
    _function(
        "sleepFor",
        "Sleep for a while",
        "Sleeps the given number of seconds (fractions too).",
        [variable("seconds", "decimal", value=2)],
        variable("message", "text"),
        sleep_for,
    ),
    {
        **_function(
            "busyService",
            "Call a busy service",
            f"Takes `seconds`; above {BUSY_SERVICE_LIMIT} calls at once the instance answers "
            "429 (Retry-After: 1 s), as a rate-limited instance does: try a load run.",
            [variable("seconds", "decimal", value=0.2)],
            variable("message", "text"),
            busy_service,
        ),
        "concurrency_limit": BUSY_SERVICE_LIMIT,
    },
    _function(
        "largeResult",
        "Return a large result",
        "Returns a list of `rows` objects.",
        [variable("rows", "number", value=20000)],
        variable("rows", "object", is_list=True),
        large_result,
    ),
    _function(
        "echoMarkup",
        "Echo markup",
        "Returns and logs HTML and script tags, which the console shows as text.",
        [variable("label", "text", value="<b>bold?</b><script>window.injected = 'input'</script>")],
        variable("echo", "object"),
        echo_markup,
    ),
    _function(
        "returnNothing",
        "Return nothing",
        "Declares an output but returns nothing: status OUTPUT_UNDEFINED.",
        [],
        variable("value", "text"),
        return_nothing,
    ),
    _function(
        "shareDataset",
        "Share a DataSet",
        "Shares a DataSet with people and groups (lists of ids), through an account.",
        [
            variable("dataset", "dataset", value="9b1c4e2a-0000-4000-8000-000000000000"),
            variable("recipients", "person", is_list=True, value=["481303514"]),
            variable("teams", "group", is_list=True, nullable=True),
            variable("account", "account", nullable=True),
        ],
        variable("message", "text"),
        share_dataset,
    ),
]

_FIRST_FUNCTIONS = [
    _function(
        "greet",
        "Greet someone",
        "Says hello.",
        [variable("name", "text", display_name="Name")],
        variable("greeting", "text"),
        greet_v1,
    ),
]


def greet_v12(inputs, console):
    name = inputs["name"]
    console.log(f"Greeting {name}")
    return f"Hi, {name}{'!' if inputs.get('excited') else '.'}"


_NEXT_FUNCTIONS = [
    {**function, "implementation": greet_v12}
    if function["definition"]["name"] == "greet"
    else function
    for function in _LATEST_FUNCTIONS
]


def demo_packages() -> list[dict]:
    """Packages in the emulator's internal shape: versions map to released flag + functions."""
    return [
        {
            "id": DEMO_PACKAGE_ID,
            "name": "Console Demo",
            "description": "Functions that exercise every corner of Code Engine Console.",
            "language": "PYTHON",
            "versions": {
                "1.0.0": {"released": True, "functions": _FIRST_FUNCTIONS},
                LATEST_DEMO_VERSION: {"released": True, "functions": _LATEST_FUNCTIONS},
                # Released after the version the demo pins: greet changed its wording, so
                # the tests of the demo catch a regression on it.
                "1.2.0": {"released": True, "functions": _NEXT_FUNCTIONS},
                "1.3.0": {"released": False, "functions": _LATEST_FUNCTIONS},
            },
        },
        {
            # Like Domo's own global packages, whose versions may list no functions.
            "id": GLOBAL_PACKAGE_ID,
            "name": "Domo Global Utilities",
            "description": "A global package whose functions are not listed.",
            "language": "JAVASCRIPT",
            "availability": "GLOBAL",
            "versions": {"3.1.0": {"released": True, "functions": []}},
        },
        {
            "id": PRIVATE_PACKAGE_ID,
            "name": "Finance Private Tools",
            "description": "Only some tokens may execute this package.",
            "language": "JAVASCRIPT",
            "versions": {
                "2.0.0": {"released": True, "functions": _FIRST_FUNCTIONS},
            },
        },
    ]


def demo_app_manifest() -> dict:
    """An app manifest whose packageMapping calls demo functions by its own aliases."""
    return {
        "name": "Sales Helper",
        "version": "1.0.0",
        "packageMapping": [
            {
                "alias": "sayHello",
                "parameters": [
                    {
                        "alias": "personName",
                        "type": "text",
                        "nullable": False,
                        "isList": False,
                        "children": None,
                    },
                    {
                        "alias": "shout",
                        "type": "boolean",
                        "nullable": True,
                        "isList": False,
                        "children": None,
                    },
                ],
                "output": {"alias": "message", "type": "text", "children": None},
            },
            {
                "alias": "averageAmount",
                "parameters": [
                    {
                        "alias": "amounts",
                        "type": "decimal",
                        "nullable": False,
                        "isList": True,
                        "children": None,
                    },
                    {
                        "alias": "digits",
                        "type": "number",
                        "nullable": True,
                        "isList": False,
                        "children": None,
                    },
                ],
                "output": {"alias": "average", "type": "decimal", "children": None},
            },
        ],
    }
