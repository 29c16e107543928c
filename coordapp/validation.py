"""Validators the services share, so forms, imports and the API refuse the same things.

Each raises ``ValidationError(field, message)`` and returns the cleaned value.
"""

from __future__ import annotations

import enum
import math
import re
from datetime import date
from decimal import Decimal
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


# --- numbers and dates as people write them ---------------------------------------------------
#
# One reader for every surface (forms, imports, the API), so that each refuses the same things
# with the same words. A number is read strictly: the decimal mark is the one chosen, and a
# thousands separator (the other mark, a space or an apostrophe) only ever separates groups of
# three digits; anything else is an error that says why and what was probably meant, never a
# guess (with a decimal comma, "12.5" used to become 125).


class DecimalMark(enum.StrEnum):
    POINT = "point"
    COMMA = "comma"


_MARK = {DecimalMark.POINT: ".", DecimalMark.COMMA: ","}
_BLANKS = " \u00a0\u202f\u2009"  # space, no-break space, narrow no-break space, thin space
_APOSTROPHES = "'\u2019"
_NUMBER_CHARACTERS = re.compile(
    r"[0-9.,'\u2019 \u00a0\u202f\u2009]*[0-9][0-9.,'\u2019 \u00a0\u202f\u2009]*"
)
_MINUS_SIGNS = "-\u2212"
# A number with no separator but its one decimal mark (most cells of a file): read at once.
_PLAIN_NUMBER = {
    DecimalMark.POINT: re.compile(r"-?[0-9]+(?:\.[0-9]+)?"),
    DecimalMark.COMMA: re.compile(r"-?[0-9]+(?:,[0-9]+)?"),
}


def _shown(text: str) -> str:
    """The text as quoted in a message (a whole spreadsheet cell can be long)."""
    return repr(text if len(text) <= 40 else text[:39] + "\u2026")


def _separator(char: str) -> tuple[str, str]:
    """(what a message calls the separator, the separator in an example)."""
    if char in _BLANKS:
        return "a space", " "
    if char in _APOSTROPHES:
        return "an apostrophe", "'"
    return ("a dot", ".") if char == "." else ("a comma", ",")


def parse_number(
    value: object, decimal_mark: DecimalMark = DecimalMark.POINT, *, thousands: bool = True
) -> Decimal:
    """A number as written in a form, a spreadsheet cell or a JSON value; ValueError says why not.

    ``decimal_mark`` is the one mark that separates decimals. With ``thousands``, the other
    mark, a space or an apostrophe may group the whole part in threes (``1.250.000,50``,
    ``1 250 000.50``); without, no separator is accepted (rates, where ``1,085`` is likely
    1.085 and never 1085). The decimals written are kept (``12.50`` has two), so that a
    currency's decimal places can be checked. Numbers already typed (int, Decimal, a spreadsheet
    float) are taken as they are.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number.")
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):  # a spreadsheet cell: the shortest text that reads back as it
        value = Decimal(repr(value)) if math.isfinite(value) else Decimal("NaN")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{str(value)!r} is not a number.")
        return value
    written = str(value if value is not None else "").strip()
    if _PLAIN_NUMBER[decimal_mark].fullmatch(written):
        return Decimal(written.replace(",", "."))
    found = _read_number(written, decimal_mark, thousands=thousands)
    if isinstance(found, Decimal):
        return found
    guesses = _readings_meant(written, decimal_mark, thousands=thousands)
    meant = f"; did you mean {' or '.join(guesses)}?" if guesses else "."
    raise ValueError(found + meant)


def _read_number(written: str, mark: DecimalMark, *, thousands: bool) -> Decimal | str:
    """The number, or what is wrong with it (without the final stop)."""
    point = _MARK[mark]
    mark_name = "decimal point" if point == "." else "decimal comma"
    not_written_so = f"{_shown(written)} is not a number written with a {mark_name}"
    sign, text = "", written
    if text[:1] in ("+", *_MINUS_SIGNS):
        sign, text = ("" if text[0] == "+" else "-"), text[1:]
    if not written:
        return f"Enter a number, e.g. 1234{point}56"
    whole, has_mark, fraction = text.partition(point)
    if not _NUMBER_CHARACTERS.fullmatch(text) or (has_mark and not fraction):
        return f"{_shown(written)} is not a number; write e.g. 1234{point}56"
    if point in fraction:
        return f"{not_written_so}: it has more than one {mark_name}"
    separators = {_separator(c)[1] for c in text if not c.isdigit() and c != point}
    if separators and not thousands:
        return f"{not_written_so}: write it without thousands separators"
    if len(separators) > 1:
        names = " and ".join(sorted(_separator(s)[0] for s in separators))
        return f"{not_written_so}: it mixes {names} as thousands separators; use one"
    if separators:
        (separator,) = separators
        grouped = "".join(_separator(c)[1] if not c.isdigit() else c for c in whole)
        in_threes = rf"[0-9]{{1,3}}(?:{re.escape(separator)}[0-9]{{3}})+"
        if (has_mark and not fraction.isdigit()) or not re.fullmatch(in_threes, grouped):
            name = _separator(separator)[0]
            return (
                f"{not_written_so}: {name} may only separate thousands in groups of three "
                f"(1{separator}250{separator}000{point}50)"
            )
    digits = "".join(c for c in whole if c.isdigit()) or "0"
    return Decimal(sign + digits + (f".{fraction}" if has_mark else ""))


def _readings_meant(written: str, mark: DecimalMark, *, thousands: bool) -> list[str]:
    """What a number that could not be read probably meant, written with ``mark``: the same
    text read with the other decimal mark, and (where no separator is allowed) read without
    its separators."""
    point = _MARK[mark]
    other_mark = DecimalMark.COMMA if mark == DecimalMark.POINT else DecimalMark.POINT
    readings = [_read_number(written, other_mark, thousands=thousands)]
    if not thousands:
        readings.append(_read_number(written, mark, thousands=True))
    meant: list[str] = []
    for reading in readings:
        if isinstance(reading, Decimal):
            text = format(reading, "f").replace(".", point)
            if text not in meant:
                meant.append(text)
    return meant


def number(
    field: str,
    value: object,
    *,
    decimal_mark: DecimalMark = DecimalMark.POINT,
    thousands: bool = True,
) -> Decimal:
    """``parse_number`` for a service: the message as a ValidationError on ``field``."""
    try:
        return parse_number(value, decimal_mark, thousands=thousands)
    except ValueError as exc:
        raise ValidationError(field, str(exc)) from None


def decimal_places(value: Decimal) -> int:
    """The decimals written: 2 for 12.50, 0 for 12 (and for 1E+3)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def money(
    field: str,
    value: object,
    *,
    minor_units: int,
    positive: bool = False,
    currency: str | None = None,
) -> Decimal:
    """A non-negative amount with no more decimals than the currency has.

    Text takes the decimal point (a form, the API); an import reads its cells with the file's
    decimal mark first and passes the Decimal."""
    amount = number(field, value)
    if amount < 0 or (positive and amount == 0):
        raise ValidationError(
            field,
            "The amount must be more than zero." if positive else "The amount cannot be negative.",
        )
    written = decimal_places(amount)
    if written > minor_units:
        places = f"{minor_units} decimal place{'s' if minor_units != 1 else ''}"
        subject = f"{currency} amounts have" if currency else "This currency has"
        raise ValidationError(field, f"{subject} {places}; this amount has {written}.")
    if amount >= Decimal("1e14"):
        raise ValidationError(field, "The amount is too large.")
    return amount


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
# Year first, but not as ISO writes it: 2026-3-1, 2026/03/01, 2026.03.01.
_YEAR_FIRST = re.compile(r"([0-9]{4})([-./])([0-9]{1,2})\2([0-9]{1,2})")


def iso_date(text: str) -> date:
    """A date written YYYY-MM-DD, and nothing else: not 20260301, not 2026-W10-1 (which
    ``date.fromisoformat`` reads too); ValueError says why, and what was probably meant."""
    text = text.strip()
    iso = _ISO_DATE.fullmatch(text)
    year_first = _YEAR_FIRST.fullmatch(text)
    if iso is not None:
        parts = iso.group(1, 2, 3)
    elif year_first is not None:
        parts = year_first.group(1, 3, 4)
    else:
        raise ValueError(f"{_shown(text)} is not a date; write it as YYYY-MM-DD.")
    year, month, day = (int(part) for part in parts)
    try:
        written = date(year, month, day)
    except ValueError:
        raise ValueError(f"{_shown(text)} is not a real date (YYYY-MM-DD).") from None
    if iso is None:
        raise ValueError(
            f"{_shown(text)} is not a date as YYYY-MM-DD; did you mean {written.isoformat()}?"
        )
    return written


def date_value(
    field: str, value: object, *, required: bool = True, what: str = "a date"
) -> date | None:
    """A date from a form (``date``) or an import / API value (ISO text, read by ``iso_date``).

    Blank is ``None``, or "Enter the pledge date." when ``required``; the one wording for a
    date that is not one, wherever it is typed.
    """
    if isinstance(value, date):
        return value
    if blank(value):
        if required:
            raise ValidationError(field, f"Enter {what} (YYYY-MM-DD).")
        return None
    if not isinstance(value, str):
        raise ValidationError(field, f"Enter {what} as YYYY-MM-DD, e.g. 2026-03-31.")
    try:
        return iso_date(value)
    except ValueError as exc:
        raise ValidationError(field, str(exc)) from None


def past_date(field: str, value: object, *, what: str) -> date | None:
    """A date (or none) that is not in the future: ``what`` names it in the message."""
    day = date_value(field, value, required=False)
    if day is not None and day > date.today():
        raise ValidationError(field, f"The {what} cannot be in the future.")
    return day


def required_date(field: str, value: object, *, what: str = "a date") -> date:
    """``date_value`` for a date that must be given."""
    given = date_value(field, value, required=True, what=what)
    assert given is not None
    return given


def blank(value: object) -> bool:
    """Nothing given: None, or text of blanks only."""
    return value is None or (isinstance(value, str) and not value.strip())


def whole_number(
    field: str, value: object, *, low: int, high: int, what: str | None = None
) -> int | None:
    """A whole number from ``low`` to ``high`` (typed, or given as a number), or None when
    blank. The messages name ``what`` ("the staff count") when given."""
    if blank(value):
        return None
    either = f"Enter a whole number from {low} to {high}."
    try:
        # A number given as one (an import's cell, the API's JSON), never a boolean.
        number = value if type(value) is int else int(str(value).strip())
    except ValueError:
        raise ValidationError(
            field, f"Enter {what} as a whole number." if what else either
        ) from None
    if not low <= number <= high:
        outside = f"{what.capitalize()} must be between {low} and {high}." if what else either
        raise ValidationError(field, outside)
    return number


def optional_id(field: str, value: object, *, message: str) -> int | None:
    """A positive record id typed or picked, or ``None`` when blank; ``message`` otherwise.

    Whether the record exists is the caller's question (it knows which table to ask).
    """
    if blank(value):
        return None
    try:
        number = int(str(value).strip())
    except ValueError:
        raise ValidationError(field, message) from None
    if not 0 < number <= MAX_RECORD_ID:
        raise ValidationError(field, message)
    return number


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
