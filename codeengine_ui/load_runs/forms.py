"""The load-run form: the function's inputs (as JSON, or a preset), the virtual users, how
long or how many calls, the ramp-up and the thresholds."""

import re
from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator

from codeengine_ui.catalog.models import AccessToken, Function, InputPreset
from codeengine_ui.parameters.types import Invalid, parse_json_exactly

from .services import MOST_P95_MS, LoadSettings

_SPAN = re.compile(r"^\s*(\d+)\s*(ms|s|m|min)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "min": 60}


def seconds_of(text: str, what: str) -> int:
    """`30`, `30s`, `2m` as whole seconds; a ValidationError that names `what` otherwise."""
    match = _SPAN.match(text or "")
    unit = (match.group(2) or "").lower() if match else ""
    if not match or unit == "ms":
        raise forms.ValidationError(
            f"Write the {what} in whole seconds or minutes, such as 30s or 2m.", code="span"
        )
    return int(match.group(1)) * _UNITS[unit]


class LoadRunForm(forms.Form):
    DURATION, COUNT = "duration", "count"

    token = forms.ModelChoiceField(queryset=AccessToken.objects.none(), empty_label=None)
    preset = forms.ModelChoiceField(
        queryset=InputPreset.objects.none(),
        required=False,
        empty_label="The inputs below",
        help_text="Or the inputs of a preset of this function.",
    )
    inputs = forms.CharField(
        label="Inputs (inputVariables, JSON)",
        widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false", "class": "code"}),
        help_text="Sent to every call exactly as written here.",
    )
    users = forms.IntegerField(label="Virtual users", min_value=1, initial=10)
    mode = forms.ChoiceField(
        label="Run for",
        choices=[(DURATION, "A duration"), (COUNT, "A number of calls")],
        widget=forms.RadioSelect,
        initial=DURATION,
    )
    duration = forms.CharField(label="Duration", required=False, initial="30s")
    total_calls = forms.IntegerField(label="Calls", required=False, min_value=1)
    ramp_up = forms.CharField(
        label="Ramp up over",
        initial="5s",
        help_text="The users start one after another over this time.",
    )
    p95_below_ms = forms.IntegerField(
        label="Pass if p95 latency is below (ms)",
        required=False,
        min_value=1,
        max_value=MOST_P95_MS,
    )
    errors_below_percent = forms.DecimalField(
        label="Pass if the error rate is below (%)",
        required=False,
        max_digits=5,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=Decimal("100"),
        help_text="Failed runs, call errors and 429s count as errors.",
    )
    confirm_production = forms.BooleanField(
        label="I confirm this load run may call the production instance",
        required=False,
    )

    def __init__(self, *args, function: Function, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.function = function
        self.fields["token"].queryset = AccessToken.objects.usable_by(user, function.instance)
        self.fields["preset"].queryset = function.presets.order_by("name")
        most = settings.LOAD_RUN_MAX_USERS
        self.fields["users"].validators.append(MaxValueValidator(most))
        self.fields["users"].widget.attrs.update(min=1, max=most)
        self.fields[
            "users"
        ].help_text = f"Up to {most:,}, and no more than the instance's runs at once."
        self.fields["total_calls"].validators.append(MaxValueValidator(settings.LOAD_RUN_MAX_CALLS))
        self.fields["total_calls"].widget.attrs.update(min=1, max=settings.LOAD_RUN_MAX_CALLS)
        if not function.instance.is_production:
            del self.fields["confirm_production"]

    def clean_inputs(self) -> dict:
        try:
            value = parse_json_exactly(self.cleaned_data["inputs"])
        except Invalid as error:
            raise forms.ValidationError(str(error), code="json") from None
        if not isinstance(value, dict):
            raise forms.ValidationError('Write a JSON object: {"name": value, ...}.')
        return value

    def clean_ramp_up(self) -> int:
        return seconds_of(self.cleaned_data["ramp_up"], "ramp-up")

    def clean(self):
        data = super().clean()
        if data.get("mode") == self.DURATION:
            try:
                data["duration_seconds"] = seconds_of(data.get("duration", ""), "duration")
            except forms.ValidationError as error:
                self.add_error("duration", error)
            data["total_calls"] = None
        elif data.get("mode") == self.COUNT:
            if not data.get("total_calls"):
                self.add_error("total_calls", "How many calls in all?")
            data["duration_seconds"] = None
        if data.get("preset") is not None:
            data["inputs"] = data["preset"].input_variables
            self.errors.pop("inputs", None)
        return data

    def settings(self) -> LoadSettings:
        data = self.cleaned_data
        return LoadSettings(
            function=self.function,
            token=data["token"],
            inputs=data["inputs"],
            users=data["users"],
            duration_seconds=data.get("duration_seconds"),
            total_calls=data.get("total_calls"),
            ramp_up_seconds=data["ramp_up"],
            p95_below_ms=data.get("p95_below_ms"),
            errors_below_percent=data.get("errors_below_percent"),
            confirm_production=data.get("confirm_production", False),
        )


class CompareForm(forms.Form):
    earlier = forms.IntegerField(min_value=1)
    later = forms.IntegerField(min_value=1)
