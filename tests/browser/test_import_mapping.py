"""A funder's own spreadsheet, in French, through the import page in one pass.

Semicolons, foreign headers, decimal commas and day-first dates: the page offers the column
mapping (guessed from the synonyms), the check shows each row's values as they will be written
(``1250000.50 EUR``, ``2026-03-31``) and the record it makes, the apply writes it, and the
commitment is then on its list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import Shots

pytestmark = pytest.mark.browser

TITLE = "Subvention formation analystes 2025-2026"
FILE = (
    "Bailleur;Titre;Montant;Devise;Pilier;Promis le;Début;Fin;Remarques internes\r\n"
    f"Nimbus Cloud Services;{TITLE};1.250.000,50;EUR;Capacity Building 100%;"
    "15.01.2025;01.04.2025;31.03.2026;lettre signée\r\n"
).encode("cp1252")


def choose_the_file(page: Any, server: str) -> None:
    page.goto(server + "/import/")
    page.get_by_label("What the file holds").select_option("funding-commitments")
    page.get_by_label("Dates written as").select_option("dmy")
    page.get_by_label("Numbers written with").select_option("comma")
    page.get_by_label("File (.csv or .xlsx, at most 10 MB)").set_input_files(
        {"name": "engagements.csv", "mimeType": "text/csv", "buffer": FILE}
    )


def test_a_french_funding_file_is_mapped_checked_and_applied(
    server: str, open_page: Callable[..., object], shots: Shots
) -> None:
    from playwright.sync_api import Page, expect

    page = open_page("manager")
    assert isinstance(page, Page)
    choose_the_file(page, server)
    shots(page, "upload")
    page.get_by_role("button", name="Check the file").click()

    # The mapping step, guessed from the synonyms; the column nobody knows is ignored.
    expect(page.get_by_role("heading", name="Columns: funding commitments")).to_be_visible()
    guessed = {
        "Bailleur": "funder",
        "Titre": "title",
        "Montant": "amount",
        "Devise": "currency",
        "Pilier": "allocations",
        "Promis le": "pledged_on",
        "Début": "period_start",
        "Fin": "period_end",
        "Remarques internes": "ignore",
    }
    for header, column in guessed.items():
        expect(page.get_by_label(header, exact=True)).to_have_value(column)
    shots(page, "mapping guessed")
    page.get_by_role("button", name="Check the file with these columns").click()

    # The check: the values as they will be written, and how each column was read.
    expect(page.get_by_role("heading", name="Check: funding commitments")).to_be_visible()
    row = page.locator("tr[data-row='2']")
    values = row.locator("[data-values]")
    expect(values).to_contain_text("1250000.50 EUR")
    expect(values).to_contain_text("2025-04-01")
    expect(values).to_contain_text("2026-03-31")
    expect(values).to_contain_text("Capacity Building 100%")
    expect(row).to_contain_text("new record")
    expect(page.get_by_text("1 to create")).to_be_visible()
    shots(page, "check shows parsed values")
    page.get_by_role("button", name="Apply: write 1 row").click()

    expect(page.get_by_role("heading", name="Imported: funding commitments")).to_be_visible()
    shots(page, "applied")
    page.get_by_role("link", name="Open funding commitments").click()
    page.goto(page.url.split("?")[0] + "?q=" + "Subvention formation")
    expect(page.get_by_text(TITLE)).to_be_visible()
    shots(page, "commitment listed")

    # The same header again: the remembered mapping is used without asking.
    choose_the_file(page, server)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("read with the mapping remembered for this header")).to_be_visible()
    expect(page.locator("tr[data-row='2']")).to_contain_text("unchanged")
    shots(page, "second upload uses the remembered mapping")
