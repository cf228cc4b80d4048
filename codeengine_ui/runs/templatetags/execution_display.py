import json
from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def pretty_json(value: Any) -> str:
    """The one way results, inputs and errorInformation are shown: indented JSON text."""
    return json.dumps(value, indent=2, ensure_ascii=False, default=str)


@register.filter
def log_entry(entry: Any) -> str:
    """Log entries may be strings or objects (Domo types them "any")."""
    return entry if isinstance(entry, str) else json.dumps(entry, ensure_ascii=False, default=str)


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
