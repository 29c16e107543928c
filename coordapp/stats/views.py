"""Pages of the stats domain (records workspace)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("stats", __name__)
