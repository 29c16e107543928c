"""Records found by name, remembered while the importer runs over one file.

A spreadsheet names the same organizations, hotlines and users row after row. While the
importer works through a file it puts a dict on ``session.info`` (``remembering``) and fills it
ahead with every such name the file holds, a thousand names per query. The services' look-ups
by name (``remembered``) then cost no query; a name asked for ahead and not found is known not
to exist, so the duplicate check of a new name costs none either (a service that creates a
record remembers it). The dict holds the records themselves: the session's identity map, which
holds them only weakly, keeps them too, so ``session.get`` by id costs no query. The list of
pillars and the latest metric definitions are remembered the same way. Outside an import
nothing is remembered.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

from sqlalchemy.orm import Session

NAME_MEMO = "name_memo"

T = TypeVar("T")


def remembered(session: Session, kind: str, key: str, look_up: Callable[[], T | None]) -> T | None:
    memo: dict[tuple[str, str], Any] | None = session.info.get(NAME_MEMO)
    if memo is None:
        return look_up()
    if (kind, key) in memo:
        known: T | None = memo[(kind, key)]  # None: asked for ahead, and there is none
        return known
    found = look_up()
    if found is not None:
        memo[(kind, key)] = found
    return found


def remember(
    session: Session, kind: str, records: Mapping[str, Any], *, asked: Iterable[str] = ()
) -> None:
    """Remember ``records`` by key; the ``asked`` keys not among them are known not to exist.

    A service that creates a record of a remembered kind remembers it too, so that a name
    known to be free is not taken by an earlier row of the same file unnoticed.
    """
    memo = session.info.get(NAME_MEMO)
    if memo is not None:
        memo.update(((kind, key), None) for key in asked if (kind, key) not in memo)
        memo.update(((kind, key), record) for key, record in records.items())


def forget(session: Session) -> None:
    """After a rolled-back row: what it created may be remembered, and is gone."""
    memo = session.info.get(NAME_MEMO)
    if memo is not None:
        memo.clear()


@contextlib.contextmanager
def remembering(session: Session) -> Iterator[None]:
    session.info[NAME_MEMO] = {}
    try:
        yield
    finally:
        session.info.pop(NAME_MEMO, None)


# --- natural keys read ahead: "is this key taken already?" without a query per row ---------

_KEYS = "*keys*"


def remember_keys(session: Session, kind: str, keys: Mapping[Any, Any]) -> None:
    """Every stored record of ``kind`` (its id) by natural key, read once by an import, so that
    the services' duplicate checks (``taken``) answer without a query per row."""
    memo = session.info.get(NAME_MEMO)
    if memo is not None:
        memo[(kind, _KEYS)] = dict(keys)


def note_key(session: Session, kind: str, key: Any, record: Any) -> None:
    """A record of ``kind`` created or saved under ``key`` (remembered only if keys are)."""
    memo = session.info.get(NAME_MEMO)
    keys = memo.get((kind, _KEYS)) if memo is not None else None
    if keys is not None:
        keys[key] = record


def taken(session: Session, kind: str, key: Any, *, exclude: Any, query: Callable[[], Any]) -> Any:
    """Another record with this natural key than ``exclude``: its id or the record itself, from
    the keys read ahead; without them, whatever ``query`` returns (None if there is none)."""
    memo = session.info.get(NAME_MEMO)
    keys = memo.get((kind, _KEYS)) if memo is not None else None
    if keys is None:
        return query()
    found = keys.get(key)
    if found is None or found is exclude or (exclude is not None and found == exclude.id):
        return None
    return found
