"""Names instead of ids in the history: person inputs of runs shown as "Ada Lovelace
(481303514)" from the instance's names kept in the database, which a job refreshes in bulk
in the background, so a page never asks the instance while it renders."""

from datetime import timedelta

from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from codeengine_ui.catalog.models import AccessToken, DirectoryName
from codeengine_ui.domo.errors import CodeEngineError

from .models import Execution

NAMED_KINDS = ("person",)
FRESH_FOR = timedelta(days=1)
RECENT_RUNS = 2000
BATCH = 100


def _named_values(execution: Execution, names: list[str] | None = None):
    """(kind, id) of the person inputs of a run (only `names`, when given)."""
    if execution.function is None:
        return
    for parameter in execution.function.parameters:
        if parameter["type"] not in NAMED_KINDS or parameter["isList"]:
            continue
        if names is not None and parameter["name"] not in names:
            continue
        value = (execution.input_variables or {}).get(parameter["name"])
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            yield parameter["name"], parameter["type"], str(value).strip()


def names_for(executions: list[Execution]) -> dict[tuple, DirectoryName]:
    """The names kept for the person inputs of these runs, in one query."""
    wanted = {
        (execution.instance_id, kind, value)
        for execution in executions
        for _name, kind, value in _named_values(execution)
    }
    if not wanted:
        return {}
    condition = Q()
    for instance_id, kind, value in wanted:
        condition |= Q(instance_id=instance_id, kind=kind, entity_id=value)
    return {
        (name.instance_id, name.kind, name.entity_id): name
        for name in DirectoryName.objects.filter(condition)
    }


def shown(execution: Execution, input_name: str, value: str, names: dict) -> str:
    """A key input's value with the name of the person it is, when known."""
    for _name, kind, entity_id in _named_values(execution, [input_name]):
        found = names.get((execution.instance_id, kind, entity_id))
        if found is not None:
            return (
                f"{found.name} ({entity_id})"
                if found.resolved
                else (f"{entity_id} (no longer resolves)")
            )
    return value


@task
def refresh_directory_names() -> int:
    """Ask each instance, in bulk, for the names of the people recent runs name that are
    not kept yet or are older than a day; ids it no longer knows are marked so."""
    runs = Execution.objects.select_related("function").exclude(function=None).order_by("-id")
    wanted: dict[int, set[str]] = {}
    for execution in runs[:RECENT_RUNS]:
        for _name, _kind, value in _named_values(execution):
            wanted.setdefault(execution.instance_id, set()).add(value)
    refreshed = 0
    stale = timezone.now() - FRESH_FOR
    for instance_id, ids in wanted.items():
        fresh = set(
            DirectoryName.objects.filter(
                instance_id=instance_id, kind="person", entity_id__in=ids, fetched_at__gte=stale
            ).values_list("entity_id", flat=True)
        )
        due = sorted(ids - fresh)
        token = AccessToken.objects.usable(instance_id).first()
        if not due or token is None:
            continue
        for start in range(0, len(due), BATCH):
            chunk = due[start : start + BATCH]
            try:
                found = token.client().people_by_ids(chunk)
            except CodeEngineError:
                break  # the instance may not list people with this token: try next time
            known = {entry.id for entry in found}
            DirectoryName.remember(
                instance_id, "person", found, [i for i in chunk if i not in known]
            )
            refreshed += len(chunk)
    return refreshed
