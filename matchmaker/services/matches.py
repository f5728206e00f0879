"""Matches between published products and published requests, stored with their explanations.

The stored matches are a function of the catalogue, and ``refresh`` is their one owner: every write
path that changes a fact the engine reads (an item's text, HS code, certificates, quantities, status;
its organisation's country or kind) logs the items it changed, and the matching job (services.jobs)
calls it with what the log holds. A pair is stored while the
product is in the request's top list (``rank_for_request``, found by the product index) or the
request in the product's (``rank_for_product``, found by the request index); its score is the request
index's when it is in the product's list, else the product index's. Curated matches (past "proposed")
are never deleted: they carry the curators' work and history.

Both indexes are the process's warm ones (``index_store``: a snapshot file kept current by the
change log's deltas), never built inside a save. A changed product changes the product index, so its
own list and the requests' lists that hold it or that it can now enter are redone; of the other
products' lists none (the request index did not change); a changed request the other way round.
Up to ``MATCH_REFRESH_ALL_UP_TO`` lists on the other side, all of them are redone: exactly what
``rematch_all`` (``matchmaker rematch``) would store, which a property test checks. Above it, the
lists not redone keep scores computed with the word weights of their time (word weights are
catalogue-wide), a drift that ``matchmaker rematch`` or a rebuild clears; a second property test
checks that every list a change can enter or leave is redone.

A change that asks for more than ``MATCH_BACKLOG_FROM`` lists of one side (an import), or for more
than ``MATCH_REDO_AT_ONCE`` lists of items it did not change, does not redo them at once (the changed
items' own lists excepted, below the first limit): they wait in the backlog (``MatchingBacklog``),
and the job redoes them in short slices (``work_backlog``) with every newer save matched before each
slice, so an import never holds a member's save back for long. Once the backlog is empty the stored matches are again exactly those
of a refresh that redid everything at once.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Optional

from flask import current_app, has_app_context
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import contains_eager, selectinload
from sqlmodel import Session, col, delete, func, select

from matchmaker.db import in_chunks, transaction
from matchmaker.matching import Demand, Product
from matchmaker.matching import Match as Found
from matchmaker.models import (UNRANKED_PROPOSAL, BuyingRequest, Match, MatchingBacklog, Organisation,
                               ProductProfile, utcnow)
from matchmaker.services import changes, index_store
from matchmaker.services import weights as weight_versions

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


class _Catalogue:
    """Matching's view of the market: the process's warm index of each side (``index_store``), held
    read-locked for the whole refresh so no delta lands half-way, and the active weight version."""

    def __init__(self, session: Session, views: dict, weights: weight_versions.Weights):
        self.session, self.views, self.weights = session, views, weights
        # Which index scored each side's lists: a request's list comes from the products' index.
        self.fingerprints = {_BY_REQUEST: views["products"].version.fingerprint,
                             _BY_PRODUCT: views["requests"].version.fingerprint}

    @classmethod
    @contextmanager
    def warm(cls, session: Session) -> Iterator["_Catalogue"]:
        weights = weight_versions.active(session)
        # Both sides are brought up to date before either is locked: a delta takes one side's lock.
        # Matching may fit when there is no snapshot yet (it is the worker's job; web processes that
        # may not fit only search).
        for side in index_store.SIDES:
            index_store.store_for(session.get_bind()).current(session, side, may_fit=True)
        with index_store.reading(session, "products", may_fit=True) as products, \
                index_store.reading(session, "requests", may_fit=True) as requests:
            # End the read before the engine's seconds of work: SQLite cannot turn a snapshot that
            # another save has since overtaken into a write, so the write starts from a fresh one.
            session.commit()
            yield cls(session, {"products": products, "requests": requests}, weights)

    def lists_for_requests(self, ids: Iterable[int], k: int, progress=None) -> dict[int, list[Found]]:
        """Each request's top ``k`` products (an unmatchable request's list is empty)."""
        return self._lists(ids, "requests", k, progress)

    def lists_for_products(self, ids: Iterable[int], k: int, progress=None) -> dict[int, list[Found]]:
        return self._lists(ids, "products", k, progress)

    def _lists(self, ids, side: str, k: int, progress) -> dict[int, list[Found]]:
        ids = sorted(set(ids))
        lists: dict[int, list[Found]] = {i: [] for i in ids}
        queries = _queries(self.session, side, ids)
        other = self.views["products" if side == "requests" else "requests"]
        if queries and len(other.index):
            masked = other.unmatchable
            # The queries' own index has read them already: the engine takes its readings of those
            # unchanged since, and reads only their words again.
            for query, found in other.index.top_many(queries, k=k + len(masked), progress=progress,
                                                     profiled=self.views[side].index):
                kept = [m for m in found if int(m.product_id if side == "requests" else m.demand_id) not in masked]
                lists[int(query.id)] = kept[:k]
        return lists

    def entering(self, side: str, ids: Iterable[int]) -> set[int]:
        """Items of the other side whose list a changed item of ``side`` can now enter: those for
        which the engine finds the pair proposable (evidence and minimum grade), read from the other
        side's index with the changed item as the query."""
        other = "requests" if side == "products" else "products"
        view = self.views[other]
        found: set[int] = set()
        for record in _queries(self.session, side, ids):
            if len(view.index):
                ranked = view.index.rank(record, k=len(view.index))
                found.update(int(i) for i, _ in ranked)
        return found - view.unmatchable


def _queries(session: Session, side: str, ids) -> list:
    """The engine records of these items that matching pairs (published, organisation on that side)."""
    model = index_store.MODELS[side]
    statement = (select(model).join(Organisation).options(contains_eager(model.organisation))
                 .where(model.status == "published", col(Organisation.kind).in_(index_store.KINDS[side]))
                 .order_by(model.id))
    convert = to_engine_product if side == "products" else to_engine_demand
    if ids is None:
        return [convert(item) for item in session.exec(statement).all()]
    return [convert(item) for chunk in in_chunks(ids)
            for item in session.exec(statement.where(col(model.id).in_(chunk))).all()]


def _matchable_ids(session: Session, side: str) -> list[int]:
    model = index_store.MODELS[side]
    return list(session.exec(select(model.id).join(Organisation).where(
        model.status == "published", col(Organisation.kind).in_(index_store.KINDS[side]))).all())


def _matchable_count(session: Session, side: str) -> int:
    model = index_store.MODELS[side]
    return session.exec(select(func.count(model.id)).join(Organisation).where(
        model.status == "published", col(Organisation.kind).in_(index_store.KINDS[side]))).one()


def _redo_all_when(changed: int, lists: int) -> bool:
    """Whether a refresh redoes every list of a side with this many lists after this many changes on
    the other side (see :func:`refresh`)."""
    config = current_app.config if has_app_context() else {}
    return (lists <= config.get("MATCH_REFRESH_ALL_UP_TO", 200)
            or changed >= config.get("MATCH_REFRESH_ALL_SHARE", 0.1) * lists
            or changed > config.get("MATCH_REFRESH_ENTERING_UP_TO", 100))


def refresh(session: Session, *, products: Iterable[int] = (), requests: Iterable[int] = (),
            also: Optional[Callable[[Session], object]] = None) -> None:
    """Bring the stored matches up to date after these products and requests changed (by id).

    Redone: the changed items' own lists; of the other side, the lists that hold a changed item and
    those a changed item can now enter. Below ``MATCH_REFRESH_ALL_UP_TO`` lists on the other side,
    every list of that side is redone instead (exactly a full rematch), and so it is when the changed
    items number ``MATCH_REFRESH_ALL_SHARE`` of that side's lists or more than
    ``MATCH_REFRESH_ENTERING_UP_TO`` (an import). Otherwise the lists not redone
    keep their scores: word weights are catalogue-wide, so those scores may drift from a full rematch
    by the change's effect on the weights of its words (at 100,000 items, a few thousandths), until
    the next ``matchmaker rematch``. Pairs, ranks and scores of every redone list are exact.
    """
    changed_products, changed_requests = set(products), set(requests)
    if not (changed_products or changed_requests):
        return
    if _has_unranked_proposals(session):
        rematch_all(session, also=also)
        return
    k = _top_k()
    with _Catalogue.warm(session) as catalogue:
        redo_requests, redo_products = set(changed_requests), set(changed_products)
        for changed, side, redo, holder in ((changed_products, "requests", redo_requests, Match.request_id),
                                            (changed_requests, "products", redo_products, Match.product_id)):
            if not changed:
                continue
            if _redo_all_when(len(changed), _matchable_count(session, side)):
                redo.update(_matchable_ids(session, side))
            else:
                redo.update(_holders(session, side, changed))
                redo.update(catalogue.entering("products" if side == "requests" else "requests", changed))
        owed = _owed({"requests": redo_requests, "products": redo_products},
                     {"requests": changed_requests, "products": changed_products})
        for_requests = catalogue.lists_for_requests(redo_requests - owed.get("requests", set()), k)
        for_products = catalogue.lists_for_products(redo_products - owed.get("products", set()), k)

        def and_owe(write_session: Session) -> None:
            for side, ids in owed.items():
                _add_to_backlog(write_session, side, ids)
            if also is not None:
                also(write_session)

        _write(session, catalogue, for_requests, for_products, k, also=and_owe)


def _write(session: Session, catalogue: "_Catalogue", for_requests: dict, for_products: dict, k: int, *,
           also: Optional[Callable[[Session], object]] = None) -> None:
    """Store the redone lists in one transaction (and whatever ``also`` writes with them); a list
    redone here is no longer owed by the backlog."""
    session.commit()
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
        _apply(session, rows, for_requests, for_products, catalogue.weights.name, catalogue.fingerprints)
        _settle_backlog(session, "requests", for_requests)
        _settle_backlog(session, "products", for_products)
        if also is not None:
            also(session)


# -- the backlog of lists a large change owes -------------------------------------------------------


def _backlog_from() -> int:
    config = current_app.config if has_app_context() else {}
    return config.get("MATCH_BACKLOG_FROM", 2000)


def _redo_at_once() -> int:
    config = current_app.config if has_app_context() else {}
    return config.get("MATCH_REDO_AT_ONCE", 50)


def _owed(redo: dict[str, set[int]], changed: dict[str, set[int]]) -> dict[str, set[int]]:
    """The lists a refresh leaves to the backlog, by side: all of a side's lists past
    ``MATCH_BACKLOG_FROM`` (an import); else, past ``MATCH_REDO_AT_ONCE`` lists of other items (a
    popular request enters hundreds of product lists), those others. The changed items' own lists
    are then stored at once: a member's save shows its matches without waiting for theirs."""
    owed = {}
    for side, ids in redo.items():
        if len(ids) > _backlog_from():
            owed[side] = set(ids)
        elif len(ids - changed[side]) > _redo_at_once():
            owed[side] = ids - changed[side]
    return owed


def _add_to_backlog(session: Session, side: str, ids: Iterable[int]) -> None:
    """Owe these lists (an item already owed keeps its place)."""
    now = utcnow()
    insert = _INSERTS[session.get_bind().dialect.name](MatchingBacklog).on_conflict_do_nothing()
    for chunk in in_chunks(sorted(ids), 5000):
        session.exec(insert, params=[{"side": side, "item_id": item_id, "at": now} for item_id in chunk])


def _settle_backlog(session: Session, side: str, ids: Iterable[int]) -> None:
    for chunk in in_chunks(list(ids)):
        session.exec(delete(MatchingBacklog).where(MatchingBacklog.side == side, col(MatchingBacklog.item_id).in_(chunk)))


def backlog_waiting(session: Session) -> int:
    """How many lists the backlog still owes."""
    return session.exec(select(func.count()).select_from(MatchingBacklog)).one()


def in_backlog(session: Session, side: str, item_id: int) -> bool:
    return session.get(MatchingBacklog, (side, item_id)) is not None


def work_backlog(session: Session, *, limit: int) -> int:
    """Redo up to ``limit`` owed lists (requests' first) and store them in one transaction; returns
    how many were done. The caller holds the matching lock (``jobs.matching_lock``)."""
    owed = session.exec(select(MatchingBacklog.side, MatchingBacklog.item_id)
                        .order_by(col(MatchingBacklog.side).desc(), MatchingBacklog.item_id).limit(limit)).all()
    if not owed:
        return 0
    k = _top_k()
    with _Catalogue.warm(session) as catalogue:
        for_requests = catalogue.lists_for_requests([i for side, i in owed if side == "requests"], k)
        for_products = catalogue.lists_for_products([i for side, i in owed if side == "products"], k)
        _write(session, catalogue, for_requests, for_products, k)
    return len(owed)


def _holders(session: Session, side: str, changed: set[int]) -> set[int]:
    """Items of ``side`` whose stored list holds one of the changed items of the other side."""
    holder, member, rank = ((Match.request_id, Match.product_id, Match.rank_for_request) if side == "requests"
                            else (Match.product_id, Match.request_id, Match.rank_for_product))
    return {found for chunk in in_chunks(changed)
            for found in session.exec(select(holder).where(col(member).in_(chunk), col(rank).is_not(None)))}


def _has_unranked_proposals(session: Session) -> bool:
    # Stored before matches kept their ranks (see the migration): their provenance is unknown. The
    # condition is the partial index's own text, not bound values, so the planner always sees that
    # the index holds exactly these rows (a generic plan of ``status = $1`` could not use it).
    unranked = select(Match.id).where(text(UNRANKED_PROPOSAL))
    return session.exec(unranked.limit(1)).first() is not None


def _pairs(lists: dict[int, list[Found]], *, product_side: bool) -> set[tuple[int, int]]:
    return {(owner, int(m.demand_id)) if product_side else (int(m.product_id), owner)
            for owner, found in lists.items() for m in found}


def _stored(session: Session, for_requests: dict, for_products: dict) -> dict[tuple[int, int], Match]:
    """The stored rows a redo can change: those ranked in a redone list, and those of the pairs the
    redone lists now hold (stored already when the other side's list holds them). Other rows of the
    same items keep their figures, so they are not read: after an import a popular request is in
    hundreds of product lists, and reading all its rows made redoing its list cost seconds."""
    rows = {}
    for owner, rank, other, lists, partner in (
            (Match.request_id, Match.rank_for_request, Match.product_id, for_requests, "product_id"),
            (Match.product_id, Match.rank_for_product, Match.request_id, for_products, "demand_id")):
        for chunk in in_chunks(lists):
            statements = [select(Match).where(col(owner).in_(chunk), col(rank).is_not(None))]
            held = {int(getattr(m, partner)) for item in chunk for m in lists[item]}
            statements += [select(Match).where(col(owner).in_(chunk), col(other).in_(part))
                           for part in in_chunks(held)]
            for statement in statements:
                rows.update(((m.product_id, m.request_id), m) for m in session.exec(statement))
    return rows


def _apply(session: Session, rows: dict[tuple[int, int], Match], for_requests: dict[int, list[Found]],
           for_products: dict[int, list[Found]], version: str, fingerprints: dict[int, str]) -> dict[str, int]:
    """Write the redone lists: ranks from each list, the score of the list that wins (and the weight
    ``version`` and index fingerprint that scored it), and delete the proposals no list holds any more."""
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
        winner = _BY_PRODUCT if by_product is not None else _BY_REQUEST
        result = found.get(key, {}).get(winner)
        # No result: the winning list was not redone, and its score stands.
        score, explanation, scored_by, index = (result.score, result.explanation.to_dict(), version,
                                                fingerprints[winner]) \
            if result is not None else (row.score, row.explanation, row.weights_version, row.fingerprint)
        wanted = _Figures(score, explanation, by_request, by_product, scored_by, index)
        # An unchanged pair is not written.
        if row is None or wanted != _Figures(row.score, row.explanation, row.rank_for_request,
                                             row.rank_for_product, row.weights_version, row.fingerprint):
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
    fingerprint: Optional[str] = None


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
             "weights_version": f.weights_version, "fingerprint": f.fingerprint, "status": PROPOSED,
             "created_at": now, "updated_at": now}
            for (product_id, request_id), f in sorted(figures.items())]
    insert = _INSERTS[session.get_bind().dialect.name](Match)
    session.exec(insert.on_conflict_do_update(
        index_elements=["product_id", "request_id"],
        set_={name: getattr(insert.excluded, name)
              for name in ("score", "explanation", "rank_for_request", "rank_for_product", "weights_version",
                           "fingerprint", "updated_at")}),
        params=rows)


def _delete_proposed(session: Session, match_ids: list[int]) -> None:
    """Delete these matches if they are still only proposed: a curator may have taken one up, or a
    concurrent save deleted it, since they were read."""
    for chunk in in_chunks(match_ids):
        session.exec(delete(Match).where(col(Match.id).in_(chunk), Match.status == PROPOSED))


def rematch_all(session: Session, *, progress: Optional[Callable[[int], object]] = None,
                k: Optional[int] = None, also: Optional[Callable[[Session], object]] = None) -> dict[str, int]:
    """Recompute every stored match from the catalogue, in both directions.

    The matching job's position moves to the newest change logged before the catalogue was read
    (every change up to it is in what was matched), in the transaction that stores the matches;
    ``also`` as for :func:`refresh`."""
    k = k or _top_k()
    upto = changes.latest(session)  # every change up to here is in what is read below
    for side in index_store.SIDES:  # a full recompute starts from indexes fitted afresh
        index_store.rebuild(session, side)
    with _Catalogue.warm(session) as catalogue:
        requests, products = _matchable_ids(session, "requests"), _matchable_ids(session, "products")
        for_requests = catalogue.lists_for_requests(requests, k, progress)
        for_products = catalogue.lists_for_products(products, k, progress)
        session.commit()
        return _rematch_write(session, catalogue, for_requests, for_products, upto=upto, also=also)


def _rematch_write(session: Session, catalogue: _Catalogue, for_requests: dict, for_products: dict, *,
                   upto: int, also: Optional[Callable[[Session], object]] = None) -> dict:
    counts = {"products": len(for_products), "requests": len(for_requests)}
    with transaction(session):
        rows = {(m.product_id, m.request_id): m for m in session.exec(select(Match)).all()}
        # Items that left the catalogue have no list; their pairs are judged like any other.
        for_requests.update({request_id: [] for _, request_id in rows if request_id not in for_requests})
        for_products.update({product_id: [] for product_id, _ in rows if product_id not in for_products})
        removed = _apply(session, rows, for_requests, for_products, catalogue.weights.name,
                         catalogue.fingerprints)["removed"]
        session.exec(delete(MatchingBacklog))  # every list is redone here
        if also is not None:
            also(session)
        changes.advance(session, MATCHING, upto)
    stored = _pairs(for_requests, product_side=False) | _pairs(for_products, product_side=True)
    return {**counts, "matches": len(stored), "removed": removed}


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
    # Each row shows the other side and its organisation: loaded with the list, not a query per row.
    statement = (_listed(kind, [item.id]).order_by(col(Match.score).desc(), Match.id)
                 .options(selectinload(Match.product).selectinload(ProductProfile.organisation),
                          selectinload(Match.request).selectinload(BuyingRequest.organisation)))
    return list(session.exec(statement).all())
