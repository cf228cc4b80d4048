from typing import Any

from django import template

from codeengine_ui.json_text import compact

register = template.Library()


@register.filter
def cell_text(value: Any) -> str:
    """A value as a table cell shows it: text as it is (its line breaks shown by the
    page's `white-space`), anything else as compact JSON, null as nothing."""
    if value is None:
        return ""
    return value if isinstance(value, str) else compact(value)


@register.filter
def seconds_left(value: float | None) -> str:
    if value is None:
        return "unknown"
    value = round(value)
    if value < 60:
        return f"{value} s"
    return f"{value // 60} min {value % 60} s"


@register.filter
def error_for(errors: dict, name: str) -> str:
    return errors.get(name, "")
