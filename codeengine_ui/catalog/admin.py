from django.contrib import admin

from .forms import SecretField, TokenForm
from .models import AccessToken, Function, Instance


@admin.register(Instance)
class InstanceAdmin(admin.ModelAdmin):
    list_display = ["display_name", "name", "base_url", "created_at"]
    search_fields = ["name", "display_name"]


class AccessTokenAdminForm(TokenForm):
    """The console's token form, which may also replace the secret and enable or disable."""

    secret = SecretField(required=False, keeps_current=True)

    class Meta(TokenForm.Meta):
        fields = [*TokenForm.Meta.fields, "is_active"]


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
        obj.save(update_fields=form.changed_model_fields())


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
