"""Every headline figure is the same on every surface: generated networks, both backends."""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.cache import clear_caches
from coordapp.figures import FIGURES, family
from coordapp.figures.check import check
from coordapp.funding.models import CommitmentStatus
from coordapp.network.models import MembershipStatus
from coordapp.partners.models import PartnershipStatus
from coordapp.pillars.models import PillarIndicator
from tests import factories
from tests._demo import load_demo_cached
from tests.reporting import builders

InApp = Callable[[], AbstractContextManager[Session]]
TODAY = date.today()
TERRITORIES = ["GL", "FO", "CX", "NF"]  # Christmas Island and Norfolk: Australia has no hotline
PILLARS = [
    "capacity_building",
    "technology_innovation",
    "network_expansion",
    "strategic_communications",
]


def _day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max((last - first).days, 0)))


def generate_network(s: Session, seed: int) -> None:
    """A small network with the hard cases: cross currencies (GBP pledges shown in EUR through
    their own dates' rates), a currency without a rate, agreements past their end date, boundary
    dates (today, 31 December), hotlines joining and leaving on one day, trainings planned later
    this year."""
    rng = random.Random(seed)
    year_start = date(TODAY.year - 1, 1, 1)
    for currency, base in (("USD", 1.1), ("GBP", 0.85)):
        for month in range(0, 24, rng.choice((1, 3))):
            on = date(year_start.year + month // 12, month % 12 + 1, 1)
            if on <= TODAY:
                value = f"{base + rng.uniform(-0.05, 0.05):.4f}"
                factories.rate(s, base="EUR", quote=currency, on=on, value=value)
    codes = ["DE", "FR", "NL", "BE", "IT", "ES", "PL", "KE", "GH", "BR"]
    hotlines = []
    for index in range(rng.randint(3, 7)):
        joined = _day(rng, date(2000, 1, 1), TODAY)
        events = [(joined, MembershipStatus.PROVISIONAL)]
        if rng.random() < 0.5:
            events.append((_day(rng, joined, TODAY), MembershipStatus.FULL))
        if rng.random() < 0.2:
            events.append((events[-1][0], MembershipStatus.WITHDRAWN))  # leaves the same day
        hotline = factories.hotline(
            s,
            name=f"Hotline {seed}-{index}",
            country=codes[index],
            covers=rng.sample(codes + TERRITORIES, rng.randint(1, 4)),
            events=events,
        )
        hotlines.append(hotline)
    for index in range(rng.randint(2, 6)):
        start = _day(rng, date(2015, 1, 1), TODAY)
        end = rng.choice([None, TODAY, TODAY - timedelta(days=3), start + timedelta(days=400)])
        factories.partnership(
            s,
            title=f"Agreement {seed}-{index}",
            status=PartnershipStatus.ACTIVE,
            start_date=start,
            end_date=end if end is None or end >= start else None,
        )
    for _ in range(rng.randint(2, 6)):
        currency = rng.choice(["EUR", "USD", "GBP", "JPY"])
        pledged_on = _day(rng, year_start, TODAY)
        pledge = factories.commitment(
            s,
            amount=f"{rng.randint(100, 90000)}.{rng.randint(0, 99):02d}"
            if currency != "JPY"
            else str(rng.randint(1000, 900000)),
            currency=currency,
            pledged_on=pledged_on,
            status=rng.choice([CommitmentStatus.PLEDGED, CommitmentStatus.CONFIRMED]),
        )
        if rng.random() < 0.8:  # some pledges are not allocated to pillars yet
            first, second = rng.sample(PILLARS, 2)
            share = (pledge.amount * Decimal(rng.randint(1, 99)) / 100).quantize(
                Decimal(1) if currency == "JPY" else Decimal("0.01")
            )
            builders.allocate(
                s, pledge, [(first, str(share)), (second, str(pledge.amount - share))]
            )
        for _ in range(rng.randint(0, 3)):
            paid_in = rng.choice([currency, "EUR"])
            factories.receipt(
                s,
                commitment=pledge,
                amount=f"{rng.randint(10, 5000)}" + (".50" if paid_in != "JPY" else ""),
                currency=paid_in,
                on=_day(rng, pledged_on, TODAY),
            )
    # Boundary dates: a pledge on 1 January paid on 31 December of last year's end and today; a
    # training today (held) and tomorrow (planned: not yet counted, unless tomorrow is next year).
    boundary = factories.commitment(
        s, amount="1000.00", currency="GBP", pledged_on=date(TODAY.year, 1, 1)
    )
    builders.allocate(s, boundary, [("capacity_building", "1000.00")])
    factories.receipt(s, commitment=boundary, amount="250.00", currency="GBP", on=TODAY)
    factories.receipt(
        s, commitment=boundary, amount="10.00", currency="USD", on=date(TODAY.year - 1, 12, 31)
    )
    for day in (TODAY, TODAY + timedelta(days=1)):
        builders.training(s, on=day, hotlines=[(hotlines[0], 3, None)])
    for year in (TODAY.year - 1, TODAY.year):  # one target of every indicator, any pillar
        for indicator in PillarIndicator:
            builders.target(
                s,
                pillar_code=rng.choice(PILLARS),
                year=year,
                indicator=indicator,
                value=str(rng.randint(1, 20) * (1000 if indicator.unit == "EUR" else 1)),
            )
    for _ in range(rng.randint(1, 4)):
        builders.training(
            s,
            on=_day(rng, year_start, date(TODAY.year, 12, 31)),
            hotlines=[(h, rng.randint(1, 12), None) for h in rng.sample(hotlines, 2)],
        )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_figure_is_the_same_on_every_surface(
    app: Flask, in_app: InApp, signed_in: Callable[[str], FlaskClient], seed: int
) -> None:
    with in_app() as s:
        generate_network(s, seed)
    clear_caches()
    # The check compares exact figures: a manager's (a viewer sees small counts hidden).
    client = signed_in("manager")
    for year in (TODAY.year, TODAY.year - 1):
        with in_app() as s:
            result = check(app, s, client, year=year, today=TODAY)
        assert result.differences() == [], result.table()
        shown = {family(k) for values in result.surfaces.values() for k in values}
        if year == TODAY.year:  # every figure is shown somewhere today
            assert shown == {f.key for f in FIGURES}, shown
        assert "board pack xlsx" in result.surfaces and "api" in result.surfaces


def test_the_check_reports_a_surface_that_disagrees(
    app: Flask, in_app: InApp, signed_in: Callable[[str], FlaskClient]
) -> None:
    with in_app() as s:
        generate_network(s, 4)
    client = signed_in("manager")
    with in_app() as s:
        result = check(
            app,
            s,
            client,
            year=TODAY.year,
            today=TODAY,
            extra={"a page that adds one": lambda: {"trainings": Decimal(10**6)}},
        )
    (difference,) = result.differences()
    assert (difference.figure, difference.surface) == ("trainings", "a page that adds one")
    assert any(cell.endswith(" ≠") for row in result.table() for cell in row)


def test_flask_figures_check_passes_on_the_demo_network(
    app: Flask, in_app: InApp, users: dict[str, str]
) -> None:
    with in_app() as s:
        load_demo_cached(s, today=TODAY)
    clear_caches()
    for args in (["figures", "check"], ["figures", "check", "--year", str(TODAY.year - 1)]):
        result = app.test_cli_runner().invoke(args=args)
        assert result.exit_code == 0, result.output
        assert "Every surface shows the definition's value." in result.output
        assert "board pack xlsx" in result.output and "countries_covered" in result.output
    refused = app.test_cli_runner().invoke(args=["figures", "check", "--year", "1850"])
    assert refused.exit_code != 0 and "give a year from 1999" in refused.output
