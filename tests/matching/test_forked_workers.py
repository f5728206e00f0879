"""Forked readers never hang the process that started them.

``matchmaker worker`` only notes a SIGTERM (it stops after its current run), and closing a pool while a
worker was half-way through writing a large result (the index's chunks are megabytes) deadlocked
``Pool.terminate``: the worker hung for good. This runs both situations in a child process, with a
deadline; the race needs a few tries to show, so the early close is repeated."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import signal
    from matchmaker.matching.parallel import forked_map

    noted = []
    signal.signal(signal.SIGTERM, lambda number, frame: noted.append(number))  # note only, as the worker does
    print(list(forked_map(lambda n: n * n, list(range(40)), 2)))
    # Large results (as the index's chunks are): after an early stop nobody reads them any more, so
    # the workers block writing them until the pool's SIGTERM ends them.
    for _ in range(8):
        big = forked_map(lambda n: bytes([n]) * (4 << 20), list(range(40)), 2)
        first = next(big)[:1] == bytes([0])
        big.close()
    print(first)
    print("SIGTERM" if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL else "default")
""")


def test_forked_workers_end_when_the_parent_only_notes_sigterm():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == str([n * n for n in range(40)])
    assert lines[1] == "True"
    assert lines[2] == "SIGTERM", "the parent keeps its own handler"


SHARED = textwrap.dedent("""
    import os, signal, sys, time
    from matchmaker.matching.parallel import WorkerLost, forked_map

    parent = os.getpid()

    def mark(n):
        time.sleep(0.01)
        return n, os.getpid() == parent

    results = list(forked_map(mark, list(range(40)), 2))
    print([n for n, _ in results] == list(range(40)), any(mine for _, mine in results),
          not all(mine for _, mine in results))

    def fail_in_worker(n):
        time.sleep(0.01)
        if os.getpid() != parent and n >= 3:
            raise ValueError(f"item {n}")
        return n
    try:
        list(forked_map(fail_in_worker, list(range(40)), 2))
        print("no error")
    except ValueError as error:
        print("ValueError")

    def die_in_worker(n):
        time.sleep(0.01)
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return n
    try:
        list(forked_map(die_in_worker, list(range(40)), 2))
        print("no error")
    except WorkerLost:
        print("WorkerLost")
""")


def test_the_calling_process_works_too_and_worker_failures_reach_it():
    done = subprocess.run([sys.executable, "-c", SHARED], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "True True True", "results in order, computed both here and in a worker"
    assert lines[1] == "ValueError", "a worker's error is raised here"
    assert lines[2] == "WorkerLost", "a killed worker is an error, not a hang"
