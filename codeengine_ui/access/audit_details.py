"""An audit entry's details in words: "All members: no", "Default token: A → B".

The one place that says what the stored details (JSON, as `access.audit` records them)
mean, for the audit log page and Django's admin. A change is recorded three ways, and
each reads as "Label: before → after":

- the objects a team edits (`watch_changes`, users, instances): every changed field as
  [before, after];
- tokens renamed or moved, expiry dates, groups renamed: a `before` and an `after`;
- token grants: `before` and `after` grants, told as who was added and removed.

Ids recorded for the objects of apps above this one (a function's instance, a case's
function) are named by those apps (`name_references`), one query per page.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.text import Truncator

from codeengine_ui.json_text import one_line

from .models import ApiKeyScope, AuditAction, AuditEvent

# Longer values are shortened on the page; the whole is on hover, and in the raw JSON.
SHOWN_CHARACTERS = 160
ARROW = " → "


@dataclass(frozen=True)
class DetailLine:
    label: str
    text: str

    @property
    def is_shortened(self) -> bool:
        return len(self.text) > SHOWN_CHARACTERS

    @property
    def shown(self) -> str:
        return Truncator(self.text).chars(SHOWN_CHARACTERS) if self.is_shortened else self.text

    def __str__(self) -> str:
        return f"{self.label}: {self.text}"


# Actions whose every detail is a field's [before, after] (but the keys in _NOT_PAIRS).
_FIELD_CHANGES = frozenset(
    {
        AuditAction.USER_CHANGED,
        AuditAction.INSTANCE_CHANGED,
        AuditAction.FUNCTION_CHANGED,
        AuditAction.PRESET_CHANGED,
        AuditAction.CASE_CHANGED,
        AuditAction.SUITE_CHANGED,
        AuditAction.MONITOR_CHANGED,
    }
)
_NOT_PAIRS = frozenset({"cases_added", "cases_removed", "change"})
# Actions recorded with a `before` and an `after`, and what changed.
_BEFORE_AFTER = {
    AuditAction.TOKEN_RENAMED: "Name",
    AuditAction.TOKEN_MOVED: "Instance",
    AuditAction.TOKEN_EXPIRY_CHANGED: "Expires",
    AuditAction.GROUP_CHANGED: "Name",
}

_LABELS = {
    "acted_as": "Acts as",
    "asked_by": "Asked by",
    "address": "Address",
    "all_members": "All members",
    "app_alias": "App alias",
    "at_time": "At",
    "cases_added": "Cases added",
    "cases_removed": "Cases removed",
    "change": "Change",
    "default_token": "Default token",
    "display_name": "Display name",
    "emails": "Emails claimed",
    "error": "Error",
    "every_minutes": "Every (minutes)",
    "exception": "Exception",
    "expectations": "Expectations",
    "expires_on": "Expires",
    "function": "Function",
    "function_name": "Function name",
    "groups": "Groups",
    "ignored_paths": "Ignored paths",
    "inputs": "Inputs",
    "instance": "Instance",
    "is_active": "Active",
    "is_staff": "Staff",
    "is_superuser": "Superuser",
    "key_inputs": "Key inputs",
    "name": "Name",
    "notify_emails": "Emails notified",
    "ok": "Connection",
    "older_than_days": "Older than",
    "output": "Output",
    "production": "Production",
    "plan": "Plan",
    "owner": "Owner",
    "client": "Client",
    "api_key": "API key",
    "tools": "Functions as tools",
    "package_id": "Package",
    "parameters": "Inputs",
    "provider": "Provider",
    "result": "Answer",
    "run_on_new_version": "Runs on each new version",
    "runs": "Runs deleted",
    "schedule": "Schedule",
    "scope": "Scope",
    "snapshot": "Snapshot",
    "subject": "Subject",
    "time_zone": "Time zone",
    "unreadable": "Could not be decrypted",
    "username": "Username",
    "usernames": "Usernames tried",
    "users": "Users",
    "version": "Version",
    "webhook_url": "Webhook",
    "why": "Why",
}
_ACTION_LABELS = {
    (AuditAction.INSTANCE_CHANGED, "name"): "Subdomain",
    (AuditAction.ROLE_CHANGED, "added"): "Roles added",
    (AuditAction.ROLE_CHANGED, "removed"): "Roles removed",
    (AuditAction.PERMISSIONS_CHANGED, "added"): "Permissions added",
    (AuditAction.PERMISSIONS_CHANGED, "removed"): "Permissions removed",
    (AuditAction.SIGN_IN_REFUSED, "subject"): "Subject at the provider",
    (AuditAction.IDENTITY_LINKED, "subject"): "Subject at the provider",
    (AuditAction.IDENTITY_UNLINKED, "subject"): "Subject at the provider",
    (AuditAction.NOTIFICATION_FAILED, "subject"): "Message",
}
_VALUES: dict[str, Callable] = {
    "ok": lambda ok: "works" if ok else "failed",
    "older_than_days": lambda days: f"{days:,} days",
    "scope": lambda scope: ApiKeyScope(scope).label if scope in ApiKeyScope.values else scope,
    "expires_on": lambda day: "never" if day is None else day,
}
_GRANTS = (("all_members", "All members"), ("users", "Users"), ("groups", "Groups"))

# (actions, detail key) -> a function naming ids: {id: name} for those that still exist.
_REFERENCES: dict[tuple[frozenset, str], Callable[[set], dict]] = {}


def name_references(actions: Iterable[AuditAction], key: str, names: Callable[[set], dict]):
    """Show the ids recorded as `key` in the details of `actions` by name: `names` takes a
    set of ids and gives {id: name} for those that still exist."""
    _REFERENCES[(frozenset(actions), key)] = names


def detail_lines(event: AuditEvent, names: dict | None = None) -> list[DetailLine]:
    """The event's details in words, a line each; `names` from `referenced_names` (else
    read for this event alone)."""
    if names is None:
        names = referenced_names([event])
    details = event.details if isinstance(event.details, dict) else {"details": event.details}
    action = event.action
    if action == AuditAction.TOKEN_GRANTED and {"before", "after"} <= details.keys():
        return _grant_changes(details["before"], details["after"])
    if action in _BEFORE_AFTER and {"before", "after"} <= details.keys():
        key = "expires_on" if action == AuditAction.TOKEN_EXPIRY_CHANGED else ""
        before, after = (_value(key, details[side]) for side in ("before", "after"))
        return [DetailLine(_BEFORE_AFTER[action], before + ARROW + after)]
    lines = []
    for key in sorted(details, key=_reading_position):
        value = details[key]
        label = _ACTION_LABELS.get((action, key)) or _LABELS.get(key) or _spoken(key)
        reference = names.get((action, key), {})
        if action in _FIELD_CHANGES and key not in _NOT_PAIRS and _is_pair(value):
            before, after = (_value(key, side, reference) for side in value)
            lines.append(DetailLine(label, before + ARROW + after))
        else:
            lines.append(DetailLine(label, _value(key, value, reference)))
    return lines


# The order details are read in, whatever order the database gives the keys back in
# (PostgreSQL's jsonb sorts them); keys not named here follow, alphabetically.
_READING_ORDER = (
    "change", "acted_as", "client", "api_key", "tools", "provider", "subject", "emails",
    "error", "exception", "why",
    "name", "username", "instance", "package_id", "version", "function_name", "function",
    "display_name", "app_alias", "default_token", "key_inputs", "parameters", "inputs",
    "output", "expectations", "snapshot", "ignored_paths", "schedule", "every_minutes",
    "at_time", "time_zone", "run_on_new_version", "notify_emails", "webhook_url",
    "cases_added", "cases_removed", "all_members", "users", "groups", "expires_on", "ok",
    "result", "is_active", "is_staff", "is_superuser", "runs", "older_than_days", "added",
    "removed", "usernames", "scope", "owner", "unreadable",
)  # fmt: skip
_POSITIONS = {key: position for position, key in enumerate(_READING_ORDER)}


def _reading_position(key: str) -> tuple[int, str]:
    return _POSITIONS.get(key, len(_READING_ORDER)), key


def referenced_names(events: Iterable[AuditEvent]) -> dict:
    """{(action, key): {id: name}} for the ids `events` record of other apps' objects."""
    wanted: dict[tuple[frozenset, str], set] = {}
    for event in events:
        for (actions, key), _names in _REFERENCES.items():
            if event.action in actions and isinstance(event.details, dict):
                value = event.details.get(key)
                values = value if _is_pair(value) else [value]
                ids = wanted.setdefault((actions, key), set())
                ids.update(v for v in values if isinstance(v, int) and not isinstance(v, bool))
    found = {}
    for (actions, key), ids in wanted.items():
        if ids:
            named = _REFERENCES[(actions, key)](ids)
            for action in actions:
                found[(action, key)] = {pk: named.get(pk, f"#{pk} (deleted)") for pk in ids}
    return found


def _grant_changes(before: dict, after: dict) -> list[DetailLine]:
    lines = []
    for key, label in _GRANTS:
        was, now = before.get(key), after.get(key)
        if isinstance(was, list) and isinstance(now, list):
            added = [name for name in now if name not in was]
            removed = [name for name in was if name not in now]
            if added:
                lines.append(DetailLine(f"{label} added", _value(key, added)))
            if removed:
                lines.append(DetailLine(f"{label} removed", _value(key, removed)))
        elif was != now:
            lines.append(DetailLine(label, _value(key, was) + ARROW + _value(key, now)))
    return lines


def _is_pair(value) -> bool:
    return isinstance(value, list) and len(value) == 2


def _spoken(key: str) -> str:
    return str(key).replace("_", " ").capitalize()


def _value(key: str, value, names: dict | None = None) -> str:
    if names and isinstance(value, int) and not isinstance(value, bool) and value in names:
        return names[value]
    if key in _VALUES:
        try:
            return str(_VALUES[key](value))
        except (TypeError, ValueError):  # an older record's other shape: said plainly below
            pass
    if value is None or value == "" or value == []:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return f"{value:,}"
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.keys() == {"characters", "sha256"}:
        return f"{value['characters']:,} characters (SHA-256 {value['sha256']})"
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ", ".join(value)
    return one_line(value)
