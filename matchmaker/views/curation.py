"""The curator's queue (/curation): matches awaiting review, filtered live, introduced or declined in bulk.

The page works without JavaScript (a GET form for the filters, a POST form for the bulk actions that
redirects back with a flash); with htmx the filters replace only the rows and a bulk action swaps the
rows it touched in place and announces its result in an aria-live region.
"""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import format_timedelta, get_locale, gettext as _, ngettext, pgettext
from flask_login import current_user

from matchmaker.auth import role_required
from matchmaker.db import get_session
from matchmaker.matching import default_vocabulary
from matchmaker.matching.explain import Phrase
from matchmaker.services import curation, queue
from matchmaker.stages import DECLINE_REASON_LABELS, STAGE_LABELS, DeclineReason
from matchmaker.urls import page_number, parse_id, safe_local_path

bp = Blueprint("curation", __name__, url_prefix="/curation")

BULK_MAX = 100  # a page holds 25 rows; more ids than this is not a person ticking boxes


@bp.app_template_global()
def flag(country: str) -> str:
    """The flag emoji of an ISO 3166 alpha-2 code ("ID" → 🇮🇩), shown beside the code itself."""
    if len(country) != 2 or not country.isascii() or not country.isalpha():
        return ""
    return "".join(chr(0x1F1E6 + ord(letter) - ord("A")) for letter in country.upper())


@bp.app_template_global()
def age(since: datetime) -> str:
    """How long ago, in the reader's language ("3 days")."""
    return format_timedelta(datetime.now(timezone.utc) - since, threshold=1.1)


@bp.app_template_global()
def first_sentence(component: dict) -> str:
    """A score component's first "why" sentence in the reader's language (the queue's one-line why).

    Like :func:`matchmaker.templating.explain_sentences`, but renders one phrase only and asks for the
    concept vocabulary once a request, not once per concept named: a page of 25 rows names hundreds.
    """
    phrases = component.get("phrases")
    if not phrases:
        return component.get("detail", "")
    if "queue_namer" not in g:  # once per request
        vocabulary, locale = default_vocabulary(), str(get_locale())
        g.queue_namer = lambda concept: vocabulary.label(concept, locale)
    return Phrase.from_dict(phrases[0]).render(_, g.queue_namer)


def _is_curator(user) -> bool:
    return user.is_curator


@bp.get("")
@role_required(_is_curator)
def queue_page():
    filters = queue.Filters.parse(request.args)
    page = queue.list_queue(get_session(), countries=queue.scope_of(current_user), filters=filters,
                            page=page_number())
    partial = request.htmx and not request.htmx.boosted
    html = render_template("curation/_rows.html" if partial else "curation/queue.html", page=page,
                           filters=filters, stages=STAGE_LABELS, reasons=DECLINE_REASON_LABELS)
    if not partial:
        return html
    # The address bar gets the filters that apply, not every empty field of the form.
    return html, {"HX-Push-Url": url_for("curation.queue_page", **filters.as_args())}


@bp.post("/bulk")
@role_required(_is_curator)
def bulk():
    action = request.form.get("action", "")
    ids = list(dict.fromkeys(i for i in map(parse_id, request.form.getlist("match_id")) if i is not None))[:BULK_MAX]
    reason = request.form.get("reason", "")
    note = request.form.get("note", "")
    back = safe_local_path(request.form.get("next"), url_for("curation.queue_page"))
    error = _bulk_error(action, ids, reason)
    done, refused = [], []
    if error is None:
        session = get_session()
        for match_id in ids:  # each its own transaction: one refusal never undoes the others
            try:
                curation.move(session, match_id=match_id, user_id=current_user.id, action=action, note=note,
                              reason=reason if action == "decline" else None)
                done.append(match_id)
            except curation.Refused as refusal:
                refused.append((match_id, str(refusal.message)))
    rows = queue.rows_for(get_session(), countries=queue.scope_of(current_user), match_ids=ids) if ids else []
    message = error or _summary(action, done, refused, {row.match_id: row for row in rows})
    if not (request.htmx and not request.htmx.boosted):
        flash(message, "error" if error or refused else "success")
        return redirect(back)
    rows = [row for row in rows if row.match_id in done or row.match_id in dict(refused)]
    return render_template("curation/_bulk_result.html", rows=rows, message=message, done=set(done),
                           refused=dict(refused), stages=STAGE_LABELS)


def _bulk_error(action: str, ids: list[int], reason: str):
    if action not in ("introduce", "decline"):
        return _("Choose “Introduce selected” or “Decline selected”.")
    if not ids:
        return _("Select at least one match.")
    if action == "decline" and reason not in DeclineReason._value2member_map_:
        return pgettext("queue", "Choose a reason for declining.")
    return None


def _summary(action: str, done: list[int], refused: list[tuple[int, str]], rows: dict) -> str:
    """ "3 introduced, 1 refused: Teak dining set ⇄ Hotel furniture: …" (a match the curator may not
    see is named by its id only)."""
    if action == "introduce":
        text = ngettext("%(num)d introduced", "%(num)d introduced", len(done))
    else:
        text = ngettext("%(num)d declined", "%(num)d declined", len(done))
    if refused:
        reasons = "; ".join(f"{_name(rows.get(match_id), match_id)}: {why}" for match_id, why in refused)
        text = ngettext("%(done)s, %(num)d refused: %(reasons)s", "%(done)s, %(num)d refused: %(reasons)s",
                        len(refused), done=text, reasons=reasons)
    return text


def _name(row, match_id: int) -> str:
    return f"{row.product_title} ⇄ {row.request_title}" if row is not None else f"#{match_id}"

