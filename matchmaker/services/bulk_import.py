"""Bulk load of a catalogue (``matchmaker import``): JSON Lines or CSV files in the batch engine's
format, checked row by row, stored in ONE transaction or not at all.

Rows are read by the one parsing layer the curators' upload uses
(:func:`matchmaker.services.catalogue_import.read_row`: the engine's ``from_mapping``, then the web
schemas), so a row this command accepts is one the form and the batch engine accept. A row may name
its ``organisation`` (found by name or slug, case-insensitively; created when new, in the row's
country, as an exporter or a buyer unless ``organisation_kind`` says otherwise); a row without one
goes to the imported organisation of its country and side ("Imported suppliers (ID)").

Storing is built for 100,000 rows: items go in with multi-row Core inserts (no ORM object per row),
their sector derived as the ORM path derives it (:func:`matchmaker.models.sector_of`); the published
ones are written to the catalogue change log in the same transaction, so one commit announces them
once and one matching job follows. The audit trail gets one event per new organisation and ONE
event for the items of the import (counts, files, id ranges), not one per row.
"""

from __future__ import annotations

import csv
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Optional

from flask_babel import gettext
from sqlalchemy import JSON, Table, insert, text
from sqlmodel import Session

from matchmaker.db import transaction
from matchmaker.matching.io import file_rows
from matchmaker.models import AuditEvent, BuyingRequest, Organisation, ProductProfile, sector_of, utcnow
from matchmaker.services import audit, changes
from matchmaker.services.accounts import unique_slug
from matchmaker.services.catalogue_import import COLUMNS, Plan, RowError, _Organisations, read_row

EXTENSIONS = (".jsonl", ".ndjson", ".csv")
DEFAULT_NAMES = {"product": "Imported suppliers ({country})", "request": "Imported buyers ({country})"}
MODELS = {"product": ProductProfile, "request": BuyingRequest}
CHUNK = 2_000
REASON = "bulk_import"


class UnreadableFile(Exception):
    """A file this command cannot read at all (its extension, or it cannot be opened)."""


@dataclass(frozen=True)
class FileError:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


@dataclass
class Row:
    """A checked row, ready to insert."""

    side: str
    organisation: str  # lower-case name: the key of an existing or new organisation
    values: dict


@dataclass
class BulkPlan:
    files: list[tuple[str, str]] = field(default_factory=list)  # (side, path)
    rows: dict[str, int] = field(default_factory=dict)  # per path
    items: list[Row] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    existing: dict[str, int] = field(default_factory=dict)  # lower-case name → organisation id
    new_organisations: dict[str, dict] = field(default_factory=dict)  # lower-case name → its values


@dataclass
class Loaded:
    products: int = 0
    requests: int = 0
    published: int = 0
    organisations_created: int = 0
    seconds: float = 0.0


def check_extension(path: str | Path) -> None:
    if Path(path).suffix.lower() not in EXTENSIONS:
        raise UnreadableFile(f"{path}: give a JSON Lines (.jsonl) or CSV (.csv) file, "
                             f"not {Path(path).suffix or 'a file without extension'}")


def plan(session: Session, files: Iterable[tuple[str, str | Path]], *,
         progress: Callable[[int], None] = lambda n: None) -> BulkPlan:
    """Read and check every row of the files (side "product" or "request", path); store nothing.
    ``progress(1)`` is called per row read."""
    result = BulkPlan()
    organisations = _Organisations(session, Plan(new_organisations=result.new_organisations),
                                   country=None, restricted=False)
    for side, path in files:
        check_extension(path)
        path = str(path)
        result.files.append((side, path))
        reported: set[str] = set()
        count = 0
        try:  # rows are read as the loop goes: the raw rows of 100,000 lines are never all kept
            for number, row in file_rows(path):
                count += 1
                progress(1)
                result.errors += _plan_row(result, organisations, path, number, row, side, reported)
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise UnreadableFile(f"{path}: cannot be read ({error})") from None
        result.rows[path] = count
    return result


def _plan_row(result: BulkPlan, organisations: _Organisations, path: str, number: int, row, side: str,
              reported: set[str]) -> list[FileError]:
    """Check one row; a good one joins ``result.items``. Returns its errors."""
    errors, readable = _check_row(path, number, row, side, reported)
    if not readable:
        return errors
    read = read_row(number, row, side)
    errors += [_at(path, e) for e in read.errors]
    if read.record is None:
        return errors
    named = _owner(row, side, read.record)
    if named is None:
        return errors + [FileError(path, number, "country", gettext(
            "Name the organisation, or give the country for its imported organisation."))]
    org_errors, new = organisations.check(number, named, side, read.record)
    errors += [_at(path, e) for e in org_errors]
    if not errors:
        key = named["organisation"].lower()
        if not new:
            result.existing.setdefault(key, organisations.existing(named["organisation"]).id)
        result.items.append(Row(side, key, {**read.item.model_dump(), "status": read.status}))
    return errors


def _check_row(path: str, number: int, row, side: str, reported: set[str]) -> tuple[list[FileError], bool]:
    """Errors of the row's shape, and whether it can be read further (it is a JSON object)."""
    if isinstance(row, Exception):
        return [FileError(path, number, "line", f"not valid JSON ({getattr(row, 'msg', row)})")], False
    if not isinstance(row, dict):
        return [FileError(path, number, "line", f"not a JSON object but {type(row).__name__}")], False
    errors = []
    for column in sorted(set(row) - COLUMNS):
        if column not in reported:  # once per file, at its first line
            reported.add(column)
            errors.append(FileError(path, number, column, gettext(
                "Unknown column; the columns are the platform's field names, e.g. title, hs_code, moq.")))
    if str(row.get("side") or side).strip().lower() != side:
        errors.append(FileError(path, number, "side", f"this file holds only {side}s"))
    return errors, True


def _at(path: str, error: RowError) -> FileError:
    return FileError(path, error.row, error.field, error.message)


def _owner(row: dict, side: str, record) -> Optional[dict]:
    """The row with the organisation it goes to: its own, or its country's imported organisation."""
    name = str(row.get("organisation") or "").strip()
    if name:
        return row
    if not record.country:
        return None
    return {**row, "organisation": DEFAULT_NAMES[side].format(country=record.country)}


def store(session: Session, checked: BulkPlan, *, progress: Callable[[int], None] = lambda n: None) -> Loaded:
    """Insert every checked row and the new organisations in one transaction, log the published items
    in the change log and write the audit; nothing is stored when anything fails."""
    if checked.errors:
        raise ValueError("a plan with errors is never stored")
    started = time.perf_counter()
    loaded = Loaded()
    ids: dict[str, list[int]] = {"product": [], "request": []}
    published: dict[str, list[int]] = {"product": [], "request": []}
    reason = {"code": REASON, "files": [path[-120:] for _, path in checked.files]}
    with transaction(session):
        owners = dict(checked.existing)
        for key, values in checked.new_organisations.items():
            org = Organisation(slug=unique_slug(session, values["name"]), **values)
            session.add(org)
            audit.record(session, actor=None, action="create", entity=org, reason=reason)
            owners[key] = org.id
        loaded.organisations_created = len(checked.new_organisations)
        for side, model in MODELS.items():
            rows = [row for row in checked.items if row.side == side]
            for start in range(0, len(rows), CHUNK):
                chunk = [_insert_values(row, owners[row.organisation]) for row in rows[start:start + CHUNK]]
                new_ids = _insert(session, model.__table__, chunk)
                ids[side] += new_ids
                published[side] += [i for i, values in zip(new_ids, chunk) if values["status"] == "published"]
                progress(len(chunk))
        changes.record(session, products=published["product"], requests=published["request"])
        session.add(AuditEvent(action="import", entity_type=REASON, entity_id=None, reason=reason, after={
            "products": len(ids["product"]), "requests": len(ids["request"]),
            "published": {side: len(found) for side, found in published.items()},
            "product_ids": _ranges(ids["product"]), "request_ids": _ranges(ids["request"]),
            "organisations_created": sorted(owners[key] for key in checked.new_organisations)}))
    if session.get_bind().dialect.name == "postgresql":
        # The planner's statistics, as after any bulk load: without them (autovacuum off, or not yet
        # run) it took 133 loops of a nested join for one facet of /search at 100,000 products (3.5 s).
        session.execute(text("ANALYZE organisation, product_profile, buying_request, catalogue_change"))
        session.commit()
    loaded.products, loaded.requests = len(ids["product"]), len(ids["request"])
    loaded.published = len(published["product"]) + len(published["request"])
    loaded.seconds = time.perf_counter() - started
    return loaded


def _insert(session: Session, table: Table, rows: list[dict]) -> list[int]:
    """Insert the rows (all with the same keys); their new ids, in order."""
    if session.get_bind().dialect.name != "postgresql":
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(session.execute(statement, rows).scalars())
    # PostgreSQL: ids from the table's own sequence, then COPY, 7 times faster than a multi-row INSERT
    # (psycopg parses each 30,000-parameter statement). COPY skips SQLAlchemy's types: JSON by hand.
    connection = session.connection()
    ids = list(connection.execute(text("SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                                       "FROM generate_series(1, :n)"), {"table": table.name, "n": len(rows)}).scalars())
    columns = list(rows[0])
    as_json = {name for name in columns if isinstance(table.c[name].type, JSON)}
    names = ", ".join(f'"{name}"' for name in ["id", *columns])
    with connection.connection.dbapi_connection.cursor() as cursor:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for new_id, values in zip(ids, rows):
                copy.write_row([new_id] + [json.dumps(values[name]) if name in as_json else values[name]
                                           for name in columns])
    return ids


def _insert_values(row: Row, organisation_id: int) -> dict:
    now = utcnow()
    values = dict(row.values, organisation_id=organisation_id, created_at=now, updated_at=now)
    values["sector"] = sector_of(hs_code=values["hs_code"], title=values["title"], description=values["description"])
    return values


def _ranges(ids: list[int]) -> list[list[int]]:
    """[[first, last], …] of consecutive ids: the import's items, compactly."""
    spans: list[list[int]] = []
    for i in sorted(ids):
        if spans and spans[-1][1] == i - 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return spans
