"""Malformed input is answered with a 4xx that says so, never a server error: ids beyond the
integer columns, NUL characters in the address, JSON nested thousands deep, and Dash callback
requests that do not match a callback."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.auth import tokens
from coordapp.inputs import MAX_JSON_DEPTH
from tests import factories
from tests.dashboards.conftest import SAME_ORIGIN, UPDATE_URL, call, filter_id, prop, result

MAP = "..map-graph.figure...map-headline.children...map-small.children...map-note.children.."


@pytest.fixture
def admin(signed_in: Callable[[str], FlaskClient]) -> FlaskClient:
    return signed_in("admin")


@pytest.fixture
def api_headers(
    in_app: Callable[[], AbstractContextManager[Session]], users: dict[str, str]
) -> dict[str, str]:
    with in_app() as s:
        user = auth.get_required_by_email(s, users["manager"])
        _token, plaintext = tokens.create_token(s, user=user, name="fuzz script")
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.mark.parametrize(
    "path",
    [
        "/hotlines/99999999999",
        "/hotlines/2147483648",
        "/organizations/99999999999/edit",
        "/auth/users/99999999999",
        "/trainings/1/participation/99999999999/edit",
        "/hotlines/0",
    ],
)
def test_an_id_beyond_the_integer_columns_is_not_found(admin: FlaskClient, path: str) -> None:
    assert admin.get(path).status_code == 404


def test_the_largest_possible_id_is_still_looked_up(
    admin: FlaskClient, in_app: Callable[[], AbstractContextManager[Session]]
) -> None:
    with in_app() as s:
        hotline = factories.hotline(s, country="AT", name="Hotline AT")
        hotline_id = hotline.id
    assert admin.get("/hotlines/2147483647").status_code == 404
    assert admin.get(f"/hotlines/{hotline_id}").status_code == 200


def test_api_ids_beyond_the_integer_columns_are_not_found(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    response = client.get("/api/v1/hotlines/99999999999", headers=api_headers)
    assert response.status_code == 404 and response.get_json()["status"] == 404
    response = client.patch("/api/v1/partnerships/99999999999", json={}, headers=api_headers)
    assert response.status_code == 404
    response = client.put(
        "/api/v1/hotlines/99999999999/statistics/2025", json={}, headers=api_headers
    )
    assert response.status_code == 404


@pytest.mark.parametrize("path", ["/countries/A%00", "/countries/%00%00", "/hotlines/1%00"])
def test_a_nul_in_the_path_is_not_found(admin: FlaskClient, path: str) -> None:
    assert admin.get(path).status_code == 404


@pytest.mark.parametrize(
    "url",
    [
        "/commitments/partnerships-of-funder?funder=a%00b",
        "/commitments/partnerships-of-funder?funder=%00",
        "/hotlines/?q=%00",
        "/?year=20%0026",
    ],
)
def test_a_nul_in_the_query_string_is_a_bad_request(admin: FlaskClient, url: str) -> None:
    response = admin.get(url)
    assert response.status_code == 400
    assert "NUL character" in response.get_data(as_text=True)


def test_the_api_refuses_json_nested_thousands_deep(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    deep = "[" * 5000 + "]" * 5000
    response = client.post(
        "/api/v1/partnerships", data=deep, content_type="application/json", headers=api_headers
    )
    assert response.status_code == 400
    body = response.get_json()
    assert body["status"] == 400 and f"more than {MAX_JSON_DEPTH} levels" in body["message"]


def test_the_api_takes_json_up_to_the_depth_limit(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    def nested(levels: int) -> str:  # an object holding a list nested to ``levels`` in all
        return '{"title": ' + "[" * (levels - 1) + "]" * (levels - 1) + "}"

    at_limit = client.post(
        "/api/v1/partnerships",
        data=nested(MAX_JSON_DEPTH),
        content_type="application/json",
        headers=api_headers,
    )
    assert at_limit.status_code == 422  # read, and refused by field
    beyond = client.post(
        "/api/v1/partnerships",
        data=nested(MAX_JSON_DEPTH + 1),
        content_type="application/json",
        headers=api_headers,
    )
    assert beyond.status_code == 400


def test_the_api_refuses_a_nul_in_a_json_body(
    client: FlaskClient, api_headers: dict[str, str]
) -> None:
    response = client.post("/api/v1/partnerships", json={"title": "a\x00b"}, headers=api_headers)
    assert response.status_code == 400 and "NUL" in response.get_json()["message"]


MAP_INPUTS = [
    prop(filter_id("year"), "value", 2020),
    prop(filter_id("region"), "value", None),
    prop(filter_id("colour"), "value", "coverage"),
]
MALFORMED_DASH_BODIES = [
    {},
    [],
    "x",
    {"output": 5, "outputs": 3, "inputs": "x"},
    {"output": "nope.children", "outputs": {"id": "nope", "property": "children"}, "inputs": []},
    {"output": MAP},  # no inputs, no outputs
    {"output": MAP, "outputs": [], "inputs": []},
    {
        "output": MAP,
        "outputs": [{"id": "map-graph", "property": "figure"}] * 4,
        "inputs": ["x", "y"],
    },
    {
        "output": MAP,
        "outputs": [{"id": "map-graph", "property": "figure"}] * 4,
        "inputs": [prop("elsewhere", "value", 1), prop("elsewhere", "value", 2)],
    },
    {
        "output": MAP,
        "outputs": [{"id": "map-graph", "property": "figure"}] * 4,
        "inputs": MAP_INPUTS,
        "changedPropIds": 7,
    },
]


@pytest.mark.parametrize("body", MALFORMED_DASH_BODIES)
def test_a_malformed_dash_request_is_a_bad_request(admin: FlaskClient, body: object) -> None:
    response = admin.post(UPDATE_URL, json=body, headers=SAME_ORIGIN)
    assert response.status_code == 400
    assert "Malformed dashboard request" in response.get_json()["message"]


def test_a_well_formed_dash_request_still_answers(admin: FlaskClient) -> None:
    assert result(call(admin, MAP, MAP_INPUTS))["map-graph"]["figure"]
