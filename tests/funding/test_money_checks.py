"""Money forms that catch mistakes (#14 item 5), through the receipt and commitment forms: the
receipt's currency follows its commitment, a currency no rate converts is saved with a link to
add the rate, and a receipt over its commitment or outside its period is asked about first."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from coordapp.funding import checks
from coordapp.funding import money as funding_money
from coordapp.funding.models import FundingCommitment, FundingReceipt
from coordapp.reporting import funding as funding_report
from tests import factories
from tests.funding.test_views import LAST_YEAR, TODAY, Ids, InApp, SignedIn, arrange, form


def receipt(ids: Ids, **changes: str) -> dict[str, str]:
    data = {
        "commitment_id": str(ids.commitment),
        "received_on": TODAY.isoformat(),
        "amount": "500.00",
        "currency_code": "USD",
        "reference": "TRF-9",
    }
    data.update(changes)
    return data


def receipts(in_app: InApp) -> list[tuple[str, str]]:
    with in_app() as s:
        rows = s.execute(
            sa.select(FundingReceipt.amount, FundingReceipt.currency_code).order_by(
                FundingReceipt.id
            )
        ).all()
        return [(str(funding_money.in_minor_units(a, c)), c) for a, c in rows]


def confirm_token(page: str) -> str:
    found = re.search(r'name="confirm" value="([0-9a-f]+)"', page)
    assert found, "no Save anyway button"
    return found.group(1)


# --- the currency follows the commitment -------------------------------------------------------


def test_a_new_receipt_takes_its_commitments_currency(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)  # a USD commitment
    client = signed_in("manager")
    for query in (f"commitment={ids.commitment}", f"commitment_id={ids.commitment}"):
        page = client.get(f"/receipts/new?{query}").data.decode()
        assert '<option selected value="USD">' in page
    # Opened from the receipts list: no currency is chosen for the user (AED, the first of the
    # list, was), and each commitment names its currency for the page's script.
    page = client.get("/receipts/new").data.decode()
    assert "<option selected" not in page.split('id="currency_code"')[1].split("</select>")[0]
    assert f'data-fill="USD" value="{ids.commitment}"' in page
    assert 'data-fills="currency_code"' in page
    # Posted without a currency (no script), the receipt is in the commitment's.
    response = client.post("/receipts/new", data=receipt(ids, currency_code=""))
    assert response.status_code == 302
    assert receipts(in_app)[-1] == ("500.00", "USD")


# --- no rate: saved, with a link to add it -----------------------------------------------------


def test_a_receipt_no_rate_converts_is_saved_with_a_link_to_add_the_rate(
    signed_in: SignedIn, in_app: InApp
) -> None:
    ids = arrange(in_app)
    client = signed_in("manager")
    response = client.post("/receipts/new", data=receipt(ids, currency_code="AED"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).data.decode()
    assert "There is no rate between AED and EUR on or before " + TODAY.isoformat() in page
    assert "receipt of AED 500.00 is left out of every total in EUR" in page
    link = f'href="/exchange-rates/new?quote_code=AED&amp;rate_date={TODAY.isoformat()}"'
    assert link in page
    # The link opens the rate form filled in with the currency and the date.
    new_rate = client.get(f"/exchange-rates/new?quote_code=AED&rate_date={TODAY}").data.decode()
    assert '<option selected value="EUR">' in new_rate
    assert '<option selected value="AED">' in new_rate
    assert f'value="{TODAY.isoformat()}"' in new_rate
    assert receipts(in_app)[-1] == ("500.00", "AED")
    # Until then the commitment's page and the funding dashboard's figures name it.
    detail = client.get(f"/commitments/{ids.commitment}").data.decode()
    assert "without AED 500.00: no rate on or before the row&#39;s date" in detail
    with in_app() as s:
        figures = funding_report.funding_figures(
            s, first_year=TODAY.year, last_year=TODAY.year, currency="EUR", until=TODAY
        )
        assert "left out (no rate on or before the row's date): AED 500.00" in figures.rates.note


def test_a_rate_dated_after_the_receipt_does_not_count(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    with in_app() as s:
        factories.rate(s, base="EUR", quote="AED", on=TODAY, value="4.0")
    client = signed_in("manager")
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    late = client.post(
        "/receipts/new", data=receipt(ids, currency_code="AED", received_on=yesterday)
    )
    page = client.get(late.headers["Location"]).data.decode()
    assert f"no rate between AED and EUR on or before {yesterday}" in page
    on_time = client.post("/receipts/new", data=receipt(ids, currency_code="AED"))
    assert "no rate between" not in client.get(on_time.headers["Location"]).data.decode()


def test_a_pledge_no_rate_converts_is_saved_with_a_link(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    client = signed_in("manager")
    response = client.post("/commitments/new", data=form(ids, currency_code="AED"))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).data.decode()
    assert f"no rate between AED and EUR on or before {LAST_YEAR}-06-01" in page
    assert f"/exchange-rates/new?quote_code=AED&amp;rate_date={LAST_YEAR}-06-01" in page
    # A USD pledge converts (EUR/USD is stored from January): nothing to say.
    response = client.post("/commitments/new", data=form(ids, title="Second grant"))
    assert "no rate between" not in client.get(response.headers["Location"]).data.decode()


# --- over the commitment, outside its period: asked first ---------------------------------------


def test_a_receipt_over_the_commitment_is_asked_about_and_keeps_the_input(
    signed_in: SignedIn, in_app: InApp
) -> None:
    ids = arrange(in_app)  # USD 30,000 of USD 100,000 received
    client = signed_in("manager")
    data = receipt(ids, amount="80000.00", reference="TRF-OVER")
    asked = client.post("/receipts/new", data=data)
    assert asked.status_code == 200
    page = asked.data.decode()
    assert "Nothing was saved yet" in page
    assert "USD 110,000.00 of the USD 100,000.00 pledged" in page and "(110.00%)" in page
    assert 'value="80000.00"' in page and 'value="TRF-OVER"' in page
    assert f'<option data-fill="USD" selected value="{ids.commitment}">' in page
    assert len(receipts(in_app)) == 1
    # "Save anyway" confirms exactly what was asked: another amount is asked about again.
    token = confirm_token(page)
    again = client.post("/receipts/new", data={**data, "amount": "90000.00", "confirm": token})
    assert again.status_code == 200 and "(120.00%)" in again.data.decode()
    assert len(receipts(in_app)) == 1
    saved = client.post("/receipts/new", data={**data, "confirm": token})
    assert saved.status_code == 302
    assert receipts(in_app)[-1] == ("80000.00", "USD")


def test_exactly_the_pledge_is_not_asked_about_and_an_edit_counts_itself_once(
    signed_in: SignedIn, in_app: InApp
) -> None:
    ids = arrange(in_app)
    client = signed_in("manager")
    assert client.post("/receipts/new", data=receipt(ids, amount="70000")).status_code == 302
    with in_app() as s:
        last = s.scalar(sa.select(sa.func.max(FundingReceipt.id)))
    edited = client.post(f"/receipts/{last}/edit", data=receipt(ids, amount="70000", reference="X"))
    assert edited.status_code == 302
    over = client.post(f"/receipts/{last}/edit", data=receipt(ids, amount="70000.01"))
    assert over.status_code == 200
    assert "(100.00%): USD 0.01 more than the commitment" in over.data.decode()


def test_a_receipt_in_another_currency_counts_at_the_rate_of_its_date(
    signed_in: SignedIn, in_app: InApp
) -> None:
    ids = arrange(in_app)  # USD commitment, 1 EUR = 1.0850 USD since January last year
    with in_app() as s:
        factories.rate(s, base="GBP", quote="EUR", on=date(LAST_YEAR, 1, 2), value="1.2")
    client = signed_in("manager")
    # GBP 60,000 = EUR 72,000 = USD 78,120: with USD 30,000 received, 108.12%.
    asked = client.post("/receipts/new", data=receipt(ids, amount="60000", currency_code="GBP"))
    assert asked.status_code == 200
    assert "USD 108,120.00 of the USD 100,000.00 pledged" in asked.data.decode()
    fits = client.post("/receipts/new", data=receipt(ids, amount="50000", currency_code="GBP"))
    assert fits.status_code == 302


def test_a_receipt_after_the_period_ended_is_asked_about(
    signed_in: SignedIn, in_app: InApp
) -> None:
    ids = arrange(in_app)
    with in_app() as s:
        ended = factories.commitment(
            s,
            amount="5000",
            currency="USD",
            pledged_on=date(LAST_YEAR - 3, 1, 10),
            period_start=date(LAST_YEAR - 3, 2, 1),
            period_end=date(LAST_YEAR - 2, 1, 31),
            title="Old grant",
        )
        ended_id = ended.id
    client = signed_in("manager")
    data = receipt(ids, commitment_id=str(ended_id), received_on=f"{LAST_YEAR}-03-01")
    asked = client.post("/receipts/new", data=data)
    page = asked.data.decode()
    assert asked.status_code == 200
    assert f"after its period ended ({LAST_YEAR - 2}-01-31)" in page
    before = client.post("/receipts/new", data={**data, "received_on": f"{LAST_YEAR - 3}-01-20"})
    assert f"before its period started ({LAST_YEAR - 3}-02-01)" in before.data.decode()
    saved = client.post("/receipts/new", data={**data, "confirm": confirm_token(page)})
    assert saved.status_code == 302
    with in_app() as s:
        commitment = s.get(FundingCommitment, ended_id)
        assert commitment is not None and [r.amount for r in commitment.receipts] == [500]


def test_the_rules_say_nothing_of_data_that_is_not_valid(in_app: InApp) -> None:
    ids = arrange(in_app)
    with in_app() as s:
        for data in (
            {"commitment_id": "424242", "amount": "5", "received_on": TODAY},
            {"commitment_id": str(ids.commitment), "amount": "-5", "received_on": TODAY},
            {"commitment_id": str(ids.commitment), "amount": "5", "currency_code": "EURO"},
        ):
            assert checks.receipt_warnings(s, data=data, reporting="EUR") == []
        bad_pledge = {"currency_code": "EURO", "pledged_on": TODAY}
        assert checks.commitment_warnings(s, data=bad_pledge, reporting="EUR") == []


def test_the_reporting_currencys_own_missing_rate_is_named(in_app: InApp) -> None:
    ids = arrange(in_app)
    with in_app() as s:
        data = receipt(ids, amount="5", currency_code="EUR")
        found = checks.receipt_warnings(s, data=data, reporting="CHF")
        assert [(w.kind, w.currency) for w in found] == [(checks.WarningKind.NO_RATE, "CHF")]
        assert checks.receipt_warnings(s, data=data, reporting="EUR") == []


def test_viewers_do_not_reach_the_confirmation(signed_in: SignedIn, in_app: InApp) -> None:
    ids = arrange(in_app)
    client: FlaskClient = signed_in("viewer")
    assert client.post("/receipts/new", data=receipt(ids, amount="80000")).status_code == 403
