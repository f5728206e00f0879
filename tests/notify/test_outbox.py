"""Mail goes out after commit through a real SMTP server; a server that is down never breaks the action."""

from __future__ import annotations

import socket
import time
from email import message_from_bytes, policy

import pytest
from sqlmodel import select

from matchmaker.models import OutboxMessage
from matchmaker.services import outbox

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content, policy=policy.default)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = aiosmtpd_controller.Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def rows(db):
    db.expire_all()
    return list(db.exec(select(OutboxMessage).order_by(OutboxMessage.id)))


def test_queued_mail_is_sent_in_the_recipients_language(pair, db, app, smtp):
    inbox, port = smtp
    pair.introduce(db)
    assert {r.status for r in rows(db)} == {"queued"}
    sent, failed = outbox.send_due(app.extensions["db_engine"], outbox.SmtpSettings("127.0.0.1", port))
    assert (sent, failed) == (2, 0)
    by_rcpt = {rcpt[0]: message for rcpt, message in inbox.messages}
    russian = by_rcpt["buyer@astana.example"]
    assert russian["Content-Language"] == "ru"
    assert "представил" in russian.get_body(("plain",)).get_content()
    assert russian.get_body(("html",)) is not None
    assert all(r.status == "sent" and r.sent_at and r.attempts == 1 for r in rows(db))
    assert outbox.send_due(app.extensions["db_engine"], outbox.SmtpSettings("127.0.0.1", port)) == (0, 0)


def test_smtp_down_the_action_succeeds_and_the_mail_is_retried_later(pair, db, app, client, auth, smtp):
    inbox, port = smtp
    dead = free_port()  # nothing listens here
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=dead)
    pair.introduce(db)  # the move commits whatever the mail server does
    engine = app.extensions["db_engine"]
    assert outbox.send_due(engine, outbox.SmtpSettings("127.0.0.1", dead)) == (0, 2)
    failed = rows(db)
    assert all(r.status == "failed" and r.attempts == 1 and "Connection" in r.last_error for r in failed)
    assert all(r.next_attempt_at is not None for r in failed)
    # Not due again until the pause has passed, then sent once the server is back.
    assert outbox.send_due(engine, outbox.SmtpSettings("127.0.0.1", port)) == (0, 0)
    later = outbox.utcnow() + outbox.timedelta(seconds=outbox.FIRST_RETRY_S + 1)
    assert outbox.send_due(engine, outbox.SmtpSettings("127.0.0.1", port), now=later) == (2, 0)
    assert {r.status for r in rows(db)} == {"sent"} and len(inbox.messages) == 2


def test_with_the_server_down_the_background_sender_records_the_failure(pair, db, app):
    engine = app.extensions["db_engine"]
    outbox._senders[engine] = outbox.BackgroundSender(engine, outbox.SmtpSettings("127.0.0.1", free_port()))
    try:
        introduction = pair.introduce(db)  # returns at once: sending happens after commit, elsewhere
        assert introduction.stage == "introduced"
        deadline = time.monotonic() + 10
        while {r.status for r in rows(db)} != {"failed"} and time.monotonic() < deadline:
            time.sleep(0.05)
        assert all(r.status == "failed" and r.attempts == 1 and r.next_attempt_at for r in rows(db))
    finally:
        outbox._senders.pop(engine).stop()


def test_the_background_sender_delivers_after_commit(pair, db, app, smtp):
    inbox, port = smtp
    sender = outbox.BackgroundSender(app.extensions["db_engine"], outbox.SmtpSettings("127.0.0.1", port),
                                     interval=5)
    outbox._senders[app.extensions["db_engine"]] = sender
    try:
        pair.introduce(db)
        deadline = time.monotonic() + 10
        while len(inbox.messages) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(inbox.messages) == 2
    finally:
        outbox._senders.pop(app.extensions["db_engine"]).stop()


def test_send_mail_command(pair, db, app, runner, smtp):
    inbox, port = smtp
    pair.introduce(db)
    assert "MAIL_SERVER is not set" in runner.invoke(args=["send-mail"]).output
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    result = runner.invoke(args=["send-mail"])
    assert "Sent 2, failed 0." in result.output and len(inbox.messages) == 2


def test_dev_mail_shows_each_message(pair, db, client):
    pair.introduce(db)
    page = client.get("/dev/mail").get_data(as_text=True)
    assert "buyer@astana.example" in page and "Jepara Teak Works" in page


def test_dev_mail_is_not_in_production(database_url):
    from matchmaker import create_app

    production = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "x",
                             "ENV_NAME": "production"})
    assert production.test_client().get("/dev/mail").status_code == 404
    production.extensions["db_engine"].dispose()


def test_dev_mail_is_for_admins_when_a_mail_server_is_set(app, client, auth, make):
    app.config.update(MAIL_SERVER="127.0.0.1")
    member = make.user(make.organisation())
    auth.login(member.email)
    assert client.get("/dev/mail").status_code == 404
    admin = make.user(role="admin")
    auth.logout()
    auth.login(admin.email)
    assert client.get("/dev/mail").status_code == 200
