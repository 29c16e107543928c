"""The shape of a needs-attention section: ``AttentionRule`` (one SQL query, its first rows and
the total count), the items and sections it makes, and the builder of an item that falls due.
The rules themselves are in ``coordapp.main.attention``.

Every item has an owner, resolved in SQL by its rule's ``owner`` expression (the user who looks
after the record, or the one it falls back to); an item whose owner is missing or deactivated is
unassigned, and a deactivated owner's name is kept to say whose it was (an erased one's is not)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, aliased

from coordapp.auth import service as users
from coordapp.auth.models import User

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
    # The active user it belongs to (None: unassigned) and their name.
    owner_id: int | None = None
    owner_name: str | None = None
    # The date it is or was due, when it has one (renewal, deadline, expiry, follow-up...).
    due_on: date | None = None
    # Unassigned because its owner was deactivated: who that was.
    former_owner_name: str | None = None

    @property
    def owner_label(self) -> str:
        """Who owns it, in words: the owner's name, or "Unassigned" (and whose it was)."""
        if self.owner_id is not None and self.owner_name:
            return self.owner_name
        if self.former_owner_name:
            return f"Unassigned (was {self.former_owner_name}, deactivated)"
        return "Unassigned"


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

    # Whose items: None for everyone's, else the user's id.
    owner_id: int | None = None

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sections)


def _count(session: Session, query: sa.Select) -> int:
    """How many rows ``query`` has (its order dropped: a count needs none)."""
    subquery = query.order_by(None).subquery()
    return int(session.scalar(sa.select(sa.func.count()).select_from(subquery)) or 0)


def _first_rows(
    session: Session, query: sa.Select, rows: sa.Select, *, limit: int | None
) -> tuple[list[Any], int]:
    """The first ``limit`` rows of ``rows`` (all with None) and the number ``query`` has.

    Two statements: a count, which needs no order, and the first rows, which an index on the
    order can serve without reading the rest (``count(*) OVER ()`` in one statement read and
    sorted all 15,000 unconfirmed pledges at 100x the demo network to show ten). ``rows`` is
    ``query`` with the owner's columns added, which the count does not need.
    """
    count = _count(session, query)
    if not count:
        return [], 0
    limited = rows if limit is None else rows.limit(limit)
    return list(session.execute(limited).all()), count


# The owner's columns added to each rule's rows (prefixed: no rule's own column clashes).
OWNER_ID = "attention_owner_id"
OWNER_NAME = "attention_owner_name"
OWNER_ACTIVE = "attention_owner_active"


def _active_user(user_id: Any) -> sa.Exists:
    """Whether ``user_id`` (an SQL expression or a value) is an active user."""
    user = aliased(User)
    return sa.exists().where(user.id == user_id, user.active.is_(True)).correlate_except(user)


def _owner_columns(owner: Any) -> list[Any]:
    """The owner's id, name and whether they are active, for the row ``owner`` belongs to."""
    user = aliased(User)
    of_owner = sa.select().where(user.id == owner).correlate_except(user)
    return [
        owner.label(OWNER_ID),
        # An erased owner is named nowhere: their item reads "Unassigned", not whose it was.
        of_owner.add_columns(sa.case((users.erased_clause(user), None), else_=user.full_name))
        .scalar_subquery()
        .label(OWNER_NAME),
        of_owner.add_columns(user.active).scalar_subquery().label(OWNER_ACTIVE),
    ]


def _with_owner(item: AttentionItem, row: Any) -> AttentionItem:
    """``item`` with its owner (None when the owner is deactivated: unassigned)."""
    owner_id = getattr(row, OWNER_ID)
    name = getattr(row, OWNER_NAME)
    active = bool(getattr(row, OWNER_ACTIVE)) and owner_id is not None
    return dataclasses.replace(
        item,
        owner_id=owner_id if active else None,
        owner_name=name if active else None,
        former_owner_name=None if active or owner_id is None else name,
    )


Text = str | Callable[[date], str]
RowText = Callable[[Any, date], str]


@dataclass(frozen=True, slots=True)
class Subject:
    """The kind of record a section lists: its page (``endpoint``), and ``owner``, the SQL
    expression of the owning user's id in a rule's rows (e.g. the partnership's owner, else its
    organization's): the one place an item's owner is decided. A row names its record with
    ``id_field`` and reads as its ``label_field``."""

    endpoint: str
    owner: Callable[[], Any]
    id_field: str = "id"
    label_field: str = "title"


@dataclass(frozen=True, slots=True)
class AttentionRule:
    """One kind of record that needs attention, declared once: which rows (``query``, in the
    order the page lists them) of which ``subject``, how a row reads, and the words around them.

    A row reads either through ``item`` (a function building the whole ``AttentionItem``) or,
    more often, from declared parts: the subject's page and label, a ``detail`` line, whether it
    is ``overdue`` (a flag or a function of the row; by default, whether its due date has
    passed) and an optional second page (``action``). ``due_on`` gives the date a row is due,
    when it has one.

    ``section`` runs it: a count, then the first rows, of everyone's items or one owner's.
    """

    key: str
    title: Text
    rule: Text
    query: Callable[[date], sa.Select]
    subject: Subject
    item: Callable[[Any, date], AttentionItem] | None = None
    # The name of the headline figure this count is (``data-figure`` on the home page), if any.
    figure: str | None = None
    detail: RowText | None = None
    overdue: bool | Callable[[Any, date], bool] | None = None
    action: Callable[[Any, date], tuple[str, str, dict[str, Any]]] | None = None
    due_on: Callable[[Any, date], date | None] | None = None

    def build_item(self, row: Any, today: date) -> AttentionItem:
        """How ``row`` reads on the page: ``item`` if given, else the declared parts."""
        due_on = self.due_on(row, today) if self.due_on else None
        if self.item is not None:
            item = self.item(row, today)
            return dataclasses.replace(item, due_on=item.due_on or due_on)
        if self.detail is None:
            raise TypeError(f"attention rule {self.key!r} needs an item or a detail")
        if self.overdue is None:
            overdue = due_on is not None and due_on < today
        else:
            overdue = self.overdue if isinstance(self.overdue, bool) else self.overdue(row, today)
        return AttentionItem(
            endpoint=self.subject.endpoint,
            record_id=getattr(row, self.subject.id_field),
            label=getattr(row, self.subject.label_field),
            detail=self.detail(row, today),
            overdue=overdue,
            action=self.action(row, today) if self.action else None,
            due_on=due_on,
        )

    def owned_query(
        self, today: date, *, owner_id: int | None = None, unassigned: bool = False
    ) -> sa.Select:
        """The rule's rows: everyone's, ``owner_id``'s (nothing if they are deactivated), or
        with ``unassigned`` those without an active owner."""
        query = self.query(today)
        owner = self.subject.owner()
        if owner_id is not None:
            query = query.where(owner == owner_id, _active_user(owner_id))
        if unassigned:
            query = query.where(~_active_user(owner))
        return query

    def count(
        self,
        session: Session,
        *,
        today: date,
        owner_id: int | None = None,
        unassigned: bool = False,
    ) -> int:
        """How many items the section has (of ``owner_id``, or ``unassigned``), nothing else."""
        return _count(session, self.owned_query(today, owner_id=owner_id, unassigned=unassigned))

    def section(
        self,
        session: Session,
        *,
        today: date,
        owner_id: int | None = None,
        limit: int | None = ITEMS_PER_SECTION,
    ) -> AttentionSection:
        query = self.owned_query(today, owner_id=owner_id)
        rows, count = _first_rows(
            session, query, query.add_columns(*_owner_columns(self.subject.owner())), limit=limit
        )
        return AttentionSection(
            key=self.key,
            title=_text(self.title, today),
            rule=_text(self.rule, today),
            count=count,
            items=tuple(_with_owner(self.build_item(row, today), row) for row in rows),
            figure=self.figure,
        )


def _text(text: Text, today: date) -> str:
    return text if isinstance(text, str) else text(today)


def on_day(day: date, today: date, *, past: str = "ago", ahead: str = "left") -> str:
    """``day`` and how far it is from ``today``: "2026-03-01 (12 days ago)" or "(5 days left)"."""
    days = (day - today).days
    return f"{day.isoformat()} ({abs(days)} days {past if days < 0 else ahead})"


def due_item(
    endpoint: str, record_id: int, label_text: str, due_on: date, today: date, after: str
) -> AttentionItem:
    """An item due on ``due_on``: "due …" or "was due …", the days left or past, then ``after``."""
    overdue = due_on < today
    return AttentionItem(
        endpoint=endpoint,
        record_id=record_id,
        label=label_text,
        detail=f"{'was due' if overdue else 'due'} {on_day(due_on, today)}{after}",
        overdue=overdue,
        due_on=due_on,
    )
