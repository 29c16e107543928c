"""The import page for managers: upload → dry-run report → apply → result."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user

from coordapp.auth.models import Role
from coordapp.auth.permissions import require_role
from coordapp.extensions import current_session
from coordapp.imports import readers
from coordapp.imports import service as imports
from coordapp.imports.forms import ApplyForm, ImportForm
from coordapp.imports.types import IMPORT_TYPES

bp = Blueprint("imports", __name__, url_prefix="/import")
_PENDING = "import_pending"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _page(form: ImportForm, status: int = 200) -> Any:
    form.progress_id.data = imports.new_progress_id()
    types = [(t, imports.column_help(t)) for t in IMPORT_TYPES.values()]
    return render_template("imports/upload.html", form=form, types=types), status


@bp.route("/", methods=["GET"])
@require_role(Role.MANAGER)
def upload() -> Any:
    return _page(ImportForm())


@bp.route("/", methods=["POST"])
@require_role(Role.MANAGER)
def check() -> Any:
    form = ImportForm()
    if not form.validate_on_submit():
        return _page(form, 422)
    upload_file = form.file.data
    # Read one byte past the limit, so a huge upload is refused without reading all of it.
    content = upload_file.stream.read(readers.MAX_BYTES + 1)
    filename = upload_file.filename or ""
    options = imports.Options(
        dates=imports.DateOrder(form.dates.data), decimal=imports.DecimalMark(form.decimal.data)
    )
    db_session = current_session()
    with imports.reporting_progress(db_session, imports.progress_writer(form.progress_id.data)):
        report = imports.run_import(
            db_session,
            type_name=form.type_name.data,
            filename=filename,
            content=content,
            options=options,
            apply=False,
        )
    apply_form = None
    if report.ok:
        previous = session.get(_PENDING)
        if previous:
            imports.drop_stash(previous.get("token", ""), owner_id=current_user.id)
        token = imports.stash_upload(content, owner_id=current_user.id)
        session[_PENDING] = {
            "token": token,
            "type_name": report.type_name,
            "filename": filename,
            "dates": options.dates.value,
            "decimal": options.decimal.value,
        }
        apply_form = ApplyForm(token=token)
        apply_form.token.data = token
        apply_form.progress_id.data = imports.new_progress_id()
    return render_template(
        "imports/report.html",
        report=report,
        itype=IMPORT_TYPES[report.type_name],
        options=options,
        apply_form=apply_form,
        shown_rows=report.rows[:ROWS_SHOWN],
        rows_shown=ROWS_SHOWN,
    ), (200 if report.ok else 422)


ROWS_SHOWN = 500


@bp.route("/apply", methods=["POST"])
@require_role(Role.MANAGER)
def apply() -> Any:
    form = ApplyForm()
    pending = session.get(_PENDING) or {}
    content = None
    if form.validate_on_submit():
        # Another user's upload is a 404 (NotFound), even named in a forged form.
        content = imports.load_stash(form.token.data, owner_id=current_user.id)
    if content is None or form.token.data != pending.get("token"):
        flash("That upload is no longer waiting to be applied; upload the file again.", "warning")
        return redirect(url_for("imports.upload"))
    options = imports.Options(
        dates=imports.DateOrder(pending.get("dates", "iso")),
        decimal=imports.DecimalMark(pending.get("decimal", "point")),
    )
    db_session = current_session()
    with imports.reporting_progress(db_session, imports.progress_writer(form.progress_id.data)):
        report = imports.run_import(
            db_session,
            type_name=pending["type_name"],
            filename=pending["filename"],
            content=content,
            options=options,
            apply=True,
        )
    imports.drop_stash(pending["token"], owner_id=current_user.id)
    session.pop(_PENDING, None)
    return render_template(
        "imports/result.html",
        report=report,
        itype=IMPORT_TYPES[report.type_name],
        shown_rows=report.rows[:ROWS_SHOWN],
        rows_shown=ROWS_SHOWN,
    ), (200 if report.applied else 422)


@bp.route("/progress/<progress_id>")
@require_role(Role.MANAGER)
def progress(progress_id: str) -> Any:
    """Rows processed so far by the upload or apply that names ``progress_id`` (polled)."""
    found = imports.read_progress(progress_id)
    if found is None:
        return jsonify({"started": False, "done": 0, "total": 0})
    return jsonify({"started": True, **found})


@bp.route("/template/<type_name>.<fmt>")
@require_role(Role.MANAGER)
def template(type_name: str, fmt: str) -> Any:
    if type_name not in IMPORT_TYPES or fmt not in ("csv", "xlsx"):
        abort(404)
    if fmt == "csv":
        body, mimetype = imports.template_csv(type_name), "text/csv; charset=utf-8"
    else:
        body, mimetype = imports.template_xlsx(type_name), _XLSX
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{type_name}-template.{fmt}"'},
    )
