"""Matching off the request path: the one scheduler of the stored matches.

A save commits its item and logs it in the catalogue change log (:mod:`~matchmaker.services.changes`),
nothing more. After the commit, :data:`~matchmaker.services.changes.catalogue_changed` wakes the
scheduler of this process, and :func:`run_matching` brings the matches up to date with everything
logged after the job's position, in one transaction with the new position: a run killed half-way
stores nothing and the next run starts from the same place; a second run finds nothing to do.

``MATCHING_MODE`` says who runs it:

- ``inline``: at once, after the commit, in the saving thread (the default under TESTING, so a test
  finds the matches right after a save);
- ``thread``: one daemon thread of the web process, woken after each commit (many saves during a run
  make one more run) and every ``MATCHING_CATCH_UP_S`` seconds (the default without ``REDIS_URL``);
- ``rq``: an RQ job on the ``MATCHING_QUEUE`` queue, run by ``matchmaker worker`` (the default with
  ``REDIS_URL``); a burst of saves queues one job;
- ``worker``: nothing in the web process; ``matchmaker worker`` polls the log (several web processes,
  no Redis).

Whatever the mode, ``matchmaker worker`` and the thread also catch up on their own, so a change whose
wake-up was lost (Redis down for a moment, a process restarted) is matched within seconds.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import sys
import threading
import time
import weakref
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Optional

from flask import Flask, current_app, has_app_context
from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from matchmaker.config import ConfigurationError
from matchmaker.models import CatalogueChange, DerivedPosition, utcnow
from matchmaker.services import changes, index_store, matches

log = logging.getLogger(__name__)

NAME = matches.MATCHING  # this job's position in the change log
MODES = ("inline", "thread", "rq", "worker")
_RUN_LOCK_KEY = 0x6D6174636831  # the advisory lock that lets one matching run at a time ("match1")
_ATTEMPTS = 5
# Test-only: sleep this many seconds inside the write transaction, after the matches and the position
# are written and before the commit, so a test can kill the process there.
PAUSE_ENV = "MATCHMAKER_TEST_PAUSE_IN_REFRESH"


class Overtaken(Exception):
    """Another run stored a newer position while this one computed: its lists may be older, so this
    run stores nothing and starts again from the new position."""


def mode_of(config) -> str:
    mode = (config.get("MATCHING_MODE") or "").strip().lower()
    if not mode:
        mode = "inline" if config.get("TESTING") else "rq" if config.get("REDIS_URL") else "thread"
    if mode not in MODES:
        raise ConfigurationError(f"MATCHING_MODE={mode!r} is not one of {', '.join(MODES)}.")
    if mode == "rq" and not config.get("REDIS_URL"):
        raise ConfigurationError("MATCHING_MODE=rq needs REDIS_URL (redis://host:6379/0).")
    return mode


# -- the job -------------------------------------------------------------------------------------


def run_matching(engine: Engine) -> int:
    """Match everything logged since the job's position, then work through the backlog of lists an
    import owes (``matches.work_backlog``) for at most ``MATCHING_RUN_BUDGET_S`` seconds, matching
    newer changes before each slice; returns how many items and lists were matched (0 when there was
    nothing to do). Needs an app context (the length of the lists is configured there).

    Runs are serialised (a lock for the whole run: :func:`matching_lock`), so two processes never
    compute the same changes twice; and the position is claimed inside the write transaction (the
    row locked, its value checked), so even a run outside that lock never stores lists older than
    the position says. The lock is taken again for each slice of the backlog, so a stop request or
    another process's run waits at most one slice."""
    config = current_app.config
    count = 0
    with Session(engine) as session:  # idle (the usual case for a timed look): one read, no lock
        idle = changes.latest(session) <= changes.position(session, NAME)
    if not idle:
        with matching_lock(engine):
            count += _match_logged(engine)
    with Session(engine) as session:  # (the changes just matched may owe lists)
        if not matches.backlog_waiting(session):
            return count
    deadline = time.monotonic() + float(config.get("MATCHING_RUN_BUDGET_S", 300))
    seconds = float(config.get("MATCH_BACKLOG_SLICE_S", 0))
    # The first slice follows the pace of the last run's slices: starting every run again at
    # MATCH_BACKLOG_SLICE lists held a save made just after it for several seconds.
    size = _slice_sizes.get(str(engine.url)) if seconds > 0 else None
    size = size or int(config.get("MATCH_BACKLOG_SLICE", 32))
    while not stopping.is_set() and time.monotonic() < deadline:
        with matching_lock(engine):
            count += _match_logged(engine)  # a save made during the last slice comes first
            started = time.monotonic()
            with Session(engine) as session:
                done = matches.work_backlog(session, limit=size)
        if not done:
            break
        count += done
        log.info("matching: %d owed lists redone", done)
        size = _slice_sizes[str(engine.url)] = next_slice(size, done=done, took=time.monotonic() - started,
                                                          seconds=seconds)
    return count


_slice_sizes: dict[str, int] = {}  # database -> the size of the next slice of the backlog


def next_slice(size: int, *, done: int, took: float, seconds: float) -> int:
    """How many owed lists the next slice takes: as many as took about ``seconds`` in this one, so
    the slices follow the machine's pace (at least 16, at most four times this slice); ``seconds``
    0 keeps ``size``.

    >>> next_slice(128, done=128, took=0.25, seconds=1.0)   # fast: grows, four times at most
    512
    >>> next_slice(128, done=128, took=4.0, seconds=1.0)    # slow (a loaded machine): shrinks
    32
    >>> next_slice(128, done=128, took=60.0, seconds=1.0)
    16
    """
    if seconds <= 0:
        return size
    return max(16, min(4 * size, int(done * seconds / max(took, 1e-3))))


def _match_logged(engine: Engine) -> int:
    """The logged changes since the job's position; the caller holds :func:`matching_lock`."""
    for _ in range(_ATTEMPTS):
        with Session(engine) as session:
            _ensure_position(session)
            start = changes.position(session, NAME)
            changed = changes.since(session, start)
            if not changed:  # (log rows gone: nothing to match, but the position moves on)
                changes.advance(session, NAME, changed.upto)
                session.commit()
                return 0
            session.commit()  # end the read: refresh reads the catalogue afresh
            try:
                matches.refresh(session, products=changed.products, requests=changed.requests,
                                also=lambda s: _claim(s, start, changed.upto))
            except Overtaken:
                log.info("matching: overtaken by another run; starting again")
                continue
            count = len(changed.products) + len(changed.requests)
            log.info("matching: %d items matched (log position %d)", count, changed.upto)
            return count
    raise RuntimeError("matching was overtaken too many times in a row")


# Set when the process is asked to stop (``matchmaker worker``'s Ctrl-C or SIGTERM): a run stops
# between two slices of the backlog instead of working through it for minutes.
stopping = threading.Event()


def _ensure_position(session: Session) -> None:
    """The job's position row exists (at 0) before any run locks it."""
    if session.get(DerivedPosition, NAME) is not None:
        return
    dialect = session.get_bind().dialect.name
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect](DerivedPosition)
    session.exec(insert.values(name=NAME, seq=0, updated_at=utcnow()).on_conflict_do_nothing())
    session.commit()


def _claim(session: Session, start: int, upto: int) -> None:
    """Inside the write transaction: lock the position row (PostgreSQL; SQLite has one writer
    anyway), check that no other run moved it since this one read it, and move it to ``upto``."""
    row = session.exec(select(DerivedPosition).where(DerivedPosition.name == NAME).with_for_update()
                       .execution_options(populate_existing=True)).one()
    if row.seq != start:
        raise Overtaken()
    changes.advance(session, NAME, upto)
    _pause_for_tests()


def _pause_for_tests() -> None:
    seconds = os.environ.get(PAUSE_ENV)
    if seconds:
        print(f"matching: pausing {seconds} s inside the write transaction", file=sys.stderr, flush=True)
        time.sleep(float(seconds))


@contextmanager
def matching_lock(engine: Engine) -> Iterator[None]:
    """One matching run at a time across processes, without holding a transaction (or SQLite's write
    lock, which every save needs) during the engine's seconds of work.

    PostgreSQL: a session-level advisory lock on a connection of its own, which the server releases
    if the process dies. SQLite: an exclusive ``flock`` on a file beside the database, which the
    kernel releases if the process dies."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            # Wait as long as the other run takes: this connection's timeouts are for requests.
            connection.execute(text("SET lock_timeout = 0"))
            connection.execute(text("SET statement_timeout = 0"))
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _RUN_LOCK_KEY})
            connection.commit()
            try:
                yield
            finally:
                try:
                    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _RUN_LOCK_KEY})
                    connection.execute(text("RESET lock_timeout"))
                    connection.execute(text("RESET statement_timeout"))
                    connection.commit()
                except Exception:  # a broken connection: the server has dropped the lock with it
                    connection.invalidate()
        return
    database = engine.url.database
    if not database or database == ":memory:":
        with _MEMORY_LOCK:
            yield
        return
    with open(Path(f"{database}.matching-lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


_MEMORY_LOCK = threading.Lock()


def pending(session: Session, side: str, item_id: int) -> bool:
    """Whether a change of this item (side "products" or "requests") is logged after the matching
    job's position, or its list waits in the backlog: its page says "finding matches…" until the job
    has stored them."""
    if side not in changes.SIDES:
        raise ValueError(side)
    newer = (select(CatalogueChange.seq)
             .where(CatalogueChange.item_id == item_id, CatalogueChange.side == side,
                    CatalogueChange.seq > changes.position(session, NAME)).limit(1))
    return session.exec(newer).first() is not None or matches.in_backlog(session, side, item_id)


# -- the schedulers ------------------------------------------------------------------------------


class Inline:
    """Run at once, in the thread that committed (tests: the matches exist when the save returns)."""

    def __init__(self, app: Flask):
        self.app = app

    def notify(self) -> None:
        with self.app.app_context():
            run_matching(self.app.extensions["db_engine"])


class Background:
    """One daemon thread per web process. Woken after each commit that logged changes and every
    ``interval`` seconds (changes made by other processes); many wake-ups during a run make one more
    run, which reads everything they logged. It starts with the process's first request and first
    catches up on whatever is pending; a command-line process never starts it (the web processes or
    ``matchmaker worker`` match what a command logged)."""

    def __init__(self, app: Flask, *, interval: float):
        self.app, self.interval = app, interval
        self.runs = 0
        self._wake = threading.Event()
        self._wake.set()  # catch up at start
        self._lock = threading.Lock()
        self._thread: Optional[threading.Thread] = None
        self._stopped = False

    def notify(self) -> None:
        self._wake.set()

    def start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._stopped = False
                self._thread = threading.Thread(target=self._run, name="matching", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stopped = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        engine = self.app.extensions["db_engine"]
        while True:
            self._wake.wait(self.interval)
            if self._stopped:
                return
            # Cleared before the run reads the log: a commit from now on wakes it again.
            self._wake.clear()
            try:
                with self.app.app_context():
                    self.runs += 1
                    run_matching(engine)
                    write_due_snapshots(self.app)
                    with Session(engine) as session:
                        if matches.backlog_waiting(session):  # the run's budget ran out: go on
                            self._wake.set()
            except Exception:  # the thread outlives a database hiccup; the next wake-up retries
                log.exception("matching thread")


class Queued:
    """With ``REDIS_URL``: an RQ job that ``matchmaker worker`` runs.

    De-duplication: a Redis flag (``SET NX``) says "a matching job is queued and has not started".
    A save that sets the flag queues a job; a save that finds it set queues nothing, because the queued
    job clears the flag as its first step, before it reads the log, so it sees that save's change
    (committed before the flag was tested). A save during a running job finds the flag cleared and
    queues exactly one follow-up run. The flag expires (``FLAG_TTL_S``) in case a job is lost before
    it starts. Redis being down never fails a save: the worker's catch-up matches it."""

    FLAG_TTL_S = 600

    def __init__(self, app: Flask):
        from redis import Redis
        from rq import Queue

        self.app = app
        # Short timeouts: a save must not hang on an unreachable Redis.
        self.redis = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=1, socket_timeout=2)
        self.queue = Queue(app.config["MATCHING_QUEUE"], connection=self.redis)
        self.flag = flag_key(app.config["MATCHING_QUEUE"])

    def notify(self) -> None:
        from redis.exceptions import RedisError

        try:
            if self.redis.set(self.flag, "1", nx=True, ex=self.FLAG_TTL_S):
                try:
                    enqueue(self.queue, self.flag, timeout_s=self.app.config["MATCHING_JOB_TIMEOUT_S"])
                except BaseException:
                    self.redis.delete(self.flag)  # so the next save queues one
                    raise
        except RedisError as error:
            log.warning("matching not queued (%s); `matchmaker worker` catches up on its own", error)


class Off:
    """``worker`` mode: the web process schedules nothing; ``matchmaker worker`` polls the log."""

    def notify(self) -> None:
        pass


def flag_key(queue_name: str) -> str:
    return f"matchmaker:{queue_name}:matching-queued"


def enqueue(queue, flag: str, *, timeout_s: int):
    return queue.enqueue(matching_job, flag, job_timeout=timeout_s, result_ttl=300, failure_ttl=7 * 86400,
                         description="match the catalogue's changes")


def matching_job(flag: Optional[str] = None) -> int:
    """The RQ job: clear the "queued" flag first (see :class:`Queued`), then run."""
    app = current_app._get_current_object() if has_app_context() else _app_for_jobs()
    if flag:
        from rq import get_current_job

        job = get_current_job()
        if job is not None:
            job.connection.delete(flag)
    with app.app_context():
        return run_matching(app.extensions["db_engine"])


_job_app: Optional[Flask] = None


def _app_for_jobs() -> Flask:
    """The app of a plain ``rq worker`` process (``matchmaker worker`` has its own)."""
    global _job_app
    if _job_app is None:
        from matchmaker import create_app
        _job_app = create_app()
    return _job_app


# Each engine's scheduler (one app per engine); the signal's sender is the engine that committed.
_schedulers: "weakref.WeakKeyDictionary[Engine, object]" = weakref.WeakKeyDictionary()


def _on_change(engine, **_kwargs) -> None:
    scheduler = _schedulers.get(engine)
    if scheduler is not None:
        scheduler.notify()


changes.catalogue_changed.connect(_on_change, weak=False)


def scheduler_of(app: Flask):
    return _schedulers.get(app.extensions["db_engine"])


def init_app(app: Flask) -> None:
    mode = mode_of(app.config)
    app.config["MATCHING_MODE"] = mode
    engine = app.extensions["db_engine"]
    if mode == "inline":
        _schedulers[engine] = Inline(app)
    elif mode == "thread":
        scheduler = Background(app, interval=float(app.config["MATCHING_CATCH_UP_S"]))
        _schedulers[engine] = scheduler
        # Web processes only: the first request starts the thread (after any fork of the server).
        app.before_request(scheduler.start)
    elif mode == "rq":
        _schedulers[engine] = Queued(app)
    else:
        _schedulers[engine] = Off()


# -- the worker ----------------------------------------------------------------------------------


def catch_up(app: Flask) -> int:
    """One run, its errors logged rather than raised (the worker's loop must go on)."""
    try:
        with app.app_context():
            count = run_matching(app.extensions["db_engine"])
            write_due_snapshots(app)
            return count
    except Exception:
        log.exception("matching")
        return 0


def write_due_snapshots(app: Flask) -> None:
    """The process that matches keeps the snapshot files recent (``INDEX_SNAPSHOT_EVERY`` changes)."""
    with Session(app.extensions["db_engine"]) as session:
        for path in index_store.snapshot_if_due(session, every=app.config["INDEX_SNAPSHOT_EVERY"]):
            log.info("index snapshot written: %s", path.name)


def work(app: Flask, *, burst: bool = False, interval: Optional[float] = None) -> None:
    """``matchmaker worker``: with ``REDIS_URL``, an RQ worker on the matching queue that also catches
    up every ``interval`` seconds; without, a loop that runs every ``interval`` seconds. ``burst``:
    do what is pending, then return. Ctrl-C (SIGINT) or SIGTERM stops it after the current run."""
    with app.app_context():  # the jobs run in it (RQ's SimpleWorker runs them in this thread)
        _warm(app)
        if app.config.get("REDIS_URL"):
            _work_rq(app, burst=burst, interval=interval or 5.0)
        else:
            _poll(app, burst=burst, interval=interval or 1.0)


def _warm(app: Flask) -> None:
    """Load both indexes and read every profile before the first job, as a web process does before
    its first search: otherwise the first save after a (re)start waited for the load, and the first
    lists redone read their candidates' profiles one stored chunk at a time (8 s, then 6 s for a
    slice of 62 lists, at 100,000 products). The collector then leaves the index alone: a full
    collection walking its objects took over a second of a job."""
    import gc

    started = time.monotonic()
    try:
        warmed = index_store.warm(app.extensions["db_engine"])
    except Exception:  # the database not reachable yet: the first job loads the indexes instead
        log.warning("matching worker: indexes not loaded before the first job", exc_info=True)
        return
    if warmed:
        gc.freeze()
        log.info("matching worker: indexes loaded in %.1f s", time.monotonic() - started)


def _work_rq(app: Flask, *, burst: bool, interval: float) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker
    from rq.exceptions import StopRequested

    class Worker(SimpleWorker):
        """RQ's default worker forks a child per job, which would start from a cold process each time
        (an index load or build per job). The SimpleWorker runs the jobs in this process, which keeps
        its warm index (loaded once, then updated by deltas) between jobs."""

        stopping = False

        def request_stop(self, signum, frame):
            self.stopping = True
            stopping.set()
            super().request_stop(signum, frame)

    connection = Redis.from_url(app.config["REDIS_URL"])  # no socket timeout: the worker blocks waiting
    worker = Worker([Queue(app.config["MATCHING_QUEUE"], connection=connection)], connection=connection)
    with _Stop() as stop:
        catch_up(app)  # changes whose job was never queued (Redis was down at the save)
        log.info("matching worker: ready")
        while not stop.requested():
            # Returns when the queue has been idle for ``interval`` seconds, or on a stop request
            # (RQ's own Ctrl-C handling while it runs: the current job finishes first).
            try:
                worker.work(burst=burst, max_idle_time=None if burst else max(1, int(interval)),
                            logging_level="WARNING")
            except StopRequested:  # Ctrl-C while RQ's worker was starting, outside its own loop
                break
            finally:
                stop.install()  # RQ leaves its handlers behind
            if worker.stopping:
                break
            catch_up(app)
            if burst:
                break


class _Stop:
    """While in use: Ctrl-C (or SIGTERM) asks the worker to stop after the current run; a second one
    stops it now (the run's open transaction rolls back). The previous handlers come back after."""

    def __init__(self):
        self._event = threading.Event()
        self._previous: dict = {}

    def requested(self) -> bool:
        return self._event.is_set()

    def wait(self, seconds: float) -> None:
        self._event.wait(seconds)

    def _handle(self, signum, frame) -> None:
        if self._event.is_set():
            raise KeyboardInterrupt
        self._event.set()
        stopping.set()
        log.warning("matching worker: stopping after the current run (Ctrl-C again to stop now)")

    def install(self) -> None:
        for number in (signal.SIGINT, signal.SIGTERM):
            signal.signal(number, self._handle)

    def __enter__(self) -> "_Stop":
        stopping.clear()
        self._previous = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM)}
        self.install()
        return self

    def __exit__(self, *exc) -> None:
        for number, handler in self._previous.items():
            signal.signal(number, handler)


def _poll(app: Flask, *, burst: bool, interval: float) -> None:
    with _Stop() as stop:
        catch_up(app)
        log.info("matching worker: ready")
        while not (burst or stop.requested()):
            stop.wait(interval)
            if not stop.requested():
                catch_up(app)
