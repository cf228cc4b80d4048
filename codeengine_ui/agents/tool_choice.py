from django import forms

from .models import ToolLimit
from .reach import runnable_functions

ALL, CHOSEN = "all", "chosen"


class ToolChoiceForm(forms.Form):
    """All the functions the person may run, or chosen ones: for a key, or a client."""

    reach = forms.ChoiceField(
        label="Functions it may use",
        choices=[
            (ALL, "All the functions I may run, now and later"),
            (CHOSEN, "Only these functions"),
        ],
        widget=forms.RadioSelect,
        initial=ALL,
    )
    functions = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user, limit: ToolLimit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["functions"].queryset = runnable_functions(user)
        self.fields["functions"].label_from_instance = lambda function: (
            f"{function.label} · {function.instance.name} · {function.version}"
        )
        if limit is not None:
            self.initial.update(reach=CHOSEN, functions=list(limit.functions.all()))

    def clean(self):
        data = super().clean()
        if data.get("reach") == CHOSEN and not data.get("functions"):
            self.add_error("functions", "Choose at least one function, or allow all of them.")
        return data

    def save_limit(self, **holder):
        """Store the choice for `holder` (api_key=…, or oauth_application=…): the chosen
        functions, or None for all of them."""
        ToolLimit.objects.filter(user=self.user, **holder).delete()
        if self.cleaned_data["reach"] == ALL:
            return None
        chosen = list(self.cleaned_data["functions"])
        limit = ToolLimit.objects.create(user=self.user, **holder)
        limit.functions.set(chosen)
        return chosen
