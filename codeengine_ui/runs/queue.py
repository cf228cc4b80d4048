"""The run queue on the database task backend: the runs table itself.

A queued run waits as its own row (status queued, with a place), and `run_worker` claims
runs from there directly: one row per run, and a claim that sees who submitted each run
and which instance it calls, which fairness and budgets need. The database backend's task
table keeps the other tasks (version checks, housekeeping).

Order: interactive runs before batches (`queue_priority`), then by turn. A submitter (a
person, or one of their API keys) gets the turns after their own last one, but never
before the head of the queue: start-time fair queuing, so a run from someone else waits
behind at most one run of each other submitter, however many those have queued.

Room: no one submitter takes the last `RUN_WORKER_INTERACTIVE_RESERVE` slots of a worker,
and no batch the last half of those, so someone else's run, and an interactive one above
all, finds a slot at once; an instance with a budget has at most that many runs in flight
across every worker; an instance that answered 429 gets no new call from any worker until
its Retry-After. On PostgreSQL the claims of all
workers take turns (an advisory lock for the claim's transaction) so budgets hold exactly;
on SQLite a write transaction does the same.
"""

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.tasks import task_backends
from django.utils import timezone
from django_tasks_db.backend import DatabaseBackend

from codeengine_ui.catalog.models import Instance

from .liveness import LOCK_CLASS
from .models import (
    BudgetHold,
    Execution,
    ExecutionStatus,
    RunSource,
    WorkerHeartbeat,
    story_line,
)

CLAIM_KEY = 1  # the advisory lock (LOCK_CLASS, CLAIM_KEY) of a claim's transaction
BATCH_PRIORITY = RunSource.BATCH.priority
CANDIDATES_MORE = 50  # candidates read beyond those wanted, for the ones room refuses


def in_database_queue() -> bool:
    """Whether queued runs wait in the database (the database task backend) for
    `run_worker`, rather than in another backend's queue as tasks."""
    return isinstance(task_backends["default"], DatabaseBackend)


def enqueue(execution: Execution) -> None:
    """Give a stored run its place in the queue (inside the caller's transaction). A run
    going back to the queue to be tried again keeps the place it had."""
    if execution.queue_turn is not None:
        return
    execution.queue_priority = RunSource(execution.source).priority
    execution.queue_turn = next_turn(execution)
    Execution.objects.filter(pk=execution.pk).update(
        queue_priority=execution.queue_priority, queue_turn=execution.queue_turn
    )


def place(executions: list[Execution]) -> None:
    """Give new runs, not yet stored, their places in the queue: a submitter's runs take
    turns one after another, so a batch asks the queue only once per submitter."""
    turns: dict[tuple, int] = {}
    for execution in executions:
        execution.queue_priority = RunSource(execution.source).priority
        key = (execution.queue_priority, submitter_of(execution))
        turns[key] = turns[key] + 1 if key in turns else next_turn(execution)
        execution.queue_turn = turns[key]


def next_turn(execution: Execution) -> int:
    """The turn after the submitter's last one, and not before the head of the queue."""
    queued = Execution.objects.filter(
        status=ExecutionStatus.QUEUED,
        queue_turn__isnull=False,
        queue_priority=execution.queue_priority,
    )
    head = queued.order_by("queue_turn").values_list("queue_turn", flat=True).first()
    own = (
        queued.filter(requested_by=execution.requested_by_id, api_key=execution.api_key_id)
        .order_by("-queue_turn")
        .values_list("queue_turn", flat=True)
        .first()
    )
    return max(head or 0, own + 1 if own is not None else 0)


def submitter_of(execution_or_row) -> tuple:
    return (execution_or_row.requested_by_id, execution_or_row.api_key_id)


@dataclass
class Room:
    """What a worker may claim now: `free` runs at most; `share`, the most slots one
    submitter may hold in it (the rest are for others); `batch_room`, the runs of batches
    it may still start (the last few slots are kept for interactive runs); `held`, the
    slots it holds, by submitter."""

    free: int
    share: int
    batch_room: int
    held: Counter = field(default_factory=Counter)

    @classmethod
    def of_worker(cls, concurrency: int, in_flight: int, reserve: int, held: Counter, most: int):
        """A worker's room: `reserve` slots kept from any one submitter, half of them from
        batches too; `most` runs claimed at once."""
        free = concurrency - in_flight
        return cls(
            free=min(free, most),
            share=concurrency - reserve,
            batch_room=free - reserve // 2,
            held=Counter(held),
        )


@dataclass
class _Candidate:
    id: int
    instance_id: int | None
    requested_by_id: int | None
    api_key_id: int | None
    queue_priority: int


def claim(worker_id: str, room: Room) -> list[Execution]:
    """Claim the runs this worker may start now, fairly and within every budget, marked
    running by it; each loaded with its token, instance, requester and function."""
    if room.free <= 0:
        return []
    now = timezone.now()
    with transaction.atomic():
        _take_turn_to_claim()
        chosen = _choose(_candidates(room, now), room, _instance_room(now))
        if chosen:
            Execution.objects.filter(pk__in=chosen, status=ExecutionStatus.QUEUED).update(
                status=ExecutionStatus.RUNNING, started_at=now, worker_id=worker_id
            )
    if not chosen:
        return []
    return list(
        Execution.objects.select_related("token__instance", "requested_by", "function").filter(
            pk__in=chosen, status=ExecutionStatus.RUNNING, worker_id=worker_id, started_at=now
        )
    )


def _take_turn_to_claim() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_CLASS, CLAIM_KEY])


@dataclass
class _InstanceRoom:
    closed: set[int]  # backing off, or at budget
    left: dict[int, int]  # runs each budgeted instance may still start


def _instance_room(now: datetime) -> _InstanceRoom:
    closed, left = set(), {}
    limited = list(
        Instance.objects.filter(
            Q(backoff_until__gt=now) | Q(concurrency_budget__isnull=False)
        ).values_list("id", "concurrency_budget", "backoff_until")
    )
    budgets = {pk: budget for pk, budget, _ in limited if budget is not None}
    closed.update(pk for pk, _, until in limited if until is not None and until > now)
    if budgets:
        running = in_flight(budgets)
        for pk, budget in budgets.items():
            left[pk] = budget - running.get(pk, 0)
            if left[pk] <= 0:
                closed.add(pk)
    return _InstanceRoom(closed, left)


def in_flight(instance_ids, *, except_hold: int | None = None) -> Counter:
    """{instance id: runs in flight on it, with the slots held for other calls (BudgetHold)}."""
    counts = Counter(
        dict(
            Execution.objects.filter(status=ExecutionStatus.RUNNING, instance__in=instance_ids)
            .values_list("instance")
            .annotate(count=Count("id"))
            .values_list("instance", "count")
        )
    )
    holds = BudgetHold.objects.filter(instance__in=instance_ids, slots__gt=0)
    if except_hold is not None:
        holds = holds.exclude(pk=except_hold)
    for pk, slots in (
        holds.values_list("instance").annotate(n=Sum("slots")).values_list("instance", "n")
    ):
        counts[pk] += slots
    return counts


def take_budget(hold: BudgetHold, wanted: int) -> int:
    """Grow or shrink `hold` towards `wanted` slots, within the room its instance's budget
    leaves beside the runs in flight and the other holds; taken in turn with the workers'
    claims, so the budget holds exactly. Returns the slots now held."""
    with transaction.atomic():
        _take_turn_to_claim()
        budget = (
            Instance.objects.filter(pk=hold.instance_id)
            .values_list("concurrency_budget", flat=True)
            .first()
        )
        granted = wanted
        if budget is not None:
            used = in_flight([hold.instance_id], except_hold=hold.pk)[hold.instance_id]
            granted = max(0, min(wanted, budget - used))
        if granted != hold.slots:
            BudgetHold.objects.filter(pk=hold.pk).update(slots=granted, updated_at=timezone.now())
            hold.slots = granted
    return granted


def runs_ready(now: datetime | None = None):
    """Queued runs due now (not waiting to be tried again), in the queue's order."""
    now = now or timezone.now()
    queued = Execution.objects.filter(status=ExecutionStatus.QUEUED, queue_turn__isnull=False)
    queued = queued.filter(Q(retry_at__isnull=True) | Q(retry_at__lte=now))
    return queued.order_by("-queue_priority", "queue_turn", "id")


def _candidates(room: Room, now: datetime) -> list[_Candidate]:
    queued = runs_ready(now)
    if room.batch_room <= 0:
        queued = queued.filter(queue_priority__gt=BATCH_PRIORITY)
    for requested_by, api_key in [s for s, n in room.held.items() if n >= room.share]:
        queued = queued.exclude(requested_by=requested_by, api_key=api_key)
    fields = ("id", "instance_id", "requested_by_id", "api_key_id", "queue_priority")
    rows = queued.values_list(*fields)
    return [_Candidate(*row) for row in rows[: room.free + CANDIDATES_MORE]]


def _choose(candidates: list[_Candidate], room: Room, instances: _InstanceRoom) -> list[int]:
    chosen: list[int] = []
    held, left = Counter(room.held), dict(instances.left)
    for candidate in candidates:
        free = room.free - len(chosen)
        if free <= 0:
            break
        submitter = submitter_of(candidate)
        if candidate.instance_id in instances.closed or held[submitter] >= room.share:
            continue
        if candidate.queue_priority <= BATCH_PRIORITY and len(chosen) >= room.batch_room:
            continue
        if candidate.instance_id in left:
            if left[candidate.instance_id] <= 0:
                continue
            left[candidate.instance_id] -= 1
        held[submitter] += 1
        chosen.append(candidate.id)
    return chosen


def why_waiting(execution: Execution) -> str:
    """Why a queued run has not started yet, in a sentence ("" for a run not waiting in
    the database queue, or waiting to be tried again, which says so itself)."""
    if execution.status != ExecutionStatus.QUEUED or execution.retry_at is not None:
        return ""
    if not in_database_queue() or execution.queue_turn is None:
        return ""
    now = timezone.now()
    instance = execution.instance
    name = execution.instance_name or "The instance"
    if instance is not None and instance.backoff_until and instance.backoff_until > now:
        return (
            f"{name} answered that it is busy (429): no worker calls it before "
            f"{timezone.localtime(instance.backoff_until):%H:%M:%S}, then this run starts."
        )
    if instance is not None and instance.concurrency_budget is not None:
        running = in_flight([instance.pk])[instance.pk]
        if running >= instance.concurrency_budget:
            budget = instance.concurrency_budget
            holds = BudgetHold.objects.filter(instance=instance, slots__gt=0)
            held = "; ".join(f"{h.holder} holds {h.slots:,}" for h in holds.order_by("id")[:3])
            return (
                f"{name} allows {budget:,} run{'s' if budget != 1 else ''} at once and "
                f"{'all are' if budget != 1 else 'it is'} in use"
                f"{f' ({held})' if held else ''}: this run starts when "
                f"{'one of them' if budget != 1 else 'that one'} ends."
            )
    if not WorkerHeartbeat.live().exists():
        return "No worker is running: this run starts when one does."
    ahead = (
        runs_ready(now)
        .filter(
            Q(queue_priority__gt=execution.queue_priority)
            | Q(queue_priority=execution.queue_priority, queue_turn__lt=execution.queue_turn)
            | Q(
                queue_priority=execution.queue_priority,
                queue_turn=execution.queue_turn,
                pk__lt=execution.pk,
            )
        )
        .count()
    )
    if ahead == 1:
        return "Waiting for a worker: 1 queued run goes before it."
    if ahead:
        return f"Waiting for a worker: {ahead:,} queued runs go before it."
    return ""


def requeue(execution: Execution, worker_id: str, story: str = "") -> None:
    """A claimed run whose request was never sent goes back to its place in the queue (with
    a line of its story, when given), unless another worker holds it or it ended."""
    fields = {"status": ExecutionStatus.QUEUED, "started_at": None, "worker_id": ""}
    if story:
        fields["story"] = [*execution.story, story_line(story)]
    Execution.objects.filter(
        pk=execution.pk, status=ExecutionStatus.RUNNING, worker_id=worker_id
    ).update(**fields, call_sent_at=None)


def hold_back_instance(instance_id: int | None, until: datetime) -> None:
    """The instance answered 429: every worker holds back new calls to it until `until`."""
    if instance_id is None:
        return
    Instance.objects.filter(pk=instance_id).filter(
        Q(backoff_until__isnull=True) | Q(backoff_until__lt=until)
    ).update(backoff_until=until)
