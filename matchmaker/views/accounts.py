"""Register, log in, log out."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from matchmaker.db import get_session
from matchmaker.forms import LoginForm, RegisterForm
from matchmaker.i18n import select_locale
from matchmaker.services import accounts
from matchmaker.urls import safe_local_path

bp = Blueprint("accounts", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.home"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(get_session(), email=form.email.data, password=form.password.data)
        except accounts.AccountDeactivated:
            form.form_errors.append(_("This account has been deactivated. To use it again, ask an "
                                      "administrator of the platform."))
        else:
            if user is not None:
                login_user(user, remember=form.remember.data)
                flash(_("Welcome back, %(name)s.", name=user.name or user.email), "success")
                return redirect(safe_local_path(request.args.get("next"), url_for("organisations.mine")))
            form.password.errors = [_("Wrong email or password.")]
    return render_template("accounts/login.html", form=form), 400 if request.method == "POST" else 200


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("main.home"))


@bp.route("/register", methods=["GET", "POST"])
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        organisation = form.validated()
        if organisation is not None:
            try:
                user = accounts.register(get_session(), organisation=organisation, email=form.email.data,
                                         password=form.password.data, name=form.person_name.data or "",
                                         locale=select_locale())
            except accounts.EmailTaken:
                form.email.errors = [_("An account with this email already exists; log in instead.")]
            else:
                login_user(user)
                flash(_("Your organisation is registered. Add your first product or buying request."), "success")
                return redirect(url_for("organisations.mine"))
    status = 400 if request.method == "POST" else 200
    return render_template("accounts/register.html", form=form), status
