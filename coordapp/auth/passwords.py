"""The password policy, applied wherever a password is set (admin forms, the CLI, services):
at least MIN_PASSWORD_LENGTH characters, not on the list of common passwords shipped in
``coordapp/auth/data/`` (see its README for origin and licence), and hard enough to guess by
zxcvbn's estimate (score MIN_STRENGTH or more of 4) — which also refuses repeats such as
``aaaaaaaaaaaa``, keyboard walks, dates, and the person's own email address or name."""

from __future__ import annotations

import functools
import gzip
import re
from collections.abc import Iterable
from importlib import resources

from zxcvbn import zxcvbn

from coordapp.errors import ValidationError

MIN_PASSWORD_LENGTH = 12
# zxcvbn's 0–4 scale: 3 is "safely unguessable" (about 10^10 guesses) for an online attack.
MIN_STRENGTH = 3
# zxcvbn refuses longer input (its run time grows with length); the first 72 are judged.
STRENGTH_CHECKED_CHARACTERS = 72
POLICY_TEXT = (
    f"At least {MIN_PASSWORD_LENGTH} characters; not a commonly used password, nor repeats or "
    "patterns (aaaa…, 1234…, qwerty…), nor your own name or email address."
)


@functools.cache
def common_passwords() -> frozenset[str]:
    data = resources.files("coordapp.auth").joinpath("data/common-passwords.txt.gz").read_bytes()
    lines = gzip.decompress(data).decode("utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def is_common(password: str) -> bool:
    return password.strip().lower() in common_passwords()


def personal_words(user_inputs: Iterable[str]) -> list[str]:
    """The person's email address and name, whole and in parts (jane.doe@x.org -> jane, doe …)."""
    words: list[str] = []
    for value in user_inputs:
        value = (value or "").strip().lower()
        if not value:
            continue
        words.append(value)
        local_part, at, _domain = value.partition("@")
        if at:
            words.append(local_part)
        words.extend(part for part in re.split(r"[^\w]+", value) if len(part) >= 3)
    return words


def check_password_policy(password: str, *, user_inputs: Iterable[str] = ()) -> None:
    """Raise ValidationError("password", …) for a password the policy refuses.

    ``user_inputs``: the account's email address and name, which the password must not be
    built from."""
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
    words = personal_words(user_inputs)
    lowered = password.strip().lower()
    if any(lowered == word for word in words):
        raise ValidationError(
            "password",
            "The password must not be the account's own email address or name; choose another.",
        )
    estimate = zxcvbn(password[:STRENGTH_CHECKED_CHARACTERS], user_inputs=words)
    if estimate["score"] < MIN_STRENGTH:
        feedback = estimate["feedback"]
        personal = any(
            match.get("dictionary_name") == "user_inputs" for match in estimate["sequence"]
        )
        if personal:
            reason = "it is built from the account's own name or email address"
        else:
            reason = feedback.get("warning") or "it follows a pattern that is quick to guess"
        hint = " ".join(feedback.get("suggestions") or [])
        raise ValidationError(
            "password",
            f"This password is too easy to guess: {reason[0].lower()}{reason[1:].rstrip('.')}. "
            + (hint + " " if hint else "")
            + "A few unrelated words make a strong password.",
        )
