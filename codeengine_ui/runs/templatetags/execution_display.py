import json
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def pretty_json(value: Any) -> str:
    """The one way results, inputs and errorInformation are shown: indented JSON text."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


# Nodes deeper than this, or with more children, start folded.
_OPEN_DEPTH = 2
_OPEN_CHILDREN = 50


@register.filter
def json_tree(value: Any) -> SafeString:
    """A JSON value as nested <details> nodes: highlighted, foldable without any script."""
    return mark_safe("".join(_tree(value, depth=0, key=None)))  # noqa: S308 (all escaped)


def _tree(value: Any, *, depth: int, key: str | None):
    label = (
        f'<span class="j-key">{escape(json.dumps(key, ensure_ascii=False))}</span>: '
        if (key is not None)
        else ""
    )
    if isinstance(value, dict | list) and value:
        opener, closer = ("{", "}") if isinstance(value, dict) else ("[", "]")
        count = f"{len(value)} {'keys' if isinstance(value, dict) else 'items'}"
        folded = depth >= _OPEN_DEPTH or len(value) > _OPEN_CHILDREN
        yield (
            f'<details class="j-node"{"" if folded else " open"}><summary>{label}'
            f'<span class="j-punct">{opener}</span><span class="j-count">{count}</span>'
            '</summary><div class="j-children">'
        )
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for child_key, child in items:
            yield from _tree(
                child, depth=depth + 1, key=child_key if isinstance(value, dict) else None
            )
        yield f'</div><span class="j-punct">{closer}</span></details>'
        return
    if value is None:
        kind = "null"
    elif isinstance(value, bool):
        kind = "bool"
    elif isinstance(value, int | float):
        kind = "number"
    elif isinstance(value, str):
        kind = "string"
    else:  # an empty object or list
        kind = "punct"
    text = escape(json.dumps(value, ensure_ascii=False, default=str))
    yield f'<div class="j-leaf">{label}<span class="j-{kind}">{text}</span></div>'


@register.filter
def compact_json(value: Any) -> str:
    """A value on one line, as JSON: text is quoted, so "1" and 1 look different."""
    return json.dumps(value, ensure_ascii=False, default=str)


@register.filter
def log_entry(entry: Any) -> str:
    """Log entries may be strings or objects (Domo types them "any")."""
    return entry if isinstance(entry, str) else json.dumps(entry, ensure_ascii=False, default=str)


@register.filter
def timestamp(moment: datetime | None) -> str:
    """When, as a reader wants it: "5 minutes ago", with the absolute time (in the
    viewer's time zone) on hover and in the datetime attribute."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    absolute = f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"
    if timezone.now() - moment < timedelta(minutes=1):
        when = "just now"
    else:
        when = timesince(moment).split(",")[0] + " ago"
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', moment.isoformat(), absolute, when
    )


@register.filter
def precise_time(moment: datetime | None) -> str:
    """A timestamp to the millisecond, in the current time zone."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d} {local:%Z}"


@register.filter
def seconds(duration: timedelta | None) -> int:
    return int(duration.total_seconds()) if duration else 0


@register.filter
def human_duration(duration: timedelta | None) -> str:
    if duration is None:
        return "—"
    total = duration.total_seconds()
    if total < 1:
        return f"{total * 1000:.0f} ms"
    if total < 60:
        return f"{total:.1f} s"
    minutes, rest = divmod(int(total), 60)
    if minutes < 60:
        return f"{minutes} min {rest} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"
