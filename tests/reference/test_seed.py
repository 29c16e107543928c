"""Reference data from pycountry, country_converter (UN M49) and Babel; re-seeding is clean."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.reference.models import Country, Currency, MetricDefinition, MetricUnit, Pillar
from coordapp.reference.service import list_regions, seed_reference_data


def test_all_iso_countries_plus_kosovo_with_m49_regions(session: Session) -> None:
    assert session.scalar(sa.select(sa.func.count()).select_from(Country)) == 250
    germany = session.get_one(Country, "DE")
    assert (germany.alpha3, germany.numeric, germany.region, germany.sub_region) == (
        "DEU",
        "276",
        "Europe",
        "Western Europe",
    )
    kosovo = session.get_one(Country, "XK")
    assert (kosovo.name, kosovo.region) == ("Kosovo", "Europe")
    assert session.get_one(Country, "BR").region == "Americas"
    assert session.get_one(Country, "MT").sub_region == "Southern Europe"
    assert set(list_regions(session)) >= {"Africa", "Americas", "Asia", "Europe", "Oceania"}


def test_currencies_carry_their_minor_units(session: Session) -> None:
    units = {c.code: c.minor_units for c in session.scalars(sa.select(Currency))}
    assert (units["EUR"], units["USD"], units["GBP"], units["JPY"], units["KWD"]) == (2, 2, 2, 0, 3)


def test_the_four_pillars_and_versioned_metrics(session: Session) -> None:
    names = session.scalars(sa.select(Pillar.name).order_by(Pillar.sort_order)).all()
    assert names == [
        "Capacity Building",
        "Technology & Innovation",
        "Network Expansion",
        "Strategic Communications",
    ]
    metrics = session.execute(
        sa.select(MetricDefinition.code, MetricDefinition.version, MetricDefinition.unit)
    ).all()
    assert sorted(metrics) == [
        ("median_days_to_removal", 1, MetricUnit.DAYS),
        ("removed_within_3_days_pct", 1, MetricUnit.PERCENT),
        ("reports_assessed_csam", 1, MetricUnit.COUNT),
        ("reports_assessed_csam", 2, MetricUnit.URLS),
        ("reports_forwarded", 1, MetricUnit.COUNT),
        ("reports_forwarded", 2, MetricUnit.URLS),
        ("reports_received", 1, MetricUnit.COUNT),
        ("reports_received", 2, MetricUnit.URLS),
    ]
    received = session.scalars(
        sa.select(MetricDefinition)
        .where(MetricDefinition.code == "reports_received")
        .order_by(MetricDefinition.version)
    ).all()
    # Reports until 2019, content URLs from 2020: one version per quarter, no gap.
    assert [(m.name, m.valid_from, m.valid_until) for m in received] == [
        ("Reports received", date(1999, 1, 1), date(2019, 12, 31)),
        ("Content URLs exchanged", date(2020, 1, 1), None),
    ]


def test_reseeding_changes_nothing(session: Session) -> None:
    before = session.scalar(sa.select(sa.func.count()).select_from(Country))
    assert seed_reference_data(session).total == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(Country)) == before


def test_reseeding_repairs_a_changed_row(session: Session) -> None:
    session.get_one(Country, "FR").name = "Frankreich"
    session.flush()
    assert seed_reference_data(session).countries == 1
    assert session.get_one(Country, "FR").name == "France"
