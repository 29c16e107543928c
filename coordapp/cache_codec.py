"""Reporting results to bytes and back, for the shared (Redis) report cache.

Tagged JSON rather than pickle: reading a cached value can only rebuild plain values, Decimals,
dates, tuples, frozensets, and the enums and frozen dataclasses defined in coordapp's own
modules — never run code named by whoever could write to the cache. Every type a reporting
result holds survives the round trip exactly (``Decimal("1.50")`` stays ``Decimal("1.50")``).
"""

from __future__ import annotations

import dataclasses
import importlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

_OWN_MODULES = ("coordapp.", "dashboards.")


class CodecError(ValueError):
    """The value (or the bytes) is not something a reporting result is made of."""


def dumps(value: Any) -> bytes:
    return json.dumps(_encode(value), separators=(",", ":")).encode()


def loads(data: bytes | str) -> Any:
    return _decode(json.loads(data))


def _type_name(cls: type) -> str:
    return f"{cls.__module__}:{cls.__qualname__}"


def _encode(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str) and not isinstance(value, Enum):
        return value
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, Enum):
        return {"$enum": _type_name(type(value)), "v": value.value}
    if isinstance(value, tuple):
        return {"$tuple": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, frozenset | set):
        items = [_encode(v) for v in value]
        return {"$frozenset" if isinstance(value, frozenset) else "$set": items}
    if isinstance(value, dict):
        return {"$map": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"$dc": _type_name(type(value)), "f": fields}
    raise CodecError(f"cannot cache a {type(value).__name__}")


def _own_type(name: str) -> type:
    module_name, _, qualname = name.partition(":")
    if not module_name.startswith(_OWN_MODULES) or not qualname:
        raise CodecError(f"refusing to rebuild {name!r}")
    obj: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    if not isinstance(obj, type):
        raise CodecError(f"{name!r} is not a type")
    return obj


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    if "$dec" in value:
        return Decimal(value["$dec"])
    if "$date" in value:
        return date.fromisoformat(value["$date"])
    if "$dt" in value:
        return datetime.fromisoformat(value["$dt"])
    if "$tuple" in value:
        return tuple(_decode(v) for v in value["$tuple"])
    if "$frozenset" in value:
        return frozenset(_decode(v) for v in value["$frozenset"])
    if "$set" in value:
        return {_decode(v) for v in value["$set"]}
    if "$map" in value:
        return {_decode(k): _decode(v) for k, v in value["$map"]}
    if "$enum" in value:
        cls = _own_type(value["$enum"])
        if not issubclass(cls, Enum):
            raise CodecError(f"{value['$enum']!r} is not an enum")
        return cls(value["v"])
    if "$dc" in value:
        cls = _own_type(value["$dc"])
        if not dataclasses.is_dataclass(cls):
            raise CodecError(f"{value['$dc']!r} is not a dataclass")
        return cls(**{k: _decode(v) for k, v in value["f"].items()})
    raise CodecError(f"unknown tag in {sorted(value)[:3]}")
