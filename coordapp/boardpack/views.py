"""/board-pack/?year=YYYY: the printable page, and &format=xlsx: the workbook."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, render_template, request
from flask_login import current_user

from coordapp import disclosure
from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.boardpack import service
from coordapp.boardpack.workbook import cover, tables
from coordapp.exports import xlsx_bytes, xlsx_file_response
from coordapp.extensions import current_session

bp = Blueprint("boardpack", __name__, url_prefix="/board-pack")


@bp.get("/")
@require_role(Role.VIEWER)
def pack() -> Any:
    today = date.today()
    choice = service.choose_year(request.args.get("year"), today=today)
    figures = service.board_pack(current_session(), year=choice.year, today=today)
    exact = disclosure.current_user_sees_exact()
    stamp = cover(figures, generated_by=current_user.email, generated_at=datetime.now(UTC))
    if not exact:
        stamp["small counts"] = disclosure.note() + " “hidden”: kept from giving one away."
    sections = tables(figures, viewer_can_see_exact=exact)
    if request.args.get("format") == "xlsx":
        content = xlsx_bytes(
            [
                ("Cover", [], stamp),
                *[(title, [header, *rows], None) for title, header, rows in sections],
            ]
        )
        return xlsx_file_response(f"board-pack-{figures.year}.xlsx", content)
    years = list(range(today.year, service.FIRST_YEAR - 1, -1))
    return render_template(
        "boardpack/pack.html",
        pack=figures,
        stamp=stamp,
        sections=sections,
        message=choice.message,
        years=years,
    )
