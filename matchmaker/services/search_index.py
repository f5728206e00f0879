"""The process-wide engine index that ``/search`` ranks with: one per side, per catalogue version.

Search and matching agree because search asks the matching engine: the query becomes a request (to
search products) or a product (to search requests), and the engine's own index ranks the published
items with words, cross-lingual concepts, HS and spelling. The index is built from the published items
once per catalogue *version*, a cheap aggregate (count, latest change, organisations' versions), and
shared by every request thread: built under a lock, then only read. Each snapshot also keeps the
catalogue's own words (for "did you mean") and its organisations' names (for company-name search).

``rank`` is the one function that talks to the engine; when the engine becomes a fitted artefact
(fit / add / remove / load), only this module changes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import contains_eager
from sqlmodel import Session, func, select

from matchmaker.matching import Demand, DemandIndex, Product, ProductIndex
from matchmaker.matching.index import CANDIDATES
from matchmaker.matching.normalise import normalise
from matchmaker.models import BuyingRequest, Organisation, ProductProfile
from matchmaker.services.matches import to_engine_demand, to_engine_product
from matchmaker.vocabulary import TITLE_MAX

MODELS = {"products": ProductProfile, "requests": BuyingRequest}
# The most relevant items the engine ranks for one query (facets count within them): as many as
# matching looks at in its second stage, so the first results are exactly what matching proposes
# (a deeper ranking scores more candidates and lets a few others in).
DEPTH = CANDIDATES
_RANKED_KEPT = 256  # queries remembered per snapshot (facets, pages and sorts of one query reuse them)


@dataclass(frozen=True)
class Ranked:
    """One item the engine found for a query: its id and its grade (0..1, as matching shows it)."""

    item_id: int
    score: float


@dataclass
class Snapshot:
    """The engine's index of one side's published items, as of ``version``."""

    version: tuple
    side: str
    index: Any                      # ProductIndex or DemandIndex (later: the fitted artefact)
    terms: tuple[str, ...]          # the catalogue's words, for "did you mean"
    organisations: tuple[tuple[int, str], ...]  # (id, case-folded name) of organisations with items
    positions: dict[int, int] = field(default_factory=dict)  # item id -> its place in the index
    _ranked: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def rank(self, text: str, *, allowed: frozenset[int] | None = None) -> list[Ranked]:
        """The engine's ranking for a query text, among the ``allowed`` item ids (the facets' choice,
        from the database) when given; remembered for the next page or sort."""
        key = (normalise(text), allowed)
        with self._lock:
            if key in self._ranked:
                self._ranked.move_to_end(key)
                return self._ranked[key]
        found = rank(self.index, self.side, text, allowed=allowed)
        with self._lock:
            self._ranked[key] = found
            while len(self._ranked) > _RANKED_KEPT:
                self._ranked.popitem(last=False)
        return found

    def profile_of(self, item_id: int):
        """The engine's reading of one indexed item (its language and concepts), or None."""
        position = self.positions.get(item_id)
        # One profile, not ``index.profiles`` (a list of every profile, built at each call: 0.45 s of
        # CPU per page of 20 results at 100,000 products).
        return None if position is None else self.index._profile(position)


def rank(index, side: str, text: str, *, k: int | None = None,
         allowed: frozenset[int] | None = None) -> list[Ranked]:
    """The engine's ranking of a search text over one side's index: the text is read as a request
    (for products) or as a product (for requests).

    Without a country and certificates of its own, the query meets every published item; a query
    that names halal asks for halal, as a request would. The engine ranks as in matching (same
    candidates, same evidence gate and minimum grade) without writing explanations, which search does
    not show. ``allowed`` (item ids the facets allow) keeps the ranking to them, so a narrow facet
    still gets the best ``k`` of its own items, not what is left of the overall best ``k``.
    """
    if len(index) == 0:
        return []
    # Read as a request or a product of that text would be: a title of at most TITLE_MAX characters,
    # the rest as its description (a long query cut at the title lost words matching reads).
    title, description = text[:TITLE_MAX], text[TITLE_MAX:] or None
    record = Demand if side == "products" else Product
    query = record(id="search", title=title, description=description)
    k = min(DEPTH if k is None else k, len(index))
    ids = None if allowed is None else [str(i) for i in allowed]
    return [Ranked(int(item_id), score) for item_id, score in index.rank(query, k=k, allowed=ids)]


_snapshots: dict[tuple[str, str], Snapshot] = {}
_build_lock = threading.Lock()


def version(session: Session, side: str) -> tuple:
    """Changes whenever a published item or an organisation changes (one aggregate query)."""
    model = MODELS[side]
    published = model.status == "published"
    row = session.exec(select(
        select(func.count(model.id)).where(published).scalar_subquery(),
        select(func.max(model.updated_at)).where(published).scalar_subquery(),
        select(func.max(model.id)).where(published).scalar_subquery(),
        select(func.count(Organisation.id)).scalar_subquery(),
        select(func.sum(Organisation.version)).scalar_subquery())).one()
    return tuple(str(value) for value in row)


def snapshot(session: Session, side: str) -> Snapshot:
    """The current snapshot of this side, built at most once per version in the whole process.

    A catalogue of ``BACKGROUND_FROM`` items or more is rebuilt by a background thread while the
    previous snapshot keeps answering (a search never waits tens of seconds for a fit); a smaller one
    is rebuilt at once, so a new publication is found by the next search.
    """
    key = (str(session.get_bind().url), side)
    current = version(session, side)
    found = _snapshots.get(key)
    if found is not None and found.version == current:
        return found
    if found is not None and len(found.index) >= BACKGROUND_FROM:
        _rebuild_later(session.get_bind(), key)
        return found
    with _build_lock:
        found = _snapshots.get(key)
        if found is None or found.version != current:
            found = _snapshots[key] = _build(session, side, current)
    return found


BACKGROUND_FROM = 5_000
_rebuilding: dict[tuple[str, str], threading.Thread] = {}


def _rebuild_later(bind, key: tuple[str, str]) -> None:
    with _build_lock:
        if key in _rebuilding:
            return
        thread = _rebuilding[key] = threading.Thread(target=_rebuild, args=(bind, key), daemon=True,
                                                     name=f"search-index-{key[1]}")
    thread.start()


def _rebuild(bind, key: tuple[str, str]) -> None:
    try:
        with Session(bind) as session:
            current = version(session, key[1])
            built = _build(session, key[1], current)
        with _build_lock:
            _snapshots[key] = built
    finally:
        with _build_lock:
            _rebuilding.pop(key, None)


def wait_for_rebuilds(timeout: float = 60) -> None:
    """Block until the background rebuilds under way are done (tests, benchmarks)."""
    for thread in list(_rebuilding.values()):
        thread.join(timeout)


def _build(session: Session, side: str, current: tuple) -> Snapshot:
    model = MODELS[side]
    items = session.exec(select(model).join(Organisation).options(contains_eager(model.organisation))
                         .where(model.status == "published").order_by(model.id)).all()
    convert = to_engine_product if side == "products" else to_engine_demand
    records = [convert(item) for item in items]
    index = (ProductIndex if side == "products" else DemandIndex)(records)
    terms = sorted({word for item in items for word in normalise(f"{item.title} {item.description}").split()
                    if len(word) >= 4 and word.isalpha()})
    names = {item.organisation.id: item.organisation.name.casefold() for item in items}
    return Snapshot(current, side, index, tuple(terms), tuple(sorted(names.items())),
                    {item.id: position for position, item in enumerate(items)})


def clear() -> None:
    """Forget every snapshot (tests, or after a bulk import)."""
    with _build_lock:
        _snapshots.clear()
        _organisation_texts.clear()


_organisation_texts: dict[str, tuple[tuple, tuple[tuple[int, str], ...]]] = {}


def organisation_texts(session: Session) -> tuple[tuple[int, str], ...]:
    """(id, case-folded name, city and description) of every organisation, cached per version: the
    directory's box compares case-folded text in Python, since SQLite folds only ASCII («Сыр»)."""
    key = str(session.get_bind().url)
    current = tuple(str(v) for v in session.exec(select(func.count(), func.sum(Organisation.version),
                                                        func.max(Organisation.id))).one())
    found = _organisation_texts.get(key)
    if found is None or found[0] != current:
        rows = session.exec(select(Organisation.id, Organisation.name, Organisation.city,
                                   Organisation.description)).all()
        found = _organisation_texts[key] = (current, tuple(
            (org_id, f"{name}\n{city}\n{description}".casefold()) for org_id, name, city, description in rows))
    return found[1]
