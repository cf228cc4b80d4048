import uuid

from django import forms

from codeengine_ui.catalog.models import AccessToken, Function


class RunOptionsForm(forms.Form):
    """Everything about a run except its inputs: the token, getLogs and the submission id."""

    token = forms.ModelChoiceField(
        queryset=AccessToken.objects.none(), empty_label=None, label="Access token"
    )
    get_logs = forms.BooleanField(
        required=False,
        initial=True,
        label="Get logs",
        help_text="Ask Code Engine for the function's stdout and stderr (getLogs).",
    )
    # A new id each time the form is shown: a double-clicked submit is one run, not two.
    submission_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)

    def __init__(self, function: Function, *args, **kwargs):
        super().__init__(*args, **kwargs)
        tokens = AccessToken.objects.usable(function.instance)
        self.fields["token"].queryset = tokens
        if function.default_token_id and function.default_token.is_active:
            self.fields["token"].initial = function.default_token_id
        if not tokens.exists():
            self.fields[
                "token"
            ].help_text = "No active token for this instance yet: an admin must add one first."
