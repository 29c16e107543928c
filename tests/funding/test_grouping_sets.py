"""Several groupings converted in one statement give what separate conversions give: the same
totals to the cent and the same rates, each group rounded on its own."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.funding import conversion
from coordapp.funding.models import FundingCommitment
from coordapp.partners.models import Organization, OrganizationKind
from tests import factories

GROUPINGS = [["year"], ["funder", "kind"], ["kind"]]


def _amounts(part: str) -> sa.Select:
    return (
        sa.select(
            sa.literal(part).label("part"),
            sa.cast(sa.extract("year", FundingCommitment.pledged_on), sa.Integer).label("year"),
            Organization.name.label("funder"),
            Organization.kind.label("kind"),
            FundingCommitment.currency_code,
            FundingCommitment.amount,
            FundingCommitment.pledged_on.label("dated"),
        )
        .join(Organization, Organization.id == FundingCommitment.funder_id)
        .where(FundingCommitment.currency_code != ("EUR" if part == "not_eur" else ""))
    )


@pytest.mark.parametrize("currency", ["EUR", "USD"])
@pytest.mark.parametrize("constant_on", [None, date(2023, 6, 30)])
def test_one_statement_converts_each_grouping_as_its_own_conversion(
    session: Session, currency: str, constant_on: date | None
) -> None:
    for on, usd, gbp in ((date(2022, 1, 1), "1.1", "0.85"), (date(2023, 3, 1), "1.07", "0.87")):
        factories.rate(session, base="EUR", quote="USD", on=on, value=usd)
        factories.rate(session, base="GBP", quote="EUR", on=on, value=str(1 / float(gbp))[:8])
    ngo = factories.organization(session, name="NGO A", kind=OrganizationKind.NGO)
    foundation = factories.organization(session, name="Foundation B")
    government = factories.organization(
        session, name="Ministry C", kind=OrganizationKind.GOVERNMENT
    )
    for funder, amount, code, on in (
        (ngo, "1000.01", "EUR", date(2022, 2, 3)),
        (ngo, "333.33", "USD", date(2022, 2, 3)),
        (ngo, "0.05", "GBP", date(2023, 3, 2)),
        (foundation, "12345.67", "GBP", date(2022, 12, 31)),
        (foundation, "100", "USD", date(2023, 3, 1)),
        (foundation, "77.77", "CHF", date(2023, 4, 1)),  # no CHF rate: left out and named
        (government, "2.5", "USD", date(2021, 12, 31)),  # before the first rate: left out
        (government, "999999.99", "EUR", date(2023, 12, 1)),
    ):
        factories.commitment(session, funder=funder, amount=amount, currency=code, pledged_on=on)

    amounts = sa.union_all(_amounts("all"), _amounts("not_eur"))
    together = conversion.convert_grouping_sets(
        session,
        amounts=sa.select(amounts.subquery()),
        part="part",
        groupings=[(keys, ("all", "not_eur")) for keys in GROUPINGS],
        currency=currency,
        constant_on=constant_on,
    )
    for index, keys in enumerate(GROUPINGS):
        for part in ("all", "not_eur"):
            alone = conversion.convert_grouped(
                session,
                amounts=_amounts(part),
                keys=keys,
                currency=currency,
                constant_on=constant_on,
            )
            assert together[(index, part)] == alone, (keys, part)
    assert together[(0, "all")][1].left_out  # the CHF and the too-early USD are named
