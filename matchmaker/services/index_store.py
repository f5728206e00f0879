"""The process's warm engine index of each side of the market, kept at a position of the change log.

One index per side ("products", "requests") holds every *published* item: search shows them all,
and matching, which pairs only suppliers' products with buyers' requests, masks the few published
items whose organisation is on the other side of the market (:attr:`View.unmatchable`). One owner
for search and matching: they rank with the same index, at the same version.

An index is a fitted artefact (``matchmaker.matching``): fitting reads the whole catalogue (minutes
at 100,000 products), so a process starts from the newest **snapshot file** in ``INDEX_DIR`` (file
name: side, log position, fingerprint; written atomically) and applies the change log's deltas since
that file's position: the changed items are read again from the database and removed + added, a cost
proportional to the change. Every use first asks the database for the log's newest position (one
query), so two processes on the same database answer from the same version (:func:`version`).

Without a snapshot a process fits from the database and saves one, unless it may not fit
(``INDEX_FIT_IN_WEB`` false, the default when ``REDIS_URL`` is set: web processes leave fitting to
``matchmaker index rebuild`` and the worker); it then raises :class:`IndexBeingPrepared`.

Threads: one lock per side, readers share it (:func:`reading`), a delta takes it alone (and new
readers wait behind it), so a request thread never sees a half-applied delta. The index is built by
the engine's public API only (fit/add/remove/save/load/fingerprint).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import threading
import time
import weakref
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

from sqlalchemy.orm import contains_eager
from sqlmodel import Session, col, select

from matchmaker.db import in_chunks
from matchmaker.matching import DemandIndex, ProductIndex
from matchmaker.matching.artefact import IncompatibleIndex
from matchmaker.matching.normalise import normalise
from matchmaker.matching.scoring import resolve_weights
from matchmaker.models import BuyingRequest, DerivedPosition, Organisation, ProductProfile
from matchmaker.services import changes
from matchmaker.services import weights as weight_versions
from matchmaker.vocabulary import DEMAND_KINDS, SUPPLY_KINDS

log = logging.getLogger(__name__)

SIDES = ("products", "requests")
MODELS = {"products": ProductProfile, "requests": BuyingRequest}
CLASSES = {"products": ProductIndex, "requests": DemandIndex}
KINDS = {"products": SUPPLY_KINDS, "requests": DEMAND_KINDS}  # whose published items are matched
KEEP_SNAPSHOTS = 2
# side, log position, the time that log row was written (which database's log it is), fingerprint
_NAME = re.compile(r"^(products|requests)-(\d{12})-(\d{20})-([\w.\-]+)\.npz$")


class IndexBeingPrepared(RuntimeError):
    """No snapshot yet, and this process may not fit one (a worker or ``index rebuild`` will)."""


@dataclass(frozen=True)
class Version:
    """Which index a process answers from: the snapshot it started from, the log position it has
    applied, and the fingerprint of the fitted index."""

    snapshot: int
    applied: int
    fingerprint: str


@dataclass(frozen=True)
class View:
    """A side's index while its read lock is held: never changed under the holder's feet."""

    side: str
    index: object
    unmatchable: frozenset[int]   # published items matching leaves out (organisation on the other side)
    version: Version
    weights_name: str


class _ReadWriteLock:
    """Many readers or one writer; a waiting writer holds back new readers (so deltas get applied)."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._readers = 0
        self._writing = False
        self._waiting = 0

    @contextmanager
    def read(self) -> Iterator[None]:
        with self._cond:
            while self._writing or self._waiting:
                self._cond.wait()
            self._readers += 1
        try:
            yield
        finally:
            with self._cond:
                self._readers -= 1
                self._cond.notify_all()

    @contextmanager
    def write(self) -> Iterator[None]:
        with self._cond:
            self._waiting += 1
            while self._writing or self._readers:
                self._cond.wait()
            self._waiting -= 1
            self._writing = True
        try:
            yield
        finally:
            with self._cond:
                self._writing = False
                self._cond.notify_all()


@dataclass
class _Side:
    name: str
    index: object = None
    unmatchable: frozenset[int] = frozenset()
    snapshot: int = 0
    applied: int = 0
    weights_name: str = weight_versions.BUILT_IN
    terms: set[str] | None = None   # the catalogue's words ("did you mean"), built on first use
    profiles_read: object = None    # the index whose stored profiles have all been read (warm)
    lock: _ReadWriteLock = field(default_factory=_ReadWriteLock)
    updating: threading.Lock = field(default_factory=threading.Lock)


class Store:
    """The warm indexes of one database in this process."""

    def __init__(self, directory: Path | str | None = None, *, may_fit: bool = True):
        from matchmaker.config import PROJECT_ROOT

        self.directory = Path(directory) if directory else PROJECT_ROOT / "instance" / "index"
        self.may_fit = may_fit
        self.sides = {side: _Side(side) for side in SIDES}

    # -- keeping current ---------------------------------------------------------------------
    def current(self, session: Session, side: str, *, may_fit: bool | None = None, latest: int | None = None,
                active=None) -> _Side:
        """The side's index brought up to the log's newest position (loaded or fitted first).
        ``may_fit`` overrides the store's setting (matching, the worker's job, always may); ``latest``
        and ``active`` (the log's newest position and the active weights) when the caller has just
        read them (a search reads them once for both sides)."""
        state = self.sides[side]
        latest = changes.latest(session) if latest is None else latest
        active = weight_versions.active(session) if active is None else active
        if state.index is not None and state.applied >= latest and _same_weights(state.index, active):
            return state
        # The store reads in a session of its own: never inside the caller's transaction, and never
        # through the caller's identity map (which may hold its own unsaved changes).
        with state.updating, Session(session.get_bind()) as own:
            # A process that idled while two newer snapshots were written may find the rows after its
            # position pruned (the log keeps only what the oldest kept snapshot needs): it starts again
            # from the newest snapshot rather than miss those changes.
            if state.index is None or not _same_weights(state.index, active) or (
                    state.applied < latest and changes.earliest(own) > state.applied):
                self._start(own, state, active, self.may_fit if may_fit is None else may_fit)
            latest = changes.latest(own)
            if state.applied < latest:
                self._apply(own, state, latest)
        return state

    def _start(self, session: Session, state: _Side, active, may_fit: bool) -> None:
        loaded = self._load_newest(session, state.name, active)
        if loaded is None:
            if not may_fit:
                raise IndexBeingPrepared(f"no {state.name} index snapshot in {self.directory} yet")
            seq, index = fit(session, state.name, active)
            self.save(state.name, index, seq, _stamp(session, seq))
            loaded = (seq, index)
        seq, index = loaded
        unmatchable = _unmatchable(session, state.name)
        with state.lock.write():
            state.index, state.snapshot, state.applied = index, seq, seq
            state.unmatchable, state.weights_name, state.terms = unmatchable, active.name, None

    def _load_newest(self, session: Session, side: str, active):
        for seq, path in self.snapshots(side):
            # Written for another database (or before it was restored from a backup): refit instead.
            if _stamp(session, seq) != _NAME.match(path.name).group(3):
                continue
            try:
                index = CLASSES[side].load(path)
            except (IncompatibleIndex, OSError, ValueError, KeyError) as error:
                log.warning("index snapshot %s not used: %s", path, error)
                continue
            if _same_weights(index, active):
                return seq, index
        return None

    def _apply(self, session: Session, state: _Side, upto: int) -> None:
        """Remove + add the items of this side the log says changed after ``state.applied``."""
        changed = changes.since(session, state.applied, upto=upto)
        ids = changed.products if state.name == "products" else changed.requests
        rows = _published(session, state.name, ids) if ids else []
        records = [to_engine(state.name, row) for row in rows]
        unmatchable = (set(state.unmatchable) - ids) | {r.id for r in rows
                                                         if r.organisation.kind not in KINDS[state.name]}
        gone = [str(i) for i in ids - {r.id for r in rows}]
        with state.lock.write():
            state.index.remove(gone)
            if records:
                state.index.add(records)
            state.unmatchable, state.applied = frozenset(unmatchable), changed.upto
            if state.terms is not None:
                state.terms.update(_words((r.title, r.description) for r in rows))

    def read_profiles(self, side: str) -> None:
        """Read every profile of this side's loaded snapshot now, a chunk at a time under the read
        lock: a loaded index otherwise reads them as queries touch them, and a web process's first
        searches at 100,000 products spent most of a minute doing so. Stops if the index is replaced."""
        state = self.sides[side]
        index = state.index
        if index is None or state.profiles_read is index:
            return  # (never walked twice: a forked worker would copy every page it touches)
        steps = index.read_stored_profiles()
        while True:
            with state.lock.read():
                if state.index is not index:
                    return
                if next(steps, None) is None:
                    state.profiles_read = index
                    return
            time.sleep(0)  # request threads take the interpreter between chunks

    # -- reading -----------------------------------------------------------------------------
    @contextmanager
    def reading(self, session: Session, side: str, *, may_fit: bool | None = None) -> Iterator[View]:
        state = self.current(session, side, may_fit=may_fit)
        with state.lock.read():
            yield View(side, state.index, state.unmatchable, self._version(state), state.weights_name)

    @contextmanager
    def held(self, side: str) -> Iterator[View]:
        """The side's index as it is now, read-locked, without asking whether it is current."""
        state = self.sides[side]
        with state.lock.read():
            yield View(side, state.index, state.unmatchable, self._version(state), state.weights_name)

    def terms(self, session: Session, side: str) -> set[str]:
        state = self.current(session, side)
        if state.terms is None:
            with Session(session.get_bind()) as own:
                words = _words(_texts(own, side))
            with state.lock.write():
                state.terms = words
        with state.lock.read():  # a copy: deltas add words under the write lock
            return set(state.terms)

    def version(self, session: Session, side: str, **known) -> Version:
        """The version this side answers from, brought up to date first (``known``: see current)."""
        return self._version(self.current(session, side, **known))

    @staticmethod
    def _version(state: _Side) -> Version:
        return Version(state.snapshot, state.applied, str(state.index.fingerprint))

    # -- snapshot files ----------------------------------------------------------------------
    def snapshots(self, side: str) -> list[tuple[int, Path]]:
        """(log position, path) of this side's snapshot files, newest first."""
        if not self.directory.is_dir():
            return []
        found = [(int(m.group(2)), self.directory / m.group(0))
                 for m in map(_NAME.match, os.listdir(self.directory)) if m and m.group(1) == side]
        return sorted(found, reverse=True)

    def save(self, side: str, index, seq: int, stamp: str | None) -> Path | None:
        """Write ``index`` (fitted or updated up to log position ``seq``, whose row was written at
        ``stamp``) as a snapshot: to a temporary file first, then renamed, so a reader never opens
        half a file. Nothing is written before the log's first row (fitting nothing costs nothing)."""
        if stamp is None:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{side}-{seq:012d}-{stamp}-{index.fingerprint}.npz"
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        index.save(temporary)
        os.replace(temporary, path)
        return path

    def save_current(self, session: Session, side: str) -> Path:
        """Write this process's index as a snapshot (a worker after many deltas). Saving compacts the
        index, so it holds the side's lock alone."""
        state = self.current(session, side)
        with state.lock.write():
            path = self.save(side, state.index, state.applied, _stamp(session, state.applied))
            state.snapshot = state.applied
        return path

    def prune(self, keep: int = KEEP_SNAPSHOTS) -> list[Path]:
        """Delete all but the newest ``keep`` snapshots of each side."""
        removed = []
        for side in SIDES:
            for _, path in self.snapshots(side)[keep:]:
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed

    def oldest_kept(self) -> int:
        """The log position of the oldest snapshot kept (0 when a side has none)."""
        kept = [self.snapshots(side) for side in SIDES]
        return min((found[-1][0] if found else 0) for found in kept)


def snapshot_if_due(session: Session, *, every: int) -> list[Path]:
    """Write a side's index as a snapshot once this process has applied ``every`` log rows beyond its
    last one, then keep the newest files only (the matching worker after its runs): a process that
    starts later applies a few deltas, not the day's. Returns the files written."""
    store = store_for(session.get_bind())
    written = []
    for side in SIDES:
        state = store.sides[side]
        if state.index is not None and state.applied - state.snapshot >= every:
            path = store.save_current(session, side)
            if path is not None:
                written.append(path)
    if written:
        store.prune()
    return written


def _stamp(session: Session, seq: int) -> str | None:
    """When log row ``seq`` was written, as 20 digits: with the position, it names one database's log."""
    from matchmaker.models import CatalogueChange

    row = session.get(CatalogueChange, seq) if seq else None
    return row.at.strftime("%Y%m%d%H%M%S%f") if row is not None else None


def _same_weights(index, active) -> bool:
    return index.weights == resolve_weights(active.weights or None)


# -- the database side ---------------------------------------------------------------------------
def _published(session: Session, side: str, ids) -> list:
    model = MODELS[side]
    statement = (select(model).join(Organisation).options(contains_eager(model.organisation))
                 .where(model.status == "published").order_by(model.id))
    if ids is None:
        return list(session.exec(statement).all())
    return [row for chunk in in_chunks(ids) for row in session.exec(statement.where(col(model.id).in_(chunk)))]


def _texts(session: Session, side: str) -> Iterator:
    """(title, description) of every published item, streamed: the catalogue's words without
    building 100,000 ORM objects (seconds, and memory the process kept)."""
    model = MODELS[side]
    statement = select(model.title, model.description).where(model.status == "published")
    yield from session.exec(statement.execution_options(yield_per=5000))


def _unmatchable(session: Session, side: str) -> frozenset[int]:
    model = MODELS[side]
    return frozenset(session.exec(select(model.id).join(Organisation).where(
        model.status == "published", col(Organisation.kind).not_in(KINDS[side]))).all())


def _words(texts) -> set[str]:
    """The words of (title, description) pairs that "did you mean" may offer."""
    return {word for title, description in texts for word in normalise(f"{title} {description}").split()
            if len(word) >= 4 and word.isalpha()}


def to_engine(side: str, item):
    from matchmaker.services.matches import to_engine_demand, to_engine_product

    return to_engine_product(item) if side == "products" else to_engine_demand(item)


def fit(session: Session, side: str, active=None, *, progress: Callable[[int], object] | None = None):
    """(log position, index) fitted on this side's published items. The position is read first, so
    the items read are at least that new; deltas after it are applied again, harmlessly."""
    active = active if active is not None else weight_versions.active(session)
    seq = changes.latest(session)
    records = [to_engine(side, row) for row in _published(session, side, None)]
    session.commit()  # end the read before the long fit
    if progress is not None:
        progress(len(records))
    return seq, CLASSES[side](records, weights=active.weights or None)


def prune_log(session: Session, store: Store) -> int:
    """Delete log rows every consumer (each ``DerivedPosition``) and the oldest kept snapshot are
    past; returns how many. A process that starts from a kept snapshot still finds its deltas (and
    the snapshot's own row, which says which database's log it follows)."""
    from sqlmodel import delete, func

    from matchmaker.models import CatalogueChange

    from matchmaker.services.matches import MATCHING

    floor = store.oldest_kept()
    slowest = session.exec(select(func.min(DerivedPosition.seq))).one()
    if slowest is not None:
        floor = min(floor, slowest)
    # The matching job consumes the log from the start, even before its first run records where it
    # is: an import followed at once by a rebuild must not lose the import's rows to it.
    floor = min(floor, changes.position(session, MATCHING))
    result = session.exec(delete(CatalogueChange).where(CatalogueChange.seq < floor))
    session.commit()
    return result.rowcount or 0


# -- one store per database engine in this process -------------------------------------------------
_stores: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def init_app(app) -> None:
    """Give the app's database its store, with the app's INDEX_DIR and INDEX_FIT_IN_WEB."""
    from matchmaker.config import Config

    directory = app.config.get("INDEX_DIR")
    if app.config.get("TESTING") and directory == Config.INDEX_DIR:  # never the developer's files
        directory = tempfile.mkdtemp(prefix="matchmaker-index-")
    store = Store(directory, may_fit=app.config.get("INDEX_FIT_IN_WEB", True))
    with _stores_lock:
        _stores[app.extensions["db_engine"]] = store


def warm(bind) -> bool:
    """Load both sides' indexes and read their profiles and the catalogue's words now, so the first
    searches answer as fast as the next ones; False (and nothing more done) while a side has no
    snapshot and this process may not fit one. Costs nothing once done."""
    store = store_for(bind)
    try:
        for side in SIDES:
            with Session(bind) as session:
                store.current(session, side)
            store.read_profiles(side)
    except IndexBeingPrepared:
        return False
    for side in SIDES:
        if store.sides[side].terms is None:
            with Session(bind) as session:
                store.terms(session, side)
    return True


def warm_up(bind, *, retry_s: float = 5) -> threading.Thread:
    """:func:`warm` in a background thread, again every ``retry_s`` seconds until the snapshots
    exist (gunicorn.conf.py: each worker, when the master could not warm before forking them)."""

    def run() -> None:
        while True:
            try:
                if warm(bind):
                    return
            except Exception:  # the database not reachable yet: searches wait for it anyway
                log.warning("index warm-up: will try again in %s s", retry_s, exc_info=True)
            time.sleep(retry_s)

    thread = threading.Thread(target=run, daemon=True, name="index-warm-up")
    thread.start()
    return thread


def store_for(bind) -> Store:
    """The store of this engine (a default one for an engine made outside an app: scripts)."""
    with _stores_lock:
        store = _stores.get(bind)
        if store is None:
            store = _stores[bind] = Store()
        return store


def forget(bind) -> None:
    """Drop this engine's warm indexes (tests that delete rows behind the log's back)."""
    with _stores_lock:
        old = _stores.get(bind)
        if old is not None:
            _stores[bind] = Store(old.directory, may_fit=old.may_fit)


def reading(session: Session, side: str, *, may_fit: bool | None = None):
    """``with reading(session, side) as view:`` the side's current index, read-locked."""
    return store_for(session.get_bind()).reading(session, side, may_fit=may_fit)


def version(session: Session, side: str) -> Version:
    return store_for(session.get_bind()).version(session, side)


def rebuild(session: Session, side: str, *, save: bool = True,
            progress: Callable[[int], object] | None = None) -> Version:
    """Fit this side afresh from the database, save it as a snapshot and answer from it from now on
    (``matchmaker index rebuild``, ``matchmaker rematch``)."""
    store = store_for(session.get_bind())
    state = store.sides[side]
    with state.updating, Session(session.get_bind()) as own:
        active = weight_versions.active(own)
        seq, index = fit(own, side, active, progress=progress)
        if save:
            store.save(side, index, seq, _stamp(own, seq))
        unmatchable = _unmatchable(own, side)
        with state.lock.write():
            state.index, state.snapshot, state.applied = index, seq, seq
            state.unmatchable, state.weights_name, state.terms = unmatchable, active.name, None
    return store.version(session, side)
