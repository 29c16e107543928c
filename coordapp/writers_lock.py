"""The app-wide writers' lock: one writing transaction at a time, for rules the database cannot
enforce.

It is the row lock on the data version (``coordapp.data_version``), which every data-changing
flush takes anyway when it moves the counter on; taking it first only takes it earlier, so it
cannot deadlock with other writers. SQLite serializes writers by itself.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from coordapp.data_version import DATA_VERSION_TABLE

_HELD = "writers_lock_held"  # session.info: the transaction that holds it


def serialize_writers(session: Session) -> None:
    """Wait for every other writing transaction to finish, and hold them off until we commit.

    For check-then-write rules the database cannot enforce (a name unique regardless of case):
    without this, two transactions can both find the name free and both insert it.
    """
    transaction = session.get_transaction()
    if transaction is not None and session.info.get(_HELD) is transaction:
        return  # taken already in this transaction, outside any savepoint: still held
    session.execute(
        sa.select(DATA_VERSION_TABLE.c.version)
        .where(DATA_VERSION_TABLE.c.id == 1)
        .with_for_update()
    )
    # A lock taken inside a savepoint is released if the savepoint rolls back; one taken
    # outside any is held until the transaction ends, so later calls need not ask again.
    if session.get_nested_transaction() is None:
        session.info[_HELD] = transaction
