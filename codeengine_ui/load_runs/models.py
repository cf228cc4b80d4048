"""Load runs: one saved function called by many virtual users at once, for a time or a
count, with its latency and outcomes per second and a verdict against thresholds."""

import uuid

from django.conf import settings
from django.db import models

from codeengine_ui.runs.fields import OrderedJSONField


class LoadRunStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", "Waiting for an admin"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    STOPPED = "stopped", "Stopped"
    INTERRUPTED = "interrupted", "Interrupted"
    DECLINED = "declined", "Declined"
    ERROR = "error", "Could not run"


IN_PROGRESS = (LoadRunStatus.AWAITING_APPROVAL, LoadRunStatus.QUEUED, LoadRunStatus.RUNNING)


class LoadVerdict(models.TextChoices):
    NONE = "", "No verdict"
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"


class LoadRun(models.Model):
    """A load run's settings, who asked for it and who approved it, and what it measured.
    Its calls are runs of the history (source "Load run") carrying its `uuid` as their
    batch id."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    function = models.ForeignKey(
        "catalog.Function", null=True, on_delete=models.SET_NULL, related_name="load_runs"
    )
    function_name = models.CharField(max_length=200)
    instance = models.ForeignKey(
        "catalog.Instance", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    instance_name = models.CharField(max_length=120)
    production = models.BooleanField(default=False)
    token = models.ForeignKey(
        "catalog.AccessToken", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.CharField(max_length=64)
    input_variables = OrderedJSONField("inputVariables", default=dict)

    users_requested = models.PositiveIntegerField()
    users = models.PositiveIntegerField()  # after the caps (settings, the instance's budget)
    cap_note = models.CharField(max_length=300, blank=True)
    duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    total_calls = models.PositiveIntegerField(null=True, blank=True)
    ramp_up_seconds = models.PositiveIntegerField(default=0)
    p95_below_ms = models.PositiveIntegerField(null=True, blank=True)
    errors_below_percent = models.DecimalField(
        max_digits=5, decimal_places=2, null=True, blank=True
    )

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "access.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key_name = models.CharField(max_length=100, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)

    status = models.CharField(
        max_length=20, choices=LoadRunStatus.choices, default=LoadRunStatus.QUEUED
    )
    status_message = models.CharField(max_length=500, blank=True)
    stop_requested = models.BooleanField(default=False)
    worker_id = models.CharField(max_length=64, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_beat_at = models.DateTimeField(null=True, blank=True)
    active_users = models.PositiveIntegerField(default=0)
    calls_done = models.PositiveIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    verdict = models.CharField(max_length=4, choices=LoadVerdict.choices, blank=True)

    class Meta:
        ordering = ["-id"]
        indexes = [models.Index(fields=["function", "id"], name="loadrun_function_recent")]

    def __str__(self) -> str:
        return f"Load run #{self.pk} of {self.function_name}"

    @property
    def is_finished(self) -> bool:
        return self.status not in IN_PROGRESS

    @property
    def plan_text(self) -> str:
        """The settings in words: "50 users for 30 s, ramping up over 5 s"."""
        users = f"{self.users} virtual user{'s' if self.users != 1 else ''}"
        if self.duration_seconds is not None:
            length = f"for {self.duration_seconds:,} s"
        else:
            length = f"for {self.total_calls:,} call{'s' if self.total_calls != 1 else ''}"
        ramp = f", ramping up over {self.ramp_up_seconds:,} s" if self.ramp_up_seconds else ""
        return f"{users} {length}{ramp}"


class LoadBucket(models.Model):
    """One second of a load run: the calls that ended in it, by outcome, and their latency."""

    load_run = models.ForeignKey(LoadRun, on_delete=models.CASCADE, related_name="buckets")
    second = models.PositiveIntegerField()
    active_users = models.PositiveIntegerField(default=0)
    calls = models.PositiveIntegerField(default=0)
    succeeded = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)  # Code Engine ran it and it failed
    rate_limited = models.PositiveIntegerField(default=0)  # 429
    errors = models.PositiveIntegerField(default=0)  # no answer: network, time limit...
    p50_ms = models.FloatField(null=True)
    p95_ms = models.FloatField(null=True)
    p99_ms = models.FloatField(null=True)

    class Meta:
        ordering = ["second"]
        constraints = [
            models.UniqueConstraint(fields=["load_run", "second"], name="one_bucket_per_second")
        ]

    def __str__(self) -> str:
        return f"{self.load_run_id} @ {self.second}s"
