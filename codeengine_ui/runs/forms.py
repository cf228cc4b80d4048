import uuid
from datetime import datetime, timedelta

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied

from codeengine_ui.catalog.forms import TOKEN_NOT_USABLE, UsableTokenField
from codeengine_ui.catalog.models import AccessToken, Function, Instance
from codeengine_ui.catalog.tokens import run_refusal
from codeengine_ui.request_values import row_id
from codeengine_ui.timezones import day_refusal, local_midnight

from .history import search
from .models import OUTCOME_STATUSES, ExecutionStatus, Outcome, RunSource


class RunOptionsForm(forms.Form):
    """Everything about a run except its inputs: the token, getLogs and the submission id."""

    token = UsableTokenField(empty_label=None, label="Access token")
    get_logs = forms.BooleanField(
        required=False,
        initial=True,
        label="Get logs",
        help_text="Ask Code Engine for the function's stdout and stderr (getLogs).",
    )
    # A new id each time the form is shown: a double-clicked submit is one run, not two.
    # A post without one (a script, a page from before this field) runs once per post.
    submission_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4, required=False)

    def __init__(self, function: Function, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["token"].offer(user, function.instance)
        tokens = self.fields["token"].queryset
        if function.default_token_id and tokens.filter(pk=function.default_token_id).exists():
            self.fields["token"].initial = function.default_token_id
        if not tokens.exists():
            self.fields[
                "token"
            ].help_text = "No token of this instance is granted to you: ask an admin to grant one."

    @staticmethod
    def refuse_ungranted_token(data, function: Function, user) -> None:
        """403 for a token that exists but that `user` may not run with now (not granted,
        disabled, expired, another instance's), however its id was sent."""
        token_id = row_id(data.get("token"))
        token = AccessToken.objects.filter(pk=token_id).first() if token_id else None
        if token is None:
            return
        if token.instance_id != function.instance_id or run_refusal(token, user) is not None:
            raise PermissionDenied(TOKEN_NOT_USABLE)


class HistoryFilterForm(forms.Form):
    """The history's filters; they live in the URL so a filtered view can be shared."""

    q = forms.CharField(
        label="Search",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "Function or input value",
                "data-history-search": "",
                "aria-keyshortcuts": "/",
            }
        ),
    )
    function = forms.ModelChoiceField(
        Function.objects.select_related("instance"), required=False, empty_label="All functions"
    )
    instance = forms.ModelChoiceField(
        Instance.objects.all(), required=False, empty_label="All instances"
    )
    status = forms.ChoiceField(
        choices=[("", "All statuses"), *ExecutionStatus.choices], required=False
    )
    outcome = forms.ChoiceField(choices=[("", "Any outcome"), *Outcome.choices], required=False)
    source = forms.ChoiceField(
        choices=[("", "Any source"), *RunSource.choices], required=False, label="Source"
    )
    version = forms.CharField(required=False, max_length=64)
    user = forms.ModelChoiceField(
        get_user_model().objects.order_by("username"),
        required=False,
        empty_label="Everyone",
        label="Run by",
    )
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )
    mine = forms.BooleanField(required=False, label="Only mine")
    # A precise time window (a chart bar's): set by links, shown as a notice, not edited.
    start = forms.DateTimeField(required=False, widget=forms.HiddenInput)
    # The runs of one batch submitted through the API (a link from a run of it).
    batch = forms.UUIDField(required=False, widget=forms.HiddenInput)
    end = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def clean(self):
        cleaned_data = super().clean()
        for name in ("since", "until", "start", "end"):
            moment = cleaned_data.get(name)
            refusal = day_refusal(moment.date() if isinstance(moment, datetime) else moment)
            if refusal:
                self.add_error(name, refusal)
        since, until = cleaned_data.get("since"), cleaned_data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
        start, end = cleaned_data.get("start"), cleaned_data.get("end")
        if start and end and start >= end:
            self.add_error("end", "The time window ends before it starts.")
        return cleaned_data

    def apply(self, executions, user):
        """`executions` narrowed by the valid filters (all of them when the form is invalid)."""
        if not self.is_valid():
            return executions
        data = self.cleaned_data
        for field in ("function", "instance", "status", "source"):
            if data[field]:
                executions = executions.filter(**{field: data[field]})
        if data["outcome"]:
            executions = executions.filter(status__in=OUTCOME_STATUSES[Outcome(data["outcome"])])
        if data["start"]:
            executions = executions.filter(queued_at__gte=data["start"])
        if data["end"]:
            executions = executions.filter(queued_at__lt=data["end"])
        if data["batch"]:
            executions = executions.filter(batch_id=data["batch"])
        if data["version"]:
            executions = executions.filter(version=data["version"].strip())
        if data["mine"]:
            executions = executions.filter(requested_by=user)
        elif data["user"]:
            executions = executions.filter(requested_by=data["user"])
        if data["since"]:
            executions = executions.filter(queued_at__gte=local_midnight(data["since"]))
        if data["until"]:
            executions = executions.filter(
                queued_at__lt=local_midnight(data["until"] + timedelta(days=1))
            )
        if data["q"].strip():
            executions = search(executions, data["q"].strip())
        return executions

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())

    @property
    def time_window(self) -> tuple[datetime | None, datetime | None] | None:
        if not self.is_valid() or not (self.cleaned_data["start"] or self.cleaned_data["end"]):
            return None
        return self.cleaned_data["start"], self.cleaned_data["end"]

    @property
    def hidden_errors(self) -> list[str]:
        return [error for field in self.hidden_fields() for error in field.errors]
