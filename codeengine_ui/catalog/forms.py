from django import forms
from django.core.exceptions import ValidationError

from codeengine_ui.parameters.definitions import DefinitionError, parse_definition_text
from codeengine_ui.parameters.manifests import AppFunction, app_functions

from .models import AccessToken, Instance, PathSegmentValidator

MAX_MANIFEST_BYTES = 1024 * 1024


class AppDocumentForm(forms.Form):
    """A manifest.json (pasted or uploaded) or packageMapping entries, read into functions."""

    text = forms.CharField(
        label="Paste a manifest.json or packageMapping entries",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "json-input"}),
    )
    file = forms.FileField(label="…or upload the app's manifest.json", required=False)

    def clean(self):
        cleaned_data = super().clean()
        upload = cleaned_data.get("file")
        text = cleaned_data.get("text") or ""
        field = "text"
        if upload is not None:
            field = "file"
            if upload.size > MAX_MANIFEST_BYTES:
                raise ValidationError({"file": "This file is over 1 MB: is it a manifest.json?"})
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError({"file": "This file is not UTF-8 text."}) from None
        if not text.strip():
            raise ValidationError("Paste the JSON or choose a file.")
        try:
            self.functions: list[AppFunction] = app_functions(parse_definition_text(text))
        except DefinitionError as error:
            raise ValidationError({field: str(error)}) from None
        cleaned_data["text"] = text
        return cleaned_data


class WiringForm(forms.Form):
    """Where one app function runs: the choices Domo's wiring screen asks for."""

    include = forms.BooleanField(label="Save", required=False, initial=True)
    instance = forms.ModelChoiceField(Instance.objects.all(), empty_label=None)
    token = forms.ModelChoiceField(
        AccessToken.objects.usable().select_related("instance"),
        required=False,
        empty_label="(none: map the aliases by hand)",
        help_text="Used to fetch the function's own definition and as its default token.",
    )
    package_id = forms.CharField(
        label="Package id",
        max_length=100,
        required=False,
        validators=[PathSegmentValidator("package id")],
    )
    version = forms.CharField(
        max_length=64, required=False, validators=[PathSegmentValidator("version")]
    )
    function_name = forms.CharField(
        max_length=200, required=False, validators=[PathSegmentValidator("function name")]
    )

    def clean(self):
        cleaned_data = super().clean()
        if not cleaned_data.get("include"):
            return cleaned_data
        for name in ("package_id", "version", "function_name"):
            if not cleaned_data.get(name) and name not in self.errors:
                self.add_error(name, "Needed to run the function.")
        token, instance = cleaned_data.get("token"), cleaned_data.get("instance")
        if token and instance and token.instance_id != instance.pk:
            self.add_error("token", "This token belongs to another instance.")
        return cleaned_data


class AliasMappingForm(forms.Form):
    """Which function input each app alias stands for."""

    def __init__(
        self,
        app_function: AppFunction,
        inputs: list[dict] | None,
        proposal: dict[str, str],
        *args,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.app_function = app_function
        for index, parameter in enumerate(app_function.parameters):
            alias = parameter["name"]
            label = f"{alias} ({parameter['type']}{' list' if parameter['isList'] else ''})"
            if inputs is not None:
                choices = [("", "— not an input of this function —")] + [
                    (i["name"], f"{i['name']} ({i['type']}{' list' if i['isList'] else ''})")
                    for i in inputs
                ]
                self.fields[f"alias{index}"] = forms.ChoiceField(
                    label=label, choices=choices, required=False, initial=proposal.get(alias, "")
                )
            else:
                self.fields[f"alias{index}"] = forms.CharField(
                    label=label, max_length=200, initial=proposal.get(alias) or alias
                )

    def clean(self):
        cleaned_data = super().clean()
        seen = {}
        for index, parameter in enumerate(self.app_function.parameters):
            name = cleaned_data.get(f"alias{index}")
            if name and name in seen:
                self.add_error(
                    f"alias{index}",
                    f'"{seen[name]}" already stands for {name}; choose another input.',
                )
            if name:
                seen.setdefault(name, parameter["name"])
        return cleaned_data

    @property
    def mapping(self) -> dict[str, str]:
        return {
            parameter["name"]: self.cleaned_data.get(f"alias{index}", "")
            for index, parameter in enumerate(self.app_function.parameters)
        }
