"""Pages of the funding domain (records workspace)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("funding", __name__)
