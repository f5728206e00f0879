"""Match pages: "why this match", the score breakdown drawn as a bar chart."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from flask_login import current_user

from matchmaker import permissions
from matchmaker.db import get_session
from matchmaker.models import Match

bp = Blueprint("matches", __name__, url_prefix="/matches")


@bp.get("/<id:match_id>")
def detail(match_id: int):
    match = get_session().get(Match, match_id)
    # 404, not 403: a stranger must not learn that the two companies were paired at all.
    if match is None or not permissions.can_view_match(current_user, match):
        abort(404)
    return render_template("matches/detail.html", match=match, explanation=match.explanation)
