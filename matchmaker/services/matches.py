"""Matches between published products and published requests, stored with their explanations.

Saving or publishing a product or request recomputes that item's matches only (incremental);
``matchmaker rematch`` recomputes everything. A stored pair is kept while it is in the top list of
either side, so every item shows its own best matches. Curated matches (past "proposed") are never
deleted by a recompute: they carry the curators' work and history.
"""

from __future__ import annotations

from typing import Callable, Iterable, Optional

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, delete, func, select

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
            _delete_proposed(session, [m.id for m in existing.values()])
            return 0
        if is_product:
            others = _published(session, BuyingRequest)
            index = DemandIndex([to_engine_demand(r) for r in others])
            found = index.top(to_engine_product(item), k=_top_k()) if others else []
        else:
            others = _published(session, ProductProfile)
            index = ProductIndex([to_engine_product(p) for p in others])
            found = index.top(to_engine_demand(item), k=_top_k()) if others else []
        kept = {(int(r.product_id), int(r.demand_id)): (r.score, r.explanation.to_dict()) for r in found}
        _store(session, kept)
        by_id = {o.id: o for o in others}
        dropped = []
        for key, match in existing.items():
            if key in kept or match.status != PROPOSED:
                continue
            other = by_id.get(key[1] if is_product else key[0])
            if other is None or not _still_in_others_top(session, match, is_product, index, item, other):
                dropped.append(match.id)
        _delete_proposed(session, dropped)
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
    _store(session, {(match.product_id, match.request_id): (explanation.score, explanation.to_dict())})
    return True


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _store(session: Session, figures: dict[tuple[int, int], tuple[float, dict]]) -> None:
    """Insert each pair's match with its (score, explanation), or update those of a pair already stored.

    An upsert, so that two saves computing the same pair at the same moment (an exporter's and a
    buyer's) both succeed instead of the second failing on the unique pair after its item was saved.
    Pairs are written in order, so two writers never wait for each other's rows in opposite orders
    (a deadlock on PostgreSQL). A curated match keeps its status: only the engine's figures change.
    """
    if not figures:
        return
    now = utcnow()
    rows = [{"product_id": product_id, "request_id": request_id, "score": score, "explanation": explanation,
             "status": PROPOSED, "created_at": now, "updated_at": now}
            for (product_id, request_id), (score, explanation) in sorted(figures.items())]
    insert = _INSERTS[session.get_bind().dialect.name](Match)
    session.exec(insert.on_conflict_do_update(
        index_elements=["product_id", "request_id"],
        set_={"score": insert.excluded.score, "explanation": insert.excluded.explanation,
              "updated_at": insert.excluded.updated_at}), params=rows)


def _delete_proposed(session: Session, match_ids: list[int]) -> None:
    """Delete these matches if they are still only proposed: a curator may have taken one up, or a
    concurrent save deleted it, since they were read."""
    if match_ids:
        session.exec(delete(Match).where(col(Match.id).in_(match_ids), Match.status == PROPOSED))


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
        dropped = [m.id for key, m in existing.items() if key not in best and m.status == PROPOSED]
        _delete_proposed(session, dropped)
        _store(session, best)
    return {"products": len(products), "requests": len(requests), "matches": len(best),
            "removed": len(dropped)}


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
