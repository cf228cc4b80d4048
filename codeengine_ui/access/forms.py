from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Q

from codeengine_ui.timezones import day_refusal, local_midnight, server_today

from .models import ApiKey, AuditAction
from .roles import ASSIGNABLE_ROLES, Role
from .sign_in import accounts_with_email, identity_providers


class RoleForm(forms.Form):
    role = forms.TypedChoiceField(
        choices=[(Role.NONE.value, Role.NONE.label)]
        + [(role.value, role.label) for role in ASSIGNABLE_ROLES],
        coerce=lambda value: Role(int(value)),
    )


class NewUserForm(forms.Form):
    """A new person on the team: an admin chooses their role and how they get a password."""

    LINK, ONE_TIME, PROVIDER = "link", "one_time", "provider"

    username = forms.CharField(max_length=150, help_text="What they type to log in.")
    email = forms.EmailField(required=False, help_text="Optional; shown on the Team page.")
    role = forms.TypedChoiceField(
        choices=[(role.value, role.label) for role in ASSIGNABLE_ROLES],
        coerce=lambda value: Role(int(value)),
        initial=Role.MEMBER.value,
    )
    password_by = forms.ChoiceField(
        label="Their first password",
        choices=[
            (LINK, "A link where they choose it (valid for a few days, used once)"),
            (ONE_TIME, "A password made up now, shown once, for them to change"),
        ],
        initial=LINK,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        providers = [p for p in identity_providers() if p.links_by_email]
        field = self.fields["password_by"]
        self.closed = ""
        if providers:
            by_provider = (
                self.PROVIDER,
                f"None: they sign in with {' or '.join(p.label for p in providers)}, which "
                "finds this account by the email above",
            )
            if settings.LOCAL_PASSWORDS:
                field.choices = [*field.choices, by_provider]
            else:
                field.choices, field.initial = [by_provider], self.PROVIDER
                field.label = "Signing in"
        elif not settings.LOCAL_PASSWORDS and identity_providers():
            labels = " or ".join(p.label for p in identity_providers())
            self.closed = (
                f"Everyone signs in with {labels} here, which makes their account at their "
                "first sign-in: give them a role on the Team page then. An account added "
                "here could not sign in, and would make the provider refuse them."
            )

    def clean(self):
        data = super().clean()
        if self.closed:
            raise forms.ValidationError(self.closed, code="added_by_provider")
        if data.get("password_by") == self.PROVIDER and not data.get("email"):
            self.add_error("email", "The identity provider finds them by this email: enter it.")
        return data

    def clean_email(self):
        email = self.cleaned_data["email"].strip()
        if email and accounts_with_email(email):
            raise forms.ValidationError(
                "Another account has this email (compared without regard to case).",
                code="email_taken",
            )
        return email

    def clean_username(self):
        username = self.cleaned_data["username"].strip()
        user_model = get_user_model()
        field = user_model._meta.get_field(user_model.USERNAME_FIELD)
        for validator in field.validators:
            validator(username)
        if user_model.objects.filter(**{f"{user_model.USERNAME_FIELD}__iexact": username}).exists():
            raise forms.ValidationError(f"{username} is already on the team.")
        return username


class ApiKeyForm(forms.ModelForm):
    """A new personal API key: a name to know it by, read-only or run, an optional expiry."""

    class Meta:
        model = ApiKey
        fields = ["name", "scope", "expires_on"]
        labels = {"scope": "May", "expires_on": "Expires on"}
        help_texts = {
            "name": "Where it is used, e.g. “CI deploy job”, “notebook” or “Claude”.",
            "scope": "AI tools: for an assistant at /mcp/ only, where it lists and runs the "
            "functions you may run (choose which after creating it).",
            "expires_on": "Optional: the key stops working after this day.",
        }
        widgets = {"expires_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_name(self):
        return self.cleaned_data["name"].strip()

    def clean(self):
        data = super().clean()
        if "name" in data:
            try:  # said early here; ApiKey.issue decides again under the person's lock
                ApiKey.check_room(self.user, data["name"])
            except forms.ValidationError as refusal:
                self.add_error(None, refusal)
        return data

    def clean_expires_on(self):
        day = self.cleaned_data["expires_on"]
        if day is not None and day < server_today():
            raise forms.ValidationError("Choose a day from today on.")
        return day


class PasswordLoginForm(AuthenticationForm):
    """Django's login form; with local passwords off, its refusal says why most people are
    refused (without telling which usernames are the break-glass ones)."""

    def get_invalid_login_error(self):
        if settings.LOCAL_PASSWORDS:
            return super().get_invalid_login_error()
        return forms.ValidationError(
            "Wrong username or password, or this account may not use one: passwords are "
            "kept for the break-glass admin here, everyone else signs in with the identity "
            "provider.",
            code="invalid_login",
        )


class AuditFilterForm(forms.Form):
    """The audit log's filters; they live in the URL so a filtered view can be shared. A
    filter with an error says so by its field; the others still apply."""

    SYSTEM = "(system)"  # what the log shows for changes nobody made (a shell, a job)

    action = forms.ChoiceField(
        choices=[("", "All actions"), *AuditAction.choices], required=False, label="Action"
    )
    actor = forms.CharField(
        label="By",
        required=False,
        max_length=150,
        widget=forms.TextInput(
            attrs={"list": "audit-actors", "placeholder": "Username", "autocomplete": "off"}
        ),
    )
    target = forms.CharField(
        label="On",
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": "Token, user, function…"}),
    )
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        for name in ("since", "until"):
            refusal = day_refusal(data.get(name))
            if refusal:
                self.add_error(name, refusal)
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", "The end date is before the start date.")
            data.pop("since", None)  # the pair is what is wrong: neither applies
        return data

    def apply(self, events):
        """`events` narrowed by the filters that are valid (all of them when none is)."""
        if not self.is_bound:
            return events
        self.is_valid()
        data = self.cleaned_data
        if data.get("action"):
            events = events.filter(action=data["action"])
        actor = (data.get("actor") or "").strip()
        if actor == self.SYSTEM:
            events = events.filter(actor_name="")
        elif actor:
            # In any case: the usernames it stands for (one deleted since is matched as
            # typed), so the log's own column is still read through its index.
            usernames = get_user_model().objects.filter(username__iexact=actor)
            events = events.filter(
                Q(actor_name=actor) | Q(actor_name__in=usernames.values("username"))
            )
        target = (data.get("target") or "").strip()
        if target:
            events = events.filter(target__icontains=target)
        if data.get("since"):
            events = events.filter(at__gte=local_midnight(data["since"]))
        if data.get("until"):
            events = events.filter(at__lt=local_midnight(data["until"] + timedelta(days=1)))
        return events

    @property
    def is_filtered(self) -> bool:
        return bool(self.query())

    def query(self) -> dict[str, str]:
        """The filters given, as the address keeps them (empty ones left out)."""
        return {
            name: self.data[name].strip()
            for name in self.fields
            if name in self.data and self.data[name].strip()
        }
