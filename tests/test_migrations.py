"""The Alembic migrations build exactly the schema the models describe, and can be undone."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect
from sqlmodel import SQLModel

import matchmaker.models  # noqa: F401  (registers the tables)
from matchmaker import migrate
from matchmaker.db import make_engine

TABLES = {"organisation", "user", "product_profile", "buying_request", "match", "audit_event"}


def differences(engine) -> list:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, SQLModel.metadata)


def test_single_head():
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    assert len(script.get_heads()) == 1


def test_upgrade_from_empty_matches_the_models_and_downgrade_removes_everything(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
        assert differences(engine) == []

        command.downgrade(migrate.alembic_config(url), "base")
        inspector = inspect(engine)
        assert set(inspector.get_table_names()) == {"alembic_version"}

        migrate.upgrade(url)  # and back up again: the downgrade left nothing in the way
        assert differences(engine) == []
    finally:
        engine.dispose()


def test_upgrade_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    migrate.upgrade(url)
    migrate.upgrade(url)
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            assert MigrationContext.configure(connection).get_current_heads() == tuple(
                ScriptDirectory.from_config(migrate.alembic_config(url)).get_heads())
    finally:
        engine.dispose()


def test_suite_database_matches_the_models(app):
    """The suite's own database (SQLite, or PostgreSQL when DATABASE_URL is set) was migrated from empty."""
    assert differences(app.extensions["db_engine"]) == []
