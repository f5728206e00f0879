"""Large jobs (reading a catalogue, ranking a long list of queries) shared between this process and
forked ones.

The calling process works too: it takes items from the same counter as the forked workers, so on a
machine of ``n`` processors ``n`` processes work, none of them waiting while the others compute.
What the calling process computes itself is neither pickled nor read back, its caches (stems,
concept scans, HS guesses, the index's remembered masks) are warm for what comes after, and it
picks up results in order as they come.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Sequence, TypeVar

__all__ = ["forked_map", "default_workers", "collections_paused"]

T = TypeVar("T")
_WAIT = 0.2  # seconds between looks at whether a worker that owes a result is still alive
_YOUNG_MOVED = 200_000  # objects made during a pause and still alive: more are moved, not walked


def default_workers() -> int:
    """Processes for a large job, the calling one included: the machine's processors, at most 4."""
    return min(os.cpu_count() or 1, 4)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() \
        and threading.current_thread() is threading.main_thread() \
        and not multiprocessing.current_process().daemon


class WorkerLost(RuntimeError):
    """A forked worker ended without handing over a result it had taken."""


def forked_map(work: Callable[[T], object], items: Sequence[T], workers: int) -> Iterator:
    """``work(item)`` for each item, in order, computed by this process and ``workers - 1`` forked
    ones that see this process's memory as it is now (so ``work`` and ``items`` are not pickled;
    the forked workers' results are, so they should be compact). Each process takes the next item
    not yet taken, so a process that is busy elsewhere (this one, building what the caller does with
    each result between two ``next``) simply takes fewer.

    A generator: results come in order as they are ready. Closing it early, or an error, stops the
    handing out; the workers finish the item they hold and end. Runs everything here, in order,
    where forking is not possible (no ``fork`` start method, a daemonic process, a thread other
    than the main one) or not asked for."""
    if workers <= 1 or len(items) <= 1 or not _can_fork():
        yield from map(work, items)
        return
    context = multiprocessing.get_context("fork")
    taken = context.Value("q", 0)
    results = context.Queue()
    children = []
    # Objects that exist now are left out of the workers' garbage collections: a collection walks
    # every object it tracks, writing to each, so each worker would copy the whole (shared) heap.
    # A process that froze its heap itself (``matchmaker worker`` once its indexes are loaded) keeps
    # it frozen.
    frozen_already = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        for _ in range(min(workers, len(items)) - 1):
            child = context.Process(target=_serve, args=(work, items, taken, results), daemon=True)
            child.start()
            children.append(child)
    except (AssertionError, OSError):  # e.g. "daemonic processes are not allowed to have children"
        pass  # those started work; this process does the rest
    finally:
        if not frozen_already:
            gc.unfreeze()
    ready: dict[int, tuple[bool, object]] = {}
    try:
        for i in range(len(items)):
            while i not in ready:
                _collect(results, ready, children, wait=False)
                if i in ready:
                    break
                mine = _take(taken, len(items))
                if mine is None:  # everything is handed out: item i is a worker's
                    _collect(results, ready, children, wait=True)
                else:
                    ready[mine] = (True, work(items[mine]))
            done, value = ready.pop(i)
            if not done:
                raise value
            yield value
    finally:
        _stop(taken, len(items), results, children)


def _take(taken, count: int) -> int | None:
    with taken.get_lock():
        if taken.value >= count:
            return None
        taken.value += 1
        return taken.value - 1


def _serve(work: Callable, items: Sequence, taken, results) -> None:
    """A forked worker: take items until none is left, put ``(i, done, result or error)``."""
    _worker_signals()
    while (i := _take(taken, len(items))) is not None:
        try:
            result = work(items[i])
        except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
            results.put((i, False, _portable(error)))
            break
        results.put((i, True, result))
    results.close()
    results.join_thread()  # everything written before the process ends


def _portable(error: BaseException) -> BaseException:
    """The error itself if it can be pickled, else a RuntimeError that says what it was."""
    try:
        pickle.dumps(error)
        return error
    except Exception:  # noqa: BLE001
        return RuntimeError(f"{type(error).__name__}: {error}")


def _collect(results, ready: dict, children: list, *, wait: bool) -> None:
    """Move the workers' finished results into ``ready``; with ``wait``, wait for at least one.
    A worker that ends without its result (killed, out of memory) is an error, not a hang."""
    while True:
        try:
            i, done, value = results.get(timeout=_WAIT) if wait else results.get_nowait()
        except queue.Empty:
            if not wait:
                return
            lost = [c.exitcode for c in children if c.exitcode not in (None, 0)]
            if lost or all(c.exitcode is not None for c in children):
                # Anything they wrote before ending is in the pipe still: read it first.
                try:
                    i, done, value = results.get(timeout=_WAIT)
                except queue.Empty:
                    raise WorkerLost(f"a worker process ended without its result (exit codes "
                                     f"{[c.exitcode for c in children]})") from None
            else:
                continue
        ready[i] = (done, value)
        wait = False


def _stop(taken, count: int, results, children: list) -> None:
    """Hand out nothing more, and wait for the workers to finish the item they hold and end. Their
    results are read and dropped: a worker ends only once what it wrote is read."""
    with taken.get_lock():
        taken.value = count
    while any(c.is_alive() for c in children):
        try:
            results.get(timeout=0.05)
        except queue.Empty:
            pass
    for child in children:
        child.join()
    results.close()
    results.join_thread()


def _worker_signals() -> None:
    """A forked worker's signals: the default SIGTERM, so it ends when it is told to even when the
    parent only notes SIGTERM (``matchmaker worker`` stops after its run), and no SIGINT (Ctrl-C is
    the parent's to handle)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@contextmanager
def collections_paused() -> Iterator[None]:
    """No automatic garbage collection inside. Reading a catalogue or ranking a list of queries
    makes millions of objects and no reference cycles, and every collection of the older
    generations walks all the objects of the process: at 100,000 products one such collection takes
    about 0.7 s, and they took about a tenth of a build and of a batch. Collections resume on
    leaving; another thread's garbage with cycles waits until then.

    On leaving, when more than ``_YOUNG_MOVED`` objects made inside are still alive, they join the
    oldest generation at once (``gc.freeze`` then ``gc.unfreeze`` move every tracked object there
    without looking at any): left young, the first collection afterwards would walk all of them,
    0.26 s after a 100,000-product build. Garbage with cycles among them waits for the next full
    collection. A process that froze its own heap (``matchmaker worker``) keeps it frozen: there
    nothing is moved."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if gc.get_count()[0] > _YOUNG_MOVED and gc.get_freeze_count() == 0:
                gc.freeze()
                gc.unfreeze()
            gc.enable()
