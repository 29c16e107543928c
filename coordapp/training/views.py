"""Pages of the training domain (records workspace)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("training", __name__)
