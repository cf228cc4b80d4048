"""Whole numbers read from a URL or a posted form, whatever was sent.

`str.isdigit()` accepts "²" and 5,000-digit strings, which `int()` then refuses, and a
number beyond 64 bits breaks a database lookup: every id, page cursor, count and index
that comes from a request is read here instead.
"""

import re

from django import forms
from django.core.exceptions import ValidationError

_ROW_ID = re.compile(r"[0-9]{1,18}")


def row_id(text: object) -> int | None:
    """A database id (ASCII digits, below 10**18), or None for anything else."""
    if isinstance(text, str) and _ROW_ID.fullmatch(text):
        return int(text)
    return None


def small_count(text: object, maximum: int) -> int | None:
    """A count or an index from 0 to `maximum`, or None for anything else."""
    number = row_id(text)
    return number if number is not None and number <= maximum else None


class RowsChoiceField(forms.ModelMultipleChoiceField):
    """Rows chosen by id (grants, a suite's cases) where an id too large for any database
    is refused like an unknown one: Django looks such ids up with `pk__in`, which the
    database driver cannot even send."""

    def _check_values(self, value):
        for pk in value:
            if row_id(str(pk)) is None:
                raise ValidationError(
                    self.error_messages["invalid_pk_value"], code="invalid_pk_value",
                    params={"pk": str(pk)[:40]},
                )  # fmt: skip
        return super()._check_values(value)
