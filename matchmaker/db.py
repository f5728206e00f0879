"""Database engine and the one-session-per-request pattern (as in the Flask tutorial's ``get_db``)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, create_engine

# PostgreSQL's codes for "gave up waiting": lock_timeout, statement_timeout (or a cancel), deadlock.
BUSY_SQLSTATES = frozenset({"55P03", "57014", "40P01"})


def make_engine(url: str, *, connect_timeout_s: int = 5, lock_timeout_ms: int = 5_000,
                statement_timeout_ms: int | None = None) -> Engine:
    """The engine, with bounded waits: a request that cannot get a lock fails fast (and answers 503)
    instead of holding a worker. Migrations pass no statement timeout, as an upgrade may run long."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", lambda connection, _record: _sqlite_pragmas(connection, lock_timeout_ms))
        return engine
    options = f"-c lock_timeout={lock_timeout_ms}"
    if statement_timeout_ms:
        options += f" -c statement_timeout={statement_timeout_ms}"
    # The connect timeout also keeps /healthz answering (503) when the database host is unreachable.
    return create_engine(url, pool_pre_ping=True,
                         connect_args={"connect_timeout": connect_timeout_s, "options": options})


def _sqlite_pragmas(dbapi_connection, busy_timeout_ms: int) -> None:
    # WAL lets readers work while a writer commits; SQLite ignores foreign keys unless asked.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
    cursor.close()


def database_busy(error: DBAPIError) -> bool:
    """Whether the database refused because others held it too long (worth retrying), not because it is
    broken: SQLite's "database is locked", PostgreSQL's lock and statement timeouts."""
    cause = error.orig
    if getattr(cause, "sqlstate", None) in BUSY_SQLSTATES:
        return True
    return getattr(cause, "sqlite_errorname", "").startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def sqlite_file_missing(engine: Engine) -> bool:
    """True for a SQLite database whose file is gone (connecting would create an empty one)."""
    url = engine.url
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return False
    return not Path(url.database).exists()


IN_CHUNK = 10_000


def in_chunks(ids, size: int | None = None) -> Iterator[list]:
    """The ids, sorted, in slices that fit one statement's parameters: an import changes 100,000
    items, and PostgreSQL takes at most 65,535 parameters a statement (SQLite 32,766).

    >>> list(in_chunks({5, 1, 4, 2, 3}, size=2))
    [[1, 2], [3, 4], [5]]
    """
    ids, size = sorted(ids), size or IN_CHUNK
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def init_app(app: Flask) -> None:
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app.extensions["db_engine"] = make_engine(
        url, connect_timeout_s=app.config["DATABASE_CONNECT_TIMEOUT_S"],
        lock_timeout_ms=app.config["DATABASE_LOCK_TIMEOUT_MS"],
        statement_timeout_ms=app.config["DATABASE_STATEMENT_TIMEOUT_MS"])
    app.teardown_appcontext(close_session)


def get_engine() -> Engine:
    return current_app.extensions["db_engine"]


def get_session() -> Session:
    """The request's session, opened on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def close_session(_exc=None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def transaction(session: Session) -> Iterator[Session]:
    """Commit on success, roll back on any error: no half-saved records."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
