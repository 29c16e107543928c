"""The import page for managers: upload → (column mapping) → dry-run report → apply → result.

A file with the template's header goes straight to the dry run. Any other header goes through
the mapping step first, pre-filled from synonyms, unless a mapping was remembered for it; the
upload waits in the stash meanwhile, and the mapping travels with it to the apply.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
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
from coordapp.imports import cells, display, readers, stash, templates
from coordapp.imports import header as headers
from coordapp.imports import mapping as header_mapping
from coordapp.imports import service as imports
from coordapp.imports.catalog import IMPORT_TYPES, import_type
from coordapp.imports.forms import ApplyForm, ColumnsForm, ImportForm
from coordapp.imports.report import ImportReport
from coordapp.imports.types import ImportType
from coordapp.validation import DecimalMark

bp = Blueprint("imports", __name__, url_prefix="/import")
_PENDING = "import_pending"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROWS_SHOWN = 500


def _page(form: ImportForm, status: int = 200) -> Any:
    form.progress_id.data = stash.new_progress_id()
    types = [(t, templates.column_help(t)) for t in IMPORT_TYPES.values()]
    return render_template("imports/upload.html", form=form, types=types), status


def _options(pending: dict[str, Any]) -> cells.Options:
    return cells.Options(
        dates=cells.DateOrder(pending.get("dates", "iso")),
        decimal=DecimalMark(pending.get("decimal", "point")),
    )


def _remember(pending: dict[str, Any]) -> None:
    """Keep how to read the waiting upload in the session (the mapping packed small)."""
    itype = import_type(pending["type_name"])
    columns = pending.get("columns")
    packed = header_mapping.pack(itype, columns) if columns is not None else None
    session[_PENDING] = {**pending, "columns": packed}


def _pending() -> dict[str, Any]:
    stored = dict(session.get(_PENDING) or {})
    if stored.get("columns") is not None and stored.get("type_name") in IMPORT_TYPES:
        itype = IMPORT_TYPES[stored["type_name"]]
        stored["columns"] = header_mapping.unpack(itype, str(stored["columns"]))
    return stored


def _keep(content: bytes, pending: dict[str, Any]) -> dict[str, Any]:
    """Stash the upload (dropping the one waiting before) and remember how to read it."""
    previous = session.get(_PENDING)
    if previous:
        stash.drop_stash(previous.get("token", ""), owner_id=current_user.id)
    pending = {**pending, "token": stash.stash_upload(content, owner_id=current_user.id)}
    _remember(pending)
    return pending


# An upload waiting in the stash: its type, how to read it, its content.
Waiting = tuple[ImportType, dict[str, Any], bytes]


def _waiting(token: str | None) -> Waiting | None:
    """The upload waiting for this user under ``token``: its type, how to read it and its
    content; None when gone.

    Another user's upload is a 404 (NotFound), even named in a forged form."""
    content = stash.load_stash(token or "", owner_id=current_user.id)
    pending = _pending()
    if content is None or token != pending.get("token"):
        return None
    return import_type(pending["type_name"]), pending, content


_GONE = "That upload is no longer waiting; upload the file again."


def _gone(message: str = _GONE) -> Any:
    flash(message, "warning")
    return redirect(url_for("imports.upload"))


def _posted(form: ColumnsForm | ApplyForm, *, gone: str = _GONE) -> Waiting:
    """The upload waiting for the step ``form`` posts. Gone, or the form expired: back to the
    upload page, saying so (``gone``)."""
    waiting = _waiting(form.token.data) if form.validate_on_submit() else None
    if waiting is None:
        abort(_gone(gone))
    return waiting


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
    pending: dict[str, Any] = {
        "type_name": form.type_name.data,
        "filename": upload_file.filename or "",
        "dates": form.dates.data,
        "decimal": form.decimal.data,
        "columns": None,
    }
    itype = import_type(pending["type_name"])
    header = headers.file_header(itype.name, pending["filename"], content)
    if header is not None and not header_mapping.is_template_header(itype, header):
        saved = headers.saved_columns(current_session(), type_name=itype.name, header=header)
        if saved is None:
            pending = _keep(content, pending)
            return _columns_page(itype, pending, content, ColumnsForm(formdata=None))
        pending["columns"] = saved
    return _check(
        itype, pending, content, form.progress_id.data, remembered=bool(pending["columns"])
    )


def _check(
    itype: ImportType,
    pending: dict[str, Any],
    content: bytes,
    progress_id: str | None,
    *,
    remembered: bool = False,
) -> Any:
    """The dry run, and the page that shows it (with the apply button when nothing is wrong)."""
    db_session = current_session()
    options = _options(pending)
    report = imports.run_import(
        db_session,
        type_name=itype.name,
        filename=pending["filename"],
        content=content,
        options=options,
        apply=False,
        columns=pending["columns"],
        progress=stash.progress_writer(progress_id or ""),
    )
    mapped = pending["columns"] is not None or any(
        fc.how != header_mapping.ReadAs.NAME for fc in report.columns
    )
    apply_form = None
    if report.ok or mapped:
        # Kept while the mapping may still change, or to be applied.
        waiting = (session.get(_PENDING) or {}).get("token")
        if pending.get("token") and pending["token"] == waiting:
            _remember(pending)
        else:
            pending = _keep(content, pending)
    if report.ok:
        apply_form = ApplyForm(token=pending["token"])
        apply_form.token.data = pending["token"]
        apply_form.progress_id.data = stash.new_progress_id()
    return render_template(
        "imports/report.html",
        report=report,
        itype=itype,
        options=options,
        apply_form=apply_form,
        mapped=mapped,
        remembered=remembered,
        token=pending.get("token"),
        **_rows_context(itype, report),
    ), (200 if report.ok else 422)


def _detail_endpoint(itype: ImportType) -> str | None:
    """The page of one record of the type: the records registry names it like its list."""
    endpoint = itype.list_endpoint.removesuffix("_list") + "_detail"
    return endpoint if endpoint in current_app.view_functions else None


def _rows_context(itype: ImportType, report: ImportReport) -> dict[str, Any]:
    shown_rows = report.rows[:ROWS_SHOWN]
    return {
        "detail_endpoint": _detail_endpoint(itype),
        "shown_rows": shown_rows,
        "rows_shown": ROWS_SHOWN,
        "read_as": display.read_as(report),
        "values": {row.row: display.row_values(itype, report, row) for row in shown_rows},
        "targets": {row.row: display.target(row) for row in shown_rows},
    }


def _columns_page(
    itype: ImportType,
    pending: dict[str, Any],
    content: bytes,
    form: ColumnsForm,
    *,
    problems: list[str] | None = None,
) -> Any:
    found = headers.preview(itype.name, pending["filename"], content)
    if found is None:  # unreadable after all: the dry run says why
        return _check(itype, pending, content, None)
    header, samples = found
    chosen = pending.get("columns") or header_mapping.suggested(itype, header)
    form.token.data = pending["token"]
    form.progress_id.data = stash.new_progress_id()
    form.offer(
        _column_choices(itype), [c or header_mapping.IGNORE for c in chosen], posted=bool(problems)
    )
    suggested = header_mapping.read_header(itype, header)
    return render_template(
        "imports/columns.html",
        itype=itype,
        form=form,
        pending=pending,
        columns=list(zip(header, samples, form.columns.entries, strict=False)),
        how={fc.index: fc.how.value for fc in suggested},
        problems=problems or [],
        # Selects to mark: a column chosen twice, or no choice at all.
        doubled={
            entry.data
            for entry in form.columns.entries
            if problems and [e.data for e in form.columns.entries].count(entry.data) > 1
        }
        - {header_mapping.IGNORE},
        help={name: (takes, required) for name, takes, required in templates.column_help(itype)},
    ), (422 if problems else 200)


def _column_choices(itype: ImportType) -> list[tuple[str, str]]:
    return [(header_mapping.IGNORE, "— ignore this column —")] + [
        (c.name, f"{c.name} (required)" if c.required else c.name) for c in itype.columns
    ]


@bp.route("/columns", methods=["GET"])
@require_role(Role.MANAGER)
def columns() -> Any:
    """The mapping step again, for the upload waiting (the report's "change the mapping")."""
    waiting = _waiting(_pending().get("token"))
    if waiting is None:
        return _gone()
    itype, pending, content = waiting
    return _columns_page(itype, pending, content, ColumnsForm(formdata=None))


@bp.route("/columns", methods=["POST"])
@require_role(Role.MANAGER)
def map_columns() -> Any:
    form = ColumnsForm()
    itype, pending, content = _posted(form)
    header = headers.file_header(itype.name, pending["filename"], content) or []
    allowed = {value for value, _ in _column_choices(itype)}
    chosen = form.chosen(len(header), allowed)
    problems = header_mapping.problems(itype, chosen)
    if "" in chosen:
        problems.insert(0, "Choose, for every file column, a column or “ignore”.")
    if problems:
        return _columns_page(
            itype, {**pending, "columns": chosen}, content, form, problems=problems
        )
    headers.remember_columns(
        current_session(), actor=current_user, type_name=itype.name, header=header, columns=chosen
    )
    return _check(itype, {**pending, "columns": chosen}, content, form.progress_id.data)


@bp.route("/apply", methods=["POST"])
@require_role(Role.MANAGER)
def apply() -> Any:
    form = ApplyForm()
    itype, pending, content = _posted(
        form, gone="That upload is no longer waiting to be applied; upload the file again."
    )
    db_session = current_session()
    report = imports.run_import(
        db_session,
        type_name=itype.name,
        filename=pending["filename"],
        content=content,
        options=_options(pending),
        apply=True,
        columns=pending.get("columns"),
        progress=stash.progress_writer(form.progress_id.data),
    )
    stash.drop_stash(pending["token"], owner_id=current_user.id)
    session.pop(_PENDING, None)
    return render_template(
        "imports/result.html", report=report, itype=itype, **_rows_context(itype, report)
    ), (200 if report.applied else 422)


@bp.route("/progress/<progress_id>")
@require_role(Role.MANAGER)
def progress(progress_id: str) -> Any:
    """Rows processed so far by the upload or apply that names ``progress_id`` (polled)."""
    found = stash.read_progress(progress_id)
    if found is None:
        return jsonify({"started": False, "done": 0, "total": 0})
    return jsonify({"started": True, **found})


@bp.route("/template/<type_name>.<fmt>")
@require_role(Role.MANAGER)
def template(type_name: str, fmt: str) -> Any:
    if type_name not in IMPORT_TYPES or fmt not in ("csv", "xlsx"):
        abort(404)
    if fmt == "csv":
        body, mimetype = templates.template_csv(type_name), "text/csv; charset=utf-8"
    else:
        body, mimetype = templates.template_xlsx(type_name), _XLSX
    return Response(
        body,
        mimetype=mimetype,
        headers={"Content-Disposition": f'attachment; filename="{type_name}-template.{fmt}"'},
    )
