"""Bulk work for chambers: import a member catalogue (CSV or XLSX; dry run, then all-or-nothing apply)
and export matches, the pipeline and deals (CSV or XLSX). Curators and admins only."""

from __future__ import annotations

import re
import secrets
import time
from datetime import date
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from werkzeug.exceptions import RequestEntityTooLarge

from matchmaker.db import get_session
from matchmaker.services import catalogue_import, exports
from matchmaker.vocabulary import PRODUCT_FIELDS, REQUEST_FIELDS

bp = Blueprint("curation_io", __name__, url_prefix="/curation")

STASH_HOURS = 24
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{22}$")
_SUFFIXES = (".csv", ".xlsx")
MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class ImportForm(FlaskForm):
    """The upload (a file input in the template) and its two buttons; CSRF-protected."""


@bp.before_request
@login_required
def curators_only():
    if not current_user.is_curator:
        abort(403)


# --- import ---------------------------------------------------------------------------------------

def _stash_dir() -> Path:
    path = Path(current_app.config.get("IMPORT_STASH_DIR") or Path(current_app.instance_path) / "imports")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _stash(filename: str, data: bytes) -> str:
    """Keep a checked file until the curator applies it (a file input cannot be filled in again)."""
    folder = _stash_dir()
    cutoff = time.time() - STASH_HOURS * 3600
    for old in folder.glob("*"):
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    token = secrets.token_urlsafe(16)
    (folder / f"{current_user.id}-{token}{Path(filename).suffix.lower()}").write_bytes(data)
    return token


def _unstash(token: str) -> tuple[str, bytes] | None:
    if not _TOKEN.match(token or ""):
        return None
    for suffix in _SUFFIXES:  # only the curator who checked the file can apply it
        path = _stash_dir() / f"{current_user.id}-{token}{suffix}"
        if path.exists():
            data = path.read_bytes()
            path.unlink(missing_ok=True)
            return f"upload{suffix}", data
    return None


def _page(status: int = 200, **context):
    context.setdefault("form", ImportForm(formdata=None))
    context.setdefault("columns", _columns())
    return render_template("curation/import.html", **context), status


def _columns() -> list[str]:
    fields = [f for f in PRODUCT_FIELDS + REQUEST_FIELDS if f != "id"]
    return ["organisation", "side", "organisation_kind", "status"] + list(dict.fromkeys(fields))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_error):
    megabytes = "{:g}".format((current_app.config.get("MAX_CONTENT_LENGTH") or 0) / 1024 / 1024)
    return _page(413, problem=_("The file is larger than %(size)s MB. Split the catalogue into smaller files "
                                "and import them one after the other.", size=megabytes))


@bp.get("/import")
def import_page():
    return _page()


@bp.get("/import/template.csv")
def import_template():
    """The columns and two example rows, to fill in (a product of a member, a request of a new one)."""
    columns = _columns()
    examples = [{"organisation": "PT Contoh Mebel", "side": "product", "organisation_kind": "exporter",
                 "status": "published", "title": "Teak dining chair", "hs_code": "9401.61",
                 "certifications": "svlk;fsc", "moq": "200", "unit": "pcs", "capacity_per_month": "5000",
                 "price_usd": "85", "incoterms": "FOB", "language": "en"},
                {"organisation": "PT Contoh Pangan", "side": "request", "organisation_kind": "importer",
                 "status": "draft", "title": "Halal beef, frozen", "hs_code": "0202",
                 "required_certifications": "halal;vet", "quantity": "20", "unit": "t", "max_price_usd": "6500",
                 "incoterms": "CIF", "language": "id"}]
    body = exports.to_csv(exports.Table("template", columns, [[row.get(c) for c in columns] for row in examples]))
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="catalogue-template.csv"'})


@bp.post("/import")
def import_upload():
    form = ImportForm()  # reading the form raises RequestEntityTooLarge for an oversized upload
    if not form.validate_on_submit():
        return _page(400, form=form, problem=_("The form expired. Please submit it again."))
    apply = request.form.get("action") == "apply"
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        filename, data = upload.filename, upload.read()
    elif apply and (kept := _unstash(request.form.get("upload", ""))) is not None:
        filename, data = kept
    else:
        return _page(400, form=form, problem=_("Choose a CSV or XLSX file to upload."))
    session = get_session()
    try:
        if not apply:
            plan = catalogue_import.plan(session, user_id=current_user.id, filename=filename, data=data)
            token = _stash(filename, data) if plan.ok else None
            return _page(200 if plan.ok else 400, form=form, plan=plan, token=token, filename=filename)
        result = catalogue_import.apply(session, user_id=current_user.id, filename=filename, data=data)
    except catalogue_import.UnreadableFile as error:
        return _page(400, form=form, problem=str(error.message))
    if not result.stored:
        return _page(400, form=form, plan=result.plan, filename=filename, applied=True)
    flash(_("Imported %(products)s products and %(requests)s buying requests (%(members)s new members); "
            "their matches are computed.", products=len(result.product_ids), requests=len(result.request_ids),
            members=len(result.organisation_ids)), "success")
    return redirect(url_for("curation_io.import_page"))


# --- export ---------------------------------------------------------------------------------------

@bp.get("/export")
def export():
    what, fmt = request.args.get("what"), request.args.get("format")
    if what is None and fmt is None:
        return render_template("curation/export.html")
    if what not in exports.WHATS or fmt not in exports.FORMATS:
        return render_template("curation/export.html", problem=_(
            "Unknown export. Choose format=csv or xlsx and what=matches, pipeline or deals.")), 400
    table = exports.table(get_session(), user_id=current_user.id, what=what)
    body = exports.to_csv(table) if fmt == "csv" else exports.to_xlsx(table)
    scope = "all" if current_user.is_admin else (current_user.organisation.country.lower()
                                                 if current_user.organisation else "none")
    name = f"{what}-{scope}-{date.today().isoformat()}.{fmt}"
    return Response(body, mimetype=MIME[fmt], headers={"Content-Disposition": f'attachment; filename="{name}"'})
