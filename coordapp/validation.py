"""Validators the services share, so forms, imports and the API refuse the same things.

Each raises ``ValidationError(field, message)`` and returns the cleaned value.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import urlsplit

from coordapp.errors import ValidationError

MAX_RECORD_ID = 2**31 - 1  # the INTEGER primary keys: a larger number is never a record


def record_id(raw: object) -> int | None:
    """An id given as text (a query string, a form, a JSON value): the number if it can be a
    record's id, else None (the caller answers "not found" without asking the database, which
    would refuse to compare a number beyond its column)."""
    text = str(raw if raw is not None else "").strip()
    if not text.isdecimal():
        return None
    number = int(text)
    return number if 0 < number <= MAX_RECORD_ID else None


COORDINATION_ONLY = (
    "This system holds coordination data only: do not paste links or file hashes here "
    "(reported material never belongs in coordapp)."
)
# Anything that looks like a link (scheme, www., or host.tld/path) or a file hash.
_URL_LIKE = re.compile(
    r"(?i)\b(?:[a-z][a-z0-9+.-]*://|www\.|[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/|magnet:\?)"
)
_HASH_LIKE = re.compile(r"(?i)\b[0-9a-f]{32,}\b")
# Defanged links, as threat reports write them: hxxp://, example[.]com, (.), {.}, [dot], [:]
_DEFANGED = (
    (re.compile(r"(?i)\bhxxp(s?)\b"), r"http\1"),
    (re.compile(r"(?i)\s*[\[({]\s*(?:\.|dot)\s*[\])}]\s*"), "."),
    (re.compile(r"\[:\]|\(:\)"), ":"),
    (re.compile(r"\[/\]"), "/"),
    # "example DOT com": written in capitals, the word is a deliberate defang.
    (re.compile(r"\b([A-Za-z0-9-]+) DOT ([A-Za-z]{2,})\b"), r"\1.\2"),
    # "example dot com/path", "example dot co dot uk": only when a path or a second dot follows.
    (re.compile(r"(?i)\b([a-z0-9-]+) dot ([a-z0-9-]+)(?= dot |/)"), r"\1.\2"),
    (re.compile(r"(?i)\b([a-z0-9-]+) dot ([a-z]{2,})\b(?=\.|/)"), r"\1.\2"),
)
# Host-like tokens: labels joined by dots, not part of an e-mail address.
_HOST_LIKE = re.compile(
    r"(?<![@\w.-])(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9-]{2,63}(?![\w-])"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.]*\d)")
_IPV6_LIKE = re.compile(r"(?i)(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}(?![\w:])")
# 32+ hex characters in groups split by blanks, colons or dashes (digests as tools print them).
_SPLIT_HEX = re.compile(r"(?i)(?<![\w])[0-9a-f]{2,}(?:[ :\-][0-9a-f]{2,})+(?![\w])")
_BASE64_LIKE = re.compile(r"(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{32,}={0,2}(?![A-Za-z0-9+/_=-])")
_BASE32_LIKE = re.compile(r"(?<![A-Za-z0-9])(?:[A-Z2-7]{32,}|[a-z2-7]{32,})={0,6}(?![A-Za-z0-9=])")


def _registered_suffix(host: str) -> bool:
    """The host ends in a real public suffix (the Public Suffix List snapshot tldextract ships;
    it is never fetched at run time)."""
    found = _suffix_extractor()(host)
    return bool(found.suffix) and bool(found.domain)


_EXTRACTOR: Any = None


def _suffix_extractor() -> Any:
    global _EXTRACTOR
    if _EXTRACTOR is None:
        import tldextract

        _EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)
    return _EXTRACTOR


def _looks_like_a_link_or_digest(text: str, *, bare_domains: bool) -> bool:
    """True for anything that could point to material: a link (also defanged), a host name
    with a real top-level domain, an IP address, an onion or magnet link, or a digest (hex,
    also split into groups; base64; base32) of 32 characters or more."""
    undone = text
    for pattern, replacement in _DEFANGED:
        undone = pattern.sub(replacement, undone)
    for candidate in (text, undone):
        if _URL_LIKE.search(candidate) or _HASH_LIKE.search(candidate):
            return True
        if _IPV4.search(candidate):
            return True
        for match in _IPV6_LIKE.finditer(candidate):
            token = match.group(0)
            if ("::" in token or token.count(":") == 7) and _is_ip(token):
                return True
        for match in _HOST_LIKE.finditer(candidate):
            host = match.group(0)
            # A typo such as "done.Next" is not a host: hosts are typed in one case.
            if host.lower().endswith(".onion") or (
                (bare_domains or candidate is undone)
                and (host.islower() or host.isupper())
                and not host.replace(".", "").isdigit()
                and _registered_suffix(host.lower())
            ):
                return True
    for match in _SPLIT_HEX.finditer(text):
        digits = re.sub(r"[ :\-]", "", match.group(0))
        if len(digits) >= 32 and re.search(r"(?i)[a-f]", digits) and re.search(r"\d", digits):
            return True
    for match in _BASE64_LIKE.finditer(text):
        token = match.group(0)
        if re.search(r"[A-Z]", token) and re.search(r"[a-z]", token) and re.search(r"\d", token):
            return True
    return any(re.search(r"[2-7]", m.group(0)) for m in _BASE32_LIKE.finditer(text))


def _is_ip(token: str) -> bool:
    import ipaddress

    try:
        ipaddress.ip_address(token)
    except ValueError:
        return False
    return True


def free_text(
    field: str, value: str | None, *, max_length: int = 5000, bare_domains: bool = True
) -> str | None:
    """Notes and descriptions: trimmed, bounded, and never a link or a hash.

    ``bare_domains=False`` (names and titles) lets a plain host name such as "Booking.com"
    through, as organizations are called; a path, a scheme, an IP address or a digest is still
    refused."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if len(value) > max_length:
        raise ValidationError(field, f"At most {max_length} characters (this has {len(value)}).")
    if _looks_like_a_link_or_digest(value, bare_domains=bare_domains):
        raise ValidationError(field, COORDINATION_ONLY)
    if "\x00" in value:  # PostgreSQL cannot store it; it is never typed on purpose
        raise ValidationError(field, "Remove the NUL character from this text.")
    return value


def required_text(field: str, value: str | None, *, max_length: int) -> str:
    cleaned = free_text(field, value, max_length=max_length, bare_domains=False)
    if not cleaned:
        raise ValidationError(field, "This field is required.")
    return cleaned


def web_url(field: str, value: str | None, *, max_length: int = 300) -> str | None:
    """Website and document-reference fields: http(s) links with a host, nothing else."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(field, f"At most {max_length} characters.")
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. "http://[" (an unclosed IPv6 host)
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or " " in value:
        raise ValidationError(field, "Enter a full http:// or https:// address.")
    return value


def url_list(field: str, value: str | None) -> str | None:
    """One http(s) link per line (document references)."""
    if value is None or not value.strip():
        return None
    links = [line.strip() for line in value.splitlines() if line.strip()]
    return "\n".join(web_url(field, link) or "" for link in links)


def date_range(start: date | None, end: date | None, *, end_field: str = "end_date") -> None:
    if start is not None and end is not None and end < start:
        raise ValidationError(end_field, "The end date cannot be before the start date.")


def money(field: str, value: object, *, minor_units: int, positive: bool = False) -> Decimal:
    """A non-negative amount with no more decimals than the currency has."""
    try:
        amount = Decimal(str(value).strip().replace(",", "")) if value is not None else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        raise ValidationError(field, "Enter an amount as a number, e.g. 12500.00.")
    if amount < 0 or (positive and amount == 0):
        raise ValidationError(
            field,
            "The amount must be more than zero." if positive else "The amount cannot be negative.",
        )
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > minor_units:
        raise ValidationError(
            field,
            f"This currency has {minor_units} decimal place{'s' if minor_units != 1 else ''}; "
            f"{amount} has more.",
        )
    if amount >= Decimal("1e14"):
        raise ValidationError(field, "The amount is too large.")
    return amount


def choice(field: str, enum_cls: Any, value: object, *, required: bool = True) -> Any:
    """A member of ``enum_cls`` from its value, or a message listing the allowed values."""
    if value is None or value == "":
        if required:
            raise ValidationError(field, "Choose a value.")
        return None
    try:
        return enum_cls(value)
    except ValueError as exc:
        allowed = ", ".join(m.value for m in enum_cls)
        raise ValidationError(field, f"{value!r} is not one of: {allowed}.") from exc
