"""What the API reads: the domains' lists and getters, and JSON-ready values.

Every list runs the domain's own ``ListSpec`` through ``coordapp.listing.run_list``, so search,
filters, sort and pagination behave exactly as on the pages. Items are serialised from their
mapped columns (stable field names: the column names), money as Decimal strings next to its
currency code, dates in ISO.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp import disclosure, validation
from coordapp.errors import ValidationError
from coordapp.funding import amounts as funding_amounts
from coordapp.funding import commitments as funding_commitments
from coordapp.funding import lists as funding_lists
from coordapp.funding import obligations, rate_info
from coordapp.funding import rates as funding_rates
from coordapp.funding import receipts as funding_receipts
from coordapp.listing import ListParams, ListSpec, run_list
from coordapp.network import coverage as network_coverage
from coordapp.network import expansion, hotlines
from coordapp.network import lists as network_lists
from coordapp.partners import agreements, contacts, organizations, partnerships
from coordapp.partners import lists as partners_lists
from coordapp.partners.models import Partnership
from coordapp.pillars import service as pillars
from coordapp.reporting import disclosed
from coordapp.reporting import training as training_report
from coordapp.stats import service as stats
from coordapp.stats.lists import STATISTIC_LIST
from coordapp.stats.models import HotlineStatistic
from coordapp.training import pages as training_pages
from coordapp.training import service as training
from coordapp.training.lists import TRAINING_LIST
from coordapp.training.models import TrainingParticipation

# Columns never sent (internal bookkeeping).
_HIDDEN = frozenset({"search_text"})


@dataclass(frozen=True)
class ApiResource:
    slug: str
    singular: str
    spec: ListSpec
    get: Callable[[Session, int], Any]


RESOURCES: tuple[ApiResource, ...] = (
    ApiResource(
        "organizations",
        "organization",
        partners_lists.ORGANIZATION_LIST,
        organizations.get_organization,
    ),
    ApiResource("contacts", "contact", partners_lists.CONTACT_LIST, contacts.get_contact),
    ApiResource(
        "partnerships", "partnership", partners_lists.PARTNERSHIP_LIST, partnerships.get_partnership
    ),
    ApiResource("hotlines", "hotline", network_lists.HOTLINE_LIST, hotlines.get_hotline),
    ApiResource(
        "expansion-targets",
        "expansion target",
        network_lists.EXPANSION_LIST,
        expansion.get_expansion_target,
    ),
    ApiResource(
        "funding-commitments",
        "funding commitment",
        funding_lists.COMMITMENT_LIST,
        funding_commitments.get_commitment,
    ),
    ApiResource(
        "funding-receipts",
        "funding receipt",
        funding_lists.RECEIPT_LIST,
        funding_receipts.get_receipt,
    ),
    ApiResource(
        "reporting-requirements",
        "reporting requirement",
        funding_lists.REQUIREMENT_LIST,
        obligations.get_requirement,
    ),
    ApiResource(
        "exchange-rates",
        "exchange rate",
        funding_lists.EXCHANGE_RATE_LIST,
        funding_rates.get_exchange_rate,
    ),
    ApiResource("trainings", "training event", TRAINING_LIST, training.get_event),
    ApiResource("hotline-statistics", "hotline statistic", STATISTIC_LIST, stats.get_statistic),
    ApiResource(
        "pillar-targets", "pillar target", pillars.PILLAR_TARGET_LIST, pillars.get_pillar_target
    ),
)
BY_SLUG = {r.slug: r for r in RESOURCES}


def jsonable(value: Any) -> Any:
    """Decimal → string (exact), date → ISO, enum → value, dataclasses and containers deep."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(jsonable(k)): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    return value


def _counted(obj: Any) -> frozenset[str]:
    """The fields of ``obj`` that count people or cases (small ones hidden below manager)."""
    if isinstance(obj, HotlineStatistic):
        return frozenset({"value"}) if stats.is_count(obj) else frozenset()
    if isinstance(obj, TrainingParticipation):
        return training.COUNTED_FIELDS
    return frozenset()


def serialize(obj: Any, *, viewer_can_see_exact: bool) -> dict[str, Any]:
    """A record's columns by name, plus the names of the pillars it is tagged with; for a
    reader below manager, small counts as "<5" (coordapp.disclosure) and no attendee names."""
    mapper = sa.inspect(type(obj))
    data = disclosure.suppress_mapping(
        {attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs},
        _counted(obj),
        viewer_can_see_exact=viewer_can_see_exact,
    )
    if not viewer_can_see_exact and "attendee_names" in data:
        data["attendee_names"] = None
    data = {key: jsonable(value) for key, value in data.items() if key not in _HIDDEN}
    if "pillars" in mapper.relationships:
        data["pillar_ids"] = [p.id for p in obj.pillars]
    if isinstance(obj, Partnership):
        # ``status`` is what was recorded; this is it read against the dates (e.g. "expired").
        data["status_today"] = agreements.state_on(obj, date.today()).value
    if "participations" in mapper.relationships:
        counts = training_pages.shown_counts(
            obj.participations, viewer_can_see_exact=viewer_can_see_exact
        )
        data["participation"] = [
            {
                **serialize(p, viewer_can_see_exact=viewer_can_see_exact),
                "participants": jsonable(counts.participants[p.id]),
                "completed": jsonable(counts.completed[p.id]),
            }
            for p in obj.participations
        ]
    return data


def list_page(
    session: Session,
    *,
    resource: ApiResource,
    args: Mapping[str, str],
    viewer_can_see_exact: bool,
) -> dict[str, Any]:
    result = run_list(
        session,
        resource.spec,
        ListParams.from_args(resource.spec, args),
        viewer_can_see_exact=viewer_can_see_exact,
    )
    return {
        "items": [
            serialize(item, viewer_can_see_exact=viewer_can_see_exact) for item in result.items
        ],
        "page": result.params.page,
        "per_page": result.params.per_page,
        "pages": result.pages,
        "total": result.total,
        "filters": dict(result.params.filters),
        "sort": ("-" if result.params.descending else "") + result.params.sort,
    }


def parse_date(field: str, value: str | None, *, default: date | None = None) -> date:
    if value in (None, ""):
        if default is None:
            raise ValidationError(field, "Give a date as YYYY-MM-DD.")
        return default
    try:
        return validation.iso_date(str(value))
    except ValueError as exc:
        raise ValidationError(field, str(exc)) from exc


def parse_year(field: str, value: str | None, *, default: int) -> int:
    if value in (None, ""):
        return default
    try:
        year = int(str(value))
    except ValueError as exc:
        raise ValidationError(field, f"{value!r} is not a year; use YYYY.") from exc
    if not 1990 <= year <= 2100:
        raise ValidationError(field, "Give a year between 1990 and 2100.")
    return year


def coverage(session: Session, *, on: date) -> dict[str, Any]:
    return {
        "as_of": on.isoformat(),
        "summary": jsonable(network_coverage.coverage_summary(session, on=on)),
        "countries": jsonable(network_coverage.coverage_as_of(session, on=on)),
    }


def _money(total: Any) -> dict[str, Any]:
    return jsonable(total)  # type: ignore[no-any-return]


def funding_summary(session: Session, *, year: int, today: date) -> dict[str, Any]:
    """Pledged and received in EUR for ``year`` up to ``today``, each row at its own date's rate."""
    start, end = date(year, 1, 1), min(date(year, 12, 31), today)
    pledged = funding_amounts.pledged_total(session, start=start, end=end, currency="EUR")
    received = funding_amounts.received_total(session, start=start, end=end, currency="EUR")
    outstanding = funding_amounts.outstanding_total(
        session, start=start, end=end, on=end, currency="EUR"
    )
    return {
        "year": year,
        "currency": "EUR",
        "rates": rate_info.ROW_DATES,
        "pledged": _money(pledged),
        "received": _money(received),
        "outstanding": _money(outstanding),
        "rates_note": rate_info.merge("EUR", (pledged.rates, received.rates)).note,
    }


def training_summary(
    session: Session,
    *,
    first_year: int,
    last_year: int,
    viewer_can_see_exact: bool,
    today: date | None = None,
) -> dict[str, Any]:
    if last_year < first_year:
        raise ValidationError("to_year", "The last year cannot be before the first year.")
    figures = training_report.training_figures(
        session, first_year=first_year, last_year=last_year, until=today or date.today()
    )
    figures = disclosed.training(figures, viewer_can_see_exact=viewer_can_see_exact)
    return {"first_year": first_year, "last_year": last_year, "figures": jsonable(figures)}


def instalments(session: Session, *, commitment_id: int, today: date) -> dict[str, Any]:
    """A commitment's instalment schedule, each instalment with what covers it and its state
    (``obligations.MATCHING_RULE``, given with it)."""
    commitment = funding_commitments.get_commitment(session, commitment_id)
    lines = obligations.instalment_lines(session, commitment=commitment, today=today)
    return {
        "commitment_id": commitment.id,
        "currency_code": commitment.currency_code,
        "pledged": jsonable(commitment.amount),
        "as_of": today.isoformat(),
        "matching_rule": obligations.MATCHING_RULE,
        "instalments": [
            {
                "expected_on": line.expected_on.isoformat(),
                "amount": str(line.amount),
                "received": str(line.covered),
                "state": str(line.state),
            }
            for line in lines
        ],
    }
