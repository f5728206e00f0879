"""Product profiles (/products) and buying requests (/requests): public listings and the owners' forms.

Both sides share one life cycle and one set of pages, so one factory builds both blueprints.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from matchmaker import permissions
from matchmaker.db import get_session
from matchmaker.forms import HsCodeForm, ProductForm, RequestForm, StatusForm
from matchmaker.services import catalog, corridor, jobs, matches, obstacles
from matchmaker.services.editing import StaleEdit
from matchmaker.urls import page_number
from matchmaker.views.conflicts import conflict_with
from matchmaker.vocabulary import LANGUAGES, SECTORS


def make_blueprint(kind: catalog.ItemKind, form_class, can_post) -> Blueprint:
    name = f"{kind.name}s"
    bp = Blueprint(name, __name__, url_prefix=f"/{name}")

    def load(item_id: int):
        item = catalog.get(get_session(), kind, item_id)
        # A draft is invisible to strangers: 404, not 403, so ids can't be probed.
        if item is None or not permissions.can_view_item(current_user, item):
            abort(404)
        return item

    def load_for_edit(item_id: int):
        item = load(item_id)
        if not permissions.can_edit_item(current_user, item):
            abort(403)
        return item

    @bp.get("/")
    def index():
        sector = request.args.get("sector", "")
        sector = sector if sector in SECTORS else ""
        country = request.args.get("country", "").strip().upper()[:2]
        query = request.args.get("q", "").strip()[:100]
        page = catalog.list_published(get_session(), kind, sector=sector, country=country, query=query,
                                      page=page_number())
        template = "catalog/_list.html" if request.htmx and not request.htmx.boosted else "catalog/index.html"
        return render_template(template, kind=kind.name, page=page, sector=sector, country=country, query=query)

    def detail_page(item, hs_form=None) -> str:
        can_edit = permissions.can_edit_item(current_user, item)
        # Proposed partners are private: the public page of an item lists none.
        top = matches.for_item(get_session(), kind.name, item) \
            if permissions.can_see_matches(current_user, item) else None
        hints = obstacles.for_owner(get_session(), kind.name, item) if can_edit else []
        # The owner of a request without a code sees what the engine made of it, and may correct it.
        reading = catalog.reading(item) if can_edit and kind is catalog.REQUESTS and not item.hs_code else None
        finding = top is not None and jobs.pending(get_session(), name, item.id)
        return render_template("catalog/detail.html", kind=kind.name, item=item, matches=top,
                               shown=current_app.config["MATCHES_PER_ITEM"], can_edit=can_edit,
                               obstacles=hints, status_form=StatusForm(), reading=reading,
                               hs_form=hs_form or HsCodeForm(), finding=finding)

    @bp.get("/<id:item_id>")
    def detail(item_id: int):
        return detail_page(load(item_id))

    @bp.get("/<id:item_id>/matches")
    def matches_section(item_id: int):
        """The item's matches section, which its page polls while the matching job has its latest
        change to do. A poll that finds the job still at work gets "nothing new" (204: htmx keeps the
        page as it is, and the status line is not announced again)."""
        item = load(item_id)
        if not permissions.can_see_matches(current_user, item):
            abort(404)
        finding = jobs.pending(get_session(), name, item.id)
        if finding and request.htmx:
            return "", 204
        return render_template("matches/_for_item.html", kind=kind.name, item=item, finding=finding,
                               matches=matches.for_item(get_session(), kind.name, item),
                               shown=current_app.config["MATCHES_PER_ITEM"],
                               return_to=url_for(f"{name}.detail", item_id=item.id))

    def corridor_ticks(form, data, country: str | None):
        """Tick the corridor's defaults once for the request's sector and say why; None when the
        owner has seen them (and may have unticked them) or there are none, so the form saves."""
        if kind.name != "request":
            return None
        sector, defaults = corridor.request_defaults(country, hs_code=data.hs_code, title=data.title,
                                                     description=data.description)
        missing = [d.certification for d in defaults if d.certification not in data.required_certifications]
        if not missing or form.corridor_checked.data == sector:
            return None
        form.required_certifications.data = list(data.required_certifications) + missing
        form.corridor_checked.data = sector
        return defaults

    def render_form(form, item, notes=None, conflict=None):
        country = (item.organisation if item else current_user.organisation).country
        rules = corridor.rules_for(country) if kind.name == "request" else ()
        return render_template("catalog/form.html", kind=kind.name, form=form, item=item,
                               corridor_notes=notes, corridor_rules=rules, conflict=conflict)

    @bp.route("/new", methods=["GET", "POST"])
    @login_required
    def new():
        if not can_post(current_user):
            abort(403)
        form = form_class()
        if request.method == "GET":
            form.language.data = current_user.locale if current_user.locale in LANGUAGES else "en"
        notes = None
        if form.validate_on_submit() and (data := form.validated()) is not None and \
                not (notes := corridor_ticks(form, data, current_user.organisation.country)):
            publish = "publish" in request.form
            item = catalog.create(get_session(), kind, actor=current_user, data=data, publish=publish)
            flash(_("Published.") if publish else _("Saved as a draft."), "success")
            return redirect(url_for(f"{name}.detail", item_id=item.id))
        return render_form(form, None, notes), 200 if notes else _form_status()

    @bp.route("/<id:item_id>/edit", methods=["GET", "POST"])
    @login_required
    def edit(item_id: int):
        item = load_for_edit(item_id)
        form = form_class(obj=item) if request.method == "GET" else form_class()
        if request.method == "GET":
            for field in ("moq", "capacity_per_month", "price_usd", "quantity", "max_price_usd"):
                if field in form and getattr(item, field) is not None:
                    form[field].data = f"{getattr(item, field):g}"
            if "corridor_checked" in form:  # the owner already chose for the sector it is filed under
                form.corridor_checked.data = item.sector
        notes = None
        if form.validate_on_submit() and (data := form.validated()) is not None and \
                not (notes := corridor_ticks(form, data, item.organisation.country)):
            try:
                catalog.update(get_session(), kind, actor=current_user, item=item,
                               version=form.opened_version(), data=data, publish="publish" in request.form)
            except StaleEdit:
                return render_form(form, item, conflict=conflict_with(form, item, data)), 409
            flash(_("Changes saved."), "success")
            return redirect(url_for(f"{name}.detail", item_id=item.id))
        return render_form(form, item, notes), 200 if notes else _form_status()

    @bp.post("/<id:item_id>/status")
    @login_required
    def change_status(item_id: int):
        item = load_for_edit(item_id)
        status = request.form.get("status", "")
        if not StatusForm().validate_on_submit() or status not in catalog.STATUSES:
            abort(400)
        catalog.set_status(get_session(), actor=current_user, item=item, status=status)
        flash({"published": _("Published."), "archived": _("Archived."), "draft": _("Back to draft.")}[status],
              "success")
        return redirect(url_for(f"{name}.detail", item_id=item.id))

    if kind is catalog.REQUESTS:
        @bp.post("/<id:item_id>/hs-code")
        @login_required
        def correct_hs_code(item_id: int):
            item = load_for_edit(item_id)
            form = HsCodeForm()
            if form.validate_on_submit() and (data := form.validated()) is not None:
                try:
                    catalog.correct_hs_code(get_session(), actor=current_user, item=item,
                                            version=form.opened_version(), hs_code=data.hs_code)
                except StaleEdit:
                    # The request changed since the owner read it: show what the platform reads now.
                    flash(_("Someone else changed this since you opened it"), "error")
                    return detail_page(item), 409
                flash(_("HS code saved: the listings and your matches now use it."), "success")
                return redirect(url_for(f"{name}.detail", item_id=item.id))
            return detail_page(item, hs_form=form), 400

    return bp


def _form_status() -> int:
    return 400 if request.method == "POST" else 200


products_bp = make_blueprint(catalog.PRODUCTS, ProductForm, permissions.can_post_products)
requests_bp = make_blueprint(catalog.REQUESTS, RequestForm, permissions.can_post_requests)
