"""Flask extensions, created once and initialised in create_app."""

from __future__ import annotations

from flask_bootstrap import Bootstrap5
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_sqlalchemy.session import Session as FlaskSession
from flask_wtf import CSRFProtect
from sqlalchemy.orm import Session

from coordapp.db import Base

# While a key-matched import batches its writes, ``flush()`` (the services' and autoflush) waits:
# the importer flushes every few hundred rows instead of once per row (see imports.service).
DEFER_FLUSH = "defer_flush"


class AppSession(FlaskSession):
    def flush(self, objects: object = None) -> None:
        if self.info.get(DEFER_FLUSH):
            return
        super().flush(objects)  # type: ignore[arg-type]


db = SQLAlchemy(model_class=Base, session_options={"class_": AppSession})
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
bootstrap = Bootstrap5()


def current_session() -> Session:
    """The request's (or command's) SQLAlchemy session, as a plain ``Session`` for services."""
    return db.session()
