"""The REST API under /api/v1: token-authenticated JSON over the domain services."""

from __future__ import annotations

from flask import Flask


def register(app: Flask) -> None:
    """The API blueprint (token auth, CSRF-exempt) and the pages for tokens and API docs."""
    from coordapp.api.pages import bp as pages_bp
    from coordapp.api.views import bp as api_bp

    app.register_blueprint(api_bp)
    app.register_blueprint(pages_bp)
