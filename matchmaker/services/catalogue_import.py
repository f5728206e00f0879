"""A chamber's member catalogue, uploaded as CSV or XLSX: checked row by row, stored all or nothing.

The columns are the shared vocabulary (``vocabulary.PRODUCT_FIELDS`` / ``REQUEST_FIELDS``) plus
``organisation`` (an existing organisation's slug or name, or the name of a new member in the curator's
country), and optionally ``side`` (product or request; product by default), ``organisation_kind``
(for a new member) and ``status`` (published by default, or draft).

One parsing layer: a row is read exactly as the batch engine reads its input
(:func:`matchmaker.matching.io.csv_rows` / ``xlsx_rows``, then ``Product``/``Demand.from_mapping``:
units like "kgs", numbers like "20 000", country names), and the values it yields must then pass the web
schemas (:class:`~matchmaker.schemas.ProductIn` / ``RequestIn``: known HS codes, plain text, capacity
above the minimum order). So a row the import accepts is one the form and the engine accept.

:func:`plan` is the dry run; :func:`apply` stores every row in one transaction, or nothing when any row
is wrong. Its one commit logs all the new published items in the change log, which wakes the matching
job once for all of them (services.jobs), not once per row.
"""

from __future__ import annotations

import io as _io
from dataclasses import dataclass, field
from typing import Optional

from flask_babel import gettext, lazy_gettext as _l
from pydantic import ValidationError
from sqlmodel import Session, func, select

from matchmaker.db import transaction
from matchmaker.matching import Demand, Product
from matchmaker.matching.io import csv_rows, xlsx_rows
from matchmaker.matching.records import InputError
from matchmaker.models import BuyingRequest, Organisation, ProductProfile, User, derive_sector
from matchmaker.schemas import OrganisationIn, ProductIn, RequestIn, errors_by_field
from matchmaker.services import audit, changes
from matchmaker.services.accounts import unique_slug
from matchmaker.vocabulary import DEMAND_KINDS, PRODUCT_FIELDS, REQUEST_FIELDS, SUPPLY_KINDS

MAX_ROWS = 2000
EXTRA_COLUMNS = ("organisation", "side", "organisation_kind", "status")
COLUMNS = frozenset(PRODUCT_FIELDS) | frozenset(REQUEST_FIELDS) | frozenset(EXTRA_COLUMNS)
SIDES = {"product": (Product, ProductIn, ProductProfile, SUPPLY_KINDS, "exporter"),
         "request": (Demand, RequestIn, BuyingRequest, DEMAND_KINDS, "buyer")}
IMPORT_REASON = "catalogue_import"


class UnreadableFile(Exception):
    """The upload is not a CSV or XLSX table this import can read; ``message`` says why."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str


@dataclass
class PlannedItem:
    row: int
    side: str
    organisation: str
    organisation_id: Optional[int]  # None for a new member
    data: ProductIn | RequestIn
    status: str

    @property
    def title(self) -> str:
        return self.data.title

    @property
    def new_organisation(self) -> bool:
        return self.organisation_id is None


@dataclass
class Plan:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    items: list[PlannedItem] = field(default_factory=list)
    new_organisations: dict[str, dict] = field(default_factory=dict)  # lower-case name → its values

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.items)


@dataclass
class Result:
    plan: Plan
    product_ids: list[int] = field(default_factory=list)
    request_ids: list[int] = field(default_factory=list)
    organisation_ids: list[int] = field(default_factory=list)

    @property
    def stored(self) -> bool:
        return bool(self.product_ids or self.request_ids)


def read_table(filename: str, data: bytes) -> list[tuple[int, dict]]:
    """The rows of an uploaded ``.csv`` or ``.xlsx`` file, with their row numbers."""
    name = (filename or "").lower()
    try:
        if name.endswith(".csv"):
            rows = list(csv_rows(_io.StringIO(data.decode("utf-8-sig"), newline="")))
        elif name.endswith(".xlsx"):
            rows = list(xlsx_rows(_io.BytesIO(data)))
        else:
            raise UnreadableFile(_l("Upload a .csv or .xlsx file."))
    except UnicodeDecodeError:
        raise UnreadableFile(_l("The CSV file is not in UTF-8: save it as “CSV UTF-8” and upload it again.")) from None
    except UnreadableFile:
        raise
    except Exception:  # a damaged workbook, a CSV with a broken quote…
        raise UnreadableFile(_l("This file cannot be read as a table; save it again as CSV or XLSX.")) from None
    if not rows:
        raise UnreadableFile(_l("The file has no rows under its header line."))
    if len(rows) > MAX_ROWS:
        raise UnreadableFile(_l("At most %(n)s rows at a time: split the file.", n=MAX_ROWS))
    return rows


def _engine_message(error: InputError) -> str:
    """The engine's reason, in the reader's language where it is one of the usual ones."""
    text = error.message
    if text == "is required":
        return gettext("This field is required.")
    if text.startswith("must be a number"):
        return gettext("Enter a number.")
    if text.startswith(("unknown code", "unknown value")):
        return gettext("Unknown value: %(detail)s", detail=text.split(";")[0].split(" ", 2)[-1])
    return gettext("Not valid: %(detail)s", detail=text)


def _schema_values(record, side: str) -> dict:
    values = {"title": record.title, "description": record.description or "", "hs_code": record.hs_code or "",
              "incoterms": list(record.incoterms)}
    if record.unit:
        values["unit"] = record.unit
    if record.language:
        values["language"] = record.language
    if side == "product":
        values.update(certifications=list(record.certifications), moq=record.moq,
                      capacity_per_month=record.capacity_per_month, price_usd=record.price_usd)
    else:
        values.update(required_certifications=list(record.required_certifications), quantity=record.quantity,
                      max_price_usd=record.max_price_usd)
    return values


@dataclass
class ReadRow:
    """One row read through the one parsing layer: the engine's record (None when the engine refused
    the row), the web schema's item (None when the schema refused it), its status and the errors."""

    record: Optional[Product | Demand]
    item: Optional[ProductIn | RequestIn]
    status: str
    errors: list[RowError]


def read_row(number: int, row: dict, side: str) -> ReadRow:
    """Read one row of ``side`` ("product" or "request") exactly as the batch engine reads its input,
    then check the values through the web schemas. Shared by the curators' upload and
    ``matchmaker import``, so a row either accepts is one the form and the engine accept."""
    engine, schema = SIDES[side][0], SIDES[side][1]
    status = str(row.get("status") or "published").strip().lower()
    errors = [] if status in ("published", "draft") else [
        RowError(number, "status", gettext("Write published or draft."))]
    try:
        record = engine.from_mapping({**row, "id": str(row.get("id") or f"row-{number}")})
    except InputError as error:
        return ReadRow(None, None, status, [RowError(number, error.field, _engine_message(error))])
    try:
        item = schema.model_validate(_schema_values(record, side))
    except ValidationError as error:
        errors += [RowError(number, name, message)
                   for name, messages in errors_by_field(error, gettext).items() for message in messages]
        item = None
    return ReadRow(record, item, status, errors)


class _Organisations:
    """Finds the organisation each row names, once per name; plans new members. ``restricted``: only
    members in ``country`` (a curator's chamber); otherwise any country (an administrator, the CLI)."""

    def __init__(self, session: Session, plan: Plan, *, country: Optional[str], restricted: bool):
        self.session, self.plan = session, plan
        self.country, self.restricted = country, restricted
        self._found: dict[str, Optional[Organisation]] = {}

    def existing(self, name: str) -> Optional[Organisation]:
        key = name.lower()
        if key not in self._found:
            self._found[key] = self.session.exec(
                select(Organisation).where((Organisation.slug == key) | (func.lower(Organisation.name) == key))
                .order_by(Organisation.id)).first()
        return self._found[key]

    def check(self, number: int, row: dict, side: str, record) -> tuple[list[RowError], bool]:
        """The row's errors about its organisation, and whether the organisation is new."""
        name = str(row.get("organisation") or "").strip()
        if not name:
            return [RowError(number, "organisation", gettext("Name the organisation (its name or slug)."))], False
        kinds = SIDES[side][3]
        org = self.existing(name)
        if org is not None:
            errors = []
            if self.restricted and org.country != self.country:
                errors.append(RowError(number, "organisation", gettext(
                    "%(name)s is not a member in your chamber's country.", name=org.name)))
            elif org.kind not in kinds:
                errors.append(RowError(number, "organisation", gettext("%(name)s cannot offer products.", name=org.name)
                                       if side == "product" else
                                       gettext("%(name)s cannot post buying requests.", name=org.name)))
            if record.country and record.country != org.country:
                errors.append(RowError(number, "country", gettext(
                    "%(name)s is registered in %(country)s.", name=org.name, country=org.country)))
            return errors, False
        return self._new(number, name, row, side, record), True

    def _new(self, number: int, name: str, row: dict, side: str, record) -> list[RowError]:
        country = record.country or self.country
        if country is None:
            return [RowError(number, "country", gettext("Give the new member's country."))]
        if self.restricted and country != self.country:
            return [RowError(number, "country", gettext(
                "A new member must be in your chamber's country (%(country)s).", country=self.country))]
        kind = str(row.get("organisation_kind") or SIDES[side][4]).strip().lower()
        if kind not in SIDES[side][3]:
            return [RowError(number, "organisation_kind",
                             gettext("Choose exporter or producer for a product's new member.") if side == "product"
                             else gettext("Choose buyer or importer for a request's new member."))]
        try:
            values = OrganisationIn.model_validate({"name": name, "country": country, "kind": kind}).model_dump()
        except ValidationError as error:
            return [RowError(number, "organisation", message)
                    for messages in errors_by_field(error, gettext).values() for message in messages]
        planned = self.plan.new_organisations.setdefault(name.lower(), values)
        if (planned["country"], planned["kind"]) != (values["country"], values["kind"]):
            return [RowError(number, "organisation", gettext(
                "An earlier row gives this new member another country or kind."))]
        return []


def plan(session: Session, *, user_id: int, filename: str, data: bytes) -> Plan:
    """The dry run: each row's errors (row number, field, message) and what would be created.
    Raises :class:`UnreadableFile` when the file is not a table at all."""
    user = session.get(User, user_id)
    rows = read_table(filename, data)
    result = Plan(rows=len(rows))
    unknown = sorted({key for _, row in rows for key in row} - COLUMNS)
    for column in unknown:
        result.errors.append(RowError(1, column, gettext("Unknown column; the columns are the platform's "
                                                         "field names, e.g. title, hs_code, moq.")))
    organisations = _Organisations(session, result, restricted=not user.is_admin,
                                   country=user.organisation.country if user.organisation is not None else None)
    seen: dict[tuple, int] = {}
    for number, row in rows:
        side = str(row.get("side") or "product").strip().lower()
        if side not in SIDES:
            result.errors.append(RowError(number, "side", gettext("Write product or request.")))
            continue
        read = read_row(number, row, side)
        if read.record is None:
            result.errors += read.errors
            continue
        record, item, status = read.record, read.item, read.status
        org_errors, new = organisations.check(number, row, side, record)
        errors = read.errors + org_errors  # sorted by row and field at the end
        key = (str(row.get("organisation")).strip().lower(), side, record.title.lower())
        if key in seen:
            errors.append(RowError(number, "title", gettext("Row %(row)s already has this title for this "
                                                            "organisation.", row=seen[key])))
        seen.setdefault(key, number)
        if not new and item is not None and not errors:
            org = organisations.existing(str(row["organisation"]).strip())
            model = SIDES[side][2]
            if session.exec(select(model.id).where(model.organisation_id == org.id,
                                                   func.lower(model.title) == item.title.lower())).first():
                errors.append(RowError(number, "title", gettext("%(name)s already has an item with this title.",
                                                                name=org.name)))
        result.errors += errors
        if not errors and item is not None:
            name = str(row["organisation"]).strip()
            org = organisations.existing(name)
            result.items.append(PlannedItem(number, side, org.name if org else name, None if new else org.id,
                                            item, status))
    result.errors.sort(key=lambda e: (e.row, e.field))
    return result


def apply(session: Session, *, user_id: int, filename: str, data: bytes) -> Result:
    """Store every row of the file in one transaction, or nothing if any row has an error; its commit
    schedules one matching job for all the new items together (not one per row)."""
    checked = plan(session, user_id=user_id, filename=filename, data=data)
    result = Result(checked)
    if not checked.ok:
        return result
    user = session.get(User, user_id)
    reason = {"code": IMPORT_REASON, "file": (filename or "")[-120:]}
    with transaction(session):
        created: dict[str, Organisation] = {}
        for key, values in checked.new_organisations.items():
            org = Organisation(slug=unique_slug(session, values["name"]), **values)
            session.add(org)
            audit.record(session, actor=user, action="create", entity=org, reason=reason)
            created[key] = org
        stored = []
        for planned in checked.items:
            org = created[planned.organisation.lower()] if planned.organisation_id is None \
                else session.get(Organisation, planned.organisation_id)
            model = SIDES[planned.side][2]
            item = model(**planned.data.model_dump(), organisation_id=org.id, status=planned.status)
            derive_sector(item)
            session.add(item)
            audit.record(session, actor=user, action="create", entity=item, reason={**reason, "row": planned.row})
            stored.append(item)
        session.flush()
        published = [i for i in stored if i.status == "published"]
        changes.record(session, products=[i.id for i in published if isinstance(i, ProductProfile)],
                       requests=[i.id for i in published if isinstance(i, BuyingRequest)])
    result.organisation_ids = [org.id for org in created.values()]
    result.product_ids = [i.id for i in stored if isinstance(i, ProductProfile)]
    result.request_ids = [i.id for i in stored if isinstance(i, BuyingRequest)]
    return result
