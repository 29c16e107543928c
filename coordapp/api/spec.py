"""The OpenAPI 3 description, built with apispec from the operations the views declare.

Each view module calls ``operation(...)`` next to its route, so the description is generated from
the code that serves it (list filters and sort keys are read from the domain's ``ListSpec``).
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec

from coordapp.listing import PER_PAGE_CHOICES

_OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {}

_ERROR = {"$ref": "#/components/schemas/Error"}
_ERRORS = {
    "400": {"description": "Bad request", "content": {"application/json": {"schema": _ERROR}}},
    "401": {"description": "No valid token", "content": {"application/json": {"schema": _ERROR}}},
    "404": {"description": "Not found", "content": {"application/json": {"schema": _ERROR}}},
    "422": {"description": "Invalid input", "content": {"application/json": {"schema": _ERROR}}},
}
_RECORD = {"type": "object", "additionalProperties": True}


def _param(name: str, kind: str, fmt: str | None, description: str, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": kind, **extra}
    if fmt:
        schema["format"] = fmt
    return {
        "name": name,
        "in": "query",
        "required": False,
        "schema": schema,
        "description": description,
    }


def operation(
    path: str,
    method: str,
    *,
    summary: str | None = None,
    list_of: Any = None,
    one_of: Any = None,
    query: dict[str, tuple[str, str | None, str]] | None = None,
    body: dict[str, Any] | None = None,
    created: bool = False,
    manager: bool = False,
) -> None:
    """Declare one operation of the API for the description."""
    params: list[dict[str, Any]] = []
    responses: dict[str, Any] = {"401": _ERRORS["401"]}
    if list_of is not None:
        spec = list_of.spec
        summary = summary or f"List {list_of.slug.replace('-', ' ')} (filtered, paginated)"
        params += [
            _param("q", "string", None, "Search text."),
            _param("page", "integer", None, "Page number (from 1).", minimum=1),
            _param("per_page", "integer", None, "Items per page.", enum=list(PER_PAGE_CHOICES)),
            _param(
                "sort",
                "string",
                None,
                "A column key; '-' in front for descending.",
                enum=[p + c.key for c in spec.columns if c.sort is not None for p in ("", "-")],
            ),
        ]
        if spec.archivable:
            params.append(
                _param("archived", "string", None, "1 to include archived records.", enum=["1"])
            )
        params += [_param(f.key, "string", None, f"Filter: {f.label}.") for f in spec.filters]
        responses["200"] = {
            "description": "One page",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Page"}}},
        }
    elif one_of is not None:
        summary = summary or f"One {one_of.singular}"
        responses["200"] = {
            "description": "The record",
            "content": {"application/json": {"schema": _RECORD}},
        }
        responses["404"] = _ERRORS["404"]
    else:
        status = "201" if created else "200"
        responses[status] = {
            "description": "Done",
            "content": {"application/json": {"schema": _RECORD}},
        }
        responses["400"] = _ERRORS["400"]
    for name, (kind, fmt, description) in (query or {}).items():
        params.append(_param(name, kind, fmt, description))
        responses["422"] = _ERRORS["422"]
    for segment in path.split("/"):
        if segment.startswith("{"):
            name = segment.strip("{}")
            params.append(
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {"type": "integer", "minimum": 1},
                }
            )
            responses["404"] = _ERRORS["404"]
    op: dict[str, Any] = {"summary": summary or "", "parameters": params, "responses": responses}
    if body is not None:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
        responses["422"] = _ERRORS["422"]
    if manager:
        responses["403"] = {
            "description": "The token's user is not a manager",
            "content": {"application/json": {"schema": _ERROR}},
        }
        op["description"] = "Managers and admins only."
    _OPERATIONS.setdefault(path, {})[method] = op


def build_spec() -> dict[str, Any]:
    spec = APISpec(
        title="coordapp API",
        version="1.0.0",
        openapi_version="3.0.3",
        info={
            "description": "Coordination records of the hotline network. Authenticate with "
            "'Authorization: Bearer <token>' (create a token under API tokens). Session cookies "
            "do not authenticate the API. Money is a decimal string next to its currency code; "
            "dates are ISO."
        },
        servers=[{"url": "/api/v1"}],
        security=[{"bearer": []}],
    )
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema(
        "Error",
        {
            "type": "object",
            "required": ["error", "message", "status"],
            "properties": {
                "error": {"type": "string"},
                "message": {"type": "string"},
                "status": {"type": "integer"},
                "field": {"type": "string"},
            },
        },
    )
    spec.components.schema(
        "Page",
        {
            "type": "object",
            "required": ["items", "page", "per_page", "pages", "total"],
            "properties": {
                "items": {"type": "array", "items": _RECORD},
                "page": {"type": "integer"},
                "per_page": {"type": "integer"},
                "pages": {"type": "integer"},
                "total": {"type": "integer"},
                "filters": {"type": "object"},
                "sort": {"type": "string"},
            },
        },
    )
    for path in sorted(_OPERATIONS):
        spec.path(path=path, operations=dict(_OPERATIONS[path]))
    return spec.to_dict()
