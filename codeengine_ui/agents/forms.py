from django import forms
from django.core.exceptions import ValidationError
from oauth2_provider.forms import AllowForm

from codeengine_ui.request_values import RowsChoiceField

from .models import ToolLimit
from .reach import runnable_functions


class FunctionChoiceField(RowsChoiceField):
    def label_from_instance(self, function) -> str:
        return f"{function} · {function.instance} · {function.version}"


class FunctionsChoiceForm(forms.Form):
    """Which functions an AI agent may use: all those its person may run, or chosen ones
    (for an API key, or a connected client)."""

    ALL, CHOSEN = "all", "chosen"
    tools = forms.ChoiceField(
        label="Functions it may use",
        choices=[(ALL, "All the functions I may run"), (CHOSEN, "Only the functions I choose")],
        initial=ALL,
        required=False,
        widget=forms.RadioSelect,
    )
    functions = FunctionChoiceField(
        label="Functions",
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Your right to run each one is checked again at every call.",
    )

    def __init__(self, *args, user, limit: ToolLimit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["functions"].queryset = runnable_functions(user)
        if limit is not None:
            self.initial.update(tools=self.CHOSEN, functions=list(limit.functions.all()))

    def clean(self):
        data = super().clean()
        if self.choosing() and data.get("tools") == self.CHOSEN and not data.get("functions"):
            raise ValidationError(
                "Choose at least one function, or allow all the functions you may run.",
                code="no_functions",
            )
        return data

    def choosing(self) -> bool:
        return True

    def chosen_functions(self):
        """The functions chosen, or None for all the functions the person may run."""
        if self.cleaned_data["tools"] != self.CHOSEN:
            return None
        return list(self.cleaned_data["functions"])


class ConsentForm(AllowForm, FunctionsChoiceForm):
    """The toolkit's approval form (the authorization request rides along in hidden
    fields), with the functions the client may use."""

    def choosing(self) -> bool:
        return bool(self.cleaned_data.get("allow"))
