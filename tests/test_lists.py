"""Every list of the records workspace, on the demo network: the number of SQL statements does
not grow with the page size, CSV export works, and malformed query values are ignored."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session

from coordapp.extensions import db
from coordapp.partners.models import Organization
from coordapp.records.views import RESOURCES
from tests._demo import load_demo_cached

InApp = Callable[[], AbstractContextManager[Session]]


def _list_paths(app: Flask) -> list[str]:
    paths = set()
    with app.test_request_context():
        for bp_name, res in RESOURCES:
            endpoint = f"{bp_name}.{res.slug.replace('-', '_')}_list"
            if endpoint in app.view_functions:
                paths.add(url_for(endpoint))
    return sorted(paths)


def test_every_list_is_constant_in_queries_exports_and_ignores_bad_values(
    app: Flask, signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    with in_app() as s:
        load_demo_cached(s, today=date(2026, 11, 26))
    client = signed_in("admin")
    paths = _list_paths(app)
    assert len(paths) >= 11, paths
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    problems = []
    event.listen(engine, "before_cursor_execute", count)
    try:
        for path in paths:
            client.get(path)  # filter choices are read once per data version, then cached
            counts = []
            for per_page in (25, 100):
                statements.clear()
                response = client.get(f"{path}?per_page={per_page}")
                if response.status_code != 200:
                    problems.append(f"{path}?per_page={per_page} -> {response.status_code}")
                counts.append(len(statements))
                # A date never wraps in a list cell (at a narrow width "2026-12-07" broke in two).
                wrapping = re.findall(r"<td>\s*\d{4}-\d{2}-\d{2}", response.get_data(as_text=True))
                if wrapping:
                    problems.append(f"{path}: {len(wrapping)} date cells may wrap")
            if counts[0] != counts[1]:
                problems.append(f"{path}: {counts[0]} statements at 25 rows, {counts[1]} at 100")
            csv = client.get(f"{path}?format=csv")
            if csv.status_code != 200 or csv.mimetype != "text/csv":
                problems.append(f"{path}?format=csv -> {csv.status_code} {csv.mimetype}")
            bad = client.get(f"{path}?page=abc&sort=;drop&per_page=-1&q=%27")
            if bad.status_code != 200:
                problems.append(f"{path} with malformed values -> {bad.status_code}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert problems == [], "\n".join(problems)


def test_a_filter_with_many_choices_is_typed_with_suggestions(
    signed_in: Callable[[str], FlaskClient], in_app: InApp
) -> None:
    """The receipts' funder filter once listed every funder (4,001 options at 100x, 283 KB of
    the page): over listing.TYPEAHEAD_OVER choices it is a text input with suggestions, and a
    funder's name typed in filters like its choice."""
    from coordapp.listing import TYPEAHEAD_OVER
    from tests import factories

    with in_app() as s:
        for n in range(TYPEAHEAD_OVER + 5):
            funder = factories.organization(s, name=f"Funder {n:03d} Foundation")
            pledge = factories.commitment(
                s, amount="1000", currency="EUR", pledged_on=date(2025, 1, 1), funder=funder
            )
            factories.receipt(
                s, commitment=pledge, amount="10", currency="EUR", on=date(2025, 2, 1)
            )
        wanted = s.scalar(
            sa.select(Organization.id).where(Organization.name == "Funder 042 Foundation")
        )
    viewer = signed_in("viewer")
    page = viewer.get("/receipts/").get_data(as_text=True)
    assert "Funder 017 Foundation</option>" not in page  # no select of every funder
    field = re.search(r'<input[^>]*id="f-funder"[^>]*>', page)
    assert field and "data-lookup=" in field.group(0)
    lookup = html.unescape(re.search(r'data-lookup="([^"]+)"', field.group(0)).group(1))
    found = viewer.get(lookup + "&q=042").get_json()
    assert found == ["Funder 042 Foundation"]
    assert viewer.get(lookup + "&q=funder 00").get_json()[:2] == [
        "Funder 000 Foundation",
        "Funder 001 Foundation",
    ]
    # The typed name filters the list, and the page shows it back in the field.
    listed = viewer.get("/receipts/?funder=funder 042 foundation").get_data(as_text=True)
    assert "1 in all" in listed and 'value="Funder 042 Foundation"' in listed
    assert viewer.get(f"/receipts/?funder={wanted}").get_data(as_text=True).count("1 in all") == 1
    # A filter with few choices keeps its select and answers no suggestions.
    assert (
        viewer.get("/lookup/filter-suggestions?list=receipts&filter=currency&q=E").status_code
        == 404
    )
    assert viewer.get("/lookup/filter-suggestions?list=users&filter=role&q=a").status_code == 404


def test_a_column_without_a_value_shows_the_attribute_it_sorts_by() -> None:
    from coordapp.listing import Column, ListSpec
    from coordapp.network.models import Hotline

    column = Column("name", "Name", Organization.name, link=True)
    assert column.value(Organization(name="Stichting Offlimits")) == "Stichting Offlimits"
    with pytest.raises(TypeError, match="'size' sorts by an expression"):
        Column("size", "Size", sa.func.length(Organization.name))
    with pytest.raises(TypeError, match="'name' sorts by another record's attribute"):
        ListSpec(name="hotlines", entity=Hotline, columns=(column,), default_sort="name")
