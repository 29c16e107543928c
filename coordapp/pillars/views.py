"""Pages of the pillars domain (records workspace)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pillars", __name__)
