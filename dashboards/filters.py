"""The controls of a dashboard's filter bar: labelled dropdowns, radio buttons and year ranges.

Each control's id is ``fid(name)``, so the shell keeps its value in the page's URL
(``dashboards.layout``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, dcc, html

from dashboards.layout import fid
from dashboards.responses import cached_output


def labelled(label: str, control: Any, *, width: Any = "auto") -> dbc.Col:
    return dbc.Col(
        [html.Label(label, className="form-label small text-body-secondary mb-1"), control],
        width=width,
    )


def year_options(first: int, last: int) -> list[dict[str, Any]]:
    return [{"label": str(y), "value": y} for y in range(first, last + 1)]


def dropdown(
    key: str, options: Any, value: Any, *, all_label: str | None = None, min_width: str = "11rem"
) -> dcc.Dropdown:
    """A filter's dropdown (id ``fid(key)``). With ``all_label`` it can be cleared, and shows
    that label when nothing is chosen (the choice of all); without, a value must be chosen."""
    extra: dict[str, Any] = {"placeholder": all_label} if all_label else {"clearable": False}
    return dcc.Dropdown(
        id=fid(key), options=options, value=value, style={"minWidth": min_width}, **extra
    )


def choice_filter(
    label: str,
    key: str,
    options: Any,
    value: Any,
    *,
    all_label: str | None = None,
    min_width: str = "11rem",
) -> dbc.Col:
    """A labelled ``dropdown`` of a filter bar."""
    return labelled(label, dropdown(key, options, value, all_label=all_label, min_width=min_width))


def radio_filter(label: str, key: str, options: Any, value: Any) -> dbc.Col:
    """A labelled row of radio buttons of a filter bar (id ``fid(key)``)."""
    return labelled(label, dbc.RadioItems(id=fid(key), options=options, value=value, inline=True))


def year_range(years: list[dict[str, Any]], *, first: int, last: int) -> tuple[dbc.Col, dbc.Col]:
    """The From / To year dropdowns of a filter bar (ids ``fid("from")`` and ``fid("to")``)."""
    return (
        choice_filter("From", "from", years, first, min_width="7rem"),
        choice_filter("To", "to", years, last, min_width="7rem"),
    )


def filter_inputs(*keys: str) -> tuple[Input, ...]:
    """A callback's inputs: the values of the filter controls ``keys`` (ids ``fid(key)``)."""
    return tuple(Input(fid(key), "value") for key in keys)


def filter_callback(
    app: dash.Dash, *outputs: Output, filters: Sequence[str]
) -> Callable[[Callable[[dict[str, Any]], Any]], None]:
    """Register the decorated function as the callback of the filter controls ``filters``
    that writes ``outputs``, its answer cached (``cached_output``). It is called with the
    controls' values by name, the dict ``parse`` reads (as the URL keeps them)."""

    def register(answer: Callable[[dict[str, Any]], Any]) -> None:
        def update(*values: Any) -> Any:
            return answer(dict(zip(filters, values, strict=True)))

        update.__name__ = update.__qualname__ = answer.__name__
        app.callback(*outputs, *filter_inputs(*filters))(cached_output(update))

    return register


def filter_bar(*columns: Any) -> dbc.Card:
    return dbc.Card(
        dbc.CardBody(dbc.Row(list(columns), className="g-3 align-items-end")),
        className="shadow-sm mb-3",
    )
