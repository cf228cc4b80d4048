from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import AuditAction

from .models import AccessToken, Function, Instance


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = ["display_name", "name", "base_url", "created_at"]
    search_fields = ["name", "display_name"]


class AccessTokenAdminForm(forms.ModelForm):
    """The secret is write-only: never rendered back, required only when adding."""

    secret = forms.CharField(
        label="Token",
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="Paste the Domo access token. It is encrypted and never shown again; "
        "leave empty to keep the current one.",
    )

    class Meta:
        model = AccessToken
        fields = [
            "instance",
            "label",
            "secret",
            "is_active",
            "expires_on",
            "shared_with_members",
            "granted_users",
            "granted_groups",
        ]

    def clean(self):
        cleaned_data = super().clean()
        secret = cleaned_data.get("secret")
        if not secret and not self.instance.encrypted_value:
            self.add_error("secret", "Paste the token to store.")
        elif secret:
            try:
                self.instance.set_token(secret)
            except ValidationError as error:
                self.add_error("secret", error)
        return cleaned_data


@admin.register(AccessToken)
class AccessTokenAdmin(admin.ModelAdmin):
    form = AccessTokenAdminForm
    list_display = [
        "label",
        "instance",
        "masked",
        "is_active",
        "expires_on",
        "last_check_ok",
        "last_used_at",
        "last_used_by",
    ]
    filter_horizontal = ["granted_users", "granted_groups"]
    list_filter = ["instance", "is_active"]
    search_fields = ["label", "instance__name", "instance__display_name"]
    readonly_fields = [
        "masked",
        "created_by",
        "created_at",
        "last_used_at",
        "last_used_by",
        "last_check_at",
        "last_check_ok",
        "last_check_message",
    ]

    @admin.display(description="Token")
    def masked(self, token: AccessToken) -> str:
        return token.masked

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
        target = obj.description
        if not change:
            record(AuditAction.TOKEN_CREATED, target, request=request)
        elif form.cleaned_data.get("secret"):
            record(AuditAction.TOKEN_ROTATED, target, request=request)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        grants = {"shared_with_members", "granted_users", "granted_groups"}
        if change and grants & set(form.changed_data):
            token = form.instance
            record(
                AuditAction.TOKEN_GRANTED,
                token.description,
                request=request,
                all_members=token.shared_with_members,
                users=sorted(token.granted_users.values_list("username", flat=True)),
                groups=sorted(token.granted_groups.values_list("name", flat=True)),
            )


@admin.register(Function)
class FunctionAdmin(admin.ModelAdmin):
    list_display = ["label", "instance", "package_id", "version", "function_name", "updated_at"]
    list_filter = ["instance", "version"]
    search_fields = ["display_name", "function_name", "package_id", "description"]
    autocomplete_fields = ["starred_by"]
    readonly_fields = ["created_by", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
