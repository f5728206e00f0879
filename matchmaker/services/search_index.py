"""What ``/search`` ranks with: the process's warm engine index of each side (``index_store``).

Search and matching agree because search asks the matching engine, through the same index: the query
becomes a request (to search products) or a product (to search requests), and the engine ranks the
published items with words, cross-lingual concepts, HS and spelling. The index is not built here:
``index_store`` keeps it (a snapshot file plus the change log's deltas), so a web process never fits
while a snapshot exists, and every process answers from the same version. A :class:`Snapshot` is this
module's handle on one version: it remembers the rankings of recent queries (facets, pages and sorts
of one query reuse them) and, on first use, the catalogue's words (for "did you mean") and its
organisations' names (for company-name search).

``rank`` is the one function that talks to the engine.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz, process
from sqlmodel import Session, func, select

from matchmaker.matching import Demand, Product
from matchmaker.matching.concepts import default_vocabulary
from matchmaker.matching.index import CANDIDATES
from matchmaker.matching.normalise import normalise
from matchmaker.matching.once import built_once
from matchmaker.models import BuyingRequest, Organisation, ProductProfile
from matchmaker.services import index_store
from matchmaker.vocabulary import TITLE_MAX

MODELS = {"products": ProductProfile, "requests": BuyingRequest}
# The most relevant items the engine ranks for one query (facets count within them): as many as
# matching looks at in its second stage, so the first results are exactly what matching proposes
# (a deeper ranking scores more candidates and lets a few others in).
DEPTH = CANDIDATES
_CLOSEST_KEPT = 20_000  # unknown words and their closest catalogue word, per snapshot
_RANKED_KEPT = 256  # queries remembered per snapshot (facets, pages and sorts of one query reuse them)


@dataclass(frozen=True)
class Ranked:
    """One item the engine found for a query: its id and its grade (0..1, as matching shows it)."""

    item_id: int
    score: float


@dataclass
class Snapshot:
    """One side's engine index as of ``version`` (index_store's (snapshot, applied, fingerprint)), or
    no index at all while it is being prepared (then the engine finds nothing; codes and names do)."""

    version: tuple
    side: str
    store: Any = None                 # index_store.Store, None while the index is being prepared
    bind: Any = None
    _ranked: OrderedDict = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _terms: tuple[str, ...] | None = None
    _known: frozenset[str] | None = None
    _near: dict = field(default_factory=dict)
    _closest: dict = field(default_factory=dict)
    _organisations: tuple | None = None

    @contextmanager
    def _index(self):
        if self.store is None:
            yield None
            return
        with self.store.held(self.side) as view:  # read-locked: no delta lands mid-query
            yield view.index

    @property
    def index(self):
        """The engine index (read its ``vocabulary``; rank through :meth:`rank`)."""
        return self.store.sides[self.side].index if self.store is not None else _NoIndex()

    def rank(self, text: str, *, allowed: frozenset[str] | None = None) -> list[Ranked]:
        """The engine's ranking for a query text, among the ``allowed`` items (the facets' choice,
        from the database, as the engine's ids) when given; remembered for the next page or sort."""
        key = (normalise(text), allowed)
        with self._lock:
            if key in self._ranked:
                self._ranked.move_to_end(key)
                return self._ranked[key]
        with self._index() as index:
            found = rank(index, self.side, text, allowed=allowed) if index is not None else []
        with self._lock:
            self._ranked[key] = found
            while len(self._ranked) > _RANKED_KEPT:
                self._ranked.popitem(last=False)
        return found

    def profiles_of(self, item_ids) -> dict[int, Any]:
        """The engine's readings of a page's items (those indexed), under one hold of the index's lock."""
        with self._index() as index:
            if index is None:
                return {}
            found = {item_id: index.profile(str(item_id)) for item_id in item_ids}
        return {item_id: profile for item_id, profile in found.items() if profile is not None}

    @property
    def terms(self) -> tuple[str, ...]:
        """The catalogue's words, for "did you mean" (read on first use)."""
        if self._terms is None:
            if self.store is None:
                return ()
            with Session(self.bind) as session:
                self._terms = tuple(sorted(self.store.terms(session, self.side)))
        return self._terms

    def closest(self, word: str, similarity: float) -> str | None:
        """The catalogue's word most like ``word`` (rapidfuzz ``ratio`` at least ``similarity``),
        or None; remembered for this version, as the same unknown words come back search after search
        (comparing one with every word of a large catalogue takes milliseconds)."""
        key = (word, similarity)
        if key in self._closest:
            return self._closest[key]
        best = process.extractOne(word, self.terms_near(len(word), similarity), scorer=fuzz.ratio,
                                  score_cutoff=similarity)
        found = best[0] if best is not None else None
        if len(self._closest) < _CLOSEST_KEPT:
            self._closest[key] = found
        return found

    def terms_near(self, length: int, similarity: float) -> tuple[str, ...]:
        """The catalogue's words (in :attr:`terms`' order) that could be at least ``similarity``
        (0..100, rapidfuzz's ``ratio``) like a word of ``length`` letters: the ratio is at most
        200 * shorter / (sum of lengths), so much shorter or longer words never reach it and are
        not compared (remembered per length; one more letter either way for rounding)."""
        share = similarity / 200
        key = (length, similarity)
        found = self._near.get(key)
        if found is None:
            shortest = int(length * share / (1 - share)) - 1
            longest = int(length * (1 - share) / share) + 1
            found = self._near[key] = tuple(t for t in self.terms if shortest <= len(t) <= longest)
        return found

    @property
    def known(self) -> frozenset[str]:
        """The catalogue's words and its organisations' names, as a set: a word the catalogue knows
        is never "corrected", nor is a company's name (searching for it is not a typo)."""
        if self._known is None:
            self._known = frozenset(self.terms).union(*(normalise(name).split() for _, name in self.organisations))
        return self._known

    @property
    def organisations(self) -> tuple[tuple[int, str], ...]:
        """(id, case-folded name) of the organisations with published items on this side."""
        if self._organisations is None:
            model = MODELS[self.side]
            with Session(self.bind) as session:
                rows = session.exec(select(Organisation.id, Organisation.name).where(
                    Organisation.id.in_(select(model.organisation_id).where(model.status == "published")))).all()
            self._organisations = tuple(sorted((org_id, name.casefold()) for org_id, name in rows))
        return self._organisations


class _NoIndex:
    vocabulary = default_vocabulary()

    def __len__(self) -> int:
        return 0


def rank(index, side: str, text: str, *, k: int | None = None,
         allowed: frozenset[str] | None = None) -> list[Ranked]:
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
    return [Ranked(int(item_id), score) for item_id, score in index.rank(query, k=k, allowed=allowed)]


_snapshots: dict[tuple[int, str], Snapshot] = {}
_snapshots_lock = threading.Lock()


@dataclass(frozen=True)
class Catalogue:
    """What a search checks its snapshots and tallies against, read once for both sides: the change
    log's newest position, the organisations' count and versions (names, countries and verification
    are not in the log) and the active weights."""

    latest: int
    organisations: tuple[str, str]
    weights: Any

    @classmethod
    def read(cls, session: Session) -> "Catalogue":
        # One round trip (each search used to make six): the active weights are known by their row,
        # read in full only the first time that row is seen (a saved weight version never changes).
        position, count, versions, name, at = session.exec(_catalogue_statement()).one()
        return cls(position, (str(count), str(versions)), _weights(session, name, at))


@built_once
def _catalogue_statement():
    """What :meth:`Catalogue.read` asks, built once: it has no parameters, and building it (and
    its cache key) anew cost more of a search's time than the database took to answer it."""
    from matchmaker.models import CatalogueChange, WeightVersion

    latest = select(func.coalesce(func.max(CatalogueChange.seq), 0)).scalar_subquery()
    count = select(func.count(Organisation.id)).scalar_subquery()
    versions = select(func.sum(Organisation.version)).scalar_subquery()
    active = select(WeightVersion.id).where(WeightVersion.active == True)  # noqa: E712
    active = active.order_by(WeightVersion.id.desc()).limit(1)
    row = {name: select(column).where(WeightVersion.id == active.scalar_subquery()).scalar_subquery()
           for name, column in (("name", WeightVersion.name), ("at", WeightVersion.created_at))}
    return select(latest, count, versions, row["name"], row["at"])


_weights_seen: dict[tuple, Any] = {}


def _weights(session: Session, name: str | None, at) -> Any:
    from matchmaker.services import weights

    if name is None:
        return weights.Weights(weights.BUILT_IN, dict(weights.DEFAULT_WEIGHTS))
    key = (str(session.get_bind().url), name, str(at))
    found = _weights_seen.get(key)
    if found is None:
        found = weights.active(session)
        if found.name == name:  # the same row still active (else this search's read is used once)
            _weights_seen[key] = found
    return found


def snapshot(session: Session, side: str, catalogue: Catalogue | None = None) -> Snapshot:
    """This side's snapshot at the index's current version (the index brought up to the change log
    first; no query when nothing changed and the ``catalogue`` was read). One Snapshot object per
    version in the whole process."""
    bind = session.get_bind()
    store = index_store.store_for(bind)
    catalogue = catalogue if catalogue is not None else Catalogue.read(session)
    try:
        found = store.version(session, side, latest=catalogue.latest, active=catalogue.weights)
        version = (found.snapshot, found.applied, found.fingerprint, catalogue.organisations)
    except index_store.IndexBeingPrepared:
        return Snapshot(("being prepared",), side, None, bind)
    key = (id(store), side)
    with _snapshots_lock:
        found = _snapshots.get(key)
        if found is None or found.version != version or found.store is not store:
            found = _snapshots[key] = Snapshot(version, side, store, bind)
    return found


def version(session: Session, side: str, catalogue: Catalogue | None = None) -> tuple:
    """The published catalogue's version as facets count it, without an index: the change log's
    newest position (every publication, edit and withdrawal is logged) and the organisations' versions
    (a verification or a new country changes counts too)."""
    catalogue = catalogue if catalogue is not None else Catalogue.read(session)
    return (catalogue.latest, *catalogue.organisations)


def wait_for_rebuilds(timeout: float = 60) -> None:
    """Nothing to wait for: indexes are no longer rebuilt here (kept for older benchmark scripts)."""


def clear() -> None:
    """Forget every snapshot (tests)."""
    with _snapshots_lock:
        _snapshots.clear()
        _organisation_texts.clear()
        _weights_seen.clear()


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
