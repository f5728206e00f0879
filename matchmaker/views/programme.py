"""The chamber's view of the programme: the dashboard (funnel, deals, time to introduction, target) and
the diversification lists (what to recruit, what to promote), for curators and admins."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import format_currency, format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from matchmaker.auth import role_required
from matchmaker.countries import country_name
from matchmaker.db import get_session
from matchmaker.i18n import label
from matchmaker.services import diversification, programme
from matchmaker.stages import Stage
from matchmaker.vocabulary import SECTORS

bp = Blueprint("programme", __name__, url_prefix="/curation")

QUEUE_FILTERS = ("stage", "sector", "corridor", "country")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _is_curator(user) -> bool:
    return user.is_curator


def curated_country(user) -> str | None:
    """Admins see every match (None); a curator those of their chamber's country ("" without one:
    nothing)."""
    if user.is_admin:
        return None
    return user.organisation.country if user.organisation is not None else ""


def queue_url(**filters) -> str:
    """The curation queue (``/curation``) filtered as given: the list behind a number."""
    query = urlencode([(name, filters[name]) for name in QUEUE_FILTERS if filters.get(name)])
    return f"{request.script_root}/curation" + (f"?{query}" if query else "")


def usd(value: float) -> str:
    """Whole US dollars in the reader's locale ("$1,250,000", "1 250 000 $")."""
    pattern = get_locale().currency_formats["standard"].pattern.replace(".00", "")
    return format_currency(round(value or 0), "USD", format=pattern, currency_digits=False)


def number(value) -> str:
    return format_decimal(value, format="#,##0.#")


def corridor_label(key: str) -> str:
    exporter, _sep, importer = key.partition("-")
    return f"{country_name(exporter)} → {country_name(importer)}" if importer else key


def _cell(text: str, href: str | None = None) -> dict:
    return {"text": text, "href": href}


def _charts(figures: programme.Dashboard) -> dict:
    """What the charts and their tables show: labels, bar lengths, the numbers as text, and the link of
    each number to the queue filtered to the matches behind it."""
    funnel = [{"label": Stage(step.stage).label, "value": step.reached, "text": number(step.reached),
               "href": queue_url(stage=step.stage), "now": _("%(num)s at this step now", num=number(step.now)),
               "cells": [_cell(number(step.reached)), _cell(number(step.now), queue_url(stage=step.stage))]}
              for step in figures.funnel]
    stages = [{"label": Stage(stage).label, "cells": [_cell(number(n), queue_url(stage=stage))]}
              for stage, n in figures.stages_now.items()]

    def deals(rows, filter_name, name_of, known):
        def href(key):  # the queue filters by the known sectors and corridors only
            return queue_url(stage=Stage.WON.value, **{filter_name: key}) if key in known else None

        return [{"label": name_of(row.key), "value": row.value_usd,
                 "text": ngettext("%(value)s · %(num)s deal", "%(value)s · %(num)s deals", row.deals,
                                  value=usd(row.value_usd)),
                 "href": href(row.key),
                 "cells": [_cell(number(row.deals), href(row.key)), _cell(usd(row.value_usd))]}
                for row in rows]

    won = queue_url(stage=Stage.WON.value)
    target = _("%(value)s won of the %(target)s target (%(share)s)", value=usd(figures.won_value_usd),
               target=usd(figures.target_usd),
               share=format_percent(figures.won_value_usd / figures.target_usd, format="#,##0.##%"))
    return {"funnel": funnel, "stages": stages,
            "by_sector": deals(figures.by_sector, "sector", lambda key: label("sector", key), SECTORS),
            "by_corridor": deals(figures.by_corridor, "corridor", corridor_label, programme.CORRIDORS),
            "target": target, "won_href": won}


@bp.get("/dashboard")
@role_required(_is_curator)
def dashboard():
    country = curated_country(current_user)
    figures = programme.dashboard(get_session(), country=country)
    return render_template("programme/dashboard.html", figures=figures, data=_charts(figures),
                           country=country, number=number)


@bp.get("/diversification")
@role_required(_is_curator)
def diversification_view():
    lists = diversification.lists(get_session())
    wanted = request.args.get("format")
    if wanted == "csv":
        return Response(diversification.to_csv(lists), mimetype="text/csv",
                        headers={"Content-Disposition": "attachment; filename=diversification.csv"})
    if wanted == "xlsx":
        workbook = diversification.to_xlsx(lists)
        if workbook is None:  # openpyxl is not installed
            abort(404)
        return Response(workbook, mimetype=XLSX,
                        headers={"Content-Disposition": "attachment; filename=diversification.xlsx"})
    return render_template("programme/diversification.html", lists=lists, number=number,
                           good_grade=round(diversification.GOOD_GRADE * 100),
                           xlsx=diversification.xlsx_available())
