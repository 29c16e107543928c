"""Malformed input gets a 4xx, never a server error: the checks every request passes through.

- Record ids in URLs go through the ``id`` converter: 1 .. 2³¹−1, the range of the integer
  columns. A larger number cannot be a record, so it is a 404 before any query (PostgreSQL
  would refuse to compare it; SQLite would overflow).
- A NUL character or an unpaired surrogate (text no database can store or compare) in the
  path is a 404 (nothing has such a name); in the query string a 400. Form fields are left to
  the validators, which name the field (``coordapp.validation``).
- JSON request bodies (the API, Dash callbacks): nested at most ``MAX_JSON_DEPTH`` deep and
  free of NUL / unpaired surrogates, else a 400 — checked where Flask decodes JSON, so every
  reader of ``request.get_json()`` gets it.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.exceptions import BadRequest
from werkzeug.exceptions import NotFound as HTTPNotFound
from werkzeug.routing import IntegerConverter, Map

from coordapp.validation import MAX_RECORD_ID

MAX_JSON_DEPTH = 64
# NUL, and the halves of a surrogate pair on their own: neither encodes to UTF-8 for the driver.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


class RecordIdConverter(IntegerConverter):
    """``<id:record_id>``: a positive id that fits the database's integer columns. Any other
    number in its place is a 404 for every method (Werkzeug's own range check would make it a
    405 where another method's rule has the same path)."""

    def __init__(self, map: Map) -> None:  # noqa: A002  (Werkzeug's parameter name)
        super().__init__(map, min=1, max=MAX_RECORD_ID)

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_RECORD_ID:
            raise HTTPNotFound(f"There is no record with id {value[:20]}.")
        return number


def unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


class CheckedJSONProvider(DefaultJSONProvider):
    """Flask's JSON, refusing bodies too deep to be meant (5,000 nested arrays would exhaust
    the parser's recursion) or holding text the database cannot take."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        try:
            value = super().loads(s, **kwargs)
        except RecursionError:
            raise _too_deep() from None
        _check_json(value)
        return value


def _too_deep() -> BadRequest:
    return BadRequest(f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep.")


def _check_json(value: Any) -> None:
    # Iterative, so a deep value cannot exhaust the stack here either.
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if unstorable(item):
                raise BadRequest("The JSON body holds a NUL character or invalid Unicode text.")
            continue
        if not isinstance(item, dict | list):
            continue
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        else:
            stack.extend((child, depth + 1) for child in item)


def _refuse_unstorable_url() -> None:
    if unstorable(request.path):
        raise HTTPNotFound()
    for key, value in request.args.items(multi=True):
        if unstorable(key) or unstorable(value):
            raise BadRequest("The address holds a NUL character or invalid text.")


def init_input_checks(app: Flask) -> None:
    """Before the blueprints: their rules are built with the ``id`` converter."""
    app.url_map.converters["id"] = RecordIdConverter
    app.json = CheckedJSONProvider(app)
    app.before_request(_refuse_unstorable_url)
