"""The health check a load balancer polls: 200 while the database answers, 503 (quickly) when it doesn't."""

from __future__ import annotations

import shutil
import time

import pytest

from matchmaker import create_app


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
