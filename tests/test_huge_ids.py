"""Record ids beyond the database's integer range are a 404, never a server error."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient


def test_huge_ids_in_any_get_route_are_not_server_errors(
    app: Flask, signed_in: Callable[[str], FlaskClient]
) -> None:
    client = signed_in("admin")
    failures = []
    for rule in app.url_map.iter_rules():
        converters = rule._converters  # type: ignore[attr-defined]
        ints = [n for n, c in converters.items() if type(c).__name__ == "IntegerConverter"]
        if not ints or "GET" not in (rule.methods or set()):
            continue
        values = {n: (2**64 if n in ints else "x") for n in rule.arguments}
        url = rule.build(values, append_unknown=False)[1]  # type: ignore[index]
        status = client.get(url).status_code
        if status >= 500:
            failures.append(f"{url} -> {status}")
    assert failures == []
