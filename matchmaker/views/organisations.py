"""Organisation pages: the public profile and the member's own dashboard."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_login import current_user, login_required

from matchmaker import permissions
from matchmaker.db import get_session
from matchmaker.models import Organisation
from matchmaker.services import catalog

bp = Blueprint("organisations", __name__, url_prefix="/organisations")


@bp.get("/<int:org_id>")
def detail(org_id: int):
    session = get_session()
    org = session.get(Organisation, org_id)
    if org is None:
        abort(404)
    own = permissions.is_member_of(current_user, org.id)
    curator = current_user.is_authenticated and current_user.is_curator
    return render_template(
        "organisations/detail.html",
        org=org,
        products=catalog.list_for_organisation(session, catalog.PRODUCTS, org.id, include_unpublished=own or curator),
        requests=catalog.list_for_organisation(session, catalog.REQUESTS, org.id, include_unpublished=own or curator),
        show_contacts=permissions.can_see_contacts(session, current_user, org),
        own=own,
    )


@bp.get("/mine")
@login_required
def mine():
    if current_user.organisation_id is None:
        return redirect(url_for("main.home"))
    return redirect(url_for("organisations.detail", org_id=current_user.organisation_id))
