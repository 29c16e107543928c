"""A Flask-SQLAlchemy session that runs inside an outer, rolled-back test transaction."""

from __future__ import annotations

from typing import Any

from flask_sqlalchemy.session import Session as FlaskSession


class TransactionalSession(FlaskSession):
    # Flask-SQLAlchemy picks the engine itself; in tests every statement must use the
    # connection that holds the outer transaction.
    def get_bind(self, mapper: Any = None, clause: Any = None, bind: Any = None, **kw: Any) -> Any:
        return self.bind if self.bind is not None else super().get_bind(mapper, clause, bind, **kw)
