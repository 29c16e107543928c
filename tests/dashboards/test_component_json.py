"""``component_json`` writes what a Dash component serialises to, without building it."""

from __future__ import annotations

import json
from datetime import date, timedelta

import dash_bootstrap_components as dbc
import pytest
from dash import html

from coordapp.partners.models import PartnershipType
from coordapp.reporting.partnerships import PartnershipFigures, Renewal
from dashboards import figures
from dashboards.partnerships import renewals_table
from dashboards.responses import component_json, plain_json


def _same(built: object, written: object) -> None:
    """Equal, and written in the same order (the bytes the browser gets)."""
    assert json.dumps(plain_json(built)) == json.dumps(written)


def test_a_component_written_directly_is_the_component_serialised() -> None:
    _same(html.Td("x"), component_json(html.Td, "x"))
    _same(html.Td(), component_json(html.Td))
    _same(html.Td(None), component_json(html.Td, None))
    # props in the component's order whatever order they are given in; wildcards last
    _same(
        html.Div(["a", html.Span("b")], id="k", className="c", **{"data-value": "7"}),
        component_json(
            html.Div,
            ["a", component_json(html.Span, "b")],
            **{"data-value": "7"},
            className="c",
            id="k",
        ),
    )
    _same(
        dbc.Table([html.Tbody([])], size="sm", striped=True, responsive=True, className="s"),
        component_json(
            dbc.Table,
            [component_json(html.Tbody, [])],
            className="s",
            responsive=True,
            striped=True,
            size="sm",
        ),
    )


def test_a_prop_the_component_does_not_take_is_refused_as_its_constructor_refuses_it() -> None:
    with pytest.raises(TypeError):
        html.Td("x", colour="red")
    with pytest.raises(TypeError, match="colour"):
        component_json(html.Td, "x", colour="red")
    with pytest.raises(TypeError, match="data-x"):
        component_json(dbc.Table, [], **{"data-x": "1"})  # no wildcard props on dbc.Table


def test_the_renewals_table_is_what_its_components_serialise_to() -> None:
    on = date(2026, 6, 1)

    def renewal(title: str, end: date, owner: str | None) -> Renewal:
        return Renewal(
            title=title,
            organization="Org",
            type=PartnershipType.TECHNOLOGY,
            end_date=end,
            notice_days=90,
            notice_date=end - timedelta(days=90),
            owner=owner,
        )

    renewals = (renewal("Late", on + timedelta(days=30), None), renewal("Soon", on, "Ann"))
    data = PartnershipFigures(
        on=on,
        status=None,
        in_force=2,
        expired=0,
        by_status=(("active", 2),),
        by_type=(),
        by_pillar=(),
        by_kind=(),
        new_per_year=(),
        renewals=renewals,
    )
    cells = [
        [
            r.notice_date.isoformat() + (" (overdue)" if r.overdue(on) else ""),
            r.title,
            r.organization,
            figures.humanize(r.type.value),
            f"{r.end_date.isoformat()} ({r.notice_days} days' notice)",
            r.owner or "—",
        ]
        for r in renewals
    ]
    header = ("Renewal date", "Agreement", "Partner", "Type", "Ends", "Owner")
    built = dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in header])),
            html.Tbody([html.Tr([html.Td(c) for c in row]) for row in cells]),
        ],
        size="sm",
        striped=True,
        responsive=True,
        className="small mb-0",
    )
    _same(built, renewals_table(data))
    assert "(overdue)" in json.dumps(renewals_table(data))
