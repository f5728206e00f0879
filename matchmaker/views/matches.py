"""Match pages: "why this match", where the match stands, and the moves of the curation loop.

The routes are thin: each reads its form and calls :mod:`matchmaker.services.curation`, which decides.
A stranger to the match gets a 404 (they must not learn the pair exists), a reader without the right
a 403, a move from the wrong stage a 409, a bad field its error at the field (400). With htmx the
answer is the actions panel (with a status line for screen readers); without, a redirect and a flash.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_datetime, gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlmodel import col, select

from matchmaker import permissions
from matchmaker.db import get_session
from matchmaker.forms_curation import ACTIONS, DISMISS_CHOICES, FORMS
from matchmaker.models import Introduction, Match
from matchmaker.services import curation, match_history
from matchmaker.services.curation import Refused
from matchmaker.stages import PROGRESS, Stage
from matchmaker.urls import safe_local_path

bp = Blueprint("matches", __name__, url_prefix="/matches")

# The service's transition → the route (and form) that offers it.
ROUTES = {**{action: route for route, action in ACTIONS.items()}, **{s.value: "stage" for s in PROGRESS}}
# The forward moves first, then the ones that end the road.
ORDER = ("request", "introduce", "accept", "meeting", "negotiation", "won", "lost", "dismiss", "decline", "reject")
PROGRESS_MOVES = frozenset(s.value for s in PROGRESS)
STATUS = {"forbidden": 403, "stage": 409, "invalid": 400}
DONE = {
    "request": _l("Your request for an introduction was sent to the chamber."),
    "dismiss": _l("Thank you: the proposal is marked as not relevant."),
    "introduce": _l("The parties are introduced; each is asked to accept."),
    "decline": _l("The introduction was declined."),
    "accept": _l("You accepted the introduction."),
    "reject": _l("You rejected the introduction."),
}


def _load(match_id: int) -> Match:
    match = get_session().get(Match, match_id)
    # 404, not 403: a stranger must not learn that the two companies were paired at all.
    if match is None or not permissions.can_view_match(current_user, match):
        abort(404)
    return match


@bp.get("/<id:match_id>")
def detail(match_id: int):
    return _page(_load(match_id))


def _forms(match: Match, introduction, failed=None) -> dict:
    """A form for each move the reader may make now (the failed one keeps what was typed)."""
    actions = curation.available_actions(current_user, match, introduction)
    forms = {}
    for action in (a for a in ORDER if a in actions):
        route = ROUTES[action]
        if route not in forms:
            forms[route] = failed if failed is not None and failed.action == route else FORMS[route](formdata=None)
    if "stage" in forms:
        forms["stage"].offer(actions)
    return forms


def _panel(match: Match, *, failed=None, message: str = "", error: bool = False) -> dict:
    session = get_session()
    introduction = curation.introduction_for(session, match.id)
    stage = curation.stage_of(introduction)
    side = curation.party_side(current_user, match)
    return dict(match=match, introduction=introduction, stage=stage, side=side,
                forms=_forms(match, introduction, failed), message=message, error=error,
                next_step=match_history.next_step(current_user, match, introduction))


def _page(match: Match, *, status: int = 200, **panel):
    context = _panel(match, **panel)
    session, introduction = get_session(), context["introduction"]
    supplier, buyer = match.product.organisation, match.request.organisation
    shown = [supplier, buyer] if current_user.is_authenticated and current_user.is_curator else \
        [org for org in (supplier, buyer) if org.id != getattr(current_user, "organisation_id", None)]
    # Contacts once both accepted (permissions says to whom); curators see both parties' always.
    contacts = [org for org in shown if (context["stage"].contacts_shared or current_user.is_curator)
                and permissions.can_see_contacts(session, current_user, org)]
    explanation, frozen = match.explanation, None
    if introduction is not None and introduction.explanation:
        explanation, frozen = introduction.explanation, introduction
    context.update(
        explanation=explanation, frozen=frozen, contacts=contacts,
        history=match_history.history(session, introduction_id=getattr(introduction, "id", None),
                                      reader=current_user))
    return render_template("matches/detail.html", **context), status


def _answer(match: Match, *, status: int = 200, failed=None, message: str = "", error: bool = False):
    """The htmx partial (the actions panel, or a list row's), or the whole page."""
    if request.htmx:
        template = "matches/_row_actions.html" if request.form.get("view") == "row" else "matches/_actions.html"
        return render_template(template, **_panel(match, failed=failed, message=message, error=error)), status
    return _page(match, status=status, failed=failed, message=message, error=error)


def _act(match_id: int, route: str):
    match = _load(match_id)
    form = FORMS[route]()
    session = get_session()
    introduction = curation.introduction_for(session, match.id)
    values = form.values()
    action = ACTIONS.get(route) or values.pop("stage")
    try:
        if route == "stage" and action not in PROGRESS_MOVES:
            curation.check(current_user, match, introduction, "lost")  # the person first: 403 before 400
            raise Refused("invalid", _("Choose meeting, negotiation, won or lost."), field="stage")
        curation.check(current_user, match, introduction, action)
        if not form.validate_on_submit():
            return _answer(match, status=400, failed=form, message=_("Please correct the form."), error=True)
        curation.move(session, match_id=match.id, user_id=current_user.id, action=action, **values)
    except Refused as refusal:
        if refusal.code == "forbidden" and not request.htmx:
            abort(403)
        form.refuse(refusal.field, refusal.message)
        failed = form if refusal.code == "invalid" else None
        return _answer(match, status=STATUS[refusal.code], failed=failed, message=str(refusal.message),
                       error=True)
    message = str(DONE[action]) if action in DONE else _("Stage recorded: %(stage)s.", stage=Stage(action).label)
    if request.htmx:
        if action == "accept" and request.form.get("view") != "row" and \
                curation.stage_of(curation.introduction_for(session, match.id)).contacts_shared:
            # The second acceptance shares the contacts and opens the meetings, both outside the panel:
            # the page reloads to show them (the message comes back as a flash).
            flash(message, "success")
            return "", 200, {"HX-Refresh": "true"}
        return _answer(match, message=message)
    flash(message, "success")
    target = safe_local_path(request.form.get("next"), url_for("matches.detail", match_id=match.id))
    return redirect(target, code=303)


def _route(route: str):
    def view(match_id: int):
        return _act(match_id, route)

    view.__name__ = route
    bp.add_url_rule(f"/<id:match_id>/{route}", view_func=login_required(view), methods=["POST"])


for _name in FORMS:
    _route(_name)


@bp.app_template_global()
def introductions_for(matches) -> dict[int, Introduction]:
    """The introductions of these matches (one query), by match id, for a party's list of matches."""
    ids = [m.id for m in matches or ()]
    if not ids:
        return {}
    rows = get_session().exec(select(Introduction).where(col(Introduction.match_id).in_(ids))).all()
    return {row.match_id: row for row in rows}


@bp.app_template_global()
def quick_moves(match: Match, introduction) -> list[str]:
    """The list's quick moves for the reader: ask for an introduction ("interest"), or "not relevant"
    ("dismiss"). The list writes their few fields itself: a form object per row costs more than the page."""
    actions = curation.available_actions(current_user, match, introduction)
    return [ROUTES[a] for a in ("request", "dismiss") if a in actions]


@bp.app_template_global()
def dismiss_reasons() -> list[tuple[str, str]]:
    return [(choice.value, str(choice.label)) for choice in DISMISS_CHOICES]


bp.add_app_template_global(curation.stage_of, "stage_of")
bp.add_app_template_global(format_datetime, "format_datetime")


@bp.app_template_global()
def actor_name(actor) -> str:
    """Who made a move, as the reader may know them: an organisation (a person's name only to their
    colleagues and curators), or the chamber."""
    if actor is None:
        return _("The platform")
    reader = current_user if current_user.is_authenticated else None
    colleague = reader is not None and (reader.is_curator or reader.organisation_id == actor.organisation_id)
    if actor.is_curator:
        return _("Chamber curator %(name)s", name=actor.name) if colleague and actor.name else _("Chamber curator")
    organisation = actor.organisation.name if actor.organisation else ""
    return f"{actor.name} ({organisation})" if colleague and actor.name else organisation
