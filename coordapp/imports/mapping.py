"""Which file column holds which import column: by name, by a synonym, or by the user's choice.

A file with the template's header needs no mapping. A funder's own sheet (``Bailleur;
Montant;Devise``) is read through synonyms in English, French, German and Spanish, offered to
the user as a mapping to confirm, and remembered for the next file with the same header
(``service.saved_columns``). Names are compared without case, accents or punctuation.

A mapping is a list with one entry per file column: an import column's name, ``IGNORE``, or
None (read by name or synonym).
"""

from __future__ import annotations

import enum
import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from coordapp.imports.types import ImportColumn, ImportType

IGNORE = "ignore"


class ReadAs(enum.StrEnum):
    NAME = "name"  # the template's column name or one of its aliases
    SYNONYM = "synonym"
    CHOSEN = "chosen"  # a mapping chosen on the page, remembered, or given with --map
    IGNORED = "ignored"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class FileColumn:
    """How one column of the file is read."""

    index: int
    header: str
    column: ImportColumn | None
    how: ReadAs


def normal(text: str) -> str:
    """``Début`` → ``debut``, ``Währung`` → ``wahrung``, ``E-Mail`` → ``e_mail``."""
    decomposed = unicodedata.normalize("NFKD", str(text).lstrip("\ufeff"))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^0-9a-z]+", "_", plain).strip("_")


# The words people head a column with, per meaning: the import columns the meaning may be
# (tried in order, by name or alias), and the words in English, French, German and Spanish.
SYNONYMS: tuple[tuple[tuple[str, ...], str], ...] = (
    (
        ("funder",),
        "funder | donor | funding organisation | funding organization | bailleur | "
        "bailleur de fonds | donateur | financeur | geldgeber | förderer | zuwendungsgeber | "
        "financiador | donante | entidad financiadora",
    ),
    (("amount",), "amount | sum | montant | somme | betrag | summe | importe | monto | cantidad"),
    (("currency",), "currency | ccy | devise | monnaie | währung | moneda | divisa"),
    (
        ("period_start", "start_date", "start"),
        "start | start date | starts | from | begin | début | date de début | du | beginn | "
        "anfang | startdatum | von | inicio | fecha de inicio | desde",
    ),
    (
        ("period_end", "end_date", "end"),
        "end | end date | ends | until | to | fin | date de fin | au | ende | enddatum | bis | "
        "fecha de fin | final | hasta",
    ),
    (
        ("pledged_on",),
        "pledged | pledge date | date of pledge | promis le | date de promesse | zusage | "
        "zugesagt am | datum der zusage | fecha de compromiso",
    ),
    (
        ("date", "received_on", "rate_date", "pledged_on"),
        "date | datum | fecha | received | reçu le | eingang | recibido",
    ),
    (("country", "hq_country", "location_country"), "country | pays | land | staat | país"),
    (
        ("pillar", "pillars", "allocations"),
        "pillar | pillars | pilier | piliers | säule | säulen | pilar | pilares",
    ),
    (("name", "full_name"), "name | nom | nombre"),
    (("title",), "title | titre | intitulé | titel | bezeichnung | título"),
    (
        ("notes",),
        "notes | note | remarks | comments | remarques | commentaires | bemerkungen | "
        "anmerkungen | notizen | notas | observaciones | comentarios",
    ),
    (
        ("organization", "participant"),
        "organization | organisation | organisme | partenaire | organización | socio",
    ),
    (("email",), "email | e mail | courriel | mail | correo | correo electrónico"),
    (("phone",), "phone | telephone | téléphone | telefon | teléfono"),
    (("year",), "year | année | jahr | año"),
    (("quarter",), "quarter | trimestre | quartal"),
    (("rate",), "rate | exchange rate | taux | taux de change | kurs | tasa | tipo de cambio"),
    (("reference",), "reference | référence | referenz | verwendungszweck | referencia"),
    (("website", "public_url"), "website | site web | webseite | sitio web"),
    (("status",), "status | statut | état | estado"),
    (("kind", "type"), "kind | type | genre | art | typ | tipo"),
    (("commitment",), "commitment | engagement | zusage titel | compromiso"),
    (("hotline",), "hotline | meldestelle | línea de denuncia"),
)


def _synonym_index() -> dict[str, tuple[tuple[str, ...], ...]]:
    index: dict[str, list[tuple[str, ...]]] = {}
    for columns, words in SYNONYMS:
        for word in words.split("|"):
            index.setdefault(normal(word), []).append(columns)
    return {word: tuple(meanings) for word, meanings in index.items()}


_BY_WORD = _synonym_index()


def synonym_words() -> list[str]:
    """Every synonym as written in the table (accents kept)."""
    return [word.strip() for _, words in SYNONYMS for word in words.split("|")]


def by_name(itype: ImportType, header: str) -> ImportColumn | None:
    """The column a header names as the template does (its name, field or an alias)."""
    return itype.column(normal(header))


def by_synonym(itype: ImportType, header: str) -> list[ImportColumn]:
    """The columns of ``itype`` a header may mean by its synonyms (one when unambiguous)."""
    found: list[ImportColumn] = []
    for meaning in _BY_WORD.get(normal(header), ()):
        for name in meaning:
            column = itype.column(name)
            if column is not None:
                if column not in found:
                    found.append(column)
                break
    return found


def read_header(
    itype: ImportType, header: Sequence[str], chosen: Sequence[str | None] | None = None
) -> list[FileColumn]:
    """How each (named) column of the file is read: as chosen, by name, or by a synonym that
    means exactly one column not already taken; otherwise unknown."""
    chosen = list(chosen or [])
    read: dict[int, FileColumn] = {}
    for index, raw in enumerate(header):
        choice = chosen[index] if index < len(chosen) else None
        if choice == IGNORE:
            read[index] = FileColumn(index, raw, None, ReadAs.IGNORED)
        elif choice:
            column = itype.column(normal(choice))
            how = (
                ReadAs.NAME
                if column is not None and column == by_name(itype, raw)
                else ReadAs.CHOSEN
            )
            read[index] = FileColumn(index, raw, column, how)
        elif normal(raw):
            column = by_name(itype, raw)
            if column is not None:
                read[index] = FileColumn(index, raw, column, ReadAs.NAME)
    taken = [file_column.column for file_column in read.values() if file_column.column]
    for index, raw in enumerate(header):
        if index in read or not normal(raw):
            continue
        candidates = [c for c in by_synonym(itype, raw) if c not in taken]
        if len(candidates) == 1:
            read[index] = FileColumn(index, raw, candidates[0], ReadAs.SYNONYM)
            taken.append(candidates[0])
        else:
            read[index] = FileColumn(index, raw, None, ReadAs.UNKNOWN)
    return [read[index] for index in sorted(read)]


def is_template_header(itype: ImportType, header: Sequence[str]) -> bool:
    """Whether every named column of the file is one of the template's, once: nothing to map
    (a required column may still be missing, which the check reports with the rows)."""
    named = [raw for raw in header if normal(raw)]
    columns = [by_name(itype, raw) for raw in named]
    return None not in columns and len({c.name for c in columns if c}) == len(named)


def suggested(itype: ImportType, header: Sequence[str]) -> list[str]:
    """A mapping to offer: each file column's import column name, or ``IGNORE``."""
    read = {fc.index: fc for fc in read_header(itype, header)}
    return [
        read[i].column.name if i in read and read[i].column is not None else IGNORE  # type: ignore[union-attr]
        for i in range(len(header))
    ]


def problems(itype: ImportType, chosen: Sequence[str]) -> list[str]:
    """What is wrong with a complete mapping: a column chosen twice, a required one missing."""
    messages: list[str] = []
    picked = [choice for choice in chosen if choice and choice != IGNORE]
    for name in dict.fromkeys(picked):
        if picked.count(name) > 1:
            messages.append(
                f"{name!r} is chosen for {picked.count(name)} file columns; "
                "choose it for one and ignore or re-map the others."
            )
    missing = [c.name for c in itype.columns if c.required and c.name not in picked]
    if missing:
        messages.append(
            f"Required column(s) not mapped: {', '.join(missing)}. Choose the file column that "
            f"holds each; a {itype.title.lower()} file must have them."
        )
    return messages


def header_key(header: Sequence[str]) -> str:
    """What identifies "the same header" in the store: its normalised names, in order."""
    return hashlib.sha256("\x1f".join(normal(h) for h in header).encode()).hexdigest()


def parse_map_options(
    itype: ImportType, header: Sequence[str], options: Sequence[str]
) -> list[str | None]:
    """``["Montant=amount", "Notes=ignore"]`` (the CLI's ``--map``) as a mapping of ``header``.

    Raises ValueError naming the option that names no file column or no import column."""
    chosen: list[str | None] = [None] * len(header)
    by_header = {normal(raw): index for index, raw in enumerate(header)}
    for option in options:
        file_name, sep, target = option.partition("=")
        if not sep or not file_name.strip() or not target.strip():
            raise ValueError(f"--map {option!r}: write it as 'File column=import column'.")
        index = by_header.get(normal(file_name))
        if index is None:
            raise ValueError(
                f"--map {option!r}: the file has no column {file_name.strip()!r}; its columns "
                f"are: {', '.join(h for h in header if h)}."
            )
        wanted = normal(target)
        if wanted == IGNORE:
            chosen[index] = IGNORE
            continue
        column = itype.column(wanted)
        if column is None:
            raise ValueError(
                f"--map {option!r}: {target.strip()!r} is not a column of {itype.title.lower()}; "
                f"choose one of: {', '.join(c.name for c in itype.columns)}, or ignore."
            )
        chosen[index] = column.name
    return chosen


def pack(itype: ImportType, chosen: Sequence[str]) -> str:
    """A mapping in a few bytes (for the session cookie): each column's position, "-" ignored."""
    positions = {column.name: str(index) for index, column in enumerate(itype.columns)}
    return ",".join(positions.get(choice, "-") for choice in chosen)


def unpack(itype: ImportType, packed: str) -> list[str]:
    names = [column.name for column in itype.columns]
    return [
        names[int(part)] if part.isdigit() and int(part) < len(names) else IGNORE
        for part in packed.split(",")
    ]
