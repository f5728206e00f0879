"""What "diversification" means at firm level: open demand by HS heading against the suppliers that
match it well, in both directions of the corridor.

- ID→KZ: Kazakh buyers' open requests against Indonesian exporters' products; KZ→ID the other way.
- A request's heading is the first four digits of its own HS code or, without one, of the code the
  engine reads in its words (:func:`matchmaker.matching.classify`, the reading its owner sees); a
  product's likewise. Requests whose words point at no heading are counted apart ("unclassified").
- A supplier "matches it well" when one of its published products has a stored match with a request
  of that heading graded at least :data:`GOOD_GRADE`.
- Each heading falls in exactly one list: **recruiting** (demand and no good supplier: suppliers the
  chamber should find), **promotion** (suppliers and no demand: buyers the chamber should find), or
  **covered** (demand with at least one good supplier).
"""

from __future__ import annotations

import csv
import importlib.util
import io
from dataclasses import dataclass, field
from typing import Optional

from sqlalchemy.orm import contains_eager
from sqlmodel import Session, col, select

from matchmaker import hs
from matchmaker.matching import classify
from matchmaker.matching.grade import MINIMUM_GRADE, PERFECT_GRADE
from matchmaker.models import BuyingRequest, Match, Organisation, ProductProfile
from matchmaker.services.matches import to_engine_demand, to_engine_product
from matchmaker.vocabulary import DEMAND_KINDS, SUPPLY_KINDS, hs_digits

# Halfway between "plausible" (50, the least the engine proposes) and "perfect" (85): the upper half
# of the plausible band, where the products agree on more than one sign (same heading and words, or
# same subheading with quantity and price fitting).
GOOD_GRADE = round((MINIMUM_GRADE + PERFECT_GRADE) / 2, 3)   # 0.675, shown as 68 of 100

# (key, country of the demand, country of the supply)
DIRECTIONS = (("ID-KZ", "KZ", "ID"), ("KZ-ID", "ID", "KZ"))


@dataclass
class Heading:
    code: str
    name: str
    requests: int = 0           # open (published) requests
    buyers: int = 0             # organisations behind them
    products: int = 0           # published products of the supplying country
    suppliers: int = 0          # organisations behind them
    good_suppliers: int = 0     # suppliers with a match graded GOOD_GRADE or more to one of the requests

    @property
    def list(self) -> str:
        if self.requests and not self.good_suppliers:
            return "recruiting"
        if self.requests:
            return "covered"
        return "promotion"


@dataclass
class Direction:
    key: str
    demand_country: str
    supply_country: str
    headings: list[Heading] = field(default_factory=list)
    unclassified: int = 0       # open requests whose heading nobody can read

    @property
    def recruiting(self) -> list[Heading]:
        return sorted((h for h in self.headings if h.list == "recruiting"), key=lambda h: (-h.requests, h.code))

    @property
    def promotion(self) -> list[Heading]:
        return sorted((h for h in self.headings if h.list == "promotion"), key=lambda h: (-h.suppliers, h.code))

    @property
    def covered(self) -> list[Heading]:
        return sorted((h for h in self.headings if h.list == "covered"), key=lambda h: (-h.requests, h.code))


def heading_of(item: ProductProfile | BuyingRequest, engine_record) -> Optional[str]:
    """The 4-digit heading of the item's own code, else of the engine's reading of its words."""
    digits = hs_digits(item.hs_code)
    if len(digits) < 4:
        digits = hs_digits(classify(engine_record).hs_code)
    return digits[:4] if len(digits) >= 4 else None


def _published(session: Session, model, kinds, countries):
    statement = (select(model).join(Organisation).options(contains_eager(model.organisation))
                 .where(model.status == "published", col(Organisation.kind).in_(kinds),
                        col(Organisation.country).in_(countries)))
    return session.exec(statement).all()


def lists(session: Session) -> list[Direction]:
    countries = {demand for _, demand, _ in DIRECTIONS}
    requests = _published(session, BuyingRequest, DEMAND_KINDS, countries)
    products = _published(session, ProductProfile, SUPPLY_KINDS, countries)
    request_heading = {r.id: heading_of(r, to_engine_demand(r)) for r in requests}
    directions = {key: Direction(key, demand, supply) for key, demand, supply in DIRECTIONS}
    by_demand = {d.demand_country: d for d in directions.values()}
    by_supply = {d.supply_country: d for d in directions.values()}
    sets: dict[tuple[str, str], dict[str, set]] = {}

    def bucket(direction: Direction, code: str) -> dict[str, set]:
        return sets.setdefault((direction.key, code), {"requests": set(), "buyers": set(), "products": set(),
                                                      "suppliers": set(), "good": set()})

    for item in requests:
        direction, code = by_demand[item.organisation.country], request_heading[item.id]
        if code is None:
            direction.unclassified += 1
            continue
        found = bucket(direction, code)
        found["requests"].add(item.id)
        found["buyers"].add(item.organisation_id)
    for item in products:
        code = heading_of(item, to_engine_product(item))
        if code is not None:
            found = bucket(by_supply[item.organisation.country], code)
            found["products"].add(item.id)
            found["suppliers"].add(item.organisation_id)
    good = (select(Match.request_id, ProductProfile.organisation_id, Organisation.country)
            .join(ProductProfile, ProductProfile.id == Match.product_id).join(Organisation)
            .join(BuyingRequest, BuyingRequest.id == Match.request_id)
            .where(Match.score >= GOOD_GRADE, ProductProfile.status == "published",
                   BuyingRequest.status == "published", col(Organisation.kind).in_(SUPPLY_KINDS)))
    for request_id, supplier_id, supplier_country in session.exec(good).all():
        code = request_heading.get(request_id)
        direction = by_supply.get(supplier_country)
        if code is not None and direction is not None and (direction.key, code) in sets:
            sets[(direction.key, code)]["good"].add(supplier_id)
    for (key, code), found in sorted(sets.items()):
        directions[key].headings.append(Heading(
            code, hs.describe(code), len(found["requests"]), len(found["buyers"]), len(found["products"]),
            len(found["suppliers"]), len(found["good"])))
    return list(directions.values())


CSV_COLUMNS = ("direction", "list", "heading", "name", "open_requests", "buyers", "products", "suppliers",
               "good_suppliers")


def rows(directions: list[Direction]) -> list[tuple]:
    """One row per heading and direction (``CSV_COLUMNS``), its list named: recruiting, promotion or covered."""
    return [(direction.key, h.list, h.code, h.name, h.requests, h.buyers, h.products, h.suppliers, h.good_suppliers)
            for direction in directions for h in direction.recruiting + direction.promotion + direction.covered]


def to_csv(directions: list[Direction]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows(rows(directions))
    return out.getvalue()


def xlsx_available() -> bool:
    return importlib.util.find_spec("openpyxl") is not None


def to_xlsx(directions: list[Direction]) -> Optional[bytes]:
    """The same rows as a workbook, or None when openpyxl is not installed."""
    if not xlsx_available():
        return None
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("diversification")
    sheet.append(CSV_COLUMNS)
    for row in rows(directions):
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
