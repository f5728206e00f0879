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
    from matchmaker.matching.profile import forked_map

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
