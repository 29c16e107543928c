"""The content-free guard against a corpus kept as data, written apart from its patterns:
realistic coordination notes that must pass, and notes that sneak in a link, a host, an IP
address, an onion or magnet link, or a digest, that must be refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from coordapp.errors import ValidationError
from coordapp.validation import COORDINATION_ONLY, free_text, required_text

CORPUS = Path(__file__).parent / "content_corpus"


def _notes(name: str) -> list[str]:
    lines = (CORPUS / name).read_text(encoding="utf-8").splitlines()
    return [line for line in lines if line.strip()]


ALLOWED = _notes("allowed.txt")
REFUSED = _notes("refused.txt")


def test_the_corpus_is_large_enough_to_mean_something() -> None:
    assert len(ALLOWED) >= 150 and len(REFUSED) >= 150
    assert not set(ALLOWED) & set(REFUSED)


def test_every_realistic_note_passes() -> None:
    refused = []
    for note in ALLOWED:
        try:
            free_text("notes", note)
        except ValidationError:
            refused.append(note)
    assert refused == []


def test_every_note_with_a_link_host_address_or_digest_is_refused() -> None:
    passed = []
    for note in REFUSED:
        try:
            free_text("notes", note)
        except ValidationError as exc:
            assert exc.message == COORDINATION_ONLY
        else:
            passed.append(note)
    assert passed == []


@pytest.mark.parametrize(
    "text",
    ["bad[.]onion/path", "192.168.10.5/abc", "example.com", "d41d8cd9 8f00b204 e9800998 ecf8427e"],
)
def test_the_cases_the_issue_found_are_refused(text: str) -> None:
    with pytest.raises(ValidationError):
        free_text("notes", f"Follow-up: {text} was mentioned in the call.")


def test_a_name_may_be_a_plain_host_name_but_never_a_link() -> None:
    assert required_text("name", "Booking.com", max_length=200) == "Booking.com"
    for text in ("booking.com/partners", "https://booking.com", "10.0.0.1", "hxxp://x[.]ru"):
        with pytest.raises(ValidationError):
            required_text("name", text, max_length=200)
