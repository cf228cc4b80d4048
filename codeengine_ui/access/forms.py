from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError

from codeengine_ui.catalog.models import AccessToken

from .roles import ASSIGNABLE_ROLES, Role


def _secret_field(required: bool) -> forms.CharField:
    return forms.CharField(
        label="Token" if required else "New token",
        required=required,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Paste the Domo access token. It is encrypted and never shown again.",
    )


class TokenForm(forms.ModelForm):
    """Adding a token (with its secret) or changing its name, expiry and grants."""

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

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["granted_users"].queryset = get_user_model().objects.order_by("username")
        self.fields["granted_users"].label = "Granted to these users"
        self.fields["granted_groups"].queryset = Group.objects.order_by("name")
        self.fields["granted_groups"].label = "Granted to these groups"
        if self.instance.pk:
            self.fields["instance"].disabled = True
        else:
            self.fields["secret"] = _secret_field(required=True)

    def clean(self):
        cleaned_data = super().clean()
        if not self.instance.pk and cleaned_data.get("secret"):
            try:
                self.instance.set_token(cleaned_data["secret"])
            except ValidationError as error:
                self.add_error("secret", error)
        return cleaned_data

    def save(self, commit=True):
        """A new token whole; an existing one only in the fields this form changed, so a
        rotation or a disable made meanwhile is never written back over."""
        token = super().save(commit=False)
        if token.pk is None:
            token.save()
        else:
            many = {field.name for field in token._meta.many_to_many}
            token.save(update_fields=[name for name in self.changed_data if name not in many])
        self.save_m2m()
        return token


class RotateTokenForm(forms.Form):
    secret = _secret_field(required=True)

    def __init__(self, token: AccessToken, *args, **kwargs):
        self.token = token
        super().__init__(*args, **kwargs)

    def clean_secret(self):
        self.token.set_token(self.cleaned_data["secret"])  # a ValidationError lands at the field
        return self.cleaned_data["secret"]

    def save(self) -> AccessToken:
        """Store the new secret (and forget the old one's connection test), nothing else."""
        token = self.token
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


class RoleForm(forms.Form):
    role = forms.TypedChoiceField(
        choices=[(Role.NONE.value, Role.NONE.label)]
        + [(role.value, role.label) for role in ASSIGNABLE_ROLES],
        coerce=lambda value: Role(int(value)),
    )
