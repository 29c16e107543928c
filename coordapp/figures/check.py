"""Reads every headline figure back from every surface that shows it and compares it with its
one definition (``coordapp.figures``): the reconciliation behind ``flask figures check``.

Surfaces are read as a user gets them: the home page's HTML (``data-figure`` elements), the
dashboards' callbacks (their ``kpi-<figure>`` tiles and the funding chart), the board pack's
HTML tables and its XLSX workbook, and the API summaries. A surface that does not show a
figure for the chosen year (home and the overview show today only) is not read for it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from html.parser import HTMLParser
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from coordapp.api import service as api
from coordapp.figures import FIGURES, family
from coordapp.funding import amounts as funding_amounts
from coordapp.labels import label
from coordapp.network import coverage as network_coverage
from coordapp.partners import agreements as partners_agreements
from coordapp.pillars.models import PillarIndicator
from coordapp.reporting import funding as funding_report
from coordapp.reporting import pillars as pillar_report
from coordapp.reporting import training as training_report
from coordapp.reporting.common import period_end

Values = dict[str, Decimal]

DEFINITION = "definition"


@dataclass(frozen=True, slots=True)
class Reading:
    figure: str
    surface: str
    value: Decimal | None  # None: the surface did not show it


@dataclass(slots=True)
class CheckResult:
    year: int
    measured_on: date
    definitions: Values
    surfaces: dict[str, Values] = field(default_factory=dict)

    def differences(self) -> list[Reading]:
        """Every (figure, surface) whose value is not the definition's."""
        return [
            Reading(key, surface, values[key])
            for surface, values in self.surfaces.items()
            for key in values
            if values[key] != self.definitions.get(key)
        ]

    def table(self) -> list[list[str]]:
        """Rows for the operator: figure, definition, then each surface ('-' = not shown)."""
        names = list(self.surfaces)
        rows = [["figure", DEFINITION, *names]]
        order = {figure.key: i for i, figure in enumerate(FIGURES)}
        for key in sorted(self.definitions, key=lambda k: (order.get(family(k), 99), k)):
            row = [key, str(self.definitions[key])]
            for name in names:
                value = self.surfaces[name].get(key)
                mark = "" if value is None or value == self.definitions[key] else " ≠"
                row.append("-" if value is None else f"{value}{mark}")
            rows.append(row)
        return rows


def definitions(session: Session, *, year: int, today: date) -> Values:
    """Each figure from its one definition, for ``year`` measured on its period end."""
    on = period_end(year, today=today)
    start = date(year, 1, 1)
    coverage = network_coverage.coverage_summary(session, on=on)
    trainings, participants = training_report.trainings_between(session, start, on)
    money_of_year = funding_report.funding_figures(
        session, first_year=year, last_year=year, currency="EUR", until=on
    )
    pillar_rows = pillar_report.pillar_progress(session, year=year, today=today).rows
    pillar_values: Values = {}
    for row in pillar_rows:
        pillar_values[f"pillar_actual:{row.pillar_name}:{row.indicator}"] = row.actual
        pillar_values[f"pillar_expected:{row.pillar_name}:{row.indicator}"] = row.expected
    today_only: Values = {}
    if on == today:
        today_only = {
            "renewals_due": Decimal(partners_agreements.count_renewals_due(session, on=on)),
            "partnerships_expired": Decimal(partners_agreements.count_expired(session, on=on)),
        }
    return {
        **today_only,
        **pillar_values,
        **_grouped_money(money_of_year),
        "member_hotlines": Decimal(coverage.member_hotlines),
        "countries_covered": Decimal(coverage.countries_covered),
        "territories_covered": Decimal(coverage.territories_covered),
        "countries_in_pipeline": Decimal(coverage.countries_in_pipeline),
        "partnerships_in_force": Decimal(partners_agreements.count_in_force(session, on=on)),
        "pledged": funding_amounts.pledged_total(
            session, start=start, end=on, currency="EUR"
        ).amount,
        "received": funding_amounts.received_total(
            session, start=start, end=on, currency="EUR"
        ).amount,
        "outstanding": funding_amounts.outstanding_total(
            session, start=start, end=on, on=on, currency="EUR"
        ).amount,
        "trainings": Decimal(trainings),
        "participants": Decimal(participants),
    }


def _grouped_money(data: funding_report.FundingFigures) -> Values:
    found: Values = {}
    for row in data.by_pillar:
        found[f"pledged_by_pillar:{row.pillar}"] = row.pledged
        found[f"received_by_pillar:{row.pillar}"] = row.received
    for kind in data.by_kind:
        found[f"pledged_by_funder_kind:{kind.key}"] = kind.pledged
        found[f"received_by_funder_kind:{kind.key}"] = kind.received
    return found


# --- reading numbers as pages print them -------------------------------------------------------


def number(text: Any) -> Decimal | None:
    """'1,234', 'EUR 1,234.50', '12' -> Decimal; None when there is no number."""
    if isinstance(text, int | float | Decimal) and not isinstance(text, bool):
        return Decimal(str(text))
    match = re.search(r"-?[\d,]+(?:\.\d+)?", str(text or ""))
    if not match:
        return None
    try:
        return Decimal(match.group(0).replace(",", ""))
    except InvalidOperation:
        return None


def money(value: Any) -> Decimal | None:
    found = number(value)
    return None if found is None else found.quantize(Decimal("0.01"))


class _Cells(HTMLParser):
    """data-figure elements (their data-value, else their text) and every table's rows."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.tables: list[list[list[str]]] = []
        self.titled: dict[str, list[list[str]]] = {}  # tables under their <h2> heading
        self._heading: list[str] | None = None
        self._last_heading = ""
        self._figure: str | None = None
        self._text: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("data-figure"):
            key = str(found["data-figure"])
            if found.get("data-value") is not None:
                self.figures[key] = str(found["data-value"])
            else:
                self._figure, self._text = key, []
        if tag == "h2":
            self._heading = []
        if tag == "table":
            self.tables.append([])
            self.titled[self._last_heading] = self.tables[-1]
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "h2" and self._heading is not None:
            self._last_heading = "".join(self._heading).strip()
            self._heading = None
        if self._figure is not None:
            self.figures[self._figure] = "".join(self._text).strip()
            self._figure = None
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._heading is not None:
            self._heading.append(data)
        if self._figure is not None:
            self._text.append(data)
        if self._cell is not None:
            self._cell.append(data)


def _parse(html_text: str) -> _Cells:
    parser = _Cells()
    parser.feed(html_text)
    return parser


# --- the surfaces --------------------------------------------------------------------------------


def read_home(client: FlaskClient, *, currency: str) -> Values:
    """The home page's figures; its money is in the app's reporting currency, compared only when
    that is EUR (the definitions', the board pack's and the API's currency)."""
    page = _parse(_get(client, "/").get_data(as_text=True))
    found: Values = {}
    counts = [f.key for f in FIGURES if f.unit == "count" and not f.grouped]
    for key in counts:
        if key in page.figures:
            found[key] = number(page.figures[key]) or Decimal(0)
    for key in ("pledged", "received") if currency == "EUR" else ():
        if key in page.figures:
            found[key] = money(page.figures[key]) or Decimal("0.00")
    return found


def signed_in_client(app: Flask, user: Any) -> FlaskClient:
    """A client of ``app`` with ``user``'s session, as a sign-in would leave it (for the
    operator command: it reads pages, it writes nothing)."""
    from flask_login.utils import _create_identifier

    client = app.test_client()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()  # the same address and agent as the client's
    with client.session_transaction() as browser_session:
        browser_session["_user_id"] = user.get_id()
        browser_session["_fresh"] = True
        browser_session["_id"] = identifier
        browser_session["_last_seen"] = int(time.time())
    return client


def _list_rows(client: FlaskClient, url: str) -> Decimal:
    """The number of records a list's CSV export holds (its stamp lines start with '#')."""
    text = _get(client, url).get_data(as_text=True).lstrip("\ufeff")
    rows = [row for row in csv.reader(io.StringIO(text)) if row and not row[0].startswith("#")]
    return Decimal(max(len(rows) - 1, 0))


def read_lists(client: FlaskClient) -> Values:
    """Today's figures as the record lists count them: their filters' CSV exports (what a
    manager downloads) and the country list's header."""
    countries = _parse(_get(client, "/countries/").get_data(as_text=True)).figures
    return {
        "partnerships_in_force": _list_rows(client, "/partnerships/?status=active&format=csv"),
        "partnerships_expired": _list_rows(client, "/partnerships/?status=expired&format=csv"),
        "renewals_due": _list_rows(client, "/partnerships/?renewal=any&format=csv"),
        "countries_in_pipeline": _list_rows(client, "/expansion/?format=csv"),
        "countries_covered": number(countries.get("countries_covered")) or Decimal(0),
        "territories_covered": number(countries.get("territories_covered")) or Decimal(0),
    }


def _get(client: FlaskClient, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(
            f"GET {url} answered {response.status_code} {response.headers.get('Location', '')}"
        )
    return response


def _callback(client: FlaskClient, app: Flask, output_part: str, values: dict[str, Any]) -> Any:
    """Call the dashboard callback whose outputs include ``output_part`` as the browser would;
    its filter inputs take ``values`` by name."""
    dash_app = app.extensions["coordapp_dash"]
    output, spec = next(
        (key, spec) for key, spec in dash_app.callback_map.items() if output_part in key
    )
    inputs = []
    for item in spec["inputs"]:
        component = item["id"]
        parsed = json.loads(component) if component.startswith("{") else component
        name = str(parsed.get("name")) if isinstance(parsed, dict) else str(parsed)
        inputs.append({"id": parsed, "property": item["property"], "value": values.get(name)})
    outputs = [
        {"id": part.rsplit(".", 1)[0], "property": part.rsplit(".", 1)[1]}
        for part in output.strip(".").split("...")
    ]
    body = {
        "output": output,
        "outputs": outputs,
        "inputs": inputs,
        "state": [],
        "changedPropIds": [],
    }
    response = client.post(
        "/dashboards/_dash-update-component", json=body, headers={"Origin": "http://localhost"}
    )
    if response.status_code != 200:
        raise RuntimeError(f"dashboard callback {output_part} answered {response.status_code}")
    return response.get_json()["response"]


def _tiles(tree: Any) -> Iterator[tuple[str, Any]]:
    """(figure key, component props) of every ``kpi-<figure>`` or ``data-figure`` element in a
    callback answer."""
    if isinstance(tree, dict):
        props = tree.get("props", {})
        component_id = props.get("id") if isinstance(props, dict) else None
        if isinstance(component_id, str) and component_id.startswith("kpi-"):
            yield component_id[4:], props
        elif isinstance(props, dict) and isinstance(props.get("data-figure"), str):
            yield props["data-figure"], props
        for value in tree.values():
            yield from _tiles(value)
    elif isinstance(tree, list):
        for item in tree:
            yield from _tiles(item)


def _tile_values(tree: Any) -> Values:
    found: Values = {}
    for key, props in _tiles(tree):
        exact = props.get("data-value")
        value = money(exact) if exact is not None else number(props.get("children"))
        if value is not None:
            found[key] = value
    return found


def read_overview(client: FlaskClient, app: Flask) -> Values:
    answer = _callback(client, app, "overview-tiles.children", {"currency": "EUR"})
    return _tile_values(answer)


def read_partnerships_dashboard(client: FlaskClient, app: Flask) -> Values:
    return _tile_values(_callback(client, app, "p-tiles.children", {"status": None}))


def read_pillars_dashboard(client: FlaskClient, app: Flask, *, year: int) -> Values:
    answer = _callback(client, app, "pl-table.children", {"year": year})
    return _tile_values(answer["pl-table"])


def read_map(client: FlaskClient, app: Flask, *, year: int) -> Values:
    answer = _callback(client, app, "map-headline.children", {"year": year, "region": None})
    return _tile_values(answer)


def read_funding_dashboard(client: FlaskClient, app: Flask, *, year: int) -> Values:
    answer = _callback(
        client,
        app,
        "f-years.figure",
        {"from": year, "to": year, "currency": "EUR", "rates": "row"},
    )
    found: Values = {}
    for trace in answer["f-years"]["figure"]["data"]:
        name = str(trace.get("name", "")).lower()
        if name in ("pledged", "received") and trace.get("y"):
            found[name] = money(trace["y"][0]) or Decimal("0.00")
    for chart, figure in (
        ("f-pillar-pledged", "pledged_by_pillar"),
        ("f-pillar-received", "received_by_pillar"),
    ):
        for trace in answer[chart]["figure"]["data"]:
            for x, y in zip(trace.get("x") or (), trace.get("y") or (), strict=False):
                if int(x) == year:
                    found[f"{figure}:{trace['name']}"] = money(y) or Decimal("0.00")
    for trace in answer["f-kinds"]["figure"]["data"]:
        measure = str(trace.get("name", "")).lower()
        kinds = trace.get("customdata") or trace.get("x") or ()
        for kind, y in zip(kinds, trace.get("y") or (), strict=False):
            key = kind[0] if isinstance(kind, list) else kind
            found[f"{measure}_by_funder_kind:{key}"] = money(y) or Decimal("0.00")
    return found


def read_training_dashboard(client: FlaskClient, app: Flask, *, year: int) -> Values:
    answer = _callback(
        client, app, "t-events.figure", {"from": year, "to": year, "kind": None, "pillar": None}
    )
    found: Values = {}
    for chart, key in (("t-events", "trainings"), ("t-participants", "participants")):
        total = Decimal(0)
        for trace in answer[chart]["figure"]["data"]:
            for x, y in zip(trace.get("x") or (), trace.get("y") or (), strict=False):
                if int(x) == year:
                    total += Decimal(str(y))
        found[key] = total
    return found


def _pack_values(tables: dict[str, list[list[Any]]]) -> Values:
    """The board pack's figures from its tables (as the HTML page and the workbook give them)."""
    found: Values = {}
    coverage_rows = {str(r[0]).strip(): r for r in tables.get("Coverage", [])[1:] if r}
    for row_label, key in (
        ("Member hotlines", "member_hotlines"),
        ("Countries covered", "countries_covered"),
        ("Territories covered", "territories_covered"),
        ("Countries in the pipeline", "countries_in_pipeline"),
    ):
        if row_label in coverage_rows:
            found[key] = number(coverage_rows[row_label][2]) or Decimal(0)
    for row in tables.get("Partnerships", [])[1:]:
        if row and str(row[0]).strip() == partners_agreements.IN_FORCE_LABEL:
            found["partnerships_in_force"] = number(row[2]) or Decimal(0)
    for row in tables.get("Funding", [])[1:]:
        if not row:
            continue
        by = str(row[0])
        if by == "Total":
            found["pledged"] = money(row[2]) or Decimal("0.00")
            found["received"] = money(row[3]) or Decimal("0.00")
        elif by == "Outstanding":
            found["outstanding"] = money(row[2]) or Decimal("0.00")
        elif by in ("Pillar", "Funder kind"):
            figure = "by_pillar" if by == "Pillar" else "by_funder_kind"
            group = str(row[1]) if by == "Pillar" else _kind_key(str(row[1]))
            found[f"pledged_{figure}:{group}"] = money(row[2]) or Decimal("0.00")
            found[f"received_{figure}:{group}"] = money(row[3]) or Decimal("0.00")
    indicators = {label(indicator): indicator.value for indicator in PillarIndicator}
    for row in tables.get("Pillar targets", [])[1:]:
        if row and str(row[1]) in indicators:
            group = f"{row[0]}:{indicators[str(row[1])]}"
            actual, expected = number(row[6]), number(row[7])
            if actual is not None and expected is not None:
                found[f"pillar_actual:{group}"] = actual
                found[f"pillar_expected:{group}"] = expected
    for row in tables.get("Trainings", [])[1:]:
        if row and str(row[0]) == "Total":
            found["trainings"] = number(row[2]) or Decimal(0)
            found["participants"] = number(row[3]) or Decimal(0)
    return found


def _kind_key(shown: str) -> str:
    """The board pack prints a kind's label ('Law enforcement'); the key is its value."""
    from coordapp.partners.models import OrganizationKind

    for kind in OrganizationKind:
        if label(kind) == shown:
            return kind.value
    return shown


def read_board_pack_html(client: FlaskClient, *, year: int) -> Values:
    page = _parse(_get(client, f"/board-pack/?year={year}").get_data(as_text=True))
    return _pack_values(page.titled)


def read_board_pack_xlsx(client: FlaskClient, *, year: int) -> Values:
    data = _get(client, f"/board-pack/?year={year}&format=xlsx").data
    book = load_workbook(io.BytesIO(data), read_only=True)
    tables = {
        sheet.title: [list(row) for row in sheet.iter_rows(values_only=True)]
        for sheet in book.worksheets
    }
    return _pack_values(tables)


def read_api(session: Session, *, year: int, today: date) -> Values:
    on = period_end(year, today=today)
    coverage = api.jsonable(api.coverage(session, on=on))["summary"]
    money_summary = api.funding_summary(session, year=year, today=today)
    # Read as a manager reads it (the check compares exact figures; readers below manager see
    # small counts hidden on every surface alike).
    training = api.jsonable(
        api.training_summary(session, first_year=year, last_year=year, viewer_can_see_exact=True)
    )
    by_kind = training["figures"]["by_kind"]
    return {
        "member_hotlines": Decimal(coverage["member_hotlines"]),
        "countries_covered": Decimal(coverage["countries_covered"]),
        "territories_covered": Decimal(coverage["territories_covered"]),
        "countries_in_pipeline": Decimal(coverage["countries_in_pipeline"]),
        "pledged": money(api.jsonable(money_summary["pledged"])["amount"]) or Decimal("0.00"),
        "received": money(api.jsonable(money_summary["received"])["amount"]) or Decimal("0.00"),
        "outstanding": money(api.jsonable(money_summary["outstanding"])["amount"])
        or Decimal("0.00"),
        "trainings": Decimal(sum(row["events"] for row in by_kind)),
        "participants": Decimal(sum(row["participants"] for row in by_kind)),
    }


def check(
    app: Flask,
    session: Session,
    client: FlaskClient,
    *,
    year: int,
    today: date,
    extra: dict[str, Callable[[], Values]] | None = None,
) -> CheckResult:
    """Every figure of ``year`` on every surface, against its definition.

    ``client`` is signed in as a manager or admin (below manager small counts are hidden, so
    they would differ from the definitions); ``session`` reads the definitions
    in the same database. ``extra`` adds surfaces (name -> reader), for tests of the check.
    """
    result = CheckResult(
        year=year,
        measured_on=period_end(year, today=today),
        definitions=definitions(session, year=year, today=today),
    )
    readers: dict[str, Callable[[], Values]] = {}
    if year == today.year:
        currency = app.config.get("REPORTING_CURRENCY", "EUR")
        readers["home"] = lambda: read_home(client, currency=currency)
        readers["overview"] = lambda: read_overview(client, app)
        readers["partnerships dashboard"] = lambda: read_partnerships_dashboard(client, app)
        readers["lists"] = lambda: read_lists(client)
    readers["map"] = lambda: read_map(client, app, year=year)
    readers["funding dashboard"] = lambda: read_funding_dashboard(client, app, year=year)
    readers["training dashboard"] = lambda: read_training_dashboard(client, app, year=year)
    readers["pillars dashboard"] = lambda: read_pillars_dashboard(client, app, year=year)
    readers["board pack"] = lambda: read_board_pack_html(client, year=year)
    readers["board pack xlsx"] = lambda: read_board_pack_xlsx(client, year=year)
    readers["api"] = lambda: read_api(session, year=year, today=today)
    readers.update(extra or {})
    for name, reader in readers.items():
        readings = reader()
        # A group a surface shows but the definition lacks is a difference too (a zero row).
        for key in readings:
            if ":" in key:
                result.definitions.setdefault(key, Decimal("0.00"))
        result.surfaces[name] = {k: v for k, v in readings.items() if k in result.definitions}
    return result
