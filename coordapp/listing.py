"""Server-side lists: search, filters, sorting and pagination over a select, in two queries.

A domain service describes its list once (``ListSpec``); views, CSV export and the API run it.
Query-string values that don't fit are ignored (never an error): a bad ``page`` is page 1, an
unknown ``sort`` is the default order, an unknown filter value is no filter.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from coordapp import disclosure
from coordapp.auth.models import User
from coordapp.cache import cached
from coordapp.labels import enum_choices, label
from coordapp.validation import MAX_RECORD_ID, record_id

PER_PAGE_CHOICES = (25, 50, 100)
# List pages count matching rows up to this many ("10,000+ in all"): an exact count of a
# 100,000-row join costs more than the page itself. Exports and the API count exactly.
COUNT_CAP = 10_000
EXPORT_LIMIT = 100_000


@dataclass(frozen=True)
class OwnAttribute:
    """A list column's value when it shows the attribute it sorts by: the row item's own."""

    attribute: QueryableAttribute[Any]

    def __call__(self, item: Any) -> Any:
        return getattr(item, self.attribute.key)


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    sort: ColumnElement[Any] | Any | None = None
    # Turns a row item into the value exported (and shown, unless ``display`` is given). Not
    # given: the row item's own attribute that ``sort`` is (``Hotline.name``: ``hotline.name``).
    value: Callable[[Any], Any] = field(default=None)  # type: ignore[assignment]
    link: bool = False
    # What the page shows when it differs from the export (e.g. "12,500.00" for 12500.00).
    display: Callable[[Any], Any] | None = None
    align_end: bool = False
    # Whether the row item's value is a count that could identify people or cases: small ones
    # are then hidden from readers below manager (coordapp.disclosure).
    counted: Callable[[Any], bool] | None = None

    def __post_init__(self) -> None:
        if self.value is None:
            if not isinstance(self.sort, QueryableAttribute):
                raise TypeError(f"list column {self.key!r} sorts by an expression: give its value")
            object.__setattr__(self, "value", OwnAttribute(self.sort))

    def shown(self, item: Any, *, viewer_can_see_exact: bool, display: bool = False) -> Any:
        """The item's value as this reader may see it (``display``: as the page shows it)."""
        if self.counted is not None and self.counted(item):
            shown = disclosure.suppress(self.value(item), viewer_can_see_exact=viewer_can_see_exact)
            if disclosure.is_hidden(shown):
                return shown
        return self.display(item) if display and self.display else self.value(item)


@dataclass(frozen=True)
class Filter:
    key: str
    label: str
    apply: Callable[[sa.Select[Any], str], sa.Select[Any]]
    # Allowed (value, label) pairs; the view shows a select. None = free text.
    choices: Callable[[Session], Sequence[tuple[str, str]]] | None = None
    # The value used when the query string gives none (the select then has no "All" entry:
    # one of the choices has to say "all").
    default: str | None = None


# --- the filters every domain's lists repeat -------------------------------------------------

FilterFn = Callable[[sa.Select[Any], str], sa.Select[Any]]
ChoicesFn = Callable[[Session], list[tuple[str, str]]]


def valid_year(value: str) -> int | None:
    """A year typed in a filter, or None (no filter) when it is not a plausible one."""
    value = value.strip()
    if not value.isdecimal() or len(value) != 4:
        return None
    year = int(value)
    return year if 1900 <= year <= 2200 else None


def _is_date(column: Any) -> bool:
    return isinstance(column.type, sa.Date)


def year_filter(column: Any, compare: Callable[[Any, int], Any] | None = None) -> FilterFn:
    """Rows whose ``column`` is in the year typed: a date column matches the whole year; a year
    (integer) column is compared by ``compare`` (equality unless given, e.g. ``operator.ge``)."""

    def apply(query: sa.Select[Any], value: str) -> sa.Select[Any]:
        year = valid_year(value)
        if year is None:
            return query
        if _is_date(column):
            return query.where(column >= date(year, 1, 1), column < date(year + 1, 1, 1))
        return query.where(compare(column, year) if compare else column == year)

    return apply


# A year filter's choices are probed one year at a time up to this span (SQLite allows 500
# parts in one UNION).
MAX_YEAR_PROBES = 300


def year_choices(column: Any) -> ChoicesFn:
    """The years that occur in ``column`` (a date or a year), newest first.

    Read through an index on the column, not by a DISTINCT over the whole table (530,000
    statistics at 100x the demo network: 112 ms after every write): the first and the last
    value, then one EXISTS per year between them.
    """

    def choices(session: Session) -> list[tuple[str, str]]:
        low, high = session.execute(sa.select(sa.func.min(column), sa.func.max(column))).one()
        if low is None or high is None:
            return []
        dated = _is_date(column)
        first, last = (low.year, high.year) if dated else (int(low), int(high))
        if last - first >= MAX_YEAR_PROBES:  # implausible dates: read them all, as before
            year = sa.cast(sa.extract("year", column), sa.Integer) if dated else column
            found = session.scalars(sa.select(year).where(column.is_not(None)).distinct())
            return [(str(int(y)), str(int(y))) for y in sorted(found, reverse=True)]

        def occurs(year: int) -> sa.Select[Any]:
            within = (
                sa.and_(column >= date(year, 1, 1), column < date(year + 1, 1, 1))
                if dated
                else column == year
            )
            return sa.select(sa.literal(year).label("year")).where(sa.exists().where(within))

        years = session.scalars(
            sa.union_all(*(occurs(year) for year in range(last, first - 1, -1)))
        )
        return sorted(((str(y), str(y)) for y in years), reverse=True)

    return choices


def year_filter_on(column: Any, label: str = "Year") -> Filter:
    """A list's "year" filter: the rows whose ``column`` falls in the year chosen among the
    years that occur in it (``year_filter`` and ``year_choices`` over the same column)."""
    return Filter("year", label, year_filter(column), year_choices(column))


def enum_filter(column: Any, enum_cls: Any) -> FilterFn:
    """Equality on an enum column; a value that is not a member is no filter."""
    allowed = {m.value for m in enum_cls}

    def apply(query: sa.Select[Any], value: str) -> sa.Select[Any]:
        return query.where(column == value) if value in allowed else query

    return apply


def enum_filter_on(key: str, title: str, column: Any, enum_cls: Any) -> Filter:
    """A list's filter on an enum ``column``: a select of the enum's members (``enum_filter``
    over ``column``, ``enum_choices`` of the enum)."""
    return Filter(key, title, enum_filter(column, enum_cls), lambda session: enum_choices(enum_cls))


def label_column(key: str, title: str, column: Any) -> Column:
    """A list column showing an enum attribute by its label, sorted by ``column``'s value."""
    attribute = column.key
    return Column(key, title, column, lambda item: label(getattr(item, attribute)))


def related_name_column(key: str, title: str, sort: Any, relation: str) -> Column:
    """A list column showing the name of the row's ``relation`` (empty without one), sorted
    by ``sort``."""

    def name(item: Any) -> Any:
        related = getattr(item, relation)
        return related.name if related else None

    return Column(key, title, sort, name)


UNASSIGNED = "none"


def owner_column(owner_id: Any) -> Column:
    """The row's owner (``owner_id``, a user; the row's ``owner`` relationship) by name, sorted
    by that name; "(deactivated)" after one who no longer works here."""
    name = sa.select(User.full_name).where(User.id == owner_id).scalar_subquery()

    def owner(item: Any) -> str | None:
        user = item.owner
        if user is None:
            return None
        return user.full_name if user.active else f"{user.full_name} (deactivated)"

    return Column("owner", "Owner", name, owner)


def owner_filter_on(owner_id: Any) -> Filter:
    """A list's "owner" filter: the rows a user owns (among the users who own any), or those
    that nobody owns."""

    def apply(query: sa.Select[Any], value: str) -> sa.Select[Any]:
        if value == UNASSIGNED:
            return query.where(owner_id.is_(None))
        number = record_id(value)
        return query if number is None else query.where(owner_id == number)

    def choices(session: Session) -> list[tuple[str, str]]:
        owners = sa.select(User.id, User.full_name).where(sa.exists().where(owner_id == User.id))
        return [
            *((str(i), name) for i, name in session.execute(owners.order_by(User.full_name))),
            (UNASSIGNED, "Nobody"),
        ]

    return Filter("owner", "Owner", apply, choices)


def id_filter(column: Any) -> FilterFn:
    """Equality on a foreign key; a value that cannot be an id is no filter."""

    def apply(query: sa.Select[Any], value: str) -> sa.Select[Any]:
        number = record_id(value)
        return query if number is None else query.where(column == number)

    return apply


def id_filter_on(key: str, title: str, column: Any, choices: ChoicesFn | None = None) -> Filter:
    """A list's filter on a foreign key ``column`` (``id_filter``): a select of ``choices``, or
    without them an id the query string gives (a link from the record's own page)."""
    return Filter(key, title, id_filter(column), choices)


def choice_filter_on(key: str, title: str, column: Any, choices: ChoicesFn) -> Filter:
    """A list's filter on ``column`` equal to one of ``choices`` (a value that is not one is
    dropped before the query: ``ListParams.checked``)."""

    def apply(query: sa.Select[Any], value: str) -> sa.Select[Any]:
        return query.where(column == value)

    return Filter(key, title, apply, choices)


def code_filter_on(key: str, title: str, column: Any, choices: ChoicesFn | None = None) -> Filter:
    """A list's filter on a code ``column`` (a currency, a country), typed in any case: a select
    of ``choices``, else of the codes that occur in the column (``code_choices``)."""

    def apply(query: sa.Select[Any], value: str) -> sa.Select[Any]:
        return query.where(column == value.upper())

    return Filter(key, title, apply, choices or code_choices(column))


def code_choices(column: Any) -> ChoicesFn:
    """The distinct codes (currencies, countries) that occur in ``column``.

    A column referencing a code table is answered from that table, one EXISTS per code through
    the index on ``column`` (a DISTINCT read the whole table: 99,000 receipts at 100x the demo
    network for three currencies).
    """
    keys = list(column.foreign_keys)
    key = keys[0] if len(keys) == 1 else None

    def choices(session: Session) -> list[tuple[str, str]]:
        if key is None:
            codes = sa.select(column).where(column.is_not(None)).distinct().order_by(column)
        else:
            code = key.column
            codes = sa.select(code).where(sa.exists().where(column == code)).order_by(code)
        return [(c, c) for c in session.scalars(codes)]

    return choices


# A filter with more choices than this is typed (with suggestions), not picked from a select:
# the receipts' funder filter listed 4,001 organizations, 283 KB of a 310 KB page at 100x.
TYPEAHEAD_OVER = 50
SUGGESTIONS = 20

_SPECS: dict[str, ListSpec] = {}


def filter_choices(session: Session, spec: ListSpec, flt: Filter) -> Sequence[tuple[str, str]]:
    """``flt``'s (value, label) choices, read once per data version (every write moves it on).

    Each list page needs them twice (to check the filter values, to draw the filters), and
    they are whole-table DISTINCT reads: the report cache keeps them until the data changes.
    """
    if flt.choices is None:
        return ()
    _SPECS.setdefault(spec.name, spec)
    return cached(session, _read_choices, spec=spec.name, key=flt.key)


def _read_choices(session: Session, *, spec: str, key: str) -> tuple[tuple[str, str], ...]:
    flt = next(f for f in _SPECS[spec].filters if f.key == key)
    assert flt.choices is not None
    return tuple((str(value), str(text)) for value, text in flt.choices(session))


def chosen_value(choices: Sequence[tuple[str, str]], text: str) -> str | None:
    """The value of the choice whose value or label (any case) is ``text``, or None."""
    wanted = " ".join(text.split())
    for value, _label in choices:
        if value == wanted:
            return value
    folded = wanted.casefold()
    return next((v for v, label in choices if " ".join(label.split()).casefold() == folded), None)


def typed(choices: Sequence[tuple[str, str]]) -> bool:
    """Whether a filter with these choices is typed with suggestions rather than selected."""
    return len(choices) > TYPEAHEAD_OVER


def suggestions(choices: Sequence[tuple[str, str]], text: str) -> list[str]:
    """The labels containing ``text`` (any case), those starting with it first."""
    wanted = " ".join(text.split()).casefold()
    if not wanted:
        return []
    found = [label for _, label in choices if wanted in label.casefold()]
    found.sort(key=lambda label: (not label.casefold().startswith(wanted), label.casefold()))
    return found[:SUGGESTIONS]


def _usable_number(value: str) -> bool:
    """Filters take digits as ids or years: a number no integer column holds is dropped like
    any other value that matches nothing."""
    return not value.isdecimal() or int(value) <= MAX_RECORD_ID


@dataclass(frozen=True, kw_only=True)
class ListSpec:
    entity: Any
    columns: Sequence[Column]
    default_sort: str
    # What the list is known by (its cache entries, its filters' suggestions): not given, its
    # table's name ("exchange_rates": "exchange-rates").
    name: str = ""
    search: Sequence[Any] = ()
    filters: Sequence[Filter] = ()
    options: Sequence[Any] = ()
    archivable: bool = True
    # The related records the columns sort by and the search reads, as the entity's
    # relationships (``Partnership.organization``; a chain: ``FundingReceipt.commitment``,
    # ``FundingCommitment.funder``): joined, or outer-joined where there may be none.
    joins: Sequence[QueryableAttribute[Any]] = ()
    outer_joins: Sequence[QueryableAttribute[Any]] = ()
    # The select the list starts from when it is more than the entity and its joins.
    base: Callable[[], sa.Select[Any]] | None = None
    # Values a column shows that loader options cannot bring (a derived date): computed for
    # a page's (or an export's) rows at once, so a list stays a constant number of queries.
    prefetch: Callable[[Session, list[Any]], None] | None = None

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", self.entity.__tablename__.replace("_", "-"))
        for column in self.columns:
            if isinstance(column.value, OwnAttribute) and not sa.inspect(self.entity).isa(
                column.value.attribute.parent.mapper
            ):
                raise TypeError(
                    f"list {self.name!r}: column {column.key!r} sorts by another record's "
                    "attribute: give its value"
                )

    def column(self, key: str) -> Column | None:
        return next((c for c in self.columns if c.key == key and c.sort is not None), None)


@dataclass(frozen=True)
class ListParams:
    q: str = ""
    filters: Mapping[str, str] = field(default_factory=dict)
    sort: str = ""
    descending: bool = False
    page: int = 1
    per_page: int = PER_PAGE_CHOICES[0]
    archived: bool = False
    # False when the order is the list's default (then links don't repeat it).
    sort_given: bool = False

    @classmethod
    def from_args(cls, spec: ListSpec, args: Mapping[str, str]) -> ListParams:
        def integer(name: str, default: int) -> int:
            try:
                return int(args.get(name, default))
            except (TypeError, ValueError):
                return default

        sort = args.get("sort", "")
        descending = sort.startswith("-")
        key = sort.lstrip("-")
        sort_given = spec.column(key) is not None
        if not sort_given:
            key, descending = spec.default_sort.lstrip("-"), spec.default_sort.startswith("-")
        per_page = integer("per_page", PER_PAGE_CHOICES[0])
        filters = {
            f.key: value.strip()
            for f in spec.filters
            # NUL never belongs in a value (and PostgreSQL refuses it in text parameters).
            if (value := args.get(f.key, "").replace("\x00", "") or (f.default or ""))
            and value.strip()
            and _usable_number(value.strip())
        }
        return cls(
            q=(args.get("q") or "").replace("\x00", "").strip()[:100],
            filters=filters,
            sort=key,
            descending=descending,
            page=max(1, min(integer("page", 1), 1_000_000)),
            per_page=per_page if per_page in PER_PAGE_CHOICES else PER_PAGE_CHOICES[0],
            archived=spec.archivable and args.get("archived") in ("1", "true", "on"),
            sort_given=sort_given,
        )

    def checked(self, session: Session, spec: ListSpec) -> ListParams:
        """Drop filter values that are not among a filter's choices (e.g. ?kind=bogus); a
        choice's label (typed into a type-ahead filter) stands for its value."""
        kept = {}
        for flt in spec.filters:
            value = self.filters.get(flt.key)
            if value is None:
                continue
            if flt.choices is None:
                kept[flt.key] = value
                continue
            found = chosen_value(filter_choices(session, spec, flt), value)
            if found is not None:
                kept[flt.key] = found
            elif flt.default is not None:
                kept[flt.key] = flt.default
        return replace(self, filters=kept)

    def as_args(self, **changes: Any) -> dict[str, Any]:
        """The query string for this view (with changes), for links that keep the filters."""
        values: dict[str, Any] = {
            "q": self.q or None,
            **self.filters,
            "sort": ("-" if self.descending else "") + self.sort if self.sort_given else None,
            "page": self.page if self.page > 1 else None,
            "per_page": self.per_page if self.per_page != PER_PAGE_CHOICES[0] else None,
            "archived": "1" if self.archived else None,
        }
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


@dataclass(frozen=True)
class ListResult:
    spec: ListSpec
    params: ListParams
    items: list[Any]
    total: int
    viewer_can_see_exact: bool = False
    # More rows match than the page counted (``total`` is then the cap): "10,000+ in all".
    capped: bool = False

    def cell(self, column: Column, item: Any) -> Any:
        """What the page shows in ``column`` for ``item`` (small counts hidden per reader)."""
        return column.shown(item, viewer_can_see_exact=self.viewer_can_see_exact, display=True)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.params.per_page))

    @property
    def count_text(self) -> str:
        """``1,234``, or ``10,000+`` when more rows match than were counted."""
        return f"{self.total:,}{'+' if self.capped else ''}"


def _filtered(spec: ListSpec, params: ListParams) -> sa.Select[Any]:
    query = spec.base() if spec.base else sa.select(spec.entity)
    for relationship in spec.joins:
        query = query.join(relationship)
    for relationship in spec.outer_joins:
        query = query.outerjoin(relationship)
    if spec.archivable and not params.archived:
        query = query.where(spec.entity.archived_at.is_(None))
    if params.q and spec.search:
        pattern = f"%{params.q.lower()}%"
        query = query.where(sa.or_(*(sa.func.lower(col).like(pattern) for col in spec.search)))
    for flt in spec.filters:
        value = params.filters.get(flt.key)
        if value is not None:
            query = flt.apply(query, value)
    return query


def _ordered(spec: ListSpec, params: ListParams, query: sa.Select[Any]) -> sa.Select[Any]:
    column = spec.column(params.sort) or spec.column(spec.default_sort.lstrip("-"))
    assert column is not None and column.sort is not None
    order = column.sort.desc() if params.descending else column.sort.asc()
    if _nullable(column.sort):
        order = order.nulls_last()
    # The primary key breaks ties so pages never overlap; in the sort's direction, so that an
    # index on the sort column serves the page (walked backwards for a descending sort).
    tie = spec.entity.id.desc() if params.descending else spec.entity.id.asc()
    return query.order_by(order, tie)


def _nullable(expression: Any) -> bool:
    """Whether a sort expression may be NULL (a NOT NULL column needs no NULLS LAST, which
    would keep the database from walking an index on it)."""
    columns = getattr(getattr(expression, "property", None), "columns", None)
    column = columns[0] if columns else expression
    return not isinstance(column, sa.Column) or bool(column.nullable)


def run_list(
    session: Session,
    spec: ListSpec,
    params: ListParams,
    *,
    viewer_can_see_exact: bool = False,
    count_cap: int | None = None,
) -> ListResult:
    """One COUNT and one page query (plus one per eager-loaded relationship): constant.

    ``viewer_can_see_exact``: the reader is a manager or admin (else small counts are hidden).
    ``count_cap``: count at most this many rows (``ListResult.capped`` says when there are
    more); pages go as far as the cap."""
    params = params.checked(session, spec)
    query = _filtered(spec, params)
    counted = query.order_by(None)
    if count_cap is not None:
        counted = counted.limit(count_cap + 1)
    total = session.scalar(sa.select(sa.func.count()).select_from(counted.subquery())) or 0
    capped = count_cap is not None and total > count_cap
    if capped:
        assert count_cap is not None
        total = count_cap
    page = min(params.page, max(1, math.ceil((total or 0) / params.per_page)))
    if page != params.page:
        params = replace(params, page=page)
    rows = session.scalars(
        _ordered(spec, params, query)
        .options(*spec.options)
        .limit(params.per_page)
        .offset((params.page - 1) * params.per_page)
    ).unique()
    items = list(rows)
    if spec.prefetch is not None:
        spec.prefetch(session, items)
    return ListResult(
        spec=spec,
        params=params,
        items=items,
        total=total or 0,
        viewer_can_see_exact=viewer_can_see_exact,
        capped=capped,
    )


def export_rows(
    session: Session, spec: ListSpec, params: ListParams, *, viewer_can_see_exact: bool = False
) -> Iterator[list[Any]]:
    """The header and every filtered row (no pagination), as the list shows them to the
    reader (small counts hidden below manager)."""
    yield [c.label for c in spec.columns]
    params = params.checked(session, spec)
    query = _ordered(spec, params, _filtered(spec, params)).options(*spec.options)
    items = list(session.scalars(query.limit(EXPORT_LIMIT)).unique())
    if spec.prefetch is not None:
        spec.prefetch(session, items)
    for item in items:
        yield [c.shown(item, viewer_can_see_exact=viewer_can_see_exact) for c in spec.columns]
