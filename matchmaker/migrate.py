"""Run Alembic from Python, so `make run`, the CLI and the tests migrate the same way."""

from __future__ import annotations

from functools import lru_cache

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from matchmaker.config import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


def alembic_config(database_url: str) -> AlembicConfig:
    config = AlembicConfig(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    # '%' is Alembic's interpolation character; escape it in passwords.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade(database_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(database_url), revision)


def revision(database_url: str, message: str) -> None:
    command.revision(alembic_config(database_url), message=message, autogenerate=True)


@lru_cache(maxsize=1)
def head_revisions() -> frozenset[str]:
    """The revisions a fully migrated database is at (read once: the scripts ship with the code)."""
    return frozenset(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def current_revisions(connection: Connection) -> frozenset[str]:
    """The revisions the database says it is at; empty for a database never migrated."""
    return frozenset(MigrationContext.configure(connection).get_current_heads())


def at_head(connection: Connection) -> bool:
    return current_revisions(connection) == head_revisions()
