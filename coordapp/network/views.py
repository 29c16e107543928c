"""Pages of the network domain (records workspace)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("network", __name__)
