"""Exports for chambers: the proposed matches, the pipeline of introductions and the won deals, as CSV or
XLSX, limited to what the curator curates (matches involving a member of their chamber's country; admins
everything).

Cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return) are
written with a leading apostrophe, so a company name like ``=HYPERLINK(...)`` stays text (OWASP's
CSV-injection advice); numbers and dates stay numbers and dates.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any, Optional

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from matchmaker.models import BuyingRequest, Introduction, Match, Organisation, ProductProfile, User
from matchmaker.stages import Stage

FORMATS = ("csv", "xlsx")
WHATS = ("matches", "pipeline", "deals")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    name: str
    headers: list[str]
    rows: list[list[Any]]


def guard(value: Any) -> Any:
    """Text a spreadsheet would read as a formula gets a leading apostrophe; anything else is unchanged.

    >>> guard("=1+1"), guard("@SUM(A1)"), guard("PT Jati"), guard(-5)
    ("'=1+1", "'@SUM(A1)", 'PT Jati', -5)
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def _when(value: Optional[datetime]) -> Optional[datetime]:
    """UTC without a zone, to the minute (spreadsheets know no time zones)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc)
    return value.replace(tzinfo=None, second=0, microsecond=0)


def _scoped(statement, user: User, supplier, buyer):
    if user.is_admin:
        return statement
    country = user.organisation.country if user.organisation is not None else None
    return statement.where(or_(supplier.country == country, buyer.country == country))


def _joined(session: Session, user: User, model, extra=()):
    supplier, buyer = aliased(Organisation), aliased(Organisation)
    statement = (select(model, ProductProfile, BuyingRequest, supplier, buyer, *extra)
                 .join(ProductProfile, model.product_id == ProductProfile.id)
                 .join(BuyingRequest, model.request_id == BuyingRequest.id)
                 .join(supplier, ProductProfile.organisation_id == supplier.id)
                 .join(buyer, BuyingRequest.organisation_id == buyer.id))
    return _scoped(statement, user, supplier, buyer)


def matches_table(session: Session, user: User) -> Table:
    statement = _joined(session, user, Match).where(Match.status == "proposed") \
        .order_by(col(Match.score).desc(), Match.id)
    headers = [_l("Match"), _l("Score"), _l("Product"), _l("Supplier"), _l("Supplier country"),
               _l("Buying request"), _l("Buyer"), _l("Buyer country"), _l("Sector"), _l("HS code"),
               _l("Proposed on")]
    rows = [[m.id, round(m.score, 1), p.title, s.name, s.country, r.title, b.name, b.country, p.sector,
             p.hs_code, _when(m.created_at)] for m, p, r, s, b in session.exec(statement)]
    return Table("matches", [str(h) for h in headers], rows)


def pipeline_table(session: Session, user: User) -> Table:
    statement = _joined(session, user, Introduction).order_by(Introduction.proposed_at, Introduction.id)
    headers = [_l("Match"), _l("Stage"), _l("Product"), _l("Supplier"), _l("Buying request"), _l("Buyer"),
               _l("Score"), _l("Proposed on"), _l("Requested on"), _l("Introduced on"), _l("Accepted on"),
               _l("Closed on"), _l("Deal value (USD)"), _l("Deal date")]
    rows = [[i.match_id, Stage(i.stage).label, p.title, s.name, r.title, b.name, round(i.score, 1),
             _when(i.proposed_at), _when(i.requested_at), _when(i.introduced_at), _when(i.accepted_at),
             _when(i.closed_at), i.deal_value_usd, i.deal_date] for i, p, r, s, b in session.exec(statement)]
    return Table("pipeline", [str(h) for h in headers], rows)


def deals_table(session: Session, user: User) -> Table:
    curator = aliased(User)
    statement = (_joined(session, user, Introduction, extra=(curator,))
                 .outerjoin(curator, Introduction.curator_id == curator.id)
                 .where(Introduction.stage == Stage.WON.value)
                 .order_by(Introduction.deal_date, Introduction.id))
    headers = [_l("Match"), _l("Product"), _l("Supplier"), _l("Supplier country"), _l("Buying request"),
               _l("Buyer"), _l("Buyer country"), _l("Sector"), _l("Deal value (USD)"), _l("Deal date"),
               _l("Curator"), _l("Introduced on")]
    rows = [[i.match_id, p.title, s.name, s.country, r.title, b.name, b.country, p.sector, i.deal_value_usd,
             i.deal_date, (c.name or c.email) if c is not None else "", _when(i.introduced_at)]
            for i, p, r, s, b, c in session.exec(statement)]
    return Table("deals", [str(h) for h in headers], rows)


TABLES = {"matches": matches_table, "pipeline": pipeline_table, "deals": deals_table}


def table(session: Session, *, user_id: int, what: str) -> Table:
    if what not in TABLES:
        raise ValueError(what)
    return TABLES[what](session, session.get(User, user_id))


def to_csv(data: Table) -> bytes:
    """UTF-8 with a byte-order mark, so Excel opens Cyrillic and Indonesian names correctly."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([guard(h) for h in data.headers])
    for row in data.rows:
        writer.writerow(["" if v is None else guard(v.isoformat(sep=" ") if isinstance(v, datetime)
                                                   else v.isoformat() if isinstance(v, date) else v)
                         for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(data: Table) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell(value):
        return guard(ILLEGAL_CHARACTERS_RE.sub("", value)) if isinstance(value, str) else value

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(data.name)
    sheet.append([cell(h) for h in data.headers])
    for row in data.rows:
        sheet.append([cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
