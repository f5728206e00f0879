"""Matches between published products and published requests, stored with their explanations.

The stored matches are a function of the catalogue, and ``refresh`` is their one owner: every write
path that changes a fact the engine reads (an item's text, HS code, certificates, quantities, status;
its organisation's country or kind) logs the items it changed, and the matching job (services.jobs)
calls it with what the log holds. A pair is stored while the
product is in the request's top list (``rank_for_request``, found by the product index) or the
request in the product's (``rank_for_product``, found by the request index); its score is the request
index's when it is in the product's list, else the product index's. Curated matches (past "proposed")
are never deleted: they carry the curators' work and history.

A changed product changes the product index (word weights are catalogue-wide), so every request's
list is redone, but of the products' lists only its own; a changed request the other way round.
That is exactly what ``rematch_all`` (``matchmaker rematch``) would store, which a property test checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Collection, Iterable, Optional

from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import contains_eager
from sqlmodel import Session, col, delete, func, select

from matchmaker.db import transaction
from matchmaker.matching import Demand, DemandIndex, Product, ProductIndex
from matchmaker.matching import Match as Found
from matchmaker.models import BuyingRequest, Match, Organisation, ProductProfile, utcnow
from matchmaker.services import changes
from matchmaker.services import weights as weight_versions
from matchmaker.vocabulary import DEMAND_KINDS, SUPPLY_KINDS

PROPOSED = "proposed"
MATCHING = "matching"  # the matching job's name in the change log's positions (services.jobs)


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


def _matchable(session: Session, model, kinds: Collection[str]) -> list:
    """Published items of organisations on that side of the market (a buyer offers no products)."""
    statement = (select(model).join(Organisation).options(contains_eager(model.organisation))
                 .where(model.status == "published", col(Organisation.kind).in_(kinds)).order_by(model.id))
    return list(session.exec(statement).all())


@dataclass
class _Catalogue:
    """The matchable items, the weights that score them (the active weight version) and, built on
    first use, the engine's index of each side."""

    products: dict[int, Product]
    requests: dict[int, Demand]
    weights: weight_versions.Weights = field(
        default_factory=lambda: weight_versions.Weights(weight_versions.BUILT_IN, {}))
    _indexes: dict = field(default_factory=dict)

    @classmethod
    def load(cls, session: Session) -> "_Catalogue":
        catalogue = cls({p.id: to_engine_product(p) for p in _matchable(session, ProductProfile, SUPPLY_KINDS)},
                        {r.id: to_engine_demand(r) for r in _matchable(session, BuyingRequest, DEMAND_KINDS)},
                        weight_versions.active(session))
        # End the read before the engine's seconds of work: SQLite cannot turn a snapshot that another
        # save has since overtaken into a write, so the write starts from a fresh one.
        session.commit()
        return catalogue

    def lists_for_requests(self, ids: Iterable[int], k: int, progress=None) -> dict[int, list[Found]]:
        """Each request's top ``k`` products (an unmatchable request's list is empty)."""
        return self._lists(ids, self.requests, self.products, ProductIndex, k, progress)

    def lists_for_products(self, ids: Iterable[int], k: int, progress=None) -> dict[int, list[Found]]:
        return self._lists(ids, self.products, self.requests, DemandIndex, k, progress)

    def _lists(self, ids, queries: dict, catalogue: dict, index_class, k: int, progress) -> dict[int, list[Found]]:
        ids = sorted(set(ids))
        lists: dict[int, list[Found]] = {i: [] for i in ids}
        asked = [queries[i] for i in ids if i in queries]
        if asked and catalogue:
            if index_class not in self._indexes:
                self._indexes[index_class] = index_class(catalogue.values(), weights=self.weights.weights or None)
            for query, found in self._indexes[index_class].top_many(asked, k=k, progress=progress):
                lists[int(query.id)] = found
        return lists


def refresh(session: Session, *, products: Iterable[int] = (), requests: Iterable[int] = (),
            also: Optional[Callable[[Session], object]] = None) -> None:
    """Bring the stored matches up to date after these products and requests changed (by id).

    ``also(session)`` runs last inside the transaction that writes the matches, so what it writes (the
    matching job's position in the change log) commits with them or not at all; if it raises, nothing
    of this refresh is stored."""
    changed_products, changed_requests = set(products), set(requests)
    if not (changed_products or changed_requests):
        return
    if _has_unranked_proposals(session):
        rematch_all(session, also=also)
        return
    catalogue, k = _Catalogue.load(session), _top_k()
    for_requests = catalogue.lists_for_requests(
        changed_requests | (set(catalogue.requests) if changed_products else set()), k)
    for_products = catalogue.lists_for_products(
        changed_products | (set(catalogue.products) if changed_requests else set()), k)
    with transaction(session):
        rows = _stored(session, for_requests, for_products)
        # A pair that leaves the product's list but stays in an untouched request's list needs that
        # list's score again: redo those few request lists too (the product index is unchanged).
        leaving = {key[1] for key, row in rows.items()
                   if key[0] in for_products and row.rank_for_product is not None
                   and row.rank_for_request is not None and key[1] not in for_requests
                   and key not in _pairs(for_products, product_side=True)}
        redone = catalogue.lists_for_requests(leaving, k)
        rows.update(_stored(session, redone, {}))
        for_requests.update(redone)
        _apply(session, rows, for_requests, for_products, catalogue.weights.name)
        if also is not None:
            also(session)


def _has_unranked_proposals(session: Session) -> bool:
    # Stored before matches kept their ranks (see the migration): their provenance is unknown.
    unranked = select(Match.id).where(Match.status == PROPOSED, col(Match.rank_for_request).is_(None),
                                      col(Match.rank_for_product).is_(None))
    return session.exec(unranked.limit(1)).first() is not None


def _pairs(lists: dict[int, list[Found]], *, product_side: bool) -> set[tuple[int, int]]:
    return {(owner, int(m.demand_id)) if product_side else (int(m.product_id), owner)
            for owner, found in lists.items() for m in found}


def _stored(session: Session, for_requests: dict, for_products: dict) -> dict[tuple[int, int], Match]:
    """The stored rows whose request's or product's list is being redone."""
    statement = select(Match).where(col(Match.request_id).in_(list(for_requests))
                                    | col(Match.product_id).in_(list(for_products)))
    return {(m.product_id, m.request_id): m for m in session.exec(statement).all()}


def _apply(session: Session, rows: dict[tuple[int, int], Match], for_requests: dict[int, list[Found]],
           for_products: dict[int, list[Found]], version: str) -> dict[str, int]:
    """Write the redone lists: ranks from each list, the score of the list that wins (and the weight
    ``version`` that scored it), and delete the proposals no list holds any more."""
    # A list not redone keeps the ranks it gave; a redone one gives its ranks afresh.
    ranks = {key: [None if key[1] in for_requests else row.rank_for_request,
                   None if key[0] in for_products else row.rank_for_product] for key, row in rows.items()}
    found: dict[tuple[int, int], dict[int, Found]] = {}
    for lists, side in ((for_requests, _BY_REQUEST), (for_products, _BY_PRODUCT)):
        for found_list in lists.values():
            for rank, result in enumerate(found_list, 1):
                key = (int(result.product_id), int(result.demand_id))
                ranks.setdefault(key, [None, None])[side] = rank
                found.setdefault(key, {})[side] = result
    dropped, figures = [], {}
    for key, (by_request, by_product) in ranks.items():
        row = rows.get(key)
        if by_request is None and by_product is None and row.status == PROPOSED:
            dropped.append(row.id)
            continue
        result = found.get(key, {}).get(_BY_PRODUCT if by_product is not None else _BY_REQUEST)
        # No result: the winning list was not redone, and its score stands.
        score, explanation, scored_by = (result.score, result.explanation.to_dict(), version) \
            if result is not None else (row.score, row.explanation, row.weights_version)
        wanted = _Figures(score, explanation, by_request, by_product, scored_by)
        # An unchanged pair is not written.
        if row is None or wanted != _Figures(row.score, row.explanation, row.rank_for_request,
                                             row.rank_for_product, row.weights_version):
            figures[key] = wanted
    _delete_proposed(session, dropped)
    _store(session, figures)
    # Both wrote past the session's objects, which the app's sessions keep after commit: forget them,
    # so this session's next read of these matches sees what is stored.
    for key, row in rows.items():
        if row.id in dropped:
            session.expunge(row)
        elif key in figures:
            session.expire(row)
    return {"removed": len(dropped)}


_INSERTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}
_BY_REQUEST, _BY_PRODUCT = 0, 1


@dataclass(frozen=True)
class _Figures:
    """What the engine says of one pair: its score and explanation, and its rank in each side's list."""

    score: float
    explanation: Optional[dict]
    rank_for_request: Optional[int]
    rank_for_product: Optional[int]
    weights_version: Optional[str] = None


def _store(session: Session, figures: dict[tuple[int, int], _Figures]) -> None:
    """Insert each pair's match with its figures, or update those of a pair already stored.

    An upsert, so that two saves computing the same pair at the same moment (an exporter's and a
    buyer's) both succeed instead of the second failing on the unique pair after its item was saved.
    Pairs are written in order, so two writers never wait for each other's rows in opposite orders
    (a deadlock on PostgreSQL). A curated match keeps its status: only the engine's figures change.
    """
    if not figures:
        return
    now = utcnow()
    rows = [{"product_id": product_id, "request_id": request_id, "score": f.score, "explanation": f.explanation,
             "rank_for_request": f.rank_for_request, "rank_for_product": f.rank_for_product,
             "weights_version": f.weights_version, "status": PROPOSED, "created_at": now, "updated_at": now}
            for (product_id, request_id), f in sorted(figures.items())]
    insert = _INSERTS[session.get_bind().dialect.name](Match)
    session.exec(insert.on_conflict_do_update(
        index_elements=["product_id", "request_id"],
        set_={name: getattr(insert.excluded, name)
              for name in ("score", "explanation", "rank_for_request", "rank_for_product", "weights_version",
                           "updated_at")}),
        params=rows)


def _delete_proposed(session: Session, match_ids: list[int]) -> None:
    """Delete these matches if they are still only proposed: a curator may have taken one up, or a
    concurrent save deleted it, since they were read."""
    if match_ids:
        session.exec(delete(Match).where(col(Match.id).in_(match_ids), Match.status == PROPOSED))


def rematch_all(session: Session, *, progress: Optional[Callable[[int], object]] = None,
                k: Optional[int] = None, also: Optional[Callable[[Session], object]] = None) -> dict[str, int]:
    """Recompute every stored match from the catalogue, in both directions.

    The matching job's position moves to the newest change logged before the catalogue was read
    (every change up to it is in what was matched), in the transaction that stores the matches;
    ``also`` as for :func:`refresh`."""
    k = k or _top_k()
    upto = changes.latest(session)
    catalogue = _Catalogue.load(session)
    for_requests = catalogue.lists_for_requests(catalogue.requests, k, progress)
    for_products = catalogue.lists_for_products(catalogue.products, k, progress)
    with transaction(session):
        rows = {(m.product_id, m.request_id): m for m in session.exec(select(Match)).all()}
        # Items that left the catalogue have no list; their pairs are judged like any other.
        for_requests.update({request_id: [] for _, request_id in rows if request_id not in for_requests})
        for_products.update({product_id: [] for product_id, _ in rows if product_id not in for_products})
        counts = _apply(session, rows, for_requests, for_products, catalogue.weights.name)
        if also is not None:
            also(session)
        changes.advance(session, MATCHING, upto)
    stored = _pairs(for_requests, product_side=False) | _pairs(for_products, product_side=True)
    return {"products": len(catalogue.products), "requests": len(catalogue.requests), "matches": len(stored),
            "removed": counts["removed"]}


def _listed(kind: str, item_ids: list[int]):
    """The stored matches an item's page lists: those whose other side is published. The organisation
    page counts the same rows, so its figures always equal what the item pages show."""
    if kind == "product":
        return (select(Match).join(BuyingRequest, Match.request_id == BuyingRequest.id)
                .where(col(Match.product_id).in_(item_ids), BuyingRequest.status == "published"))
    return (select(Match).join(ProductProfile, Match.product_id == ProductProfile.id)
            .where(col(Match.request_id).in_(item_ids), ProductProfile.status == "published"))


def counts_for(session: Session, kind: str, item_ids: list[int]) -> dict[int, int]:
    """How many matches each item's page lists, for an organisation's overview."""
    if not item_ids:
        return {}
    listed = _listed(kind, item_ids).subquery()
    column = listed.c.product_id if kind == "product" else listed.c.request_id
    return dict(session.exec(select(column, func.count()).group_by(column)).all())


def for_item(session: Session, kind: str, item) -> list[Match]:
    """Every match the item's page lists, best first."""
    statement = _listed(kind, [item.id]).order_by(col(Match.score).desc(), Match.id)
    return list(session.exec(statement).all())
