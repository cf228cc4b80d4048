from django.contrib import admin

from .models import Execution, WorkerHeartbeat


@admin.register(Execution)
class ExecutionAdmin(admin.ModelAdmin):
    """Runs are records of what happened: readable here, not editable."""

    list_display = [
        "id",
        "function_name",
        "instance_name",
        "version",
        "status",
        "requested_by",
        "queued_at",
        "duration",
    ]
    list_filter = ["status", "instance_name", "version", "queued_at"]
    search_fields = ["function_name", "package_id", "domo_execution_id", "token_label"]
    date_hierarchy = "queued_at"
    list_select_related = ["requested_by"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        """Runs leave only by pruning (audited), never one by one from a page."""
        return False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = [
        "worker_id",
        "hostname",
        "pid",
        "concurrency",
        "runs_in_flight",
        "started_at",
        "last_seen_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
