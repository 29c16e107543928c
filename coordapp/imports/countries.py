"""Countries as people write them in a spreadsheet ("Deutschland", "UK", "Korea, Rep.", ISO-2/3)
read as ISO alpha-2 codes, and the countries a name that matches none is probably a slip of."""

from __future__ import annotations

import functools
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

import sqlalchemy as sa
from rapidfuzz import process
from rapidfuzz.distance import OSA
from sqlalchemy.orm import Session

from coordapp.reference.models import Country

# Names in the country's own language that the English-language converters do not know.
_NATIVE_NAMES = {
    "deutschland": "DE",
    "österreich": "AT",
    "osterreich": "AT",
    "schweiz": "CH",
    "suisse": "CH",
    "svizzera": "CH",
    "españa": "ES",
    "espana": "ES",
    "italia": "IT",
    "nederland": "NL",
    "belgië": "BE",
    "belgique": "BE",
    "polska": "PL",
    "česko": "CZ",
    "sverige": "SE",
    "norge": "NO",
    "danmark": "DK",
    "suomi": "FI",
    "magyarország": "HU",
    "hellas": "GR",
    "ελλάδα": "GR",
    "éire": "IE",
    "brasil": "BR",
    "méxico": "MX",
    "türkiye": "TR",
    "turkiye": "TR",
    "россия": "RU",
    "uk": "GB",
    "u.k.": "GB",
    "great britain": "GB",
    "україна": "UA",
}


@functools.cache
def _converter() -> Any:
    import country_converter as coco

    logging.getLogger("country_converter").setLevel(logging.ERROR)
    return coco.CountryConverter()


@functools.lru_cache(maxsize=4096)
def resolve_country(name: str) -> str | None:
    """ISO alpha-2 for a country as people write it (name, ISO-2, ISO-3), or None."""
    text = " ".join(name.split())
    if not text:
        return None
    native = _NATIVE_NAMES.get(text.lower())
    if native:
        return native
    if len(text) == 2 and text.isalpha():
        return text.upper()
    result = _converter().convert([text], to="ISO2", not_found=None)
    code = result[0] if isinstance(result, list) else result
    if isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper():
        return code
    import pycountry

    try:
        return str(pycountry.countries.lookup(text).alpha_2)
    except LookupError:
        # "Cote d Ivoire", "Sao Tome & Principe": a known name but for accents and punctuation.
        return _country_aliases().get(_plain_name(text))


def resolve_countries(names: Iterable[str]) -> dict[str, str | None]:
    """Resolve many names, asking the converter once for all it has not seen (slow per call)."""
    pending = sorted({" ".join(n.split()) for n in names if n and n.strip()})
    unseen = [
        n
        for n in pending
        if n not in _BATCH_RESOLVED and n.lower() not in _NATIVE_NAMES and len(n) != 2
    ]
    if len(unseen) > 1:
        converted = _converter().convert(unseen, to="ISO2", not_found=None)
        if len(_BATCH_RESOLVED) > 10_000:
            _BATCH_RESOLVED.clear()
        for text, code in zip(unseen, converted, strict=True):
            if isinstance(code, str) and len(code) == 2 and code.isalpha() and code.isupper():
                _BATCH_RESOLVED[text] = code
    return {n: _BATCH_RESOLVED.get(n) or resolve_country(n) for n in pending}


_BATCH_RESOLVED: dict[str, str] = {}


def _plain_name(text: str) -> str:
    """A name as compared loosely: in lower case, without accents, punctuation or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[\W_]+", " ", letters).split())


@functools.cache
def _country_aliases() -> dict[str, str]:
    """Every name the libraries know a country by, compared loosely -> ISO alpha-2: pycountry's
    names, official and common names, country_converter's short and official names, and the
    native names above."""
    import pycountry

    aliases: dict[str, str] = {}
    for country in pycountry.countries:
        for attribute in ("name", "common_name", "official_name"):
            name = getattr(country, attribute, None)
            if name:
                aliases.setdefault(_plain_name(name), country.alpha_2)
    # Kosovo, which pycountry lacks, as the reference table keys it (coco: XKX).
    by_alpha3 = {c.alpha_3: c.alpha_2 for c in pycountry.countries} | {"XKX": "XK"}
    data = _converter().data
    for alpha3, short, official in zip(
        data["ISO3"], data["name_short"], data["name_official"], strict=True
    ):
        code = by_alpha3.get(alpha3)
        for name in (short, official):
            if code and isinstance(name, str):
                aliases.setdefault(_plain_name(name), code)
    for name, code in _NATIVE_NAMES.items():
        aliases.setdefault(_plain_name(name), code)
    return aliases


def _words_sorted(name: str) -> str:
    return " ".join(sorted(name.split()))


@functools.cache
def _alias_choices() -> tuple[list[str], list[str]]:
    """The aliases as written, and with their words sorted ("kingdom united")."""
    written = list(_country_aliases())
    return written, [_words_sorted(name) for name in written]


@functools.lru_cache(maxsize=4096)
def _closest_countries(wanted: str) -> Mapping[str, int]:
    """ISO alpha-2 -> typing slips (a letter missing, extra, wrong, or two swapped) from
    ``wanted`` to the country's closest name, in the words' order or sorted; only the
    countries within one slip for a name of up to nine letters, two for a longer one."""
    if len(wanted) < 4:  # "Oz", "XY": any country is one or two slips away
        return {}
    slips = 1 if len(wanted) < 10 else 2
    aliases = _country_aliases()
    written, words_sorted = _alias_choices()
    closest: dict[str, int] = {}
    for query, choices in ((wanted, written), (_words_sorted(wanted), words_sorted)):
        for _, distance, index in process.extract(
            query, choices, scorer=OSA.distance, score_cutoff=slips, limit=None
        ):
            code = aliases[written[index]]
            closest[code] = min(distance, closest.get(code, distance))
    return closest


def country_suggestions(session: Session, text: str, *, limit: int = 3) -> list[str]:
    """The countries ``text`` is probably a misspelling of, closest first ("Germany (DE)");
    none for a name that is not close to any country's ("Atlantis", "Wakanda"). Names are
    compared loosely (``_plain_name``), by the edit distance of ``_closest_countries``."""
    closest = _closest_countries(_plain_name(text))
    if not closest:
        return []
    names = dict(
        session.execute(
            sa.select(Country.alpha2, Country.name).where(Country.alpha2.in_(list(closest)))
        ).all()
    )
    ranked = sorted((closest[code], name, code) for code, name in names.items())
    return [f"{name} ({code})" for _, name, code in ranked[:limit]]


def unknown_country(session: Session, text: str) -> ValueError:
    hints = country_suggestions(session, text)
    hint = f" Did you mean {' or '.join(hints)}?" if hints else ""
    return ValueError(f"No country is named {text!r}.{hint}")
