"""/board-pack/?year=YYYY: the printable page, &format=xlsx: the workbook, and
/board-pack/pdf?year=YYYY: the pack as the board receives it (stamped on every page)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Response, render_template, request
from flask_login import current_user
from markupsafe import Markup

from coordapp import disclosure
from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.boardpack import service
from coordapp.boardpack.pdf import PDF_MIMETYPE, render_pdf
from coordapp.boardpack.workbook import cover, headlines, tables
from coordapp.boardpack.worldmap import coverage_svg
from coordapp.exports import xlsx_bytes, xlsx_file_response
from coordapp.extensions import current_session

bp = Blueprint("boardpack", __name__, url_prefix="/board-pack")


def _pack() -> dict[str, Any]:
    """The year asked for, its figures, stamp and tables, as the viewer may see them."""
    today = date.today()
    choice = service.choose_year(request.args.get("year"), today=today)
    figures = service.board_pack(current_session(), year=choice.year, today=today)
    exact = disclosure.current_user_sees_exact()
    stamp = cover(figures, generated_by=current_user.email, generated_at=datetime.now(UTC))
    if not exact:
        stamp["small counts"] = disclosure.note() + " “hidden”: kept from giving one away."
    return {
        "pack": figures,
        "stamp": stamp,
        "sections": tables(figures, viewer_can_see_exact=exact),
        "headlines": headlines(figures, viewer_can_see_exact=exact),
        "message": choice.message,
    }


def _maps(figures: service.BoardPack) -> list[Markup]:
    maps = service.board_maps(current_session(), pack=figures)
    # coverage_svg escapes every text it draws (place names, labels); the rest is numbers.
    return [Markup(coverage_svg(m)) for m in (maps.now, maps.before)]  # noqa: S704


@bp.get("/")
@require_role(Role.VIEWER)
def pack() -> Any:
    context = _pack()
    figures, stamp, sections = context["pack"], context["stamp"], context["sections"]
    if request.args.get("format") == "xlsx":
        content = xlsx_bytes(
            [
                ("Cover", [], stamp),
                *[(title, [header, *rows], None) for title, header, rows in sections],
            ]
        )
        return xlsx_file_response(f"board-pack-{figures.year}.xlsx", content)
    years = list(range(date.today().year, service.FIRST_YEAR - 1, -1))
    return render_template("boardpack/pack.html", years=years, maps=_maps(figures), **context)


@bp.get("/pdf")
@require_role(Role.VIEWER)
def pack_pdf() -> Response:
    context = _pack()
    html = render_template("boardpack/pack_pdf.html", maps=_maps(context["pack"]), **context)
    return Response(
        render_pdf(html),
        mimetype=PDF_MIMETYPE,
        headers={
            "Content-Disposition": f'attachment; filename="board-pack-{context["pack"].year}.pdf"'
        },
    )
