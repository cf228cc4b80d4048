"""Names instead of ids: the person, group, DataSet and account inputs of runs shown as
"Ada Lovelace (481303514)" from the instance's names kept in the database, which a job
refreshes in bulk in the background, so a page never asks the instance while it renders.

Each name is kept with the token that read it (a run's names are read with the run's own
token) and shown only to those who may use that token (admins: all): nobody learns a name
through a token not granted to them."""

from collections.abc import Iterable, Iterator
from datetime import timedelta

from django.tasks import task
from django.utils import timezone

from codeengine_ui.catalog.encryption import TokenDecryptionError
from codeengine_ui.catalog.models import AccessToken, DirectoryName, UsableTokens
from codeengine_ui.catalog.tokens import BACKGROUND, client_for
from codeengine_ui.domo.errors import CodeEngineError

from .models import Execution

NAMED_KINDS = ("person", "group", "dataset", "account")
FRESH_FOR = timedelta(days=1)
RECENT_RUNS = 2000
BATCH = 100
# Groups, DataSets and accounts are read one by one: at most this many per refresh.
SINGLE_LOOKUPS_PER_REFRESH = 300


def _entity_id(value) -> str:
    """The id a value names: a number or text, or an object's `id` (an account as JSON)."""
    if isinstance(value, dict):
        value = value.get("id")
    if isinstance(value, str | int) and not isinstance(value, bool):
        return str(value).strip()[:100]
    return ""


def named_inputs(execution: Execution, names: Iterable[str] | None = None) -> Iterator:
    """(input name, kind, [ids]) for the top-level person, group, DataSet and account
    inputs of a run (only `names`, when given); a list input gives each of its ids."""
    for input_name, (kind, ids) in _named_inputs(execution).items():
        if names is None or input_name in names:
            yield input_name, kind, ids


def _named_inputs(execution: Execution) -> dict[str, tuple[str, list[str]]]:
    """{input: (kind, ids)}, read once per run object (a page asks several times)."""
    cached = getattr(execution, "_named_inputs", None)
    if cached is not None:
        return cached
    found = {}
    if execution.function is not None:
        inputs = execution.input_variables if isinstance(execution.input_variables, dict) else {}
        for parameter in execution.function.parameters:
            kind = str(parameter.get("type", "")).lower()
            if kind not in NAMED_KINDS:
                continue
            value = inputs.get(parameter["name"])
            values = value if isinstance(value, list) else [value]
            ids = [entity_id for entity_id in map(_entity_id, values) if entity_id]
            if ids:
                found[parameter["name"]] = (kind, ids)
    execution._named_inputs = found
    return found


def names_for(
    executions: Iterable[Execution], tokens: UsableTokens, *, key_inputs: bool = False
) -> dict:
    """The names kept for the named inputs of these runs (only their function's key inputs,
    for the history) that a token in `tokens` (those the viewer may use) read; at most one
    query, and one more for `tokens` once per request: {(instance id, kind, id): KeptName}."""
    wanted: set[tuple[int, str, str]] = set()
    for execution in executions:
        only = (execution.function.key_inputs or []) if key_inputs and execution.function else None
        for _name, kind, ids in named_inputs(execution, only):
            wanted.update((execution.instance_id, kind, entity_id) for entity_id in ids)
    return DirectoryName.kept(wanted, tokens) if wanted else {}


def name_of(instance_id: int, kind: str, entity_id: str, names: dict) -> str:
    """ "Ada Lovelace (481303514)", "481303514 (no longer resolves)", or the id alone when
    no name is kept yet."""
    found = names.get((instance_id, kind, entity_id))
    if found is None:
        return entity_id
    if not found.resolved:
        return f"{entity_id} (no longer resolves)"
    return f"{found.name} ({entity_id})"


def shown(execution: Execution, input_name: str, value: str, names: dict) -> str:
    """A key input's value with the names of what it names, when known."""
    for _name, kind, ids in named_inputs(execution, [input_name]):
        return ", ".join(name_of(execution.instance_id, kind, i, names) for i in ids)
    return value


def input_names(execution: Execution, names: dict) -> list[dict]:
    """What a run's named inputs name (`names`, from names_for), for its page and the
    comparison: [{input, kind, entries: [{id, name, detail, resolved}]}] (name "" when not
    kept)."""
    described = []
    for input_name, kind, ids in named_inputs(execution):
        entries = []
        for entity_id in ids:
            found = names.get((execution.instance_id, kind, entity_id))
            entries.append({
                "id": entity_id,
                "name": found.name if found is not None and found.resolved else "",
                "detail": found.detail if found is not None and found.resolved else "",
                "resolved": found is None or found.resolved,
                "known": found is not None,
            })  # fmt: skip
        described.append({"input": input_name, "kind": kind, "entries": entries})
    return described


def name_now(token: AccessToken, user, kind: str, entity_id: str) -> DirectoryName:
    """The name of one id as `token` reads it, for `user` (a picker checking an id typed or
    pasted into it): as kept when this token read it lately, else asked of the instance now
    and kept. Raises CodeEngineError (TokenRefused for a token `user` may not use)."""
    entity_id = entity_id.strip()[:100]
    client = client_for(token, user)  # first: a kept name, too, is only for those who may use it
    kept = DirectoryName.objects.filter(
        instance_id=token.instance_id, token=token, kind=kind, entity_id=entity_id,
        fetched_at__gte=timezone.now() - FRESH_FOR,
    ).first()  # fmt: skip
    if kept is not None:
        return kept
    if kind == "person":
        found = client.people_by_ids([entity_id]) if entity_id.isdigit() else []
        entry = next((each for each in found if each.id == entity_id), None)
    else:
        entry = client.directory_entry(kind, entity_id)
    DirectoryName.remember(token, kind, [entry] if entry else [], [] if entry else [entity_id])
    return DirectoryName.objects.get(
        instance_id=token.instance_id, token=token, kind=kind, entity_id=entity_id
    )


def names_as_text(execution: Execution, names: dict) -> dict[str, list[str]]:
    """{input: ["Ada Lovelace (481303514)", ...]} for the run's named inputs (`names`, from
    names_for), for the exports and the API."""
    return {
        input_name: [name_of(execution.instance_id, kind, i, names) for i in ids]
        for input_name, kind, ids in named_inputs(execution)
    }


@task
def refresh_directory_names() -> int:
    """Ask each instance, in bulk, for the names recent runs need that are not kept yet or
    are older than a day (people a hundred at a time, the rest one by one), each with the
    token its runs used while that token is active: a name is kept with the token that read
    it, and shown only to those who may use that token. Ids the token is told nothing of
    are marked as no longer resolving."""
    runs = Execution.objects.select_related("function").exclude(function=None).exclude(token=None)
    wanted: dict[tuple[int, str], set[str]] = {}
    for execution in runs.order_by("-id")[:RECENT_RUNS]:
        for _name, kind, ids in named_inputs(execution):
            wanted.setdefault((execution.token_id, kind), set()).update(ids)
    tokens = AccessToken.objects.usable().in_bulk({token_id for token_id, _ in wanted})
    refreshed, single_lookups = 0, 0
    stale = timezone.now() - FRESH_FOR
    for (token_id, kind), ids in sorted(wanted.items()):
        token = tokens.get(token_id)
        if token is None:
            continue  # disabled, expired or deleted: its runs' names wait for another run
        fresh = set(
            DirectoryName.objects.filter(
                instance_id=token.instance_id, kind=kind, token=token, entity_id__in=ids,
                fetched_at__gte=stale,
            ).values_list("entity_id", flat=True)
        )  # fmt: skip
        due = sorted(ids - fresh)
        if not due:
            continue
        try:
            client = client_for(token, BACKGROUND)
            if kind == "person":
                for start in range(0, len(due), BATCH):
                    chunk = due[start : start + BATCH]
                    found = client.people_by_ids(chunk)
                    known = {entry.id for entry in found}
                    DirectoryName.remember(token, kind, found, [i for i in chunk if i not in known])
                    refreshed += len(chunk)
                continue
            for entity_id in due[: max(0, SINGLE_LOOKUPS_PER_REFRESH - single_lookups)]:
                single_lookups += 1
                entry = client.directory_entry(kind, entity_id)
                DirectoryName.remember(
                    token, kind, [entry] if entry else [], [] if entry else [entity_id]
                )
                refreshed += 1
        except (CodeEngineError, TokenDecryptionError):
            continue  # this token may not list these (or cannot be read): try next time
    return refreshed
