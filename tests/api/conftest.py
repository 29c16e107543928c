from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
from sqlalchemy.orm import Session

from coordapp.auth import service as auth
from coordapp.auth import tokens


@pytest.fixture
def token_for(
    in_app: Callable[[], AbstractContextManager[Session]], users: dict[str, str]
) -> Callable[[str], dict[str, str]]:
    """``token_for("viewer")`` → the Authorization header of a fresh token of that role's user."""

    def _make(role: str) -> dict[str, str]:
        with in_app() as s:
            user = auth.get_required_by_email(s, users[role])
            _token, plaintext = tokens.create_token(s, user=user, name=f"{role} script")
        return {"Authorization": f"Bearer {plaintext}"}

    return _make
