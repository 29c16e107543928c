"""Funding pages: every route for every role, the pledge form, the commitment page's figures,
status changes, receipts, and loading a rates file."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.funding import commitments as funding_commitments
from coordapp.funding import receipts as funding_receipts
from coordapp.funding.models import (
    CommitmentStatus,
    ExchangeRate,
    FundingCommitment,
    FundingReceipt,
)
from coordapp.partners.models import Partnership, PartnershipType
from coordapp.reference.models import Pillar
from tests import factories

InApp = Callable[[], AbstractContextManager[Session]]
SignedIn = Callable[[str], FlaskClient]
TODAY = date.today()
LAST_YEAR = TODAY.year - 1


@dataclass(frozen=True)
class Ids:
    funder: int
    commitment: int
    receipt: int
    rate: int
    pillars: list[int]


def arrange(in_app: InApp) -> Ids:
    with in_app() as s:
        pillars = list(s.scalars(sa.select(Pillar.id).order_by(Pillar.sort_order)))
        funder = factories.organization(s, name="Brightpath Foundation")
        commitment = funding_commitments.create_commitment(
            s,
            data={
                "title": "Core grant",
                "funder": funder.name,
                "currency_code": "USD",
                "amount": "100000.00",
                "pledged_on": date(LAST_YEAR, 3, 1),
                "period_start": date(LAST_YEAR, 4, 1),
                "period_end": date(LAST_YEAR + 2, 3, 31),
                "allocation_mode": "amount",
                "allocations": {str(pillars[0]): "60000.00", str(pillars[1]): "40000.00"},
            },
        )
        receipt = funding_receipts.create_receipt(
            s,
            data={
                "commitment_id": commitment.id,
                "received_on": date(LAST_YEAR, 5, 2),
                "amount": "30000.00",
                "reference": "TRF-1",
            },
        )
        rate = factories.rate(s, base="EUR", quote="USD", on=date(LAST_YEAR, 1, 2), value="1.0850")
        return Ids(funder.id, commitment.id, receipt.id, rate.id, pillars)


def form(ids: Ids, **changes: str) -> dict[str, str]:
    data = {
        "title": "Bridge grant",
        "funder": "Brightpath Foundation",
        "partnership_id": "",
        "currency_code": "USD",
        "amount": "100.00",
        "pledged_on": f"{LAST_YEAR}-06-01",
        "period_start": f"{LAST_YEAR}-07-01",
        "period_end": f"{LAST_YEAR + 1}-06-30",
        "allocation_mode": "percent",
        f"allocations-{ids.pillars[0]}": "33.33",
        f"allocations-{ids.pillars[1]}": "33.33",
        f"allocations-{ids.pillars[2]}": "33.33",
        "notes": "",
    }
    data.update(changes)
    return data


# --- every route x every role ----------------------------------------------------------------


def reads(ids: Ids) -> list[str]:
    return [
        "/commitments/",
        "/commitments/?format=csv",
        f"/commitments/{ids.commitment}",
        "/receipts/",
        "/receipts/?format=csv",
        f"/receipts/{ids.receipt}",
        "/exchange-rates/",
        "/exchange-rates/?format=csv",
        f"/exchange-rates/{ids.rate}",
        "/commitments/partnerships-of-funder?funder=Brightpath%20Foundation",
    ]


def write_pages(ids: Ids) -> list[str]:
    return [
        "/commitments/new",
        f"/commitments/{ids.commitment}/edit",
        "/receipts/new",
        f"/receipts/{ids.receipt}/edit",
        "/exchange-rates/new",
        f"/exchange-rates/{ids.rate}/edit",
        "/exchange-rates/upload",
    ]


def posts(ids: Ids) -> list[tuple[str, dict[str, str]]]:
    return [
        ("/commitments/new", form(ids)),
        (f"/commitments/{ids.commitment}/edit", form(ids)),
        (f"/commitments/{ids.commitment}/archive", {}),
        (f"/commitments/{ids.commitment}/restore", {}),
        (
            f"/commitments/{ids.commitment}/status",
            {"status": "confirmed", "on": TODAY.isoformat(), "note": ""},
        ),
        ("/receipts/new", {"commitment_id": str(ids.commitment), "amount": "1"}),
        (f"/receipts/{ids.receipt}/edit", {"commitment_id": str(ids.commitment)}),
        (f"/receipts/{ids.receipt}/archive", {}),
        (f"/receipts/{ids.receipt}/restore", {}),
        ("/exchange-rates/new", {"base_code": "EUR", "quote_code": "GBP", "rate": "0.86"}),
        (f"/exchange-rates/{ids.rate}/edit", {"rate": "1.09"}),
        ("/exchange-rates/upload", {}),
    ]


def test_anonymous_users_are_sent_to_sign_in(client: FlaskClient, in_app: InApp) -> None:
    ids = arrange(in_app)
    for path in reads(ids) + write_pages(ids):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/auth/sign-in" in response.headers["Location"], path
    for path, data in posts(ids):
        assert client.post(path, data=data).status_code == 302, path
    with in_app() as s:
        assert s.get_one(FundingCommitment, ids.commitment).status == CommitmentStatus.PLEDGED


def test_viewers_read_everything_and_write_nothing(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    client = signed_in("viewer")
    for path in reads(ids):
        assert client.get(path).status_code == 200, path
    for path in write_pages(ids):
        assert client.get(path).status_code == 403, path
    for path, data in posts(ids):
        assert client.post(path, data=data).status_code == 403, path
    page = client.get(f"/commitments/{ids.commitment}").data
    for control in (b">Edit<", b"Archive", b"Record receipt", b"Change status"):
        assert control not in page
    assert b"New commitment" not in client.get("/commitments/").data
    with in_app() as s:
        commitment = s.get_one(FundingCommitment, ids.commitment)
        assert (commitment.status, commitment.archived_at) == (CommitmentStatus.PLEDGED, None)
        assert s.scalar(sa.select(sa.func.count(ExchangeRate.id))) == 1


@pytest.mark.parametrize("role", ["manager", "admin"])
def test_managers_and_admins_use_every_page(signed_in: SignedIn, in_app: InApp, role: str) -> None:
    ids = arrange(in_app)
    client = signed_in(role)
    for path in reads(ids) + write_pages(ids):
        assert client.get(path).status_code == 200, path
    page = client.get(f"/commitments/{ids.commitment}").data
    for control in (b">Edit<", b"Archive", b"Record receipt", b"Change status"):
        assert control in page
    expected = {
        "/commitments/new": 302,
        f"/commitments/{ids.commitment}/edit": 302,
        f"/commitments/{ids.commitment}/archive": 302,
        f"/commitments/{ids.commitment}/restore": 302,
        f"/commitments/{ids.commitment}/status": 302,
        # Incomplete forms come back with messages, not errors.
        "/receipts/new": 422,
        f"/receipts/{ids.receipt}/edit": 422,
        f"/receipts/{ids.receipt}/archive": 302,
        f"/receipts/{ids.receipt}/restore": 302,
        "/exchange-rates/new": 422,
        f"/exchange-rates/{ids.rate}/edit": 422,
        "/exchange-rates/upload": 422,
    }
    for path, data in posts(ids):
        assert client.post(path, data=data).status_code == expected[path], path


def test_unknown_records_are_404(signed_in: SignedIn, in_app: InApp) -> None:
    arrange(in_app)
    client = signed_in("manager")
    for path in (
        "/commitments/999999",
        "/commitments/999999/edit",
        "/receipts/999999",
        "/exchange-rates/999999",
        "/commitments/abc",
    ):
        assert client.get(path).status_code == 404, path
    response = client.post("/commitments/999999/status", data={"status": "confirmed"})
    assert response.status_code == 404


# --- commitments -----------------------------------------------------------------------------


def test_a_pledge_by_percentage_shows_amounts_and_shares(
    signed_in: SignedIn, in_app: InApp
) -> None:
    ids = arrange(in_app)
    client = signed_in("manager")
    response = client.post("/commitments/new", data=form(ids))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).data.decode()
    assert "USD 33.34" in page and page.count("USD 33.33") == 2
    assert "33.34%" in page and "33.33%" in page
    with in_app() as s:
        commitment = s.scalars(
            sa.select(FundingCommitment).where(FundingCommitment.title == "Bridge grant")
        ).one()
        assert sum(a.amount for a in commitment.allocations) == Decimal("100.00")
        assert [e.status for e in commitment.status_events] == [CommitmentStatus.PLEDGED]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"amount": "abc"}, "&#39;abc&#39; is not a number; write e.g. 1234.56."),
        ({"amount": "-100"}, "more than zero"),
        ({"amount": "100.001"}, "2 decimal places"),
        ({"currency_code": "JPY"}, "0 decimal places"),
        ({"currency_code": "QQQ"}, "not a known ISO 4217"),
        ({"period_end": f"{LAST_YEAR}-01-01"}, "end date cannot be before the start"),
        ({"pledged_on": "not-a-date"}, "Not a valid date"),
        ({"funder": "Unknown Org"}, "No organization is named"),
        ({"allocation_mode": "amount"}, "add up to USD 99.99"),
        ("percent-50", "The percentages add up to"),
        ({"notes": "see www.example.org"}, "coordination data only"),
    ],
)
def test_bad_pledges_come_back_with_the_reason_and_the_input(
    signed_in: SignedIn, in_app: InApp, changes: dict[str, str] | str, message: str
) -> None:
    ids = arrange(in_app)
    data = form(ids)
    if changes == "percent-50":
        data[f"allocations-{ids.pillars[0]}"] = "50"
    else:
        assert isinstance(changes, dict)
        data.update(changes)
    response = signed_in("manager").post("/commitments/new", data=data)
    assert response.status_code == 422
    page = response.data.decode()
    assert message in page
    assert 'value="Bridge grant"' in page  # the input is kept
    assert (
        f'name="allocations-{ids.pillars[0]}" value="{data[f"allocations-{ids.pillars[0]}"]}"'
        in page
    )
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count(FundingCommitment.id))) == 1


def test_editing_shows_the_stored_amounts_and_saves_new_ones(
    signed_in: SignedIn, in_app: InApp
) -> None:
    ids = arrange(in_app)
    client = signed_in("manager")
    page = client.get(f"/commitments/{ids.commitment}/edit").data.decode()
    assert f'name="allocations-{ids.pillars[0]}" value="60000.00"' in page
    assert 'value="Brightpath Foundation"' in page
    with in_app() as s:
        version = s.get_one(FundingCommitment, ids.commitment).version
    data = form(
        ids,
        title="Core grant",
        amount="100000.00",
        allocation_mode="amount",
        version=str(version),
        **{
            f"allocations-{ids.pillars[0]}": "",
            f"allocations-{ids.pillars[1]}": "",
            f"allocations-{ids.pillars[2]}": "100000",
        },
    )
    assert client.post(f"/commitments/{ids.commitment}/edit", data=data).status_code == 302
    # The same form saved again against the old version is the conflict page.
    stale = client.post(f"/commitments/{ids.commitment}/edit", data=data)
    assert stale.status_code == 409
    with in_app() as s:
        commitment = s.get_one(FundingCommitment, ids.commitment)
        assert {a.pillar_id: a.amount for a in commitment.allocations} == {
            ids.pillars[2]: Decimal("100000")
        }


def test_the_partnership_select_follows_the_funder(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    with in_app() as s:
        partnership = Partnership(
            organization_id=ids.funder, title="Core agreement", type=PartnershipType.FUNDING
        )
        s.add(partnership)
        s.flush()
        partnership_id = partnership.id
    client = signed_in("manager")
    pairs = client.get("/commitments/partnerships-of-funder?funder=brightpath foundation").json
    assert pairs == [[str(partnership_id), "Core agreement (prospect)"]]
    assert client.get("/commitments/partnerships-of-funder?funder=nobody").json == []
    page = client.get(f"/commitments/new?funder_id={ids.funder}").data.decode()
    assert 'value="Brightpath Foundation"' in page
    response = client.post("/commitments/new", data=form(ids, partnership_id=str(partnership_id)))
    assert response.status_code == 302
    detail = client.get(response.headers["Location"]).data.decode()
    assert "Core agreement" in detail


def test_the_commitment_page_names_rates_and_their_dates(
    signed_in: SignedIn, in_app: InApp
) -> None:
    ids = arrange(in_app)
    page = signed_in("viewer").get(f"/commitments/{ids.commitment}").data.decode()
    pledged = (Decimal("100000.00") / Decimal("1.0850")).quantize(Decimal("0.01"))
    received = (Decimal("30000.00") / Decimal("1.0850")).quantize(Decimal("0.01"))
    rate = f"at 1 EUR = 1.0850 USD ({LAST_YEAR}-01-02)"
    assert f"≈ EUR {pledged:,.2f} {rate}" in page
    assert f"≈ EUR {received:,.2f} {rate}" in page
    assert "USD 30,000.00 of USD 100,000.00 (30.00%)" in page
    assert "USD 60,000.00" in page and "60.00%" in page
    assert "TRF-1" in page


def test_status_changes_from_the_page(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    client = signed_in("manager")
    refused = client.post(
        f"/commitments/{ids.commitment}/status",
        data={"status": "confirmed", "on": (TODAY + timedelta(days=3)).isoformat()},
    )
    assert refused.status_code == 422
    assert b"in the future" in refused.data
    response = client.post(
        f"/commitments/{ids.commitment}/status",
        data={"status": "confirmed", "on": f"{LAST_YEAR}-04-15", "note": "Agreement signed."},
    )
    assert response.status_code == 302
    page = client.get(f"/commitments/{ids.commitment}").data.decode()
    assert "Agreement signed." in page and f"{LAST_YEAR}-04-15" in page
    again = client.post(
        f"/commitments/{ids.commitment}/status",
        data={"status": "pledged", "on": TODAY.isoformat()},
    )
    assert again.status_code == 422 and b"cannot become" in again.data
    with in_app() as s:
        assert s.get_one(FundingCommitment, ids.commitment).status == CommitmentStatus.CONFIRMED


def test_commitment_list_filters_export_and_odd_queries(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    client = signed_in("viewer")
    for query in (
        "page=abc",
        "sort=;drop",
        "status=bogus",
        "year=abc",
        "pillar=x",
        "funder_kind=x",
        "per_page=7",
        "currency=%27",
    ):
        response = client.get(f"/commitments/?{query}")
        assert response.status_code == 200, query
        assert b"Core grant" in response.data, query
    assert b"Core grant" not in client.get("/commitments/?status=confirmed").data
    assert b"Core grant" in client.get(f"/commitments/?pillar={ids.pillars[1]}").data
    export = client.get("/commitments/?format=csv&currency=USD").data.decode("utf-8-sig")
    lines = list(csv.reader(io.StringIO(export)))
    rows = lines[lines.index([]) + 1 :]  # after the stamp
    header = rows[0]
    assert header[:4] == ["Title", "Funder", "Amount", "Currency"]
    assert rows[1][:4] == ["Core grant", "Brightpath Foundation", "100000.00", "USD"]
    empty = client.get("/commitments/?format=csv&status=confirmed").data.decode("utf-8-sig")
    assert "Core grant" not in empty


# --- receipts --------------------------------------------------------------------------------


def test_a_receipt_from_the_commitment_page_is_prefilled(
    signed_in: SignedIn, in_app: InApp
) -> None:
    ids = arrange(in_app)
    client = signed_in("manager")
    page = client.get(f"/commitments/{ids.commitment}").data.decode()
    assert f"/receipts/new?commitment_id={ids.commitment}" in page
    new = client.get(f"/receipts/new?commitment_id={ids.commitment}").data.decode()
    assert f'<option data-fill="USD" selected value="{ids.commitment}">' in new
    assert '<option selected value="USD">' in new
    response = client.post(
        "/receipts/new",
        data={
            "commitment_id": str(ids.commitment),
            "received_on": TODAY.isoformat(),
            "amount": "20,000.00",
            "currency_code": "USD",
            "reference": "TRF-2",
        },
    )
    assert response.status_code == 302
    detail = client.get(f"/commitments/{ids.commitment}").data.decode()
    assert "USD 50,000.00 of USD 100,000.00 (50.00%)" in detail


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"received_on": (TODAY + timedelta(days=1)).isoformat()}, "in the future"),
        ({"amount": "0"}, "more than zero"),
        ({"amount": "-5"}, "more than zero"),
        ({"amount": "1.5", "currency_code": "JPY"}, "0 decimal places"),
        ({"currency_code": "EURO"}, "not a known ISO 4217"),
        ({"commitment_id": "424242"}, "no commitment with id 424242"),
    ],
)
def test_bad_receipts_are_refused_with_a_message(
    signed_in: SignedIn, in_app: InApp, changes: dict[str, str], message: str
) -> None:
    ids = arrange(in_app)
    data = {
        "commitment_id": str(ids.commitment),
        "received_on": TODAY.isoformat(),
        "amount": "10.00",
        "currency_code": "USD",
        "reference": "",
    }
    data.update(changes)
    response = signed_in("manager").post("/receipts/new", data=data)
    assert response.status_code == 422
    assert message in response.data.decode()
    with in_app() as s:
        assert s.scalar(sa.select(sa.func.count(FundingReceipt.id))) == 1


def test_archived_receipts_leave_the_totals(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    client = signed_in("manager")
    assert client.post(f"/receipts/{ids.receipt}/archive").status_code == 302
    page = client.get(f"/commitments/{ids.commitment}").data.decode()
    assert "USD 0.00 of USD 100,000.00" in page
    assert "archived" in page
    assert b"TRF-1" not in client.get("/receipts/").data
    assert b"TRF-1" in client.get("/receipts/?archived=1").data
    assert client.post(f"/receipts/{ids.receipt}/restore").status_code == 302
    page = client.get(f"/commitments/{ids.commitment}").data.decode()
    assert "USD 30,000.00 of USD 100,000.00" in page


def test_receipt_list_filters(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    with in_app() as s:
        funding_receipts.create_receipt(
            s,
            data={
                "commitment_id": ids.commitment,
                "received_on": date(LAST_YEAR - 5, 5, 2),
                "amount": "1.00",
                "currency_code": "EUR",
                "reference": "OLD-1",
            },
        )
    client = signed_in("viewer")
    page = client.get(f"/receipts/?year={LAST_YEAR}").data
    assert b"TRF-1" in page and b"OLD-1" not in page
    page = client.get(f"/receipts/?year={LAST_YEAR - 5}").data
    assert b"TRF-1" not in page and b"OLD-1" in page
    page = client.get("/receipts/?currency=EUR").data
    assert b"TRF-1" not in page and b"OLD-1" in page
    assert b"TRF-1" in client.get(f"/receipts/?funder={ids.funder}&currency=USD").data
    assert b"TRF-1" in client.get("/receipts/?page=abc&sort=;drop").data


# --- exchange rates --------------------------------------------------------------------------


def test_rates_by_hand_refuse_duplicates_with_a_clear_message(
    signed_in: SignedIn, in_app: InApp
) -> None:
    arrange(in_app)
    client = signed_in("manager")
    data = {
        "base_code": "EUR",
        "quote_code": "USD",
        "rate_date": f"{LAST_YEAR}-01-02",
        "rate": "1.2",
        "source": "",
    }
    response = client.post("/exchange-rates/new", data=data)
    assert response.status_code == 422
    assert f"A EUR/USD rate for {LAST_YEAR}-01-02 already exists" in response.data.decode()
    for changes, message in (
        ({"rate": "0"}, "greater than 0"),
        ({"rate": "abc"}, "not a number"),
        ({"quote_code": "EUR"}, "differ from the base"),
        ({"quote_code": "ZZZ"}, "not a known ISO 4217"),
    ):
        refused = client.post("/exchange-rates/new", data={**data, **changes})
        assert refused.status_code == 422 and message in refused.data.decode(), changes
    created = client.post("/exchange-rates/new", data={**data, "rate_date": f"{LAST_YEAR}-02-02"})
    assert created.status_code == 302
    assert b"1 EUR = 1.2000 USD" in client.get(created.headers["Location"]).data


def upload(client: FlaskClient, content: bytes, name: str = "rates.csv") -> object:
    return client.post(
        "/exchange-rates/upload",
        data={"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def test_uploading_rates(signed_in: SignedIn, in_app: InApp) -> None:
    arrange(in_app)
    client = signed_in("manager")
    good = (
        f"\ufeffdate;base;quote;rate\r\n{LAST_YEAR}-01-02;EUR;USD;1,0850\r\n"
        f"{LAST_YEAR}-01-02;EUR;GBP;0,8600\r\n"
    ).encode()
    response = upload(client, good)
    assert response.status_code == 200  # type: ignore[attr-defined]
    assert b"1 created, 0 updated, 1 unchanged" in response.data  # type: ignore[attr-defined]
    again = upload(client, good)
    assert b"0 created, 0 updated, 2 unchanged" in again.data  # type: ignore[attr-defined]
    bad = good + f"{LAST_YEAR}-13-01;EUR;CHF;0.95\r\n".encode()
    refused = upload(client, bad.replace(b"0,8600", b"0,8700"))
    assert refused.status_code == 422  # type: ignore[attr-defined]
    text = refused.data.decode()  # type: ignore[attr-defined]
    assert "nothing was loaded" in text
    assert f"Row 4: date &#39;{LAST_YEAR}-13-01&#39; is not a date as YYYY-MM-DD." in text
    with in_app() as s:
        rates = {r.quote_code: r.rate for r in s.scalars(sa.select(ExchangeRate))}
        assert rates == {"USD": Decimal("1.0850"), "GBP": Decimal("0.8600")}
    missing = client.post("/exchange-rates/upload", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and b"Choose a CSV file" in missing.data


def test_the_new_rate_form_points_to_the_upload(signed_in: SignedIn, in_app: InApp) -> None:
    arrange(in_app)
    page = signed_in("manager").get("/exchange-rates/new").data.decode()
    assert 'href="/exchange-rates/upload"' in page
