"""The forms of a run over a table: where the table comes from, then how its columns map
to inputs, the token, and how rows are judged."""

import uuid

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.template.defaultfilters import filesizeformat

from codeengine_ui.catalog.forms import UsableTokenField
from codeengine_ui.catalog.models import Function
from codeengine_ui.suites.models import Case

from .mapping import COLUMN, DEFAULT, VALUE
from .models import JudgedBy, TableRun


class TableSourceForm(forms.Form):
    """An uploaded file, or a DataSet picked with the picker and read with a token."""

    source = forms.ChoiceField(
        choices=[("file", "A CSV or JSON Lines file"), ("dataset", "A Domo DataSet")],
        initial="file",
        widget=forms.RadioSelect,
        label="Rows from",
    )
    file = forms.FileField(
        required=False,
        label="File",
        help_text="CSV with a header row, or JSON Lines (one object per line); UTF-8.",
    )
    token = UsableTokenField(empty_label=None, label="Access token", required=False)
    # Not named "dataset": a form control of that name would hide the form's own `dataset`
    # (its data- attributes) from scripts.
    dataset_id = forms.CharField(required=False, max_length=36, label="DataSet")
    row_limit = forms.IntegerField(min_value=1, label="Rows to read", required=False)

    def __init__(self, function: Function, user, *args, upload_refused: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload_refused = upload_refused
        self.fields["token"].offer(user, function.instance)
        tokens = self.fields["token"].queryset
        if function.default_token_id and tokens.filter(pk=function.default_token_id).exists():
            self.fields["token"].initial = function.default_token_id
        self.fields["file"].widget.attrs.update(
            {"accept": ".csv,.tsv,.jsonl,.ndjson,text/csv", "data-max-bytes": _max_bytes()}
        )
        self.fields["dataset_id"].widget.attrs.update(
            {"data-picker": "dataset", "autocomplete": "off", "spellcheck": "false",
             "placeholder": "Type to search, or paste an id"}
        )  # fmt: skip
        self.fields["row_limit"].max_value = settings.TABLE_MAX_ROWS
        self.fields["row_limit"].validators.append(MaxValueValidator(settings.TABLE_MAX_ROWS))
        self.fields["row_limit"].widget.attrs["max"] = settings.TABLE_MAX_ROWS
        self.fields["row_limit"].initial = min(settings.TABLE_DATASET_ROWS, settings.TABLE_MAX_ROWS)
        self.fields[
            "row_limit"
        ].help_text = f"The DataSet's first rows, up to {settings.TABLE_MAX_ROWS:,}."

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("source") == "dataset":
            if not cleaned.get("token"):
                self.add_error("token", "Choose a token granted to you to read the DataSet.")
            text = (cleaned.get("dataset_id") or "").strip()
            try:
                cleaned["dataset_id"] = str(uuid.UUID(text)) if len(text) == 36 else None
            except ValueError:
                cleaned["dataset_id"] = None
            if not cleaned["dataset_id"]:
                self.add_error("dataset_id", "Pick a DataSet, or paste its id (a UUID).")
            if not cleaned.get("row_limit"):
                cleaned["row_limit"] = self.fields["row_limit"].initial
            return cleaned
        upload = cleaned.get("file")
        too_large = f"This file is over {filesizeformat(_max_bytes())} (MAX_UPLOAD_BYTES)."
        if self.upload_refused or (upload is not None and upload.size > _max_bytes()):
            raise ValidationError({"file": too_large})
        if upload is None:
            raise ValidationError({"file": "Choose a CSV or JSON Lines file."})
        return cleaned


def _max_bytes() -> int:
    return settings.MAX_UPLOAD_BYTES


class MappingForm(forms.Form):
    """Per input: a column, a fixed value or its default; then the token and the judging."""

    token = UsableTokenField(empty_label=None, label="Access token")
    judged_by = forms.ChoiceField(choices=JudgedBy.choices, required=False,
                                  label="Judge each row by")  # fmt: skip
    case = forms.ModelChoiceField(
        Case.objects.none(),
        required=False,
        empty_label="—",
        label="Test case",
        help_text="Its expectations are checked on every row's run.",
    )
    expect_column = forms.ChoiceField(required=False, label="Expected-result column")
    expect_path = forms.CharField(
        required=False,
        max_length=500,
        label="Compare at",
        help_text="A JSONPath into the result, such as $.total; empty compares the whole result.",
    )

    def __init__(self, table_run: TableRun, function: Function, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.function = function
        self.fields["token"].offer(user, function.instance)
        tokens = self.fields["token"].queryset
        default = table_run.token_id or function.default_token_id
        if default and tokens.filter(pk=default).exists():
            self.fields["token"].initial = default
        self.fields["case"].queryset = Case.objects.filter(function=function)
        column_choices = [(column, column) for column in table_run.columns]
        self.fields["expect_column"].choices = [("", "—"), *column_choices]
        self.inputs = []
        for parameter in function.parameters:
            name = parameter["name"]
            choice = table_run.mapping.get(name) or {DEFAULT: True}
            default = parameter.get("default")
            default_label = (
                "Its default" if default is not None
                else "Empty (null)" if parameter.get("nullable") else "Nothing"
            )  # fmt: skip
            columns = [(f"{COLUMN}:{column}", f"Column “{column}”") for column in table_run.columns]
            field = forms.ChoiceField(
                label=name,
                choices=[*columns, (VALUE, "A fixed value"), (DEFAULT, default_label)],
                initial=f"{COLUMN}:{choice[COLUMN]}" if COLUMN in choice
                else VALUE if VALUE in choice else DEFAULT,
            )  # fmt: skip
            value = forms.CharField(required=False, strip=False, label=f"Value of {name}",
                                    initial=choice.get(VALUE, "") if isinstance(
                                        choice.get(VALUE, ""), str) else "")  # fmt: skip
            self.fields[f"map-{name}"] = field
            self.fields[f"value-{name}"] = value
            self.inputs.append((parameter, f"map-{name}", f"value-{name}"))

    def clean(self):
        cleaned = super().clean()
        judged_by = cleaned.get("judged_by")
        if judged_by == JudgedBy.CASE and not cleaned.get("case"):
            self.add_error("case", "Choose the test case whose expectations judge each row.")
        if judged_by == JudgedBy.COLUMN and not cleaned.get("expect_column"):
            self.add_error("expect_column", "Choose the column that holds each row's expected "
                           "result.")  # fmt: skip
        path = (cleaned.get("expect_path") or "").strip()
        if judged_by == JudgedBy.COLUMN and path and not path.startswith("$"):
            self.add_error("expect_path", "Write a JSONPath starting with $, such as $.total.")
        return cleaned

    def mapping_is_valid(self) -> bool:
        fields = [name for _, map_field, value_field in self.inputs
                  for name in (map_field, value_field)]  # fmt: skip
        return not any(name in self.errors for name in fields)

    def forget_start_errors(self) -> None:
        """The errors that only matter when the run starts (the token, the judging)."""
        for name in ("token", "judged_by", "case", "expect_column", "expect_path"):
            self.errors.pop(name, None)

    def mapping(self) -> dict:
        data = self.cleaned_data
        mapping = {}
        for parameter, map_field, value_field in self.inputs:
            chosen = data.get(map_field) or DEFAULT
            if chosen.startswith(f"{COLUMN}:"):
                mapping[parameter["name"]] = {COLUMN: chosen.partition(":")[2]}
            elif chosen == VALUE:
                mapping[parameter["name"]] = {VALUE: data.get(value_field) or ""}
            else:
                mapping[parameter["name"]] = {DEFAULT: True}
        return mapping

    def input_fields(self):
        """Each input's label, type, its mapping field and its value field, for the page."""
        for parameter, map_field, value_field in self.inputs:
            yield parameter, self[map_field], self[value_field]
