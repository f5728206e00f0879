"""Home page, interface language and the health check."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from matchmaker import migrate
from matchmaker.db import get_engine, get_session, sqlite_file_missing
from matchmaker.services import accounts, catalog
from matchmaker.urls import safe_local_path
from matchmaker.vocabulary import FOCUS_CORRIDORS, INTERFACE_LOCALES, SECTORS

bp = Blueprint("main", __name__)


@bp.get("/")
def home():
    figures = catalog.corridor_figures(get_session())
    empty = {"products": 0, "requests": 0, "products_focus": 0, "requests_focus": 0}
    by_sector = {code: dict(empty) for code in SECTORS}
    for row in figures:
        cell = by_sector.setdefault(row["sector"], dict(empty))
        cell[row["side"]] += row["count"]
        corridor = FOCUS_CORRIDORS.get(row["sector"])
        # Supply counts toward the corridor from its exporting end, demand from its importing end.
        if corridor and row["country"] == corridor[0 if row["side"] == "products" else 1]:
            cell[row["side"] + "_focus"] += row["count"]
    return render_template("main/home.html", by_sector=by_sector, corridors=FOCUS_CORRIDORS)


@bp.post("/language")
def set_language():
    locale = request.form.get("locale", "")
    if locale in INTERFACE_LOCALES:
        session["locale"] = locale
        if current_user.is_authenticated:
            accounts.set_locale(get_session(), user=current_user, locale=locale)
    # Only local paths: an open redirect would let a phishing link borrow our domain.
    return redirect(safe_local_path(request.form.get("next"), url_for("main.home")))


@bp.get("/healthz")
def healthz():
    """For a load balancer: 200 only when the database answers and its schema is the one this code expects."""
    engine = get_engine()
    if sqlite_file_missing(engine):  # connecting would create an empty file and hide the loss
        return _degraded("unreachable")
    try:
        with engine.connect() as connection:
            migrated = migrate.at_head(connection)
    except SQLAlchemyError:  # any failure to reach the database is "down" for a load balancer
        return _degraded("unreachable")
    if not migrated:
        return _degraded("not at the migration head")
    return {"status": "ok", "database": "ok"}


def _degraded(database: str):
    return {"status": "degraded", "database": database}, 503
