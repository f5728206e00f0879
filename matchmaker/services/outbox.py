"""The email outbox: messages are rows written in the transaction that caused them, and sent after commit.

An action never waits on the mail server and never fails because of it. With ``MAIL_SERVER`` set, a
daemon thread (woken after each commit that queued mail) and the ``matchmaker send-mail`` command (for a
cron or a worker) send what is due by SMTP, retrying with a growing pause and recording each failure;
without it the messages stay in the table, readable at ``/dev/mail`` on a developer's machine.
"""

from __future__ import annotations

import logging
import smtplib
import threading
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Optional

from sqlalchemy import event, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from matchmaker.models import OutboxMessage, User, utcnow

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
FIRST_RETRY_S = 60          # then 2, 4, 8, 16 minutes
SMTP_TIMEOUT_S = 15
BATCH = 50


@dataclass(frozen=True)
class SmtpSettings:
    server: str
    port: int = 25
    username: str = ""
    password: str = ""
    use_tls: bool = False
    sender: str = "matchmaker@localhost"

    @classmethod
    def from_config(cls, config) -> Optional["SmtpSettings"]:
        if not config.get("MAIL_SERVER"):
            return None
        return cls(server=config["MAIL_SERVER"], port=int(config.get("MAIL_PORT") or 25),
                   username=config.get("MAIL_USERNAME") or "", password=config.get("MAIL_PASSWORD") or "",
                   use_tls=bool(config.get("MAIL_USE_TLS")),
                   sender=config.get("MAIL_DEFAULT_SENDER") or "matchmaker@localhost")


def queue(session: Session, *, user: User, subject: str, body_text: str, body_html: Optional[str] = None,
          locale: str = "en") -> OutboxMessage:
    """Add a message to the session (committed with the caller's change); wake the sender after commit."""
    message = OutboxMessage(to=user.email, user_id=user.id, subject=subject[:300], body_text=body_text,
                            body_html=body_html, locale=locale)
    session.add(message)
    if not session.info.get("outbox_wake"):
        session.info["outbox_wake"] = True
        event.listen(session, "after_commit", _after_commit, once=True)
    return message


def _after_commit(session: Session) -> None:
    session.info.pop("outbox_wake", None)
    sender = _senders.get(session.get_bind())
    if sender is not None:
        sender.wake()


# The background sender of each app's engine (apps with MAIL_SERVER set and MAIL_BACKGROUND on).
_senders: "weakref.WeakKeyDictionary[Engine, BackgroundSender]" = weakref.WeakKeyDictionary()


def _aware(value: Optional[datetime]) -> Optional[datetime]:
    """SQLite hands back naive datetimes; they were stored in UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def due(session: Session, *, now: datetime, limit: int = BATCH) -> list[int]:
    query = (select(OutboxMessage.id)
             .where(OutboxMessage.status.in_(("queued", "failed")))
             .where(OutboxMessage.attempts < MAX_ATTEMPTS)
             .where(or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= now))
             .order_by(OutboxMessage.id).limit(limit))
    return list(session.exec(query))


def send_due(engine: Engine, settings: SmtpSettings, *, now: Optional[datetime] = None) -> tuple[int, int]:
    """Send every message that is due; returns (sent, failed). Each message is its own transaction, its
    row locked (PostgreSQL: SKIP LOCKED), so the thread and a cron run never send one twice."""
    now = now or utcnow()
    sent = failed = 0
    with Session(engine, expire_on_commit=False) as session:
        ids = due(session, now=now)
        session.rollback()
        for message_id in ids:
            with session.begin():
                message = session.exec(select(OutboxMessage).where(OutboxMessage.id == message_id)
                                       .with_for_update(skip_locked=True)).first()
                if message is None or message.status == "sent":
                    continue
                try:
                    deliver(settings, message)
                except (OSError, smtplib.SMTPException) as error:
                    message.attempts += 1
                    message.status = "failed"
                    message.last_error = f"{type(error).__name__}: {error}"[:2000]
                    pause = timedelta(seconds=FIRST_RETRY_S * 2 ** (message.attempts - 1))
                    message.next_attempt_at = now + pause if message.attempts < MAX_ATTEMPTS else None
                    failed += 1
                    log.warning("mail %s to %s failed (attempt %s): %s", message.id, message.to,
                                message.attempts, error)
                else:
                    message.attempts += 1
                    message.status, message.sent_at, message.last_error = "sent", utcnow(), ""
                    message.next_attempt_at = None
                    sent += 1
                session.add(message)
    return sent, failed


def as_email(settings: SmtpSettings, message: OutboxMessage) -> EmailMessage:
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = settings.sender, message.to, message.subject
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    email["Content-Language"] = message.locale  # after the body: set_content drops Content-* headers
    return email


def deliver(settings: SmtpSettings, message: OutboxMessage) -> None:
    with smtplib.SMTP(settings.server, settings.port, timeout=SMTP_TIMEOUT_S) as smtp:
        if settings.use_tls:
            smtp.starttls()
        if settings.username:
            smtp.login(settings.username, settings.password)
        smtp.send_message(as_email(settings, message))


class BackgroundSender:
    """One daemon thread per app: woken after a commit that queued mail, and every ``interval`` seconds
    for retries. It only reads settings and the engine, never the request's objects."""

    def __init__(self, engine: Engine, settings: SmtpSettings, *, interval: float = 30.0):
        self.engine, self.settings, self.interval = engine, settings, interval
        self._wake = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._stopped = False

    def wake(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="outbox-sender", daemon=True)
                self._thread.start()
        self._wake.set()

    def stop(self) -> None:
        self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=SMTP_TIMEOUT_S)

    def _run(self) -> None:
        while True:
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopped:
                return
            try:
                send_due(self.engine, self.settings)
            except Exception:  # the thread must outlive a database hiccup; the next wake retries
                log.exception("outbox sender")


def init_app(app) -> None:
    settings = SmtpSettings.from_config(app.config)
    if settings is not None and app.config.get("MAIL_BACKGROUND", True):
        sender = BackgroundSender(app.extensions["db_engine"], settings)
        app.extensions["outbox_sender"] = sender
        _senders[app.extensions["db_engine"]] = sender
