"""Forked readers end with their pool, whatever the parent does with SIGTERM.

``matchmaker worker`` only notes a SIGTERM (it stops after its current run). Forked workers that
inherited that handler ignored ``pool.terminate()`` and the worker hung for good after its first
large job; this runs the same situation in a child process, with a deadline."""

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
    big = forked_map(lambda n: bytes([n]) * (4 << 20), list(range(40)), 2)
    print(next(big)[:1] == bytes([0]))
    big.close()
    print("SIGTERM" if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL else "default")
""")


def test_forked_workers_end_when_the_parent_only_notes_sigterm():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == str([n * n for n in range(40)])
    assert lines[1] == "True"
    assert lines[2] == "SIGTERM", "the parent keeps its own handler"
