"""The input form generated from a normalised parameter definition.

Each parameter becomes one field that accepts exactly what Code Engine expects for its
type; `InputVariablesForm.input_variables()` returns the JSON to send as inputVariables,
with every declared input present (null when empty and nullable).
"""

import json
from datetime import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from codeengine_ui.domo.values import ISO_DURATION

NULLABLE_BOOLEAN_CHOICES = [("true", "True"), ("false", "False"), ("", "Null")]


class IsoDateTimeField(forms.CharField):
    """A date-time with an explicit time zone, sent as ISO 8601 (UTC written as Z)."""

    widget = forms.TextInput(attrs={"placeholder": "2026-04-23T12:00:00Z", "spellcheck": "false"})

    def to_python(self, value: Any) -> str | None:
        value = super().to_python(value)
        if not value:
            return None
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValidationError(
                "Enter a date and time in ISO 8601, e.g. 2026-04-23T12:00:00Z.", code="invalid"
            ) from None
        if parsed.tzinfo is None:
            raise ValidationError(
                "Add a time zone: Z for UTC, or an offset such as +02:00.", code="no_timezone"
            )
        return parsed.isoformat().replace("+00:00", "Z")


class JsonValueField(forms.CharField):
    """A JSON value; `shape` is "list", "object" or None (any JSON)."""

    widget = forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "class": "json-input"})

    def __init__(self, *, shape: str | None, **kwargs: Any):
        self.shape = shape
        super().__init__(strip=True, **kwargs)

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        try:
            parsed = json.loads(text)
        except ValueError as error:
            raise ValidationError(
                f"This is not valid JSON: {error.msg} (line {error.lineno}, column {error.colno}).",
                code="invalid_json",
            ) from None
        if self.shape == "list" and not isinstance(parsed, list):
            raise ValidationError("Enter a JSON list, e.g. [1, 2].", code="not_a_list")
        if self.shape == "object" and not isinstance(parsed, dict):
            raise ValidationError('Enter a JSON object, e.g. {"key": "value"}.', code="not_object")
        return parsed

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str) or value is None:
            return value
        return json.dumps(value, indent=2)


def _scalar_field(parameter: dict, options: dict) -> tuple[forms.Field, Any]:
    """The form field for a scalar parameter and the function turning its value into JSON."""
    type_name = parameter["type"]
    if type_name == "number":
        return forms.IntegerField(**options), int
    if type_name == "decimal":
        widget = forms.NumberInput(attrs={"step": "any"})
        return forms.DecimalField(widget=widget, **options), float
    if type_name == "boolean":
        if parameter["nullable"]:
            options["required"] = False
            field = forms.TypedChoiceField(
                choices=NULLABLE_BOOLEAN_CHOICES,
                coerce=lambda choice: choice == "true",
                empty_value=None,
                widget=forms.RadioSelect,
                **options,
            )
            return field, bool
        options["required"] = False
        return forms.BooleanField(**options), bool
    if type_name == "date":
        widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        return forms.DateField(widget=widget, **options), lambda value: value.isoformat()
    if type_name == "dateTime":
        return IsoDateTimeField(**options), str
    if type_name == "time":
        widget = forms.TimeInput(attrs={"type": "time", "step": "1"}, format="%H:%M:%S")
        return forms.TimeField(widget=widget, **options), lambda value: value.strftime("%H:%M:%S")
    if type_name == "duration":
        options.setdefault("help_text", "")
        options["help_text"] = (options["help_text"] + " ISO 8601 duration, e.g. PT1H30M.").strip()
        field = forms.RegexField(
            ISO_DURATION,
            error_messages={"invalid": "Enter an ISO 8601 duration, e.g. PT1H30M or P2D."},
            widget=forms.TextInput(attrs={"placeholder": "PT1H30M"}),
            **options,
        )
        return field, str
    if type_name in ("person", "group"):
        field = forms.RegexField(
            r"^\d+$",
            error_messages={"invalid": f"Enter the Domo {type_name} id: digits only."},
            widget=forms.TextInput(attrs={"inputmode": "numeric"}),
            **options,
        )
        return field, str
    if type_name == "dataset":
        widget = forms.TextInput(attrs={"placeholder": "DataSet UUID", "spellcheck": "false"})
        field = forms.UUIDField(
            widget=widget,
            error_messages={"invalid": "Enter the DataSet id (a UUID)."},
            **options,
        )
        return field, str
    return forms.CharField(strip=False, **options), str


def field_for(parameter: dict) -> tuple[forms.Field, Any]:
    options: dict[str, Any] = {
        "label": parameter["label"],
        "help_text": parameter["description"],
        "required": not parameter["nullable"],
    }
    type_name = parameter["type"]
    if parameter["is_list"]:
        options["help_text"] = f"{options['help_text']} A JSON list of {type_name} values.".strip()
        return JsonValueField(shape="list", **options), lambda value: value
    if type_name == "object":
        if not parameter["children"]:
            options["help_text"] = f"{options['help_text']} Any JSON object.".strip()
        return JsonValueField(shape="object", **options), lambda value: value
    if type_name in ("account", "file", "directory"):
        options["help_text"] = f"{options['help_text']} The {type_name} id, as text.".strip()
    elif type_name not in _SCALAR_TYPES:
        options["help_text"] = (
            f'{options["help_text"]} Unknown type "{type_name}": enter the value as JSON.'
        ).strip()
        return JsonValueField(shape=None, **options), lambda value: value
    return _scalar_field(parameter, options)


_SCALAR_TYPES = {
    "text",
    "number",
    "decimal",
    "boolean",
    "date",
    "dateTime",
    "time",
    "duration",
    "person",
    "group",
    "dataset",
    "account",
    "file",
    "directory",
}


def initial_value(parameter: dict, value: Any) -> Any:
    """A JSON value (a default, or a value sent before) as the field's initial value."""
    if value is None:
        return None
    if parameter["type"] == "boolean" and parameter["nullable"] and not parameter["is_list"]:
        return "true" if value else "false"
    return value


class InputVariablesForm(forms.Form):
    """One field per declared input; `input_variables()` is what Code Engine receives."""

    template_name = "parameters/input_form.html"

    def __init__(
        self, parameters: list[dict], *args: Any, initial_values: dict | None = None, **kwargs: Any
    ):
        kwargs.setdefault("prefix", "input")
        super().__init__(*args, **kwargs)
        self.parameters = parameters
        self._to_json = {}
        values = initial_values if initial_values is not None else {}
        for parameter in parameters:
            name = parameter["name"]
            field, to_json = field_for(parameter)
            field.initial = initial_value(parameter, values.get(name, parameter["default"]))
            self.fields[name] = field
            self._to_json[name] = to_json

    def input_variables(self) -> dict[str, Any]:
        variables = {}
        for parameter in self.parameters:
            name = parameter["name"]
            value = self.cleaned_data.get(name)
            if value is None or (value == "" and parameter["nullable"]):
                variables[name] = None
            else:
                variables[name] = self._to_json[name](value)
        return variables
