"""A package version as Domo exports it, at the size real packages reach (26 to 42
functions): for the import benchmark, its browser tests and the README's screenshot."""

from .package import DEMO_PACKAGE_ID, LATEST_DEMO_VERSION

TOPICS = ["invoice", "customer", "dataset", "forecast", "prompt", "ticket", "order"]
VERBS = ["get", "list", "create", "update", "delete", "sync"]
# The demo instance has these, so their rows are found there; the others are not.
DEMO_FUNCTIONS = ["greet", "addNumbers", "averageOf", "describeTypes"]


def _inputs(topic: str, count: int) -> list[dict]:
    return [
        {"name": f"{topic}Id", "displayName": f"{topic.capitalize()} id", "type": "STRING",
         "value": None, "nullable": False, "isList": False, "children": None,
         "entitySubType": None},
        {"name": "limit", "displayName": None, "type": "NUMBER", "value": 50,
         "nullable": True, "isList": False, "children": [], "entitySubType": None},
        {"name": "fields", "displayName": None, "type": "STRING", "value": [],
         "nullable": True, "isList": True, "children": None, "entitySubType": None},
        {"name": "filter", "displayName": "Filter", "type": "OBJECT", "nullable": True,
         "isList": False, "value": {"field": None, "values": [], "operator": "EQ"},
         "children": [{"name": "field", "type": "STRING", "value": None},
                      {"name": "values", "type": "STRING", "isList": True, "value": []},
                      {"name": "operator", "type": "STRING", "value": "EQ"}]},
        {"name": "owner", "displayName": "Owner", "type": "PERSON", "value": None,
         "nullable": True, "isList": False, "children": None, "entitySubType": None},
    ][:count]  # fmt: skip


def exported_version(
    count: int, package_id: str = DEMO_PACKAGE_ID, version: str = LATEST_DEMO_VERSION
) -> dict:
    """`count` public functions of two to five inputs each (upper-case types, defaults, an
    object with children), the demo's own first, then one private helper, and the
    package's entitySubType, as Domo's export writes them."""
    functions = [
        {"name": name, "displayName": None, "isPrivate": False,
         "inputs": [{"name": "value", "type": "STRING", "value": None}],
         "output": {"name": "out", "type": "STRING"}}
        for name in DEMO_FUNCTIONS[:count]
    ]  # fmt: skip
    for index in range(count - len(functions)):
        topic, verb = TOPICS[index % len(TOPICS)], VERBS[index // len(TOPICS) % len(VERBS)]
        functions.append(
            {
                "name": f"{verb}{topic.capitalize()}{index}",
                "displayName": f"{verb.capitalize()} {topic} {index}",
                "description": f"{verb.capitalize()}s {topic} records through Domo's APIs.",
                "isPrivate": False,
                "hasReturn": True,
                "inputs": _inputs(topic, 2 + index % 4),
                "output": {"name": "result", "displayName": None, "type": "OBJECT",
                           "value": None, "nullable": False, "isList": False, "children": []},
            }
        )  # fmt: skip
    functions.append({"name": "helper", "isPrivate": True, "inputs": [], "output": None})
    return {
        "packageId": package_id,
        "version": version,
        "entitySubType": "amazon-bedrock",
        "code": "const codeengine = require('codeengine');\n" * 200,
        "functions": functions,
        "configuration": {"accountsMapping": [], "mlModel": [], "externalPackageMapping": {}},
        "createdOn": "2026-04-29T16:00:10.043Z",
        "createdBy": "1813188617",
    }
