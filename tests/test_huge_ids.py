"""Record ids beyond the database's integer range are a 404, never a server error."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.routing import IntegerConverter


@pytest.mark.parametrize("huge", [2**31, 99_999_999_999, 2**64])
def test_huge_ids_in_any_get_route_are_not_found(
    app: Flask, signed_in: Callable[[str], FlaskClient], huge: int
) -> None:
    client = signed_in("admin")
    failures = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters  # type: ignore[attr-defined]
        ints = [n for n, c in converters.items() if isinstance(c, IntegerConverter)]
        if not ints or "GET" not in (rule.methods or set()):
            continue
        values = {n: (huge if n in ints else "x") for n in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]  # type: ignore[index]
        status = client.get(url).status_code
        if status != 404:
            failures.append(f"{url} -> {status}")
    assert failures == []
