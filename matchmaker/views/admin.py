"""User administration, for platform administrators only."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from matchmaker import permissions
from matchmaker.auth import role_required
from matchmaker.db import get_session
from matchmaker.forms import UserAdminForm
from matchmaker.models import Organisation, User
from matchmaker.services import accounts
from matchmaker.urls import page_number
from sqlmodel import select

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/users")
@role_required(permissions.can_manage_users)
def users():
    page = page_number()
    session = get_session()
    rows, total = accounts.list_users(session, page=page)
    orgs = {o.id: o for o in session.exec(select(Organisation)).all()} if rows else {}
    forms = {u.id: UserAdminForm(obj=u, prefix=f"u{u.id}") for u in rows}
    return render_template("admin/users.html", users=rows, total=total, page=page, orgs=orgs, forms=forms)


@bp.post("/users/<id:user_id>")
@role_required(permissions.can_manage_users)
def update_user(user_id: int):
    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    form = UserAdminForm(prefix=f"u{user_id}")
    if not form.validate_on_submit():
        flash(_("Choose a valid role."), "error")
    elif user.id == current_user.id and (form.role.data != "admin" or not form.active.data):
        flash(_("You cannot remove your own administrator access."), "error")
    else:
        accounts.update_user(session, actor=current_user, user=user, role=form.role.data, active=form.active.data)
        flash(_("Saved %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.users"))
