"""Stored parameter definitions switch to Domo's key names (isList, entitySubType) and gain
`alias`, so one value checker reads Domo's definitions and ours alike."""

from django.db import migrations

RENAMED = {"is_list": "isList", "entity_sub_type": "entitySubType"}


def _forwards_variable(variable):
    if not isinstance(variable, dict):
        return variable
    converted = {RENAMED.get(key, key): value for key, value in variable.items()}
    converted.setdefault("alias", None)
    converted["children"] = [_forwards_variable(child) for child in converted.get("children") or []]
    return converted


def _backwards_variable(variable):
    if not isinstance(variable, dict):
        return variable
    reverse = {new: old for old, new in RENAMED.items()}
    converted = {reverse.get(key, key): value for key, value in variable.items() if key != "alias"}
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
    dependencies = [("catalog", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
