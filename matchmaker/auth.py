"""Flask-Login wiring: sessions hold a user id; deactivated users are signed out on their next request."""

from __future__ import annotations

from functools import wraps

from flask import Flask, abort
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, current_user

from matchmaker.db import get_session
from matchmaker.models import User
from matchmaker.urls import parse_id

login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please log in to continue.")
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(user_id: str):
    user_id = parse_id(user_id)
    if user_id is None:
        return None
    user = get_session().get(User, user_id)
    return user if user is not None and user.active else None


def init_app(app: Flask) -> None:
    login_manager.init_app(app)


def role_required(check):
    """Refuse with 403 unless ``check(current_user)`` holds (401 → login page for anonymous users)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not check(current_user):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
