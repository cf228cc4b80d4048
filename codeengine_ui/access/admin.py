from django.contrib import admin

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log can be read here; nobody edits or deletes it from a page."""

    list_display = ["at", "action", "target", "actor_name", "ip_address"]
    list_filter = ["action", "at"]
    search_fields = ["target", "actor_name"]
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
