"""The application factory and its configuration: defaults, test overrides, environment variables."""

from __future__ import annotations

import importlib

import pytest
from click.testing import CliRunner
from sqlmodel import Session

import matchmaker.app
import matchmaker.config
from matchmaker import cli, create_app, migrate
from matchmaker.config import PROJECT_ROOT, normalise_database_url
from matchmaker.db import make_engine
from matchmaker.models import User


@pytest.fixture
def environment(monkeypatch):
    """Set environment variables, re-read ``Config`` as at process start, and restore it afterwards."""

    def configure(**variables):
        for name in ("DATABASE_URL", "MATCHMAKER_ENV", "SECRET_KEY"):
            monkeypatch.delenv(name, raising=False)
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        config = importlib.reload(matchmaker.config)
        # app.py bound the class at import time; point it at the freshly read one.
        monkeypatch.setattr(matchmaker.app, "Config", config.Config)
        return config.Config

    yield configure
    monkeypatch.undo()
    importlib.reload(matchmaker.config)


def test_default_database_is_sqlite_under_instance(environment):
    environment()
    app = create_app()
    expected = f"sqlite:///{PROJECT_ROOT / 'instance' / 'matchmaker.db'}"
    assert app.config["DATABASE_URL"] == expected
    assert app.extensions["db_engine"].url.drivername == "sqlite"


def test_database_url_from_environment_is_normalised(environment):
    environment(DATABASE_URL="postgres://someone@db.example:5432/matchmaker")
    app = create_app()
    assert app.config["DATABASE_URL"] == "postgresql+psycopg://someone@db.example:5432/matchmaker"


def test_test_config_overrides_defaults(tmp_path):
    url = f"sqlite:///{tmp_path / 'override.db'}"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "fixed", "LOAD_DEMO_DATA": False})
    assert app.config["DATABASE_URL"] == url
    assert app.config["SECRET_KEY"] == "fixed"
    assert app.config["LOAD_DEMO_DATA"] is False
    assert app.testing
    assert str(app.extensions["db_engine"].url) == url
    app.extensions["db_engine"].dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgres://u:p@host:5432/db", "postgresql+psycopg://u:p@host:5432/db"),
        ("postgresql://u:p@host/db", "postgresql+psycopg://u:p@host/db"),
        ("postgresql+psycopg://u@host/db", "postgresql+psycopg://u@host/db"),
        ("sqlite:///tmp/x.db", "sqlite:///tmp/x.db"),
    ],
)
def test_normalise_database_url(url, expected):
    assert normalise_database_url(url) == expected


@pytest.mark.parametrize(
    ("env_name", "demo_data", "secure_cookies"),
    [("production", False, True), ("development", True, False), (None, True, False)],
)
def test_matchmaker_env_controls_demo_data_and_cookie_security(environment, tmp_path, env_name, demo_data,
                                                               secure_cookies):
    config = environment(**({"MATCHMAKER_ENV": env_name} if env_name else {}))
    assert config.LOAD_DEMO_DATA is demo_data
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"})
    assert app.config["LOAD_DEMO_DATA"] is demo_data
    assert app.config["SESSION_COOKIE_SECURE"] is secure_cookies


def test_seed_command_refuses_in_production(environment, tmp_path):
    environment(MATCHMAKER_ENV="production")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'prod.db'}"})
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code != 0
    assert "production" in result.output


def test_secret_key_comes_from_environment(environment):
    environment(SECRET_KEY="from-the-environment")
    assert create_app().config["SECRET_KEY"] == "from-the-environment"


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    import importlib

    import matchmaker.app
    import matchmaker.config

    monkeypatch.setenv("MATCHMAKER_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    try:
        importlib.reload(matchmaker.config)
        importlib.reload(matchmaker.app)
        with pytest.raises(RuntimeError, match="SECRET_KEY"):
            matchmaker.app.create_app()
    finally:
        monkeypatch.undo()
        importlib.reload(matchmaker.config)
        importlib.reload(matchmaker.app)


# ----- MATCHMAKER_ENV is one of three words; production never runs with demo logins -------------------------

@pytest.mark.parametrize("env_name", ["prod", "Production", "production ", "staging", ""])
def test_unknown_environment_is_refused(environment, tmp_path, env_name):
    environment(MATCHMAKER_ENV=env_name, SECRET_KEY="set")
    with pytest.raises(matchmaker.config.ConfigurationError, match="MATCHMAKER_ENV.*development, test, production"):
        create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"})


@pytest.mark.parametrize("env_name", ["development", "test", "production"])
def test_known_environments_start(environment, tmp_path, env_name):
    environment(MATCHMAKER_ENV=env_name, SECRET_KEY="set")
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'env.db'}"})
    assert app.config["ENV_NAME"] == env_name
    app.extensions["db_engine"].dispose()


def test_cli_refuses_a_mistyped_environment_with_a_message(environment, tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    environment(MATCHMAKER_ENV="prod", SECRET_KEY="set", DATABASE_URL=url)
    result = CliRunner().invoke(cli.main, ["init"])
    assert result.exit_code != 0
    assert "MATCHMAKER_ENV='prod'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "cli.db").exists()  # nothing migrated, no demo data loaded


def _database_with_user(tmp_path, email: str) -> str:
    url = f"sqlite:///{tmp_path / 'prod.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    with Session(engine) as session:
        session.add(User(email=email, password_hash="x", role="admin"))
        session.commit()
    engine.dispose()
    return url


def test_production_refuses_to_start_with_demo_accounts(environment, tmp_path):
    url = _database_with_user(tmp_path, "admin@demo.test")
    environment(MATCHMAKER_ENV="production", SECRET_KEY="set", DATABASE_URL=url)
    with pytest.raises(matchmaker.config.ConfigurationError, match="admin@demo.test"):
        create_app()
    result = CliRunner().invoke(cli.main, ["init"])
    assert result.exit_code != 0 and "demo accounts" in result.output


def test_production_starts_without_demo_accounts(environment, tmp_path):
    url = _database_with_user(tmp_path, "admin@chamber.example")
    environment(MATCHMAKER_ENV="production", SECRET_KEY="set", DATABASE_URL=url)
    app = create_app()
    assert app.test_client().get("/healthz").status_code == 200
    app.extensions["db_engine"].dispose()


def test_development_starts_with_demo_accounts(environment, tmp_path):
    url = _database_with_user(tmp_path, "admin@demo.test")
    environment(MATCHMAKER_ENV="development", DATABASE_URL=url)
    create_app().extensions["db_engine"].dispose()
