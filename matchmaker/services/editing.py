"""Changing a record that someone else may be changing at the same moment.

Two members can open the same edit form; the one who saves second must not silently overwrite the
first, and the audit trail must record what each change really replaced.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, Optional

from sqlalchemy import update
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session, SQLModel

from matchmaker.db import transaction
from matchmaker.services import audit


class StaleEdit(Exception):
    """The record changed since the editor's form showed it; nothing was saved."""

    def __init__(self, record: SQLModel):
        super().__init__(f"{record.__tablename__} {record.id} changed since the form was opened")
        self.record = record


@contextmanager
def edit(session: Session, record: SQLModel, *, version: Optional[int] = None) -> Iterator[Optional[dict]]:
    """A transaction that changes ``record`` as it is now; yields its snapshot for the audit "before".

    The row is locked, so a concurrent change of it waits until this one commits, and read again, so
    the snapshot is exactly what this change replaces. ``version`` is the one the editor's form
    showed: if the record has changed since, :class:`StaleEdit` is raised and nothing is saved.
    """
    table = type(record).__table__
    try:
        with transaction(session):
            # A no-op UPDATE locks the row on PostgreSQL and takes SQLite's write lock, which has no
            # SELECT ... FOR UPDATE; then the record is read again under that lock.
            session.exec(update(table).where(table.c.id == record.id).values(version=table.c.version))
            session.refresh(record)
            if version is not None and record.version != version:
                raise StaleEdit(record)
            yield audit.snapshot(record)
    except StaleDataError:
        # The version check SQLAlchemy adds to each UPDATE of the record (version_id_col) found that
        # it changed after all: the same answer as above, never a half-understood error.
        raise StaleEdit(record) from None
