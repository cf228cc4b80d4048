from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group, User
from django.db import models

from codeengine_ui.request_values import RowsChoiceField

from .audit_details import detail_lines
from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log can be read here; nobody edits or deletes it from a page."""

    list_display = ["at", "action", "target", "actor_name", "ip_address"]
    list_filter = ["action", "at"]
    search_fields = ["target", "actor_name"]
    date_hierarchy = "at"
    fields = ["at", "action", "target", "actor_name", "ip_address", "repeated", "last_at",
              "details_in_words", "details"]  # fmt: skip
    readonly_fields = ["details_in_words"]

    @admin.display(description="Details")
    def details_in_words(self, event: AuditEvent) -> str:
        return "\n".join(map(str, detail_lines(event))) or "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# Django's own user and group pages, whose role and permission lists refuse an id too
# large for any database like an unknown one (instead of failing the lookup).
_ROW_LISTS = {models.ManyToManyField: {"form_class": RowsChoiceField}}

admin.site.unregister(User)
admin.site.unregister(Group)


@admin.register(User)
class ConsoleUserAdmin(UserAdmin):
    formfield_overrides = _ROW_LISTS


@admin.register(Group)
class ConsoleGroupAdmin(GroupAdmin):
    formfield_overrides = _ROW_LISTS
