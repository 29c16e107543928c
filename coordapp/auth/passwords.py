"""The password policy, applied wherever a password is set (admin forms, the CLI, services):
at least MIN_PASSWORD_LENGTH characters, and not on the list of common passwords shipped in
``coordapp/auth/data/`` (see its README for origin and licence)."""

from __future__ import annotations

import functools
import gzip
from importlib import resources

from coordapp.errors import ValidationError

MIN_PASSWORD_LENGTH = 12
POLICY_TEXT = f"At least {MIN_PASSWORD_LENGTH} characters, and not a commonly used password."


@functools.cache
def common_passwords() -> frozenset[str]:
    data = resources.files("coordapp.auth").joinpath("data/common-passwords.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def is_common(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def check_password_policy(password: str) -> None:
    """Raise ValidationError("password", …) for a password the policy refuses."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            "password", f"The password must be at least {MIN_PASSWORD_LENGTH} characters long."
        )
    if is_common(password):
        raise ValidationError(
            "password",
            "This password is on a list of commonly used passwords that attackers try first; "
            "choose another.",
        )
