"""The health check a load balancer polls: 200 while the database answers with the schema this code
expects, 503 (quickly) when it doesn't; and a database busy with locks answers 503, not 500 or a hang."""

from __future__ import annotations

import shutil
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import text
from sqlmodel import func, select

from matchmaker import create_app, migrate
from matchmaker.db import get_session, make_engine
from matchmaker.models import ProductProfile


def test_healthy(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def _app(url: str):
    return create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret"})


def _check_unhealthy(app):
    started = time.monotonic()
    response = app.test_client().get("/healthz")
    elapsed = time.monotonic() - started
    app.extensions["db_engine"].dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded", "database": "unreachable"}
    assert elapsed < 5, f"health check took {elapsed:.1f} s"


def test_sqlite_file_in_a_missing_directory(tmp_path):
    directory = tmp_path / "gone"
    app = _app(f"sqlite:///{directory / 'matchmaker.db'}")
    shutil.rmtree(directory)  # the app made it at start-up; now the volume is gone
    _check_unhealthy(app)


@pytest.mark.parametrize("url", ["postgresql+psycopg://nobody@127.0.0.1:1/none",
                                 "postgresql://nobody@127.0.0.1:1/none"])
def test_postgresql_server_not_listening(url):
    from matchmaker.config import normalise_database_url

    _check_unhealthy(_app(normalise_database_url(url)))


def _sqlite_url(tmp_path, name="health.db") -> str:
    return f"sqlite:///{tmp_path / name}"


def test_missing_sqlite_file_is_unhealthy_and_stays_missing(tmp_path):
    url = _sqlite_url(tmp_path)
    migrate.upgrade(url)
    app = _app(url)
    (tmp_path / "health.db").unlink()  # the file is lost (a volume not mounted, a bad deploy)
    _check_unhealthy(app)
    # Connecting would have made an empty database in its place, on which every page fails.
    assert not (tmp_path / "health.db").exists()


def test_database_without_the_schema_is_unhealthy(tmp_path):
    (tmp_path / "health.db").touch()  # an empty database: `matchmaker init` was never run
    app = _app(_sqlite_url(tmp_path))
    response = app.test_client().get("/healthz")
    app.extensions["db_engine"].dispose()
    assert response.status_code == 503
    assert response.get_json() == {"status": "degraded", "database": "not at the migration head"}


def test_database_at_another_revision_is_unhealthy(tmp_path):
    url = _sqlite_url(tmp_path)
    migrate.upgrade(url)
    app = _app(url)
    with app.extensions["db_engine"].begin() as connection:  # e.g. migrated by a newer release
        connection.execute(text("UPDATE alembic_version SET version_num = 'f00dfeedbeef'"))
    response = app.test_client().get("/healthz")
    app.extensions["db_engine"].dispose()
    assert response.status_code == 503
    assert response.get_json()["database"] == "not at the migration head"


# ----- a busy database answers 503 with Retry-After, quickly -------------------------------------------------

@pytest.fixture
def quick_app(database_url, app):  # ``app`` clears the tables afterwards
    quick = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                        "WTF_CSRF_ENABLED": False, "DATABASE_LOCK_TIMEOUT_MS": 200,
                        "DATABASE_STATEMENT_TIMEOUT_MS": 1_000})
    yield quick
    quick.extensions["db_engine"].dispose()


@contextmanager
def write_lock(url: str):
    """Another connection holds a write lock, as a long transaction elsewhere would."""
    engine = make_engine(url)
    connection = engine.connect()
    if engine.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        connection.begin()
        connection.execute(text("LOCK TABLE product_profile IN EXCLUSIVE MODE"))
    try:
        yield
    finally:
        connection.rollback()
        connection.close()
        engine.dispose()


def test_a_locked_database_answers_503_with_retry_after(quick_app, make, db):
    exporter = make.user(make.organisation(kind="exporter"))
    client = quick_app.test_client()
    client.post("/login", data={"email": exporter.email, "password": "correct-horse-2026"})
    with write_lock(quick_app.config["DATABASE_URL"]):
        started = time.monotonic()
        response = client.post("/products/new", data={"title": "Teak bench", "language": "en", "unit": "pcs",
                                                      "hs_code": "940360", "publish": "1"})
        elapsed = time.monotonic() - started
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "busy" in response.get_data(as_text=True)
    assert elapsed < 3, f"waited {elapsed:.1f} s for the lock"
    assert db.exec(select(func.count()).select_from(ProductProfile)).one() == 0


def test_a_statement_timeout_answers_503(quick_app):
    if quick_app.extensions["db_engine"].dialect.name != "postgresql":
        pytest.skip("SQLite has no statement timeout; its busy case is the test above")

    @quick_app.get("/_slow")
    def slow():
        get_session().exec(text("SELECT pg_sleep(5)")).all()
        return "done"

    response = quick_app.test_client().get("/_slow")
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()


def test_postgresql_sessions_carry_the_timeouts(quick_app):
    engine = quick_app.extensions["db_engine"]
    if engine.dialect.name != "postgresql":
        pytest.skip("timeouts set through connect options are PostgreSQL's")
    with engine.connect() as connection:
        assert connection.execute(text("SHOW lock_timeout")).scalar() == "200ms"
        assert connection.execute(text("SHOW statement_timeout")).scalar() == "1s"
