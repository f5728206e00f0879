"""The programme's figures for the chamber: the funnel from proposal to deal, deals and their value by
sector and corridor, the time from proposal to introduction, and progress to the bilateral target.

Every figure is one SQL aggregate over the matches a curator curates (``country``: matches involving a
member of that country; ``None``: all, for admins), so the page costs the same with ten matches or a
million. Functions take plain values, so a job or an API can call them as the view does.

The funnel counts each match in every step it reached: a step counts the matches that reached it or any
later one (a curator may introduce a pair nobody asked about; a deal may be negotiated without a
recorded meeting), so the funnel never widens. A match with no Introduction is only "proposed".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from sqlalchemy import and_, case, exists, literal, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, func, select

from matchmaker.models import AuditEvent, BuyingRequest, Introduction, Match, Organisation, ProductProfile
from matchmaker.stages import FUNNEL, Stage
from matchmaker.vocabulary import SECTORS

TARGET_USD = 1_000_000_000  # the bilateral trade target the programme reports against
CORRIDORS = ("ID-KZ", "KZ-ID")  # exporter's country - importer's country, as the queue's filter spells it

_SupplierOrg = aliased(Organisation, name="supplier_org")
_BuyerOrg = aliased(Organisation, name="buyer_org")


@dataclass(frozen=True)
class Step:
    stage: str
    reached: int      # matches that reached this step or a later one
    now: int          # matches at this stage now


@dataclass(frozen=True)
class Deals:
    key: str          # a sector or a corridor
    deals: int
    value_usd: float


@dataclass(frozen=True)
class Dashboard:
    funnel: list[Step]
    stages_now: dict[str, int]          # every stage, including closed ones, with its count now
    by_sector: list[Deals]
    by_corridor: list[Deals]
    median_days_to_introduction: Optional[float]
    introduced: int                     # how many introductions the median is taken over
    won_value_usd: float
    target_usd: float = TARGET_USD

    @property
    def target_share(self) -> float:
        return min(1.0, self.won_value_usd / self.target_usd) if self.target_usd else 0.0


def corridor_of(supplier_country, buyer_country):
    """SQL: "ID-KZ" for Indonesian supply to a Kazakh buyer, "KZ-ID" the other way, else "other"."""
    return case((and_(supplier_country == "ID", buyer_country == "KZ"), literal("ID-KZ")),
                (and_(supplier_country == "KZ", buyer_country == "ID"), literal("KZ-ID")),
                else_=literal("other"))


def _with_parties(statement, product_id, request_id, country: Optional[str]):
    """Join the product's and the request's organisations, keeping the matches a curator of
    ``country`` curates (all when ``country`` is None)."""
    statement = (statement.join(ProductProfile, ProductProfile.id == product_id)
                 .join(_SupplierOrg, _SupplierOrg.id == ProductProfile.organisation_id)
                 .join(BuyingRequest, BuyingRequest.id == request_id)
                 .join(_BuyerOrg, _BuyerOrg.id == BuyingRequest.organisation_id))
    if country is not None:
        statement = statement.where(or_(_SupplierOrg.country == country, _BuyerOrg.country == country))
    return statement


def _count_if(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def funnel(session: Session, *, country: Optional[str]) -> tuple[list[Step], dict[str, int]]:
    stage = Introduction.stage
    met = exists().where(AuditEvent.entity_type == "introduction", AuditEvent.entity_id == Introduction.id,
                         AuditEvent.action == "meeting")
    reached = {
        Stage.PROPOSED: literal(True),
        Stage.REQUESTED: or_(col(Introduction.requested_at).is_not(None), col(Introduction.introduced_at).is_not(None)),
        Stage.INTRODUCED: col(Introduction.introduced_at).is_not(None),
        Stage.ACCEPTED: col(Introduction.accepted_at).is_not(None),
        Stage.MEETING: or_(col(stage).in_([Stage.MEETING, Stage.NEGOTIATION, Stage.WON]), met),
        Stage.WON: stage == Stage.WON,
    }
    columns = [func.count(Match.id)] + [_count_if(reached[s]) for s in FUNNEL[1:]]
    statement = _with_parties(select(*columns).select_from(Match)
                              .outerjoin(Introduction, Introduction.match_id == Match.id),
                              Match.product_id, Match.request_id, country)
    counts = [int(n or 0) for n in session.exec(statement).one()]
    now_stage = func.coalesce(stage, Stage.PROPOSED.value)
    statement = _with_parties(select(now_stage, func.count(Match.id)).select_from(Match)
                              .outerjoin(Introduction, Introduction.match_id == Match.id),
                              Match.product_id, Match.request_id, country).group_by(now_stage)
    now = {s.value: 0 for s in Stage}
    now.update({str(s): int(n) for s, n in session.exec(statement).all()})
    steps = [Step(s.value, counts[i], now[s.value]) for i, s in enumerate(FUNNEL)]
    return steps, now


def deals(session: Session, *, country: Optional[str]) -> tuple[list[Deals], list[Deals]]:
    """Won deals and their value by the product's sector and by corridor (zero rows included)."""
    corridor = corridor_of(_SupplierOrg.country, _BuyerOrg.country)
    results = []
    for key, known in ((ProductProfile.sector, SECTORS), (corridor, CORRIDORS)):
        statement = _with_parties(
            select(key, func.count(Introduction.id), func.coalesce(func.sum(Introduction.deal_value_usd), 0.0))
            .select_from(Introduction).where(Introduction.stage == Stage.WON),
            Introduction.product_id, Introduction.request_id, country).group_by(key)
        found = {str(k): (int(n), float(v)) for k, n, v in session.exec(statement).all()}
        rows = [Deals(k, *found.pop(k, (0, 0.0))) for k in known]
        results.append(rows + [Deals(k, *v) for k, v in sorted(found.items())])
    return results[0], results[1]


def _days_between(session: Session, start, end):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start) / 86400.0
    return func.julianday(end) - func.julianday(start)


def median_days_to_introduction(session: Session, *, country: Optional[str]) -> tuple[Optional[float], int]:
    """The median number of days from the engine's proposal to the curator's introduction, and over
    how many introductions. Portable SQL: count, then average the middle one or two ordered values."""
    days = _days_between(session, Introduction.proposed_at, Introduction.introduced_at)
    base = _with_parties(select(days.label("days")).select_from(Introduction)
                         .where(col(Introduction.introduced_at).is_not(None)),
                         Introduction.product_id, Introduction.request_id, country)
    n = session.exec(select(func.count()).select_from(base.subquery())).one()
    if not n:
        return None, 0
    middle = base.order_by(days).offset((n - 1) // 2).limit(2 - n % 2).subquery()
    value = session.exec(select(func.avg(middle.c.days))).one()
    return round(float(value), 1), int(n)


def dashboard(session: Session, *, country: Optional[str]) -> Dashboard:
    steps, now = funnel(session, country=country)
    by_sector, by_corridor = deals(session, country=country)
    median, introduced = median_days_to_introduction(session, country=country)
    return Dashboard(steps, now, by_sector, by_corridor, median, introduced,
                     sum(row.value_usd for row in by_corridor))
