from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

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

    def get_readonly_fields(self, request, obj=None):
        """A token belongs to its instance for good, as in the console: moving it would
        send its secret to another Domo instance."""
        fields = list(super().get_readonly_fields(request, obj))
        return [*fields, "instance"] if obj is not None else fields

    def save_model(self, request, obj, form, change):
        """A new token whole; a changed one only in the fields changed here (its row
        locked), so a rotation or a disable made meanwhile is never written back over.
        The audit log records the change from the model's signals."""
        if not change:
            obj.created_by = request.user
            obj.save()
            return
        AccessToken.objects.select_for_update().filter(pk=obj.pk).first()
        many = {field.name for field in obj._meta.many_to_many}
        changed = [name for name in form.changed_data if name not in many and name != "secret"]
        if form.cleaned_data.get("secret"):
            changed += ["encrypted_value", "last_four"]
        obj.save(update_fields=changed)


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
