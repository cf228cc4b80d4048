"""Newest-first pages that continue below the last id seen (keyset pagination): the
500th page costs what the first does, where an OFFSET would read every row before it."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import Model, QuerySet


@dataclass(frozen=True)
class Page[RowT: Model]:
    rows: list[RowT]
    next_before: int | None  # the id the next (older) page continues below, if there is one


def newest_first(rows: QuerySet, before: int | None, size: int) -> Page:
    """The `size` newest rows with an id below `before` (all rows when it is None)."""
    if before is not None:
        rows = rows.filter(pk__lt=before)
    fetched = list(rows.order_by("-pk")[: size + 1])
    page = fetched[:size]
    return Page(page, page[-1].pk if len(fetched) > size else None)


def every_row_newest_first(rows: QuerySet, batch_size: int) -> Iterator:
    """Every row, newest first, read a batch at a time: memory stays flat at any size."""
    before = None
    while True:
        page = newest_first(rows, before, batch_size)
        yield from page.rows
        if page.next_before is None:
            return
        before = page.next_before
