"""Hostile XLSX uploads are refused before parsing costs anything, with a message, never a 500."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable

import openpyxl.xml
import pytest
from flask.testing import FlaskClient
from openpyxl import Workbook

from coordapp.imports import readers
from tests.imports.test_views import upload


def _workbook(*rows: list[object]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "kind", "hq_country"])
    for row in rows or ([["Hostile Alpha", "industry", "Germany"]]):
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rewrite(content: bytes, part: str, change: Callable[[bytes], bytes]) -> bytes:
    """The workbook with one part's XML changed (as a hand-crafted file would be)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, change(data) if info.filename == part else data)
    return buffer.getvalue()


SHARED_STRINGS_TYPE = (
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
)


def _with_shared_strings(sst: bytes) -> bytes:
    """The workbook with cell A2 read from a shared-strings part holding ``sst``."""
    content = _rewrite(
        _workbook(),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<c r="A2"[^>]*>.*?</c>', b'<c r="A2" t="s"><v>0</v></c>', xml),
    )
    content = _rewrite(
        content,
        "[Content_Types].xml",
        lambda xml: xml.replace(
            b"</Types>",
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SHARED_STRINGS_TYPE}"/>'
            "</Types>".encode(),
        ),
    )
    buffer = io.BytesIO(content)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/sharedStrings.xml", sst)
    return buffer.getvalue()


def _sst(text: str) -> bytes:
    return (
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<si><t>{text}</t></si></sst>"
    ).encode()


def _declaring(ref: str) -> bytes:
    return _rewrite(
        _workbook(),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml),
    )


def _refused(client: FlaskClient, content: bytes, message: str) -> None:
    response = upload(client, content, filename="hostile.xlsx")
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


EXTERNAL_ENTITY = (
    b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b"<si><t>&secret;</t></si></sst>"
)
ENTITY_EXPANSION = (
    b'<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
)


def test_openpyxl_parses_through_defusedxml() -> None:
    assert openpyxl.xml.DEFUSEDXML is True


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("A1:XFD12001", "declares 16,384 columns"),  # the probe's 204 KB workbook
        ("A1:C1048576", "declares 1,048,576 rows"),
    ],
)
def test_a_sheet_declaring_a_huge_size_is_refused_before_it_is_read(
    signed_in: Callable[[str], FlaskClient], ref: str, message: str
) -> None:
    _refused(signed_in("manager"), _declaring(ref), message)


def test_a_sheet_declaring_its_real_size_is_read(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    response = upload(signed_in("manager"), _declaring("A1:C2"), filename="fine.xlsx")
    assert response.status_code == 200
    assert "Hostile Alpha" in response.get_data(as_text=True)


def test_a_sheet_without_a_declared_size_is_read_within_the_column_limit() -> None:
    far_cell = '<c r="XFD2" t="inlineStr"><is><t>far</t></is></c></row>'
    content = _rewrite(
        _workbook(),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb"<dimension [^>]*/>", b"", xml).replace(
            b"</row></sheetData>", far_cell.encode() + b"</sheetData>", 1
        ),
    )
    table = readers.read_table("sparse.xlsx", content)
    assert table.header == ["name", "kind", "hq_country"]
    assert all(len(cells) <= readers.MAX_COLUMNS for _, cells in table.rows)


def test_a_shared_string_is_read(signed_in: Callable[[str], FlaskClient]) -> None:
    response = upload(
        signed_in("manager"), _with_shared_strings(_sst("Shared Beta")), filename="s.xlsx"
    )
    assert response.status_code == 200
    assert "Shared Beta" in response.get_data(as_text=True)


def test_a_huge_shared_string_is_refused(signed_in: Callable[[str], FlaskClient]) -> None:
    content = _with_shared_strings(_sst("x" * 40_000))
    _refused(signed_in("manager"), content, "A cell holds 40,000 characters; at most 32,767")


def test_a_huge_inline_string_is_refused() -> None:
    inline = '<c r="A2" t="inlineStr"><is><t>' + "y" * 40_000 + "</t></is></c>"
    content = _rewrite(
        _workbook(),
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<c r="A2"[^>]*>.*?</c>', inline.encode(), xml, count=1),
    )
    with pytest.raises(readers.FileProblem, match="40,000 characters"):
        readers.read_table("inline.xlsx", content)


def test_a_workbook_that_unpacks_too_large_is_refused_from_the_zip_directory(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    padding = b"\x00" * (readers.MAX_UNCOMPRESSED_BYTES + 1)
    content = _rewrite(_workbook(), "docProps/app.xml", lambda _: padding)
    assert len(content) < readers.MAX_BYTES  # small on the wire, huge unpacked
    _refused(signed_in("manager"), content, "MB can be imported")


@pytest.mark.parametrize(
    ("part", "change"),
    [
        ("xl/worksheets/sheet1.xml", lambda xml: ENTITY_EXPANSION + xml.replace(b"Ger", b"&b;")),
        ("xl/workbook.xml", lambda xml: xml.replace(b"<workbook", b"<!DOCTYPE x []><workbook")),
    ],
    ids=["entity expansion", "doctype"],
)
def test_xml_with_entities_is_refused(
    signed_in: Callable[[str], FlaskClient], part: str, change: Callable[[bytes], bytes]
) -> None:
    _refused(signed_in("manager"), _rewrite(_workbook(), part, change), "cannot be read safely")


def test_shared_strings_with_an_external_entity_are_refused(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    _refused(signed_in("manager"), _with_shared_strings(EXTERNAL_ENTITY), "cannot be read safely")


@pytest.mark.parametrize(
    "part", ["xl/sharedStrings.xml", "xl/worksheets/sheet1.xml", "xl/workbook.xml", "xl/styles.xml"]
)
def test_broken_xml_is_refused(signed_in: Callable[[str], FlaskClient], part: str) -> None:
    content = _rewrite(
        _with_shared_strings(_sst("Shared Beta")), part, lambda xml: xml[: len(xml) // 2]
    )
    response = upload(signed_in("manager"), content, filename="broken.xlsx")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "cannot be read safely" in text or "damaged" in text


def test_a_zip_that_is_not_a_workbook_is_refused(
    signed_in: Callable[[str], FlaskClient],
) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    _refused(signed_in("manager"), buffer.getvalue(), "not really an Excel workbook")


def test_a_csv_cell_longer_than_a_spreadsheet_cell_is_refused() -> None:
    content = b"name,kind\r\n" + b"z" * 40_000 + b",industry\r\n"
    with pytest.raises(readers.FileProblem, match="40,000 characters; at most 32,767"):
        readers.read_table("long.csv", content)


def test_a_part_that_lies_about_its_unpacked_size_is_read_no_further_than_it_says() -> None:
    # The zip directory says 1,000 bytes; the data inflates to 120 MB. zipfile stops at the
    # declared size (then fails the CRC), so the size check above is a real bound.
    huge = _with_shared_strings(_sst("w" * (120 * 1024 * 1024)))
    declared = 1_000
    patched = bytearray(huge)
    name = b"xl/sharedStrings.xml"
    for signature, size_at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (start := patched.find(signature, start)) != -1:
            name_at = start + (30 if signature == b"PK\x03\x04" else 46)
            if patched[name_at : name_at + len(name)] == name:
                patched[start + size_at : start + size_at + 4] = declared.to_bytes(4, "little")
            start += 4
    with zipfile.ZipFile(io.BytesIO(bytes(patched))) as archive:
        assert archive.getinfo("xl/sharedStrings.xml").file_size == declared
    with pytest.raises(readers.FileProblem):
        readers.read_table("liar.xlsx", bytes(patched))
