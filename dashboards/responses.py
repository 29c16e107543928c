"""Figure callbacks answered from a cache of their whole HTTP response.

A figure callback's answer depends on its request (inputs, outputs asked for), the day, the
reader (``guard.access_key``: their role, whether they see exact small counts) and the data. A
callback marked with ``cached_output`` is answered, while those are unchanged, with the JSON
bytes Dash sent the first time: no query but the data-version read, no figure built, nothing
serialised, Dash's dispatch not entered, and nothing compressed again (the compressed forms of
those bytes are kept, ``coordapp.compression.keep_compressed_body``). A manager's answer is
never served to a viewer: the reader's access key is part of the key. The answer is the
view's, so every before-request check (sign-in, same origin, the body guard) has run first: a
request refused today is refused from the cache too.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import date
from typing import Any, TypeVar

import dash
from dash.development.base_component import Component
from flask import Flask, Response, request

from coordapp.cache import one_data_version_read, response_cache
from coordapp.compression import keep_compressed_body
from coordapp.extensions import current_session
from dashboards.guard import access_key

F = TypeVar("F", bound=Callable[..., Any])
MARK = "cache_output"


def cached_output(callback: F) -> F:
    """Mark a figure callback whose answer depends on its inputs, the day, the reader's access
    key and the data only (not on ``dash.ctx`` or the time of day); Dash's own wrapper copies
    the mark (``functools.wraps``). Its answer is handed to Dash as plain JSON values."""

    @functools.wraps(callback)
    def answer_in_plain_json(*args: Any, **kwargs: Any) -> Any:
        return plain_json(callback(*args, **kwargs))

    setattr(answer_in_plain_json, MARK, True)
    return answer_in_plain_json  # type: ignore[return-value]


def plain_json(value: Any) -> Any:
    """Dash components as the dicts they serialise to, so that the whole answer is plain JSON
    and orjson writes it in one call, where Plotly's encoder, finding a component, walks every
    node of every figure in Python. Dicts (figures, styles) are left as they are: a value in
    one that orjson cannot write sends the answer through Plotly's walk, as before."""
    if isinstance(value, Component):
        data = value.to_plotly_json()
        data["props"] = {name: plain_json(v) for name, v in data["props"].items()}
        return data
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value


@functools.cache
def _props_of(kind: type[Component]) -> tuple[dict[str, int], tuple[str, ...]]:
    """A component class's props in the order ``to_plotly_json`` writes them, and the prefixes
    of the wildcard props it takes (its generated ``__init__`` sets both on the instance)."""
    sample = kind()
    names: list[str] = sample._prop_names  # type: ignore[attr-defined]
    wildcards: list[str] = sample._valid_wildcard_attributes  # type: ignore[attr-defined]
    return {name: i for i, name in enumerate(names)}, tuple(wildcards)


def component_json(kind: type[Component], children: Any = None, /, **props: Any) -> dict[str, Any]:
    """``plain_json(kind(children, **props))`` without building the component: the same dict,
    its props in the same order. For answers with hundreds of cells (a table's rows), where
    building each component and turning it back into a dict costs more than the rest of the
    answer. ``children`` must be plain JSON already (strings, numbers, such dicts). A prop the
    component does not take is refused, as its constructor refuses it."""
    order, wildcards = _props_of(kind)
    return {
        "props": _ordered_props(kind, order, wildcards, children, props),
        "type": kind._type,  # type: ignore[attr-defined]
        "namespace": kind._namespace,  # type: ignore[attr-defined]
    }


def _ordered_props(
    kind: type[Component],
    order: dict[str, int],
    wildcards: tuple[str, ...],
    children: Any,
    props: dict[str, Any],
) -> dict[str, Any]:
    if not props and "children" in order:  # a table's cell: its children alone, in a hurry
        return {"children": children}
    if "children" in order:  # Dash writes it always, null when there are none
        props = {"children": children, **props}
    elif children is not None:
        raise TypeError(f"{kind.__name__} takes no children")
    unknown = [n for n in props if n not in order and not n.startswith(wildcards)]
    if unknown:
        raise TypeError(f"{kind.__name__} takes no prop {', '.join(unknown)}")
    named = sorted((n for n in props if n in order), key=order.__getitem__)
    wild = [n for n in props if n not in order]
    return {n: props[n] for n in (*named, *wild)}


class _NotKept(Exception):
    def __init__(self, response: Any) -> None:
        self.response = response


def _key(body: dict[str, Any]) -> tuple[Any, ...]:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return (
        "dash-response",
        hashlib.sha256(canonical.encode()).hexdigest(),
        date.today(),
        access_key(),
    )


def cache_responses(app: dash.Dash, server: Flask, update_path: str) -> None:
    """Wrap the server's callback view (the one for ``update_path``) with the response cache."""
    endpoint = next(
        rule.endpoint for rule in server.url_map.iter_rules() if rule.rule == update_path
    )
    dispatch: Callable[..., Any] = server.view_functions[endpoint]

    def cacheable(body: dict[str, Any]) -> bool:
        callback = app.callback_map.get(body.get("output"), {}).get("callback")  # type: ignore[arg-type]
        return bool(getattr(callback, MARK, False))

    def answer(*args: Any, **kwargs: Any) -> Any:
        body = request.get_json(silent=True)
        if request.method != "POST" or not isinstance(body, dict) or not cacheable(body):
            return dispatch(*args, **kwargs)

        def compute() -> tuple[str, bytes]:
            response = server.make_response(dispatch(*args, **kwargs))
            if response.status_code != 200 or response.mimetype != "application/json":
                raise _NotKept(response)
            data = response.get_data()
            return hashlib.blake2b(data, digest_size=16).hexdigest(), data

        session = current_session()
        try:
            with one_data_version_read(session):
                digest, data = response_cache.get_or_compute(session, _key(body), compute)
        except _NotKept as not_kept:
            return not_kept.response
        keep_compressed_body(digest)
        return Response(data, mimetype="application/json")

    answer.__module__ = dispatch.__module__
    answer.__name__ = dispatch.__name__
    answer.__qualname__ = dispatch.__qualname__
    server.view_functions[endpoint] = answer
