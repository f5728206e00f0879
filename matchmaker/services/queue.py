"""The curator's queue: the matches awaiting review that a curator may act on, filtered and paged in SQL.

Plain values in (filters, the countries the viewer curates), plain rows out, so a view, an export or an
API read the queue alike. A match without an :class:`~matchmaker.models.Introduction` is at stage
"proposed"; otherwise its stage is the introduction's. Order: those a party asked about first, then the
best score, then the oldest.

The scope follows :func:`matchmaker.services.curation.curates`: an admin sees every match (``countries``
is ``None``), a curator the matches where either party's organisation is in their chamber's country.
A match's sector is its product's (read from its HS code; the engine pairs products and requests of
one sector, and a request's sector may only be guessed from its words).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Optional

from sqlalchemy import case, func, literal, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from matchmaker.models import BuyingRequest, Introduction, Match, Organisation, ProductProfile, User
from matchmaker.services.catalog import Page
from matchmaker.stages import Stage
from matchmaker.vocabulary import SECTORS

AWAITING = (Stage.PROPOSED, Stage.REQUESTED)
# ID-KZ: an Indonesian product for a Kazakh request; KZ-ID the other way.
CORRIDORS = {"ID-KZ": ("ID", "KZ"), "KZ-ID": ("KZ", "ID")}
PAGE_SIZE = 25
QUERY_MAX = 100


@dataclass(frozen=True)
class Filters:
    """What the curator asked for; :meth:`parse` turns query-string text into it, dropping junk."""

    stage: str = ""          # "" = awaiting review (proposed or requested)
    sector: str = ""
    corridor: str = ""
    country: str = ""
    q: str = ""

    @classmethod
    def parse(cls, args) -> "Filters":
        stage = args.get("stage", "")
        sector = args.get("sector", "")
        corridor = args.get("corridor", "").upper()
        country = args.get("country", "").strip().upper()[:2]
        return cls(stage=stage if stage in Stage._value2member_map_ else "",
                   sector=sector if sector in SECTORS else "",
                   corridor=corridor if corridor in CORRIDORS else "",
                   country=country if country.isalpha() and len(country) == 2 else "",
                   q=args.get("q", "").strip()[:QUERY_MAX])

    def stages(self) -> tuple[str, ...]:
        return (self.stage,) if self.stage else tuple(s.value for s in AWAITING)

    def as_args(self) -> dict[str, str]:
        """The filters as query arguments, empty ones left out (for links that keep them)."""
        return {k: v for k, v in (("stage", self.stage), ("sector", self.sector), ("corridor", self.corridor),
                                  ("country", self.country), ("q", self.q)) if v}


@dataclass(frozen=True)
class Party:
    organisation_id: int
    name: str
    country: str


@dataclass(frozen=True)
class Row:
    match_id: int
    stage: str
    score: float
    sector: str
    product_id: int
    product_title: str
    product_language: str
    request_id: int
    request_title: str
    request_language: str
    supplier: Party
    buyer: Party
    since: datetime                  # when the pair was proposed, or when a party asked about it
    request_note: str = ""
    why: tuple[dict, ...] = field(default_factory=tuple)   # the explanation's top two components

    @property
    def awaiting(self) -> bool:
        return self.stage in (Stage.PROPOSED, Stage.REQUESTED)


def scope_of(user: Optional[User]) -> Optional[frozenset[str]]:
    """The countries whose members' matches the user curates; ``None`` for all (an admin).

    A curator without a chamber curates nothing (an empty set), as :func:`curation.curates` says.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_curator:
        return frozenset()
    if user.is_admin:
        return None
    chamber = user.organisation
    return frozenset({chamber.country}) if chamber is not None else frozenset()


def _statement(countries: Optional[Iterable[str]]):
    supplier, buyer = aliased(Organisation, name="supplier"), aliased(Organisation, name="buyer")
    stage = func.coalesce(Introduction.stage, literal(Stage.PROPOSED.value))
    since = case((Introduction.stage == Stage.REQUESTED.value, Introduction.requested_at),
                 else_=func.coalesce(Introduction.proposed_at, Match.created_at))
    statement = (
        select(Match.id, stage.label("stage"), func.coalesce(Introduction.score, Match.score).label("score"),
               ProductProfile.sector, ProductProfile.id, ProductProfile.title, ProductProfile.language,
               BuyingRequest.id, BuyingRequest.title, BuyingRequest.language,
               supplier.id, supplier.name, supplier.country, buyer.id, buyer.name, buyer.country,
               since.label("since"), Introduction.request_note,
               func.coalesce(Introduction.explanation, Match.explanation))
        .join(ProductProfile, Match.product_id == ProductProfile.id)
        .join(BuyingRequest, Match.request_id == BuyingRequest.id)
        .join(supplier, ProductProfile.organisation_id == supplier.id)
        .join(buyer, BuyingRequest.organisation_id == buyer.id)
        .outerjoin(Introduction, Introduction.match_id == Match.id)
    )
    if countries is not None:
        countries = sorted(countries)
        statement = statement.where(or_(col(supplier.country).in_(countries), col(buyer.country).in_(countries)))
    return statement, stage, since, supplier, buyer


def list_queue(session: Session, *, countries: Optional[Iterable[str]], filters: Filters = Filters(),
               page: int = 1, page_size: int = PAGE_SIZE) -> Page[Row]:
    """One page of the queue; ``countries`` is :func:`scope_of` the viewer (``None``: all)."""
    statement, stage, since, supplier, buyer = _statement(countries)
    statement = statement.where(stage.in_(filters.stages()))
    if filters.sector:
        statement = statement.where(ProductProfile.sector == filters.sector)
    if filters.corridor:
        origin, destination = CORRIDORS[filters.corridor]
        statement = statement.where(supplier.country == origin, buyer.country == destination)
    if filters.country:
        statement = statement.where(or_(supplier.country == filters.country, buyer.country == filters.country))
    if filters.q:
        # autoescape: "%" and "_" typed in the box are searched for, not wildcards.
        statement = statement.where(or_(*(column.icontains(filters.q, autoescape=True) for column in (
            ProductProfile.title, BuyingRequest.title, supplier.name, buyer.name))))
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    page = max(1, min(page, max(1, math.ceil(total / page_size))))
    requested_first = case((stage == Stage.REQUESTED.value, 0), else_=1)
    score = func.coalesce(Introduction.score, Match.score)
    ordered = statement.order_by(requested_first, score.desc(), since.asc(), Match.id)
    rows = session.exec(ordered.offset((page - 1) * page_size).limit(page_size)).all()
    return Page([_row(r) for r in rows], page, page_size, total)


def rows_for(session: Session, *, countries: Optional[Iterable[str]], match_ids: Iterable[int]) -> list[Row]:
    """The rows of these matches (any stage) that the viewer curates, in the order given."""
    ids = list(dict.fromkeys(match_ids))
    if not ids:
        return []
    statement = _statement(countries)[0].where(col(Match.id).in_(ids))
    found = {r[0]: _row(r) for r in session.exec(statement).all()}
    return [found[i] for i in ids if i in found]


def top_components(explanation: Optional[dict[str, Any]], n: int = 2) -> tuple[dict, ...]:
    """The explanation's ``n`` biggest parts, biggest first (the "why" in one line).

    >>> top_components({"components": [{"name": "a", "contribution": 0.1}, {"name": "b", "contribution": 0.3},
    ...                                {"name": "c", "contribution": 0.2}]})
    ({'name': 'b', 'contribution': 0.3}, {'name': 'c', 'contribution': 0.2})
    """
    components = (explanation or {}).get("components") or []
    ranked = sorted((c for c in components if c.get("contribution", 0) > 0),
                    key=lambda c: -c.get("contribution", 0))
    return tuple(ranked[:n])


def _aware(value: Optional[datetime]) -> datetime:
    if value is None:
        return datetime.now(timezone.utc)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def _row(r) -> Row:
    (match_id, stage, score, sector, product_id, product_title, product_language, request_id, request_title,
     request_language, supplier_id, supplier_name, supplier_country, buyer_id, buyer_name, buyer_country,
     since, note, explanation) = r
    return Row(match_id=match_id, stage=stage, score=score, sector=sector, product_id=product_id,
               product_title=product_title, product_language=product_language, request_id=request_id,
               request_title=request_title, request_language=request_language,
               supplier=Party(supplier_id, supplier_name, supplier_country),
               buyer=Party(buyer_id, buyer_name, buyer_country), since=_aware(since),
               request_note=note or "", why=top_components(explanation))
