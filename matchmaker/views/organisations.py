"""Organisation pages: the public profile and the member's own dashboard."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _, lazy_gettext as _l
from flask_login import current_user, login_required

from matchmaker import permissions
from matchmaker.db import get_session
from matchmaker.forms import OrganisationForm
from matchmaker.models import Organisation
from matchmaker.services import catalog, directory, matches, organisations
from matchmaker.services.editing import StaleEdit
from matchmaker.urls import page_number
from matchmaker.views.conflicts import conflict_with
from matchmaker.views.search import page_or_partial
from matchmaker.views.verification import verification_panel
from matchmaker.vocabulary import CERTIFICATIONS

bp = Blueprint("organisations", __name__, url_prefix="/organisations")

# The profile form's own labels, to say which verified details changed.
IDENTITY_LABELS = {"name": _l("Organisation name"), "country": _l("Country"),
                   "kind": _l("What your organisation does"), "website": _l("Website"),
                   "contact_email": _l("Contact email")}


@bp.get("/")
def index():
    """The supplier directory: anyone may search it; it shows no contact details."""
    found = directory.find(get_session(), query=request.args.get("q", ""),
                           filters=directory.DirectoryFilters.parse(request.args), page=page_number())
    return page_or_partial("organisations/index.html", "organisations/_list.html", found=found,
                           certifications=list(CERTIFICATIONS))


@bp.get("/<id:org_id>")
def detail(org_id: int):
    return render_detail(_load(org_id))


def render_detail(org: Organisation, *, status: int = 200, **forms):
    """The organisation's page; ``forms`` are the verification forms to show again with their errors."""
    session = get_session()
    own = permissions.is_member_of(current_user, org.id)
    curator = current_user.is_authenticated and current_user.is_curator
    products = catalog.list_for_organisation(session, catalog.PRODUCTS, org.id, include_unpublished=own or curator)
    requests = catalog.list_for_organisation(session, catalog.REQUESTS, org.id, include_unpublished=own or curator)
    return render_template(
        "organisations/detail.html",
        org=org,
        products=products,
        requests=requests,
        # Counts of proposals are as private as the proposals: members and curators only.
        match_counts={"product": matches.counts_for(session, "product", [p.id for p in products]),
                      "request": matches.counts_for(session, "request", [r.id for r in requests])}
        if own or curator else {"product": {}, "request": {}},
        show_contacts=permissions.can_see_contacts(session, current_user, org),
        own=own,
        curator=curator,
        reverify_fields=[IDENTITY_LABELS[f] for f in organisations.reverification_pending(session, org)
                         if f in IDENTITY_LABELS],
        evidence=verification_panel(session, current_user, org, **forms),
    ), status


def _load(org_id: int) -> Organisation:
    org = get_session().get(Organisation, org_id)
    if org is None:
        abort(404)
    return org


@bp.route("/<id:org_id>/edit", methods=["GET", "POST"])
@login_required
def edit(org_id: int):
    org = _load(org_id)
    if not permissions.is_member_of(current_user, org.id):
        abort(403)
    form = OrganisationForm(obj=org)
    if form.validate_on_submit() and (data := form.validated()) is not None:
        was_verified = org.verified
        try:
            organisations.update(get_session(), actor=current_user, organisation=org,
                                 version=form.opened_version(), data=data)
        except StaleEdit:
            return render_template("organisations/form.html", form=form, org=org,
                                   conflict=conflict_with(form, org, data)), 409
        flash(_("Organisation profile saved."), "success")
        if was_verified and not org.verified:
            flash(_("You changed details a curator had verified, so the organisation is no longer marked as "
                    "verified. A curator will check it again."), "info")
        return redirect(url_for("organisations.detail", org_id=org.id))
    return render_template("organisations/form.html", form=form, org=org), 400 if request.method == "POST" else 200


@bp.get("/mine")
@login_required
def mine():
    if current_user.organisation_id is None:
        return redirect(url_for("main.home"))
    return redirect(url_for("organisations.detail", org_id=current_user.organisation_id))
