from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.template.defaultfilters import filesizeformat
from django.utils.html import format_html, format_html_join

from codeengine_ui.access.roles import Role, role_of
from codeengine_ui.domo.client import DEFAULT_TIMEOUT_SECONDS
from codeengine_ui.json_text import indented
from codeengine_ui.parameters.definitions import DefinitionError, parse_definition_text
from codeengine_ui.parameters.documents import DocumentFunction, ImportDocument, read_document
from codeengine_ui.parameters.editor import InputsEditor
from codeengine_ui.request_values import RowsChoiceField, row_id
from codeengine_ui.text_lines import ONE_LINE_REFUSAL, not_one_line

from .models import (
    MAX_KEY_INPUTS,
    MOST_RUNS_AT_ONCE,
    AccessToken,
    Function,
    InputPreset,
    Instance,
    PathSegmentValidator,
    checked_secret,
)


class AppDocumentForm(forms.Form):
    """A document with Code Engine functions, pasted or uploaded: an app's manifest, Domo's
    export of a package version, a package as Domo's API returns it, function definitions."""

    text = forms.CharField(
        label="Paste an app's manifest.json, an exported package version, or function definitions",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false", "class": "json-input"}),
    )
    file = forms.FileField(label="…or upload the file", required=False)
    # A package response holds several versions: the one whose functions are listed.
    document_version = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, upload_refused: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.upload_refused = upload_refused
        self.fields["file"].widget.attrs["data-max-bytes"] = settings.MAX_UPLOAD_BYTES

    def clean(self):
        cleaned_data = super().clean()
        upload = cleaned_data.get("file")
        text = cleaned_data.get("text") or ""
        field = "text"
        too_large = ValidationError(
            {
                "file": f"This file is over {filesizeformat(settings.MAX_UPLOAD_BYTES)}: is it a "
                "manifest.json?"
            }
        )
        if self.upload_refused:
            raise too_large
        if upload is not None:
            field = "file"
            if upload.size > settings.MAX_UPLOAD_BYTES:
                raise too_large
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise ValidationError({"file": "This file is not UTF-8 text."}) from None
        if not text.strip():
            raise ValidationError("Paste the JSON or choose a file.")
        try:
            self.document: ImportDocument = read_document(
                parse_definition_text(text), cleaned_data.get("document_version") or ""
            )
        except DefinitionError as error:
            raise ValidationError({field: str(error)}) from None
        cleaned_data["text"] = text
        return cleaned_data


TOKEN_NOT_USABLE = "This token is not granted to you (or is disabled or expired)."


class UsableTokenField(forms.ModelChoiceField):
    """A token field: it lists only the tokens of one instance a user may use now (set with
    `offer`; AccessToken.objects.usable_by, run_refusal's rule as a query) and refuses any
    other id at the field, without naming the token."""

    def __init__(self, **kwargs):
        kwargs.setdefault("error_messages", {"invalid_choice": TOKEN_NOT_USABLE})
        super().__init__(AccessToken.objects.none(), **kwargs)

    def offer(self, user, instance) -> None:
        self.queryset = AccessToken.objects.usable_by(user, instance)

    def to_python(self, value):
        if value not in self.empty_values and row_id(str(value)) is None:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().to_python(value)


class PlainSelect(forms.Select):
    """Django's select, drawn in Python: a page of import plans draws a hundred of them,
    and a template render per select was half of that page's time."""

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.format_value(value)
        options = format_html_join(
            "",
            '<option value="{}"{}>{}</option>',
            ((key, " selected" if str(key) in chosen else "", label)
             for key, label in self.choices),
        )  # fmt: skip
        attributes = flatatt(self.build_attrs(self.attrs, attrs))
        return format_html('<select name="{}"{}>{}</select>', name, attributes, options)


class PlainInputMixin:
    """An input drawn in Python, like PlainSelect: the import table draws four per row."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        attributes = dict(widget["attrs"])
        if widget["value"] is not None:
            attributes["value"] = widget["value"]
        return format_html(
            '<input type="{}" name="{}"{}>', widget["type"], name, flatatt(attributes)
        )


class PlainTextInput(PlainInputMixin, forms.TextInput):
    pass


class PlainCheckboxInput(PlainInputMixin, forms.CheckboxInput):
    pass


def _row_choice(rows: list, empty_label: str | None = None, **options) -> forms.Field:
    """A choice among rows read once for many forms (a page of 50 import plans asks the
    database once, not 50 times); the cleaned value is the row."""
    by_id = {str(row.pk): row for row in rows}
    choices = [(str(row.pk), str(row)) for row in rows]
    if empty_label is not None:
        choices.insert(0, ("", empty_label))
    return forms.TypedChoiceField(
        choices=choices, coerce=by_id.__getitem__, empty_value=None, widget=PlainSelect, **options
    )


def _segment(label: str, what: str, max_length: int) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=False,
        validators=[PathSegmentValidator(what)],
        widget=PlainTextInput,
    )


# What says where a function runs: chosen once for a document, and changeable per row.
WHERE_IT_RUNS = ("instance", "token", "package_id", "version")


class DocumentWiringForm(forms.Form):
    """Where a document's functions run, chosen once for all of them: the instance, the
    token that reads it, the package and the version. A package response's version is the
    one whose functions were read (AppDocumentForm's document_version), so it is not asked
    again here. Each row may choose otherwise (WiringForm)."""

    package_id = _segment("Package id", "package id", 100)
    version = _segment("Version", "version", 64)

    def __init__(self, document: ImportDocument, instances, tokens, *args, **kwargs):
        kwargs.setdefault("prefix", "all")
        kwargs.setdefault("initial", _document_initial(document, instances, tokens))
        super().__init__(*args, **kwargs)
        self.document = document
        self.fields["instance"] = _row_choice(instances, label="Instance")
        self.fields["token"] = _row_choice(
            tokens,
            "(none: nothing is read from the instance)",
            required=False,
            label="Token",
            help_text="Reads the instance; the default token of functions saved for the "
            "first time.",
            error_messages={"invalid_choice": TOKEN_NOT_USABLE},
        )
        if document.versions:
            del self.fields["version"]
        self.order_fields(WHERE_IT_RUNS)
        # Suggestions read from the instance (see wiring_choices); typing stays possible.
        for name, choices in (("package_id", "packages"), ("version", "versions")):
            if name in self.fields:
                self.fields[name].widget.attrs.update(list=f"all-{choices}", autocomplete="off")

    def clean(self):
        cleaned_data = super().clean()
        if self.document.versions:
            cleaned_data["version"] = self.document.chosen_version
        token, instance = cleaned_data.get("token"), cleaned_data.get("instance")
        if token and instance and token.instance_id != instance.pk:
            self.add_error("token", "This token belongs to another instance.")
        return cleaned_data

    @property
    def values(self) -> dict:
        """The choices for every row: those that are valid once bound (the page says what
        is wrong with the others once, at the field), else the first offered."""
        if self.is_bound:
            self.is_valid()
            return self.cleaned_data
        values = _initial_values(self)
        if self.document.versions:
            values["version"] = self.document.chosen_version
        return values


def _document_initial(document: ImportDocument, instances, tokens) -> dict:
    """The first instance the user has a token for (else the first), with that token."""
    with_token = {token.instance_id for token in tokens}
    instance = next((i for i in instances if i.pk in with_token), None)
    instance = instance or (instances[0] if instances else None)
    token = next((t for t in tokens if instance and t.instance_id == instance.pk), None)
    return {
        "instance": str(instance.pk) if instance else None,
        "token": str(token.pk) if token else None,
        "package_id": document.package_id or _shared(f.package_id for f in document.functions),
        "version": document.chosen_version or _shared(f.version for f in document.functions),
    }


def _shared(values) -> str:
    """The one value every function gives, or ""."""
    distinct = set(values)
    return distinct.pop() if len(distinct) == 1 else ""


AS_DOCUMENT = "As for every function"


class WiringForm(forms.Form):
    """Where one function of a document runs: the choices Domo's wiring screen asks for,
    each left empty to take the document's (`document`: DocumentWiringForm.values).
    Cleaned, it holds the choices in force; `token_chosen` says the row chose its own token.
    `instances` and `tokens` (those the user may use) are read once for every row."""

    include = forms.BooleanField(
        label="Save", required=False, initial=True, widget=PlainCheckboxInput
    )
    package_id = _segment("Package id", "package id", 100)
    version = _segment("Version", "version", 64)
    function_name = _segment("Function", "function name", 200)

    def __init__(
        self,
        instances: list[Instance],
        tokens: list[AccessToken],
        document: dict,
        *args,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.document = document
        self.fields["instance"] = _row_choice(
            instances, AS_DOCUMENT, required=False, label="Instance"
        )
        self.fields["token"] = _row_choice(
            tokens,
            AS_DOCUMENT,
            required=False,
            label="Token",
            help_text="Also becomes the function's default token, even if it is saved already.",
            error_messages={"invalid_choice": TOKEN_NOT_USABLE},
        )
        self.order_fields(["include", "instance", "token"])
        # Suggestions read from the instance (see wiring_choices); typing stays possible.
        for name, choices in (("package_id", "packages"), ("version", "versions"),
                              ("function_name", "functions")):  # fmt: skip
            self.fields[name].widget.attrs.update(
                list=f"{self.prefix}-{choices}", autocomplete="off"
            )

    def clean(self):
        cleaned_data = super().clean()
        if self.errors:
            return cleaned_data
        target = in_force(cleaned_data, self.document)
        cleaned_data.update(target)
        if not cleaned_data.get("include"):
            return cleaned_data
        for name in ("package_id", "version", "function_name"):
            if not target[name]:
                self.add_error(name, "Needed to run the function.")
        if target["instance"] is None:
            self.add_error("instance", "Choose the instance it runs on.")
        token, instance = target["token"], target["instance"]
        if token and instance and token.instance_id != instance.pk:
            self.add_error(
                "token",
                "This token belongs to another instance."
                if cleaned_data["token_chosen"]
                else f"The token chosen for every function reads another instance: choose "
                f"a token of {instance} here.",
            )
        return cleaned_data

    @property
    def target(self) -> dict | None:
        """The choices in force: cleaned once bound (None while they are not valid), else
        the initial ones over the document's."""
        if self.is_bound:
            return self.cleaned_data if self.is_valid() else None
        row = _initial_values(self)
        return {**row, **in_force(row, self.document)}

    @property
    def overridden(self) -> bool:
        """Whether the row chose an instance, token, package or version of its own."""
        values = (self[name].value() for name in WHERE_IT_RUNS)
        return any(value not in (None, "") for value in values)


def _initial_values(form: forms.Form) -> dict:
    """What an unbound form would clean to, as it is offered (None where it would not)."""
    values = {}
    for name, field in form.fields.items():
        try:
            values[name] = field.clean(form.get_initial_for_field(field, name))
        except ValidationError:
            values[name] = None
    return values


def in_force(row: dict, document: dict) -> dict:
    """A row's choices over the document's: what the row leaves empty, the document gives."""
    return {
        "instance": row.get("instance") or document.get("instance"),
        "token": row.get("token") or document.get("token"),
        "token_chosen": row.get("token") is not None,
        "package_id": row.get("package_id") or document.get("package_id") or "",
        "version": row.get("version") or document.get("version") or "",
        "function_name": row.get("function_name") or "",
    }


class AliasMappingForm(forms.Form):
    """Which function input each app alias stands for."""

    def __init__(
        self,
        app_function: DocumentFunction,
        inputs: list[dict] | None,
        proposal: dict[str, str],
        *args,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.app_function = app_function
        for index, parameter in enumerate(app_function.parameters):
            alias = parameter["name"]
            label = (
                f"Alias {alias} ({parameter['type']}"
                f"{' list' if parameter['isList'] else ''}) is input"
            )
            if inputs is not None:
                choices = [("", "— not an input of this function —")] + [
                    (i["name"], f"{i['name']} ({i['type']}{' list' if i['isList'] else ''})")
                    for i in inputs
                ]
                self.fields[f"alias{index}"] = forms.ChoiceField(
                    label=label,
                    choices=choices,
                    required=False,
                    initial=proposal.get(alias, ""),
                    widget=PlainSelect,
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


class InstanceForm(forms.ModelForm):
    """A Domo instance: its subdomain, the name the team knows it by, and (rarely) another
    address, such as the local emulator's."""

    class Meta:
        model = Instance
        fields = ["name", "display_name", "custom_base_url", "concurrency_budget", "is_production"]
        widgets = {
            "name": forms.TextInput(attrs={"placeholder": "acme", "autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        at_least_one(self.fields["concurrency_budget"], MOST_RUNS_AT_ONCE)


def at_least_one(field: forms.IntegerField, most: int) -> None:
    """A positive whole number's field drawn with the bounds the model checks (1 to `most`),
    not the model field's default of 0 and no top."""
    field.min_value, field.max_value = 1, most
    field.widget.attrs.update(min=1, max=most)


class FunctionSettingsForm(forms.ModelForm):
    """What members change about a saved function: its name in the console, the version it
    runs and the token it runs with by default (one of the tokens the user may use). A
    default token granted to others but not to the user stays as it is: the field is left
    out (`default_token_kept`)."""

    default_token = UsableTokenField(
        required=False,
        label="Default token",
        empty_label="None: the first token granted to the person",
        help_text="Chosen on the run form unless a person picks another.",
    )

    class Meta:
        model = Function
        fields = ["display_name", "version", "default_token", "time_limit_seconds"]
        labels = {"display_name": "Name"}
        help_texts = {
            "display_name": "How the team sees it; empty shows the function's own name.",
            "version": "The package version it runs. Its inputs are refreshed from the "
            "instance when it changes.",
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_token"].offer(user, self.instance.instance)
        current = self.instance.default_token_id
        self.default_token_kept = (
            current is not None
            and not self.fields["default_token"].queryset.filter(pk=current).exists()
            and AccessToken.objects.usable(self.instance.instance).filter(pk=current).exists()
        )
        if self.default_token_kept:
            del self.fields["default_token"]
        if role_of(user) < Role.ADMIN:  # a slot held by a hung call is everyone's concern
            del self.fields["time_limit_seconds"]
        else:
            at_least_one(self.fields["time_limit_seconds"], int(DEFAULT_TIMEOUT_SECONDS))
        self.fields["display_name"].widget.attrs["placeholder"] = self.instance.function_name

    def clean_version(self):
        version = self.cleaned_data["version"].strip()
        taken = Function.objects.filter(
            instance=self.instance.instance,
            package_id=self.instance.package_id,
            function_name=self.instance.function_name,
            version=version,
        ).exclude(pk=self.instance.pk)
        if taken.exists():
            raise ValidationError(
                f"Version {version} of this function is already saved: open that one instead."
            )
        return version


class PresetForm(forms.ModelForm):
    """A preset's name and inputs; the inputs are checked against the function's definition."""

    inputs_json = forms.CharField(
        label="inputVariables",
        widget=forms.Textarea(attrs={"rows": 14, "spellcheck": "false", "class": "json-input"}),
    )

    class Meta:
        model = InputPreset
        fields = ["name"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["inputs_json"] = indented(self.instance.input_variables)

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not_one_line(name):
            raise ValidationError(ONE_LINE_REFUSAL)
        return name

    def clean_inputs_json(self):
        editor = InputsEditor(
            self.instance.function.parameters,
            {"editor_mode": "json", "inputs_json": self.cleaned_data["inputs_json"]},
        )
        if not editor.is_valid():
            raise ValidationError(editor.general_errors + editor.json_problems)
        return editor.input_variables()

    def save(self, commit=True):
        self.instance.input_variables = self.cleaned_data["inputs_json"]
        return super().save(commit)


class KeyInputsForm(forms.Form):
    key_inputs = forms.MultipleChoiceField(
        label="Key inputs",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=f"Up to {MAX_KEY_INPUTS} inputs whose values label this function's runs in "
        "the history.",
    )

    def __init__(self, function: Function, *args, **kwargs):
        kwargs.setdefault("initial", {"key_inputs": function.key_inputs})
        super().__init__(*args, **kwargs)
        self.fields["key_inputs"].choices = [
            (p["name"], p["label"]) for p in function.parameters if not p["children"]
        ]

    def clean_key_inputs(self):
        chosen = self.cleaned_data["key_inputs"]
        if len(chosen) > MAX_KEY_INPUTS:
            raise ValidationError(f"Choose at most {MAX_KEY_INPUTS}.")
        return chosen


class SecretField(forms.CharField):
    """The one field a token's secret is typed into, in the console and the admin alike:
    write-only, never rendered back. Cleaning checks the secret; saving encrypts it."""

    def __init__(self, *, required: bool = True, keeps_current: bool = False, **kwargs):
        help_text = "Paste the Domo access token. It is encrypted and never shown again" + (
            "; leave empty to keep the current one." if keeps_current else "."
        )
        super().__init__(
            label="Token",
            required=required,
            strip=False,  # checked_secret strips it, for every way a secret is set
            widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            help_text=help_text,
            error_messages={"required": "Paste the token to store."},
            **kwargs,
        )

    def clean(self, value):
        value = super().clean(value)
        return checked_secret(value) if value else value


class TokenForm(forms.ModelForm):
    """A token's instance, name, expiry and grants, and its secret when it is added: the
    form of the console's token page and (declaring `secret`, so that an existing token's
    secret may be replaced too) of the Django admin."""

    class Meta:
        model = AccessToken
        fields = [
            "instance",
            "label",
            "expires_on",
            "shared_with_members",
            "granted_users",
            "granted_groups",
        ]
        widgets = {
            "expires_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "granted_users": forms.CheckboxSelectMultiple,
            "granted_groups": forms.CheckboxSelectMultiple,
        }
        field_classes = {"granted_users": RowsChoiceField, "granted_groups": RowsChoiceField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["granted_users"].queryset = get_user_model().objects.order_by("username")
        self.fields["granted_users"].label = "Granted to these users"
        self.fields["granted_groups"].queryset = Group.objects.order_by("name")
        self.fields["granted_groups"].label = "Granted to these groups"
        adding = self.instance.pk is None
        if not adding and "instance" in self.fields:
            self.fields["instance"].disabled = True  # a token belongs to its instance for good
        if adding or "secret" in self.fields:
            self.fields["secret"] = SecretField(required=adding, keeps_current=not adding)

    def save(self, commit=True):
        """A new token whole; an existing one only in the fields this form changed, so a
        rotation or a disable made meanwhile is never written back over."""
        token = super().save(commit=False)
        if self.cleaned_data.get("secret"):
            token.set_token(self.cleaned_data["secret"])
        if not commit:
            return token  # the Django admin saves it, in the same way (see its save_model)
        if token.pk is None:
            token.save()
        else:
            token.save(update_fields=self.changed_model_fields())
        self.save_m2m()
        return token

    def changed_model_fields(self) -> list[str]:
        """The token's columns this form changed (the secret's two, when it was replaced)."""
        many = {field.name for field in self.instance._meta.many_to_many}
        changed = [name for name in self.changed_data if name not in many and name != "secret"]
        if self.cleaned_data.get("secret"):
            changed += ["encrypted_value", "last_four"]
        return changed


class RotateTokenForm(forms.Form):
    secret = SecretField()

    def __init__(self, token: AccessToken, *args, **kwargs):
        self.token = token
        super().__init__(*args, **kwargs)

    def save(self) -> AccessToken:
        """Store the new secret (and forget the old one's connection test), nothing else."""
        token = self.token
        token.set_token(self.cleaned_data["secret"])
        token.last_check_at, token.last_check_ok, token.last_check_message = None, None, ""
        token.save(
            update_fields=[
                "encrypted_value",
                "last_four",
                "last_check_at",
                "last_check_ok",
                "last_check_message",
            ]
        )
        return token
