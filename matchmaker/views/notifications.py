"""The bell: a user's notifications, written in the reader's language; the development mail view;
``matchmaker send-mail``."""

from __future__ import annotations

import click
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask.cli import with_appcontext
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import select

from matchmaker import timezones
from matchmaker.db import get_session, transaction
from matchmaker.models import OutboxMessage
from matchmaker.services import notifications, outbox
from matchmaker.urls import page_number, parse_id

bp = Blueprint("notifications", __name__)
PAGE = 50


@bp.get("/notifications")
@login_required
def index():
    session, page = get_session(), page_number()
    items = notifications.for_user(session, current_user.id, limit=PAGE + 1, offset=(page - 1) * PAGE)
    return render_template("notifications/index.html", items=items[:PAGE], render=notifications.render,
                           unread=unread_count(), page=page, more=len(items) > PAGE)


@bp.post("/notifications/read")
@login_required
def mark_read():
    """One notification (``id``) or, without it, all of them."""
    session = get_session()
    raw = request.form.get("id")
    notification_id = parse_id(raw)
    if raw and notification_id is None:
        abort(404)
    with transaction(session):
        changed = notifications.mark_read(session, user_id=current_user.id, notification_id=notification_id)
    if notification_id is not None and not changed:
        owned = session.get(notifications.Notification, notification_id)
        if owned is None or owned.user_id != current_user.id:
            abort(404)  # someone else's notification does not exist for this user
    target = request.form.get("next")
    if target and target.startswith("/matches/"):
        return redirect(target)
    return redirect(url_for("notifications.index"))


def unread_count() -> int:
    """For the navigation badge: one indexed count per page, remembered for the request."""
    if not getattr(current_user, "is_authenticated", False):
        return 0
    if "unread_notifications" not in g:
        try:
            g.unread_notifications = notifications.unread_count(get_session(), current_user.id)
        except SQLAlchemyError:  # the "database busy" page must still render, without the badge
            g.unread_notifications = 0
    return g.unread_notifications


def user_time(when) -> str:
    """A stored UTC time in the signed-in user's zone (UTC for a visitor)."""
    return notifications.format_when(when, timezones.for_user(current_user))


@bp.get("/dev/mail")
def dev_mail():
    """Every queued email as its recipient will read it. Never in production; where real mail is set up,
    for admins only."""
    if current_app.config["ENV_NAME"] == "production":
        abort(404)
    if current_app.config.get("MAIL_SERVER") and not getattr(current_user, "is_admin", False):
        abort(404)
    messages = get_session().exec(select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(PAGE)).all()
    return render_template("notifications/dev_mail.html", messages=messages)


@click.command("send-mail")
@with_appcontext
def send_mail_command() -> None:
    """Send the queued emails that are due (for a cron job or a worker)."""
    settings = outbox.SmtpSettings.from_config(current_app.config)
    if settings is None:
        raise click.ClickException("MAIL_SERVER is not set; queued mail stays readable at /dev/mail.")
    sent, failed = outbox.send_due(current_app.extensions["db_engine"], settings)
    click.echo(f"Sent {sent}, failed {failed}.")


def init_app(app) -> None:
    """Subscribe the notifications to the signals, start the mail sender, offer the badge and the CLI."""
    notifications.connect()
    outbox.init_app(app)
    app.jinja_env.globals["unread_notifications"] = unread_count
    app.jinja_env.globals["user_time"] = user_time
    app.jinja_env.globals["TIME_ZONES"] = timezones.ZONES
    app.cli.add_command(send_mail_command)
