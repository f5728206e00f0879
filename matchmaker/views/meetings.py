"""Meetings of introduced parties: propose times, confirm one, cancel, download the ``.ics``; and the
user's own time zone. The match page shows them through ``templates/meetings/_panel.html``."""

from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, redirect, render_template, request,
                   url_for)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker import timezones
from matchmaker.db import get_session, transaction
from matchmaker.models import Match, User
from matchmaker.services import curation, meetings
from matchmaker.services.curation import Refused

bp = Blueprint("meetings", __name__)
STATUS = {"forbidden": 404, "own": 403, "stage": 409, "invalid": 400}


def _refused(error: Refused, match: Match | None):
    if error.code == "forbidden" or match is None:
        abort(404)
    if error.code == "own":
        abort(403)
    form = {key: request.form.get(key, "") for key in
            ("slot_1", "slot_2", "slot_3", "timezone", "duration_minutes", "where", "note")}
    return render_template("meetings/refused.html", match=match, meeting_error=error, meeting_form=form), \
        STATUS.get(error.code, 400)


def _back(match_id: int):
    return redirect(url_for("matches.detail", match_id=match_id) + "#meetings")


@bp.post("/matches/<id:match_id>/meetings")
@login_required
def propose(match_id: int):
    session = get_session()
    form = request.form
    try:
        meetings.propose(session, match_id=match_id, user_id=current_user.id,
                         slots=[form.get(f"slot_{i}", "") for i in range(1, 5)],
                         zone_key=form.get("timezone", ""), duration_minutes=form.get("duration_minutes"),
                         where=form.get("where", ""), note=form.get("note", ""))
    except Refused as error:
        return _refused(error, session.get(Match, match_id))
    flash(_("Meeting proposed; the other party chooses one of the times."), "success")
    return _back(match_id)


def _meeting_match(meeting_id: int) -> Match | None:
    meeting = get_session().get(meetings.Meeting, meeting_id)
    return get_session().get(Match, meeting.introduction.match_id) if meeting else None


@bp.post("/meetings/<id:meeting_id>/confirm")
@login_required
def confirm(meeting_id: int):
    session = get_session()
    try:
        meeting = meetings.confirm(session, meeting_id=meeting_id, user_id=current_user.id,
                                   slot_id=request.form.get("slot_id"))
    except Refused as error:
        return _refused(error, _meeting_match(meeting_id))
    flash(_("Meeting confirmed. Add it to your calendar with the invitation file."), "success")
    return _back(meeting.introduction.match_id)


@bp.post("/meetings/<id:meeting_id>/cancel")
@login_required
def cancel(meeting_id: int):
    session = get_session()
    try:
        meeting = meetings.cancel(session, meeting_id=meeting_id, user_id=current_user.id)
    except Refused as error:
        return _refused(error, _meeting_match(meeting_id))
    flash(_("Meeting cancelled."), "info")
    return _back(meeting.introduction.match_id)


@bp.get("/meetings/<id:meeting_id>.ics")
@login_required
def ics(meeting_id: int):
    try:
        body = meetings.ics(get_session(), meeting_id=meeting_id, user_id=current_user.id,
                            base_url=current_app.config.get("PUBLIC_URL") or request.host_url)
    except Refused as error:
        if error.code == "forbidden":
            abort(404)
        return Response(str(error.message), status=409, mimetype="text/plain")
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="meeting-{meeting_id}.ics"'})


@bp.post("/account/timezone")
@login_required
def set_timezone():
    """The user's own zone; "" returns to the organisation's country's."""
    chosen = request.form.get("timezone", "")
    if chosen and chosen not in timezones.ZONES:
        abort(400)
    session = get_session()
    with transaction(session):
        user = session.get(User, current_user.id)
        user.timezone = chosen or None
        session.add(user)
    current_user.timezone = user.timezone
    zone = timezones.ZONES[timezones.for_user(user)]
    flash(_("Time zone saved: times are now shown in %(zone)s.", zone=zone), "success")
    return redirect(url_for("organisations.mine"))


@bp.app_template_global()
def meeting_panel(match: Match) -> dict | None:
    """What the match page's meeting panel shows this user, or None when it is not theirs to see."""
    user = current_user if getattr(current_user, "is_authenticated", False) else None
    if user is None or not meetings.may_see(user, match):
        return None
    session = get_session()
    introduction = curation.introduction_for(session, match.id)
    stage = curation.stage_of(introduction)
    mine = timezones.for_user(user)
    supplier, buyer = match.product.organisation, match.request.organisation
    rows = []
    for meeting in (meetings.meetings_of(session, introduction.id) if introduction else []):
        zones = list(dict.fromkeys([mine, meeting.timezone, timezones.default_for_country(supplier.country),
                                    timezones.default_for_country(buyer.country)]))[:3]
        rows.append(dict(meeting=meeting, zones=zones,
                         proposer=session.get(User, meeting.proposed_by_id),
                         confirmed=meetings.confirmed_slot(meeting),
                         can_confirm=(meetings.may_confirm(user, meeting, match)
                                      and stage in meetings.OPEN_STAGES),
                         can_cancel=meeting.status != "cancelled" and stage in meetings.OPEN_STAGES))
    return dict(open=stage in meetings.OPEN_STAGES, rows=rows, my_zone=mine, zones=timezones.ZONES,
                durations=meetings.DURATIONS, can_propose=stage in meetings.OPEN_STAGES)


@bp.app_template_global()
def slot_time(when, zone_key: str) -> str:
    from matchmaker.services.notifications import format_when

    return format_when(when, zone_key)


@bp.app_template_global()
def zone_short(zone_key: str) -> str:
    """ "WIB (UTC+7)": a column heading; the full name is its title."""
    return f"{timezones.short_name(zone_key)} ({timezones.offset_label(zone_key)})"
