import json
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince, timeuntil

from codeengine_ui.json_text import FOLD_DEPTH, indented, one_line

register = template.Library()


@register.filter
def pretty_json(value: Any) -> str:
    """The one way results, inputs and errorInformation are shown: indented JSON text."""
    return indented(value)


# Nodes deeper than this, or with more children, start folded.
_OPEN_DEPTH = 2
_OPEN_CHILDREN = 50


@register.filter
def json_tree(value: Any) -> SafeString:
    """A JSON value as nested <details> nodes: highlighted, foldable without any script.
    Past FOLD_DEPTH levels a subtree is one line of text (browsers flatten deeper markup)."""
    return mark_safe("".join(_tree(value)))  # noqa: S308 (all escaped)


def _tree(value: Any):
    """The tree's HTML in pieces, walking `value` with an explicit stack (any depth)."""
    stack: list[tuple] = []

    def node(item: Any, depth: int, key: Any) -> str:
        label = (
            f'<span class="j-key">{escape(json.dumps(str(key), ensure_ascii=False))}</span>: '
            if key is not None
            else ""
        )
        if isinstance(item, dict | list) and item:
            if depth >= FOLD_DEPTH:
                return (
                    f'<div class="j-leaf">{label}<span class="j-punct">{escape(one_line(item))}'
                    f'</span> <span class="j-count">(nested past {FOLD_DEPTH} levels: shown '
                    "as text)</span></div>"
                )
            is_dict = isinstance(item, dict)
            closer = "}" if is_dict else "]"
            stack.append((iter(item.items() if is_dict else item), is_dict, closer))
            count = f"{len(item)} {'keys' if is_dict else 'items'}"
            folded = depth >= _OPEN_DEPTH or len(item) > _OPEN_CHILDREN
            return (
                f'<details class="j-node"{"" if folded else " open"}><summary>{label}'
                f'<span class="j-punct">{"{" if is_dict else "["}</span>'
                f'<span class="j-count">{count}</span></summary><div class="j-children">'
            )
        if item is None:
            kind = "null"
        elif isinstance(item, bool):
            kind = "bool"
        elif isinstance(item, int | float):
            kind = "number"
        elif isinstance(item, str):
            kind = "string"
        else:  # an empty object or list
            kind = "punct"
        text = escape(json.dumps(item, ensure_ascii=False, default=str))
        return f'<div class="j-leaf">{label}<span class="j-{kind}">{text}</span></div>'

    yield node(value, 0, None)
    while stack:
        items, is_dict, closer = stack[-1]
        child = next(items, _END)
        if child is _END:
            stack.pop()
            yield f'</div><span class="j-punct">{closer}</span></details>'
        elif is_dict:
            yield node(child[1], len(stack), child[0])
        else:
            yield node(child, len(stack), None)


_END = object()


@register.filter
def compact_json(value: Any) -> str:
    """A value on one line, as JSON: text is quoted, so "1" and 1 look different."""
    return one_line(value)


@register.filter
def log_entry(entry: Any) -> str:
    """Log entries may be strings or objects (Domo types them "any")."""
    return entry if isinstance(entry, str) else one_line(entry)


@register.filter
def timestamp(moment: datetime | None) -> str:
    """When, as a reader wants it: "5 minutes ago", or "in 4 minutes" for a time still to
    come, with the absolute time (in the viewer's time zone) on hover and in the datetime
    attribute."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    absolute = f"{local:%Y-%m-%d %H:%M:%S} {local.tzname()}"
    when = relative_time(moment)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>', moment.isoformat(), absolute, when
    )


def relative_time(moment: datetime, now: datetime | None = None) -> str:
    """ "just now", "5 minutes ago", "in 4 minutes": the largest unit only, to the minute."""
    now = now or timezone.now()
    if abs(now - moment) < timedelta(minutes=1):
        return "just now" if moment <= now else "in less than a minute"
    if moment > now:
        return "in " + timeuntil(moment, now).split(",")[0]
    return timesince(moment, now).split(",")[0] + " ago"


@register.filter
def precise_time(moment: datetime | None) -> str:
    """A timestamp to the millisecond, in the current time zone."""
    if moment is None:
        return "—"
    local = timezone.localtime(moment)
    return f"{local:%Y-%m-%d %H:%M:%S}.{local.microsecond // 1000:03d} {local:%Z}"


@register.filter
def elapsed_clock(execution) -> SafeString:
    """The attributes a running run's timer counts from: its start and the server's time
    now, in milliseconds since 1970, so the count starts at the real start (not when the
    page arrived) and a viewer's clock set wrong does not shift it."""
    return format_html(
        'data-started-at="{}" data-server-now="{}"',
        _epoch_ms(execution.counted_from),
        _epoch_ms(timezone.now()),
    )


def _epoch_ms(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


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
