"""Matches between published products and published requests, stored with their explanations.

Saving or publishing a product or request recomputes that item's matches only (incremental);
``matchmaker rematch`` recomputes everything. A stored pair is kept while it is in the top list of
either side, so every item shows its own best matches. Curated matches (past "proposed") are never
deleted by a recompute: they carry the curators' work and history.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional

from flask import current_app
from sqlmodel import Session, col, func, select

from matchmaker.db import transaction
from matchmaker.matching import Demand, DemandIndex, Product, ProductIndex
from matchmaker.models import BuyingRequest, Match, ProductProfile, utcnow

PROPOSED = "proposed"


def _top_k() -> int:
    return current_app.config.get("MATCHES_PER_ITEM", 10)


def to_engine_product(item: ProductProfile) -> Product:
    return Product(id=str(item.id), title=item.title, description=item.description or None,
                   hs_code=item.hs_code or None, country=item.organisation.country,
                   certifications=tuple(item.certifications), moq=item.moq, unit=item.unit,
                   capacity_per_month=item.capacity_per_month, price_usd=item.price_usd,
                   incoterms=tuple(item.incoterms), language=item.language)


def to_engine_demand(item: BuyingRequest) -> Demand:
    return Demand(id=str(item.id), title=item.title, description=item.description or None,
                  hs_code=item.hs_code or None, country=item.organisation.country,
                  required_certifications=tuple(item.required_certifications), quantity=item.quantity,
                  unit=item.unit, max_price_usd=item.max_price_usd, incoterms=tuple(item.incoterms),
                  language=item.language)


def _published(session: Session, model) -> list:
    return list(session.exec(select(model).where(model.status == "published").order_by(model.id)).all())


def refresh(session: Session, kind: str, item) -> int:
    """Recompute the stored matches of one product (``kind="product"``) or request; returns how many it keeps."""
    is_product = kind == "product"
    column = Match.product_id if is_product else Match.request_id
    existing = {(m.product_id, m.request_id): m
                for m in session.exec(select(Match).where(column == item.id)).all()}
    with transaction(session):
        if item.status != "published":
            for match in existing.values():
                if match.status == PROPOSED:
                    session.delete(match)
            return 0
        if is_product:
            others = _published(session, BuyingRequest)
            index = DemandIndex([to_engine_demand(r) for r in others])
            found = index.top(to_engine_product(item), k=_top_k()) if others else []
        else:
            others = _published(session, ProductProfile)
            index = ProductIndex([to_engine_product(p) for p in others])
            found = index.top(to_engine_demand(item), k=_top_k()) if others else []
        kept = set()
        for result in found:
            key = (int(result.product_id), int(result.demand_id))
            _store(session, existing.get(key), key, result.score, result.explanation.to_dict())
            kept.add(key)
        by_id = {o.id: o for o in others}
        for key, match in existing.items():
            if key in kept or match.status != PROPOSED:
                continue
            other = by_id.get(key[1] if is_product else key[0])
            if other is None or not _still_in_others_top(session, match, is_product, index, item, other):
                session.delete(match)
    return len(kept)


def _still_in_others_top(session: Session, match: Match, is_product: bool, index, item, other) -> bool:
    """A pair that left this item's top list stays if it still ranks in the other side's stored top list."""
    product, demand = (item, other) if is_product else (other, item)
    explanation = index.explain(to_engine_product(product), to_engine_demand(demand))
    if not explanation.proposed:
        return False
    other_column = Match.request_id if is_product else Match.product_id
    rivals = session.exec(
        select(Match.score).where(other_column == other.id, Match.id != match.id)
        .order_by(col(Match.score).desc()).limit(_top_k())
    ).all()
    if len(rivals) >= _top_k() and explanation.score <= rivals[-1]:
        return False
    match.score = explanation.score
    match.explanation = explanation.to_dict()
    match.updated_at = utcnow()
    session.add(match)
    return True


def _store(session: Session, match: Optional[Match], key: tuple[int, int], score: float, explanation: dict) -> None:
    if match is None:
        match = Match(product_id=key[0], request_id=key[1])
    match.score = score
    match.explanation = explanation
    match.updated_at = utcnow()
    session.add(match)


def rematch_all(session: Session, *, progress: Optional[Callable[[int], object]] = None,
                k: Optional[int] = None) -> dict[str, int]:
    """Recompute every stored proposed match from the published catalogue, in both directions."""
    k = k or _top_k()
    products = _published(session, ProductProfile)
    requests = _published(session, BuyingRequest)
    engine_products = [to_engine_product(p) for p in products]
    engine_demands = [to_engine_demand(r) for r in requests]
    best: dict[tuple[int, int], tuple[float, dict]] = {}

    def collect(results: Iterable) -> None:
        for _query, found in results:
            for result in found:
                best[(int(result.product_id), int(result.demand_id))] = (result.score, result.explanation.to_dict())

    if products and requests:
        collect(ProductIndex(engine_products).top_many(engine_demands, k=k, progress=progress))
        collect(DemandIndex(engine_demands).top_many(engine_products, k=k, progress=progress))
    with transaction(session):
        existing = {(m.product_id, m.request_id): m for m in session.exec(select(Match)).all()}
        removed = 0
        for key, match in existing.items():
            if key not in best and match.status == PROPOSED:
                session.delete(match)
                removed += 1
        for key, (score, explanation) in best.items():
            _store(session, existing.get(key), key, score, explanation)
    return {"products": len(products), "requests": len(requests), "matches": len(best), "removed": removed}


def counts_for(session: Session, kind: str, item_ids: list[int]) -> dict[int, int]:
    """How many stored matches each item has, for an organisation's overview."""
    if not item_ids:
        return {}
    column = Match.product_id if kind == "product" else Match.request_id
    rows = session.exec(select(column, func.count()).where(column.in_(item_ids)).group_by(column)).all()
    return dict(rows)


def for_item(session: Session, kind: str, item, *, viewer) -> list[Match]:
    """The item's best stored matches whose other side is published (what a visitor may see)."""
    if kind == "product":
        statement = (select(Match).join(BuyingRequest, Match.request_id == BuyingRequest.id)
                     .where(Match.product_id == item.id, BuyingRequest.status == "published"))
    else:
        statement = (select(Match).join(ProductProfile, Match.product_id == ProductProfile.id)
                     .where(Match.request_id == item.id, ProductProfile.status == "published"))
    statement = statement.order_by(col(Match.score).desc(), Match.id).limit(_top_k())
    return list(session.exec(statement).all())
