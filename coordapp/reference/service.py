"""Reference data from maintained libraries, and look-ups over it.

Countries: ISO 3166-1 from pycountry, plus Kosovo (XK, user-assigned but in common use);
UN M49 region and sub-region, and UN membership (which makes a country a sovereign state here,
apart from dependent territories), from country_converter's table. Currencies: ISO 4217 codes from
pycountry, minor units from Babel (CLDR). Pillars and metric definitions are the network's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import pycountry
import sqlalchemy as sa
from babel.numbers import get_currency_precision
from sqlalchemy.orm import Session

from coordapp import batching
from coordapp.audit import service as audit
from coordapp.batching import Batch
from coordapp.db import distinct_values
from coordapp.errors import ValidationError
from coordapp.reference.models import Country, Currency, MetricDefinition, MetricUnit, Pillar

PILLARS = (
    (
        "capacity_building",
        "Capacity Building",
        "Training, exchange and quality standards that make every member hotline stronger.",
    ),
    (
        "technology_innovation",
        "Technology & Innovation",
        "Shared tools, classification and data exchange between hotlines and partners.",
    ),
    (
        "network_expansion",
        "Network Expansion",
        "New hotlines in countries without coverage, from scoping to membership.",
    ),
    (
        "strategic_communications",
        "Strategic Communications",
        "Public awareness, policy engagement and the network's voice with partners.",
    ),
)

FIRST_DAY = date(1999, 1, 1)  # the network's founding year
UNIT_CHANGE = date(2020, 1, 1)  # from 2020 hotlines count content URLs rather than reports
UNTIL_CHANGE = date(2019, 12, 31)

# Per metric code, its versions: (name, unit, definition, valid from, valid until).
METRICS: tuple[tuple[str, tuple[tuple[str, MetricUnit, str, date, date | None], ...]], ...] = (
    (
        "reports_received",
        (
            (
                "Reports received",
                MetricUnit.COUNT,
                "Reports received by the hotline from the public or partners in the period.",
                FIRST_DAY,
                UNTIL_CHANGE,
            ),
            (
                "Content URLs exchanged",
                MetricUnit.URLS,
                "Distinct content URLs the hotline received in reports or exchanged with other "
                "member hotlines in the period (one report may name many URLs).",
                UNIT_CHANGE,
                None,
            ),
        ),
    ),
    (
        "reports_assessed_csam",
        (
            (
                "Reports assessed as CSAM",
                MetricUnit.COUNT,
                "Received reports that the hotline's analysts assessed as child sexual abuse "
                "material.",
                FIRST_DAY,
                UNTIL_CHANGE,
            ),
            (
                "Content URLs assessed as illegal",
                MetricUnit.URLS,
                "Exchanged content URLs the hotline's analysts assessed as illegal child sexual "
                "abuse material under the law of the hosting country.",
                UNIT_CHANGE,
                None,
            ),
        ),
    ),
    (
        "reports_forwarded",
        (
            (
                "Reports forwarded",
                MetricUnit.COUNT,
                "Assessed reports forwarded to another member hotline or to law enforcement.",
                FIRST_DAY,
                UNTIL_CHANGE,
            ),
            (
                "Content URLs forwarded to law enforcement",
                MetricUnit.URLS,
                "Content URLs assessed as illegal that the hotline forwarded to law enforcement.",
                UNIT_CHANGE,
                None,
            ),
        ),
    ),
    (
        "removed_within_3_days_pct",
        (
            (
                "Share removed within 3 days",
                MetricUnit.PERCENT,
                "Percentage of forwarded reports (from 2020: content URLs) whose content was "
                "removed within 3 working days.",
                FIRST_DAY,
                None,
            ),
        ),
    ),
    (
        "median_days_to_removal",
        (
            (
                "Median days to removal",
                MetricUnit.DAYS,
                "Median number of days from the notice to the hosting provider to the removal "
                "of the content, over the content URLs removed in the period.",
                UNIT_CHANGE,
                None,
            ),
        ),
    ),
)

# The codes of the metrics seeded (the quarterly figures every hotline reports), in order.
METRIC_CODES = tuple(code for code, _versions in METRICS)


@dataclass(frozen=True, slots=True)
class SeedResult:
    countries: int
    currencies: int
    pillars: int
    metrics: int

    @property
    def total(self) -> int:
        return self.countries + self.currencies + self.pillars + self.metrics


# Sovereign states that are not UN members, which country_converter's ``UNmember`` column
# leaves out: the UN's two observer states (Holy See, Palestine) and Kosovo.
NON_MEMBER_STATES = frozenset({"VA", "PS", "XK"})


@lru_cache(maxsize=1)
def sovereign_alpha2() -> frozenset[str]:
    """ISO alpha-2 codes of the sovereign states: UN members (country_converter's table, read
    when seeding, never typed here) plus ``NON_MEMBER_STATES``. Everything else in ISO 3166-1
    (Greenland, Christmas Island, Puerto Rico …) is a dependent territory."""
    import country_converter  # imported late: it loads pandas

    data = country_converter.CountryConverter().data
    # By alpha-3: the table's ISO2 column holds regular expressions for a few (^GB$|^UK$).
    members = {str(code) for code in data.loc[data["UNmember"].notna(), "ISO3"]}
    alpha2 = {c.alpha_2 for c in pycountry.countries if c.alpha_3 in members}
    return frozenset(alpha2) | NON_MEMBER_STATES


@lru_cache(maxsize=1)
def _m49_by_alpha3() -> dict[str, tuple[str | None, str | None]]:
    import country_converter  # imported late: it loads pandas

    data = country_converter.CountryConverter().data
    regions: dict[str, tuple[str | None, str | None]] = {}
    for alpha3, continent, sub_region in zip(
        data["ISO3"], data["continent"], data["UNregion"], strict=True
    ):
        # M49 names the region "Americas"; country_converter says "America".
        region = "Americas" if continent == "America" else continent
        regions[str(alpha3)] = (
            region if isinstance(region, str) else None,
            sub_region if isinstance(sub_region, str) else None,
        )
    return regions


def country_rows() -> list[dict[str, Any]]:
    """All ISO 3166-1 countries plus Kosovo, with UN M49 region and sub-region and whether each
    is a sovereign state."""
    regions = _m49_by_alpha3()
    sovereign = sovereign_alpha2()
    rows = []
    for c in pycountry.countries:
        region, sub_region = regions.get(c.alpha_3, (None, None))
        rows.append(
            {
                "alpha2": c.alpha_2,
                "alpha3": c.alpha_3,
                "numeric": c.numeric,
                "name": getattr(c, "common_name", None) or c.name,
                "official_name": getattr(c, "official_name", None),
                "region": region,
                "sub_region": sub_region,
                "is_sovereign": c.alpha_2 in sovereign,
            }
        )
    region, sub_region = regions.get("XKX", ("Europe", "Southern Europe"))
    rows.append(
        {
            "alpha2": "XK",
            "alpha3": "XKX",
            "numeric": None,
            "name": "Kosovo",
            "official_name": "Republic of Kosovo",
            "region": region,
            "sub_region": sub_region,
            "is_sovereign": "XK" in sovereign,
        }
    )
    return rows


def currency_rows() -> list[dict[str, Any]]:
    """ISO 4217 currencies with their minor units."""
    return [
        {"code": c.alpha_3, "name": c.name, "minor_units": get_currency_precision(c.alpha_3)}
        for c in pycountry.currencies
    ]


def _upsert(session: Session, model: Any, key: str, rows: list[dict[str, Any]]) -> int:
    """Insert missing rows and correct changed ones; return how many rows were written."""
    existing = {getattr(obj, key): obj for obj in session.scalars(sa.select(model))}
    written = 0
    for row in rows:
        obj = existing.get(row[key])
        if obj is None:
            session.add(model(**row))
            written += 1
            continue
        changed = False
        for field, value in row.items():
            if getattr(obj, field) != value:
                setattr(obj, field, value)
                changed = True
        written += changed
    return written


def seed_reference_data(session: Session) -> SeedResult:
    """Seed countries, currencies, pillars and metric definitions. Re-running changes nothing."""
    with audit.bulk_load(session):
        result = SeedResult(
            countries=_upsert(session, Country, "alpha2", country_rows()),
            currencies=_upsert(session, Currency, "code", currency_rows()),
            pillars=_upsert(
                session,
                Pillar,
                "code",
                [
                    {"code": code, "name": name, "description": text, "sort_order": i}
                    for i, (code, name, text) in enumerate(PILLARS)
                ],
            ),
            metrics=_seed_metrics(session),
        )
        session.flush()
    if result.total:
        audit.record(
            session,
            action="seed",
            entity_type="reference_data",
            summary=(
                f"countries {result.countries}, currencies {result.currencies}, "
                f"pillars {result.pillars}, metrics {result.metrics} written"
            ),
        )
    return result


def _seed_metrics(session: Session) -> int:
    """Every version of a metric the network counts, when the metric (its code) is not there
    yet. After that the admins own it: changes are made in the app as versions
    (``coordapp.stats.metrics``), never overwritten by a re-seed."""
    present = set(session.scalars(sa.select(MetricDefinition.code).distinct()))
    written = 0
    for order, (code, versions) in enumerate(METRICS):
        if code in present:
            continue
        for number, (name, unit, text, valid_from, valid_until) in enumerate(versions, start=1):
            session.add(
                MetricDefinition(
                    code=code,
                    version=number,
                    name=name,
                    definition=text,
                    unit=unit,
                    valid_from=valid_from,
                    valid_until=valid_until,
                    sort_order=order,
                )
            )
            written += 1
    return written


def list_countries(session: Session) -> list[Country]:
    return list(session.scalars(sa.select(Country).order_by(Country.name)))


def list_regions(session: Session) -> list[str]:
    return distinct_values(session, Country.region, Country.region.is_not(None))


def list_pillars(session: Session, *, batch: Batch | None = None) -> list[Pillar]:
    # Asked once per row of a commitments file: once per file is enough (``batch``).
    pillars = batching.remembered(
        batch,
        "pillars",
        "all",
        lambda: list(session.scalars(sa.select(Pillar).order_by(Pillar.sort_order))),
    )
    return list(pillars or [])


def get_currency(session: Session, code: str, *, batch: Batch | None = None) -> Currency | None:
    # Asked per row of an import: remembered for the file (``batch``) beats even the
    # identity map's ``session.get``.
    key = code.upper()
    return batching.remembered(batch, "currency", key, lambda: session.get(Currency, key))


def get_country(session: Session, code: str, *, batch: Batch | None = None) -> Country | None:
    """The country of an ISO alpha-2 code (upper case), remembered like ``get_currency``."""
    return batching.remembered(batch, "country", code, lambda: session.get(Country, code))


def country_choices(session: Session) -> list[tuple[str, str]]:
    return [
        (code, name)
        for code, name in session.execute(
            sa.select(Country.alpha2, Country.name).order_by(Country.name)
        )
    ]


def region_choices(session: Session) -> list[tuple[str, str]]:
    return [(r, r) for r in list_regions(session)]


def currency_choices(session: Session) -> list[tuple[str, str]]:
    return [
        (code, f"{code} · {name}")
        for code, name in session.execute(
            sa.select(Currency.code, Currency.name).order_by(Currency.code)
        )
    ]


def pillar_choices(session: Session) -> list[tuple[str, str]]:
    return [(str(p.id), p.name) for p in list_pillars(session)]


def require_country(
    session: Session,
    field: str,
    code: str | None,
    *,
    required: bool = False,
    batch: Batch | None = None,
) -> str | None:
    """An ISO 3166-1 alpha-2 code that exists in the reference table, upper-cased."""
    if not code or not code.strip():
        if required:
            raise ValidationError(field, "Choose a country.")
        return None
    value = code.strip().upper()
    if get_country(session, value, batch=batch) is None:
        raise ValidationError(field, f"{code!r} is not a known ISO 3166-1 country code.")
    return value


def require_currency(
    session: Session, field: str, code: str | None, *, batch: Batch | None = None
) -> Currency:
    currency = get_currency(session, code, batch=batch) if code and code.strip() else None
    if currency is None:
        raise ValidationError(field, f"{code!r} is not a known ISO 4217 currency code.")
    return currency


@dataclass(frozen=True, slots=True)
class ReferenceOverview:
    countries: int
    countries_by_region: list[tuple[str, int]]
    currencies: int
    pillars: list[Pillar]
    metrics: list[MetricDefinition]


def reference_overview(session: Session) -> ReferenceOverview:
    """What the reference tables hold, for the admins' page."""
    return ReferenceOverview(
        countries=session.scalar(sa.select(sa.func.count()).select_from(Country)) or 0,
        countries_by_region=[
            (region or "—", count)
            for region, count in session.execute(
                sa.select(Country.region, sa.func.count())
                .group_by(Country.region)
                .order_by(Country.region)
            )
        ],
        currencies=session.scalar(sa.select(sa.func.count()).select_from(Currency)) or 0,
        pillars=list_pillars(session),
        metrics=list(
            session.scalars(
                sa.select(MetricDefinition).order_by(
                    MetricDefinition.sort_order, MetricDefinition.version
                )
            )
        ),
    )
