"""Configuration from environment variables, with safe defaults for a developer's machine."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENTS = ("development", "test", "production")


class ConfigurationError(RuntimeError):
    """The platform must not start with this configuration; the message says what to change."""


def check_environment(name: str) -> None:
    """Refuse an unknown MATCHMAKER_ENV: a typo ("prod") would otherwise run a production database
    with demo logins and cookies sent over plain HTTP."""
    if name not in ENVIRONMENTS:
        raise ConfigurationError(f"MATCHMAKER_ENV={name!r} is not one of {', '.join(ENVIRONMENTS)}; "
                                 "set it to one of these (production for a public server).")


def normalise_database_url(url: str) -> str:
    """Let users paste the usual ``postgres://`` or ``postgresql://`` URL; we drive PostgreSQL with psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class Config:
    ENV_NAME = os.environ.get("MATCHMAKER_ENV", "development")
    # A random key per process is safe for development; production must set one so sessions survive restarts.
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    DATABASE_URL = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{PROJECT_ROOT / 'instance' / 'matchmaker.db'}")
    )
    # Demo data is for trying the platform; a production database never gets demo logins.
    LOAD_DEMO_DATA = ENV_NAME != "production"
    PAGE_SIZE = 20
    BABEL_DEFAULT_LOCALE = "en"
    BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).resolve().parent / "translations")
    WTF_CSRF_TIME_LIMIT = None  # a form left open during a long phone call must still submit
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = ENV_NAME == "production"
    REMEMBER_COOKIE_SECURE = ENV_NAME == "production"
    MATCHES_PER_ITEM = 10
    # Every form today is a few kilobytes; a larger body is refused (413) before it is read into memory.
    MAX_CONTENT_LENGTH = 1024 * 1024
    MAX_FORM_MEMORY_SIZE = 512 * 1024
    # A request waits this long for the database, then answers 503 "busy" instead of hanging a worker.
    DATABASE_CONNECT_TIMEOUT_S = 5
    DATABASE_LOCK_TIMEOUT_MS = 5_000
    DATABASE_STATEMENT_TIMEOUT_MS = 30_000
    # Email (services.outbox): sent by SMTP when MAIL_SERVER is set; otherwise kept for /dev/mail.
    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT") or 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = os.environ.get("MAIL_USE_TLS", "").lower() in ("1", "true", "yes")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "matchmaker@localhost")
    MAIL_BACKGROUND = True  # a daemon thread sends after each commit; `matchmaker send-mail` for a cron
    # The warm engine indexes (services.index_store): snapshot files, and whether a web process may fit
    # one itself when there is none. With REDIS_URL a worker runs beside the web processes, which then
    # never fit (they wait for `matchmaker index rebuild` or the worker's snapshot).
    INDEX_DIR = os.environ.get("INDEX_DIR") or str(PROJECT_ROOT / "instance" / "index")
    INDEX_FIT_IN_WEB = os.environ.get("INDEX_FIT_IN_WEB", "" if os.environ.get("REDIS_URL") else "1").lower() \
        in ("1", "true", "yes")
    # A refresh redoes every list of the other side up to this many lists (exactly a full rematch);
    # above, only the lists a change can affect (see services.matches.refresh).
    MATCH_REFRESH_ALL_UP_TO = int(os.environ.get("MATCH_REFRESH_ALL_UP_TO") or 200)
    # ... and also when the changed items number this share of the other side's lists, or more than
    # this many (a bulk import): finding the lists each changed item can enter ranks the whole other
    # side per item (seconds at 100,000), redoing every list is one batch.
    MATCH_REFRESH_ALL_SHARE = float(os.environ.get("MATCH_REFRESH_ALL_SHARE") or 0.1)
    MATCH_REFRESH_ENTERING_UP_TO = int(os.environ.get("MATCH_REFRESH_ENTERING_UP_TO") or 100)
    # A change that asks for more lists of one side than this (an import) leaves them in the backlog,
    # which the job works through in slices, matching newer saves before each slice: the process's
    # first slice has MATCH_BACKLOG_SLICE lists, later ones (next runs' too) as many as take about
    # MATCH_BACKLOG_SLICE_S seconds
    # (0: always MATCH_BACKLOG_SLICE). One run works at most MATCHING_RUN_BUDGET_S seconds on it.
    MATCH_BACKLOG_FROM = int(os.environ.get("MATCH_BACKLOG_FROM") or 2000)
    # ... and so do the lists of items a change did not touch, past this many (a popular new request
    # enters hundreds of product lists): the changed items' own lists are stored first.
    MATCH_REDO_AT_ONCE = int(os.environ.get("MATCH_REDO_AT_ONCE") or 50)
    MATCH_BACKLOG_SLICE = int(os.environ.get("MATCH_BACKLOG_SLICE") or 32)
    MATCH_BACKLOG_SLICE_S = float(os.environ.get("MATCH_BACKLOG_SLICE_S") or 1.0)
    MATCHING_RUN_BUDGET_S = float(os.environ.get("MATCHING_RUN_BUDGET_S") or 300)
    # Matching runs off the request path (services.jobs). MATCHING_MODE: inline (the default under
    # TESTING), thread (the default without REDIS_URL), rq (the default with REDIS_URL: run
    # `matchmaker worker`) or worker (web processes schedule nothing; `matchmaker worker` polls).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    MATCHING_MODE = os.environ.get("MATCHING_MODE", "")
    MATCHING_QUEUE = os.environ.get("MATCHING_QUEUE", "matching")
    # The matching process writes a fresh snapshot after this many logged changes (new processes then
    # start from it and apply fewer deltas; files beyond the newest two are removed).
    INDEX_SNAPSHOT_EVERY = int(os.environ.get("INDEX_SNAPSHOT_EVERY", "1000"))
    MATCHING_CATCH_UP_S = 10  # the thread's look at the log for changes made by other processes
    MATCHING_JOB_TIMEOUT_S = 1800
    # Links in emails (a mail has no request to take the host from).
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://localhost:5000")
