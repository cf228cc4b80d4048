from django import forms
from django.core.exceptions import ValidationError

from codeengine_ui.catalog.models import Instance
from codeengine_ui.json_text import indented
from codeengine_ui.parameters.types import Invalid, inputs_problems, parse_json_exactly
from codeengine_ui.request_values import RowsChoiceField
from codeengine_ui.text_lines import ONE_LINE_REFUSAL, not_one_line

from .expectations import expectation_problems
from .models import Case, Suite

MAX_IGNORED_PATHS = 200
MAX_RECIPIENTS = 20
MAX_IGNORED_PATH_CHARACTERS = 300


def _json_field(label: str, rows: int = 10) -> forms.CharField:
    return forms.CharField(
        label=label,
        widget=forms.Textarea(attrs={"rows": rows, "spellcheck": "false", "class": "json-input"}),
    )


def _parsed(text: str):
    try:
        return parse_json_exactly(text)
    except Invalid as error:
        raise ValidationError(str(error)) from None


class CaseForm(forms.ModelForm):
    """A case's name, inputs and expectations, checked with the form's type rules."""

    inputs_json = _json_field("inputVariables")
    expectations_json = _json_field("Expectations", rows=8)
    ignore_text = forms.CharField(
        label="Ignored paths",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text="One per line, as the differences name them: createdAt, items[*].id.",
    )

    class Meta:
        model = Case
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["inputs_json"] = indented(self.instance.input_variables)
            self.initial["expectations_json"] = indented(self.instance.expectations)
            self.initial["ignore_text"] = "\n".join(self.instance.ignore_paths)

    def clean_name(self):
        name = one_line_name(self.cleaned_data["name"])
        others = Case.objects.filter(function=self.instance.function, name=name)
        if others.exclude(pk=self.instance.pk).exists():
            raise ValidationError("This function already has a case with this name.")
        return name

    def clean_inputs_json(self):
        inputs = _parsed(self.cleaned_data["inputs_json"])
        if not isinstance(inputs, dict):
            raise ValidationError("Write the inputs as a JSON object.")
        problems = inputs_problems(self.instance.function.parameters, inputs)
        if problems:
            raise ValidationError([f"{path}: {message}" for path, message in problems])
        return inputs

    def clean_expectations_json(self):
        expectations = _parsed(self.cleaned_data["expectations_json"])
        problems = expectation_problems(expectations)
        if problems:
            raise ValidationError(problems)
        if (
            any(e.get("kind") == "snapshot" for e in expectations)
            and self.instance.snapshot is None
        ):
            raise ValidationError("A snapshot expectation needs a snapshot: save a run as a test.")
        return expectations

    def clean_ignore_text(self):
        paths = [
            line.strip() for line in self.cleaned_data["ignore_text"].splitlines() if line.strip()
        ]
        if len(paths) > MAX_IGNORED_PATHS:
            raise ValidationError(f"Ignore at most {MAX_IGNORED_PATHS} paths.")
        if long := [path for path in paths if len(path) > MAX_IGNORED_PATH_CHARACTERS]:
            raise ValidationError(
                f"A path is at most {MAX_IGNORED_PATH_CHARACTERS} characters long; "
                f"{long[0][:40]}… is {len(long[0]):,}."
            )
        return paths

    def save(self, commit=True):
        self.instance.input_variables = self.cleaned_data["inputs_json"]
        self.instance.expectations = self.cleaned_data["expectations_json"]
        self.instance.ignore_paths = self.cleaned_data["ignore_text"]
        return super().save(commit)


def one_line_name(name: str) -> str:
    """A name as it is kept: one line of text, which a subject line or a file can hold."""
    name = name.strip()
    if not_one_line(name):
        raise ValidationError(ONE_LINE_REFUSAL)
    return name


class SuiteForm(forms.ModelForm):
    class Meta:
        model = Suite
        fields = ["name", "description", "cases"]
        widgets = {
            "cases": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 2}),
        }
        field_classes = {"cases": RowsChoiceField}

    def clean_name(self):
        name = one_line_name(self.cleaned_data["name"])
        taken = Suite.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).first()
        if taken is not None:
            raise ValidationError(
                f"A suite is already named “{taken.name}”: choose a name that differs by "
                "more than letter case."
            )
        return name

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cases"].queryset = Case.objects.select_related("function").order_by(
            "function__display_name", "function__function_name", "name"
        )
        self.fields["cases"].label_from_instance = lambda case: (
            f"{case.function.label}: {case.name}"
        )


class RunSuiteForm(forms.Form):
    version = forms.CharField(
        required=False,
        max_length=64,
        help_text="Leave empty to run each function's saved version.",
        label="Against version",
    )
    instance = forms.ModelChoiceField(
        Instance.objects.all(),
        required=False,
        empty_label="Each function's own",
        label="On instance",
        help_text="Staging or production: the same package's functions saved there.",
    )


class MonitorForm(forms.ModelForm):
    """A suite's schedule and who hears when it starts failing or recovers."""

    class Meta:
        model = Suite
        fields = [
            "schedule",
            "every_minutes",
            "at_time",
            "time_zone",
            "run_on_new_version",
            "notify_emails",
            "webhook_url",
        ]
        labels = {
            "every_minutes": "Every (minutes)",
            "at_time": "At",
            "notify_emails": "Email",
            "webhook_url": "Webhook",
            "run_on_new_version": "Run on each new release",
        }
        help_texts = {
            "at_time": "Daily: the time of day; hourly: its minutes past the hour.",
            "time_zone": "A name such as Europe/Paris or America/New_York.",
            "notify_emails": "Addresses, separated by commas; told on failure and recovery.",
            "webhook_url": "Slack or Teams incoming webhook (its host must be allowed).",
            "run_on_new_version": "When the hourly check finds a newer released version of "
            "a function it tests, the suite runs on that version by itself.",
        }
        widgets = {"at_time": forms.TimeInput(attrs={"type": "time"}),
                   "notify_emails": forms.TextInput()}  # fmt: skip

    def clean_time_zone(self):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        name = self.cleaned_data["time_zone"].strip() or "UTC"
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError(f"{name} is not a time zone name.") from None
        return name

    def clean_every_minutes(self):
        minutes = self.cleaned_data["every_minutes"]
        if not 1 <= minutes <= 1440:
            raise ValidationError("Choose between 1 and 1,440 minutes.")
        return minutes

    def clean_notify_emails(self):
        addresses = [a.strip() for a in self.cleaned_data["notify_emails"].split(",") if a.strip()]
        if len(addresses) > MAX_RECIPIENTS:
            raise ValidationError(
                f"Name at most {MAX_RECIPIENTS} addresses (a team list counts as one)."
            )
        field = forms.EmailField()
        for address in addresses:
            field.clean(address)
        return ", ".join(addresses)

    def clean_webhook_url(self):
        from codeengine_ui.notifications import webhook_refusal

        url = self.cleaned_data["webhook_url"].strip()
        refusal = webhook_refusal(url) if url else ""
        if refusal:
            raise ValidationError(refusal)
        return url

    def clean(self):
        data = super().clean()
        if data.get("schedule") in ("hourly", "daily") and not data.get("at_time"):
            self.add_error("at_time", "Give the time it runs at.")
        return data
