"""Function tests: cases (inputs and expectations), suites of cases, and their runs."""

import uuid

from django.conf import settings
from django.db import models

from codeengine_ui.runs.fields import OrderedJSONField


class Verdict(models.TextChoices):
    PENDING = "pending", "Running"
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    ERROR = "error", "Error"


class Case(models.Model):
    """A named set of inputs for a function, and what a run with them must give."""

    function = models.ForeignKey(
        "catalog.Function", on_delete=models.CASCADE, related_name="test_cases"
    )
    name = models.CharField(max_length=200)
    input_variables = OrderedJSONField("inputVariables", default=dict)
    expectations = models.JSONField(default=list)
    # The result a snapshot expectation compares with; paths whose values may differ
    # (times, generated ids) are ignored, as patterns such as `items[*].id`.
    snapshot = OrderedJSONField(null=True, blank=True)
    ignore_paths = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Who last changed what the case runs or expects, and when: a monitor runs as them.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    last_verdict = models.CharField(max_length=8, choices=Verdict.choices, blank=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_passed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "test case"
        constraints = [
            models.UniqueConstraint(fields=["function", "name"], name="case_name_once_per_function")
        ]

    def __str__(self) -> str:
        return self.name


class Schedule(models.TextChoices):
    NONE = "", "Not scheduled"
    MINUTES = "minutes", "Every N minutes"
    HOURLY = "hourly", "Hourly"
    DAILY = "daily", "Daily"


class MonitorState(models.TextChoices):
    UNKNOWN = "", "Not run yet"
    PASSING = "passing", "Passing"
    FAILING = "failing", "Failing"


# What makes a suite run by itself, and whom it tells.
SCHEDULE_FIELDS = frozenset(
    {"schedule", "every_minutes", "at_time", "time_zone", "run_on_new_version"}
)
NOTIFICATION_FIELDS = frozenset({"notify_emails", "webhook_url"})


class Suite(models.Model):
    """Cases run together: one function's, or across functions (a release checklist).

    A suite with a schedule is a monitor: the workers run it at each slot (a missed slot
    runs once), and the team is told when it starts failing and when it recovers."""

    name = models.CharField(max_length=200, unique=True)
    description = models.TextField(blank=True)
    cases = models.ManyToManyField(Case, related_name="suites", blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    schedule = models.CharField(max_length=8, choices=Schedule.choices, blank=True)
    every_minutes = models.PositiveSmallIntegerField(default=60)
    # Daily: the time of day; hourly: its minutes past the hour. In `time_zone`.
    at_time = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Who last changed the suite (its cases, schedule, notifications), when, and which part.
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField(null=True, blank=True)
    changed_part = models.CharField(max_length=40, blank=True)
    notify_emails = models.TextField(blank=True)
    webhook_url = models.URLField(blank=True)
    monitor_state = models.CharField(max_length=8, choices=MonitorState.choices, blank=True)
    # Run by itself on each newly released version of its functions.
    run_on_new_version = models.BooleanField(default=False)
    # The last notification that could not be sent, and why (shown on the suite's page).
    notification_failed_at = models.DateTimeField(null=True, blank=True)
    notification_failure = models.CharField(max_length=500, blank=True)
    # A suite pushed from files (`ce push`): the file it came from (relative to its
    # repository), the repository (its origin, without credentials), the commit, and when
    # and by whom. The files are then its source.
    source_path = models.CharField(max_length=500, blank=True)
    source_repository = models.CharField(max_length=300, blank=True)
    source_commit = models.CharField(max_length=64, blank=True)
    source_pushed_at = models.DateTimeField(null=True, blank=True)
    source_pushed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_monitor(self) -> bool:
        """Runs by itself: on a schedule, or on each new release."""
        return bool(self.schedule) or self.run_on_new_version

    @property
    def from_files(self) -> bool:
        return bool(self.source_path)

    @property
    def short_commit(self) -> str:
        return self.source_commit[:7]


class SuiteRun(models.Model):
    """One run of a suite: a run of each case, then a verdict for each. Its runs carry its
    `uuid` as their batch id, so the history shows them together."""

    # None for a run of cases given with the request (`ce test`): no suite is stored, and
    # `name` says what ran.
    suite = models.ForeignKey(
        Suite, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    name = models.CharField(max_length=500, blank=True)
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    # Another version than the one each function pins, or another instance (staging,
    # production) where the same package's function is saved, when asked.
    version = models.CharField(max_length=64, blank=True)
    scheduled = models.BooleanField(default=False)
    # For a run started by a schedule or a new release: whom it acted as, and why them
    # ("Grace, who last changed the case “greet excited” on 3 Dec 2026").
    authority = models.CharField(max_length=400, blank=True)
    instance = models.ForeignKey(
        "catalog.Instance", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.title} #{self.pk}"

    @property
    def title(self) -> str:
        return self.suite.name if self.suite_id else self.name

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class CaseResult(models.Model):
    """A case's verdict in a suite run; the case's name is copied so it outlives the case."""

    suite_run = models.ForeignKey(SuiteRun, on_delete=models.CASCADE, related_name="results")
    case = models.ForeignKey(Case, null=True, on_delete=models.SET_NULL, related_name="results")
    case_name = models.CharField(max_length=200)
    function_name = models.CharField(max_length=200)
    execution = models.ForeignKey(
        "runs.Execution", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verdict = models.CharField(max_length=8, choices=Verdict.choices, default=Verdict.PENDING)
    # Why it did not pass: [{"expectation", "message", "found", "differences"}].
    unmet = models.JSONField(default=list, blank=True)
    # Its checks needed more time than the quick lane gives: judged in the slow one.
    needs_time = models.BooleanField(default=False)
    # For a case given with the request rather than stored (`ce test`): what a stored case
    # would hold, {"expectations", "snapshot", "ignore_paths"}, judged the same way.
    given_case = OrderedJSONField(null=True, blank=True)

    class Meta:
        ordering = ["case_name", "id"]
        indexes = [
            models.Index(
                fields=["suite_run"],
                condition=models.Q(verdict="pending"),
                name="case_result_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.case_name}: {self.get_verdict_display()}"


def latest_runs(suites, *, scheduled: bool = False) -> dict[int, SuiteRun]:
    """Each suite's newest run (only scheduled ones, when asked), in two queries however
    many runs the suites have."""
    runs = SuiteRun.objects.filter(suite=models.OuterRef("pk"))
    if scheduled:
        runs = runs.filter(scheduled=True)
    newest = Suite.objects.filter(pk__in=[suite.pk for suite in suites]).annotate(
        newest_run=models.Subquery(runs.order_by("-id").values("pk")[:1])
    )
    ids = dict(newest.values_list("pk", "newest_run"))
    found = SuiteRun.objects.in_bulk([pk for pk in ids.values() if pk])
    return {suite_id: found[pk] for suite_id, pk in ids.items() if pk in found}
