"""Stored definitions that declared a type by an alias real apps write (`string`,
`integer`, `float`, `bool`...) were kept as unknown types; they become the Code Engine type
they stand for, with the name declared kept as `declaredType`. Every variable gains
`declaredType` (None when the type was written as Code Engine spells it)."""

from django.db import migrations

ALIASES = {
    "string": "text", "str": "text",
    "integer": "number", "int": "number", "long": "number",
    "float": "decimal", "double": "decimal",
    "bool": "boolean",
}  # fmt: skip


def _forwards_variable(variable):
    if not isinstance(variable, dict):
        return variable
    converted = dict(variable)
    declared = converted.get("type")
    canonical = ALIASES.get(declared.lower()) if isinstance(declared, str) else None
    converted["declaredType"] = declared if canonical else converted.get("declaredType")
    if canonical:
        converted["type"] = canonical
    converted["children"] = [_forwards_variable(child) for child in converted.get("children") or []]
    return converted


def _backwards_variable(variable):
    if not isinstance(variable, dict):
        return variable
    converted = dict(variable)
    declared = converted.pop("declaredType", None)
    if declared:
        converted["type"] = declared
    converted["children"] = [_backwards_variable(child) for child in converted.get("children") or []]
    return converted


def _convert(apps, convert):
    Function = apps.get_model("catalog", "Function")
    for function in Function.objects.all():
        function.parameters = [convert(parameter) for parameter in function.parameters or []]
        function.output = convert(function.output) if function.output else None
        function.save(update_fields=["parameters", "output"])


def forwards(apps, schema_editor):
    _convert(apps, _forwards_variable)


def backwards(apps, schema_editor):
    _convert(apps, _backwards_variable)


class Migration(migrations.Migration):
    dependencies = [("catalog", "0006_version_news_token_and_expiry_zone")]

    operations = [migrations.RunPython(forwards, backwards)]
