"""The shape of a needs-attention section: ``AttentionRule`` (one SQL query, its first rows and
the total count), the items and sections it makes, and the builder of an item that falls due.
The rules themselves are in ``coordapp.main.attention``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ITEMS_PER_SECTION = 10


@dataclass(frozen=True, slots=True)
class AttentionItem:
    """One record that needs attention; ``endpoint`` + ``record_id`` name its page."""

    endpoint: str
    record_id: int
    label: str
    detail: str
    overdue: bool = False
    # A second page where the work is done, e.g. the statistics grid: (endpoint, url values).
    action: tuple[str, str, dict[str, Any]] | None = None


@dataclass(frozen=True, slots=True)
class AttentionSection:
    key: str
    title: str
    rule: str
    count: int
    items: tuple[AttentionItem, ...]
    # The name of the headline figure this count is (``data-figure`` on the home page), if any.
    figure: str | None = None

    @property
    def more(self) -> int:
        return self.count - len(self.items)


@dataclass(frozen=True, slots=True)
class NeedsAttention:
    today: date
    sections: tuple[AttentionSection, ...] = field(default_factory=tuple)

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)


def _first_rows(session: Session, query: sa.Select, *, limit: int) -> tuple[list[Any], int]:
    """The first ``limit`` rows of ``query`` and the number of rows it has in all.

    Two statements: a count, which needs no order, and the first rows, which an index on the
    order can serve without reading the rest (``count(*) OVER ()`` in one statement read and
    sorted all 15,000 unconfirmed pledges at 100x the demo network to show ten).
    """
    count = session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    if not count:
        return [], 0
    return list(session.execute(query.limit(limit)).all()), int(count)


Text = str | Callable[[date], str]
RowText = Callable[[Any, date], str]


@dataclass(frozen=True, slots=True)
class AttentionRule:
    """One kind of record that needs attention, declared once: which rows (``query``, in the
    order the page lists them), how a row reads, and the words around them.

    A row reads either through ``item`` (a function building the whole ``AttentionItem``) or,
    more often, from declared parts: the record's page (``endpoint``, with the row's
    ``id_field``), its ``label_field``, a ``detail`` line, whether it is ``overdue`` (a flag or
    a function of the row) and an optional second page (``action``).

    ``section`` runs it: one SQL statement returning the first rows and the count.
    """

    key: str
    title: Text
    rule: Text
    query: Callable[[date], sa.Select]
    item: Callable[[Any, date], AttentionItem] | None = None
    # The name of the headline figure this count is (``data-figure`` on the home page), if any.
    figure: str | None = None
    endpoint: str | None = None
    detail: RowText | None = None
    label_field: str = "title"
    id_field: str = "id"
    overdue: bool | Callable[[Any, date], bool] = False
    action: Callable[[Any, date], tuple[str, str, dict[str, Any]]] | None = None

    def build_item(self, row: Any, today: date) -> AttentionItem:
        """How ``row`` reads on the page: ``item`` if given, else the declared parts."""
        if self.item is not None:
            return self.item(row, today)
        if self.endpoint is None or self.detail is None:
            raise TypeError(f"attention rule {self.key!r} needs an item or endpoint and detail")
        overdue = self.overdue if isinstance(self.overdue, bool) else self.overdue(row, today)
        return AttentionItem(
            endpoint=self.endpoint,
            record_id=getattr(row, self.id_field),
            label=getattr(row, self.label_field),
            detail=self.detail(row, today),
            overdue=overdue,
            action=self.action(row, today) if self.action else None,
        )

    def section(
        self, session: Session, *, today: date, limit: int = ITEMS_PER_SECTION
    ) -> AttentionSection:
        rows, count = _first_rows(session, self.query(today), limit=limit)
        return AttentionSection(
            key=self.key,
            title=_text(self.title, today),
            rule=_text(self.rule, today),
            count=count,
            items=tuple(self.build_item(row, today) for row in rows),
            figure=self.figure,
        )


def _text(text: Text, today: date) -> str:
    return text if isinstance(text, str) else text(today)


def due_item(
    endpoint: str, record_id: int, label_text: str, due_on: date, today: date, after: str
) -> AttentionItem:
    """An item due on ``due_on``: "due …" or "was due …", the days left or past, then ``after``."""
    days = (due_on - today).days
    when = f"was due {due_on.isoformat()}" if days < 0 else f"due {due_on.isoformat()}"
    return AttentionItem(
        endpoint=endpoint,
        record_id=record_id,
        label=label_text,
        detail=f"{when} ({abs(days)} days {'ago' if days < 0 else 'left'}){after}",
        overdue=days < 0,
    )
