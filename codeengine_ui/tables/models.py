"""Runs of one function over a table: a row of inputs per run, and how each row did.

A table is uploaded (CSV, JSON Lines) or read from a Domo DataSet into a draft: its
columns and cells are kept while the person maps columns to inputs and looks at the
preview. Starting it makes a `TableRow` for each row, and the cells are let go; each row
that fits becomes a run (source "Table", the table run's uuid as their batch id), queued
a chunk at a time.
"""

import uuid

from django.conf import settings
from django.db import models

from codeengine_ui.runs.fields import OrderedJSONField


class TableSource(models.TextChoices):
    CSV = "csv", "CSV file"
    JSON_LINES = "jsonl", "JSON Lines file"
    DATASET = "dataset", "Domo DataSet"
    ROWS = "rows", "Rows sent to the API"


class JudgedBy(models.TextChoices):
    NOTHING = "", "Not judged"
    CASE = "case", "A test case's expectations"
    COLUMN = "column", "An expected-result column"


class RowVerdict(models.TextChoices):
    NONE = "", "Not judged"
    PENDING = "pending", "Running"
    PASS = "pass", "Pass"
    FAIL = "fail", "Fail"
    ERROR = "error", "Error"
    SKIPPED = "skipped", "Not run"


class TableRun(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    function = models.ForeignKey(
        "catalog.Function", null=True, on_delete=models.SET_NULL, related_name="table_runs"
    )
    function_label = models.CharField(max_length=300)
    version = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    token = models.ForeignKey(
        "catalog.AccessToken", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    api_key = models.ForeignKey(
        "access.ApiKey", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=8, choices=TableSource.choices)
    # The file's name, or the DataSet's name; and the DataSet's id.
    source_name = models.CharField(max_length=255, blank=True)
    dataset_id = models.CharField(max_length=64, blank=True)
    # The draft: column names, and each row's cells with the line it starts on. Emptied
    # once the runs are made (each row keeps its own inputs).
    columns = models.JSONField(default=list)
    cells = OrderedJSONField(default=list, blank=True)
    lines = models.JSONField(default=list, blank=True)
    more_rows = models.BooleanField(default=False)
    # {input name: {"column": name} | {"value": text} | {"default": true}}
    mapping = OrderedJSONField(default=dict, blank=True)  # in the order of the inputs
    judged_by = models.CharField(max_length=8, choices=JudgedBy.choices, blank=True)
    case = models.ForeignKey(
        "suites.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expect_column = models.CharField(max_length=200, blank=True)
    expect_path = models.CharField(max_length=500, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    skipped_rows = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.function_label} over {self.source_name or self.get_source_display()}"

    @property
    def is_draft(self) -> bool:
        return self.started_at is None

    @property
    def is_finished(self) -> bool:
        return self.finished_at is not None


class TableRow(models.Model):
    table_run = models.ForeignKey(TableRun, on_delete=models.CASCADE, related_name="rows")
    # 1 for the first row under the header (or the first line of JSON Lines).
    number = models.PositiveIntegerField()
    line = models.PositiveIntegerField(default=0)
    input_variables = OrderedJSONField(default=dict)
    # Why the row was not run: [{"column", "input", "message"}].
    problems = models.JSONField(default=list, blank=True)
    expected = OrderedJSONField(null=True, blank=True)
    execution = models.ForeignKey(
        "runs.Execution", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # It fits and waits for its run to be queued: a table's rows are queued a chunk at a
    # time, the first as it starts and the others by a job of the workers.
    waiting = models.BooleanField(default=False)
    attempts = models.PositiveSmallIntegerField(default=0)
    verdict = models.CharField(max_length=8, choices=RowVerdict.choices, blank=True)
    unmet = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["table_run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["table_run", "number"], name="table_row_once")
        ]
        indexes = [
            models.Index(
                fields=["table_run"],
                condition=models.Q(verdict="pending"),
                name="table_row_pending",
            ),
            models.Index(
                fields=["table_run", "number"],
                condition=models.Q(waiting=True),
                name="table_row_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"row {self.number}"
