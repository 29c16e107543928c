"""/health checks the database: 200 while it answers, 503 with a JSON body when it does not."""

from __future__ import annotations

from flask.testing import FlaskClient

from coordapp import create_app
from coordapp.extensions import db

# Nothing listens on port 1: connecting fails at once, as with a database that is down.
UNREACHABLE = "postgresql+psycopg://coordapp@127.0.0.1:1/coordapp?connect_timeout=2"


def test_health_answers_200_with_the_database_up(client: FlaskClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_health_answers_503_in_json_when_the_database_is_down() -> None:
    app = create_app({"COORDAPP_ENV": "testing", "DATABASE_URL": UNREACHABLE})
    try:
        response = app.test_client().get("/health", headers={"Accept": "text/html"})
        assert response.status_code == 503
        assert response.mimetype == "application/json"
        assert response.json == {"status": "unavailable", "database": "unreachable"}
        assert "X-Request-ID" in response.headers
        body = response.get_data(as_text=True)
        assert "Traceback" not in body and "127.0.0.1" not in body
    finally:
        with app.app_context():
            db.engine.dispose()
