"""Home page and the health endpoint."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, current_app, jsonify, render_template

from coordapp.extensions import current_session
from coordapp.main import service

bp = Blueprint("main", __name__)


@bp.route("/")
def home() -> Any:
    figures = service.home_figures(
        current_session(), today=date.today(), currency=current_app.config["REPORTING_CURRENCY"]
    )
    return render_template("main/home.html", figures=figures)


@bp.route("/coming-soon/<section>")
def coming_soon(section: str) -> Any:
    return render_template("main/coming_soon.html", section=section)


@bp.route("/health")
def health() -> Any:
    ok = service.database_ok(current_session())
    return jsonify(status="ok" if ok else "database unavailable"), (200 if ok else 503)
