"""One request's top 10 and the batch, on speed.py's synthetic catalogue: wall and CPU time per
request (p50/p95), the batch's CPU, and optionally every result written out so that two versions of
the engine can be compared byte for byte.

    .venv/bin/python benchmarks/one_request.py [--products 100000] [--demands 2000] [--singles 200] \
        [--rounds 1] [--index products.idx] [--no-batch] \
        [--save results.jsonl | --compare results.jsonl] [--all]

``--all`` also ranks every request one by one (not only the first ``--singles``) and, on a
``DemandIndex`` of the requests, the first ``--product-lists`` products (one by one and as a batch),
so that ``--save``/``--compare`` cover ``top``, ``top_many`` and both sides. The catalogue is the
one ``speed.py`` builds (seed 7).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.speed import _cpu, synthetic, term_pool  # noqa: E402
from matchmaker.matching import DemandIndex, ProductIndex  # noqa: E402


def _line(label: str, record_id: str, matches) -> str:
    return json.dumps([label, record_id, [[m.demand_id, m.product_id, m.score, m.explanation.to_dict()]
                                          for m in matches]], sort_keys=True, ensure_ascii=False)


def _singles(index, queries, rounds: int) -> tuple[list[float], list[float]]:
    """Wall and CPU milliseconds of each ``top``, the rounds one after the other."""
    wall, cpu = [], []
    for _ in range(rounds):
        for query in queries:
            started, used = time.perf_counter(), time.process_time()
            index.top(query, k=10)
            cpu.append((time.process_time() - used) * 1000)
            wall.append((time.perf_counter() - started) * 1000)
    return wall, cpu


def _percentiles(values: list[float]) -> str:
    return f"p50 {np.percentile(values, 50):.2f} / p95 {np.percentile(values, 95):.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=2_000)
    parser.add_argument("--singles", type=int, default=200, help="requests timed one by one (speed.py: 200)")
    parser.add_argument("--rounds", type=int, default=1, help="times the singles are timed in a row")
    parser.add_argument("--product-lists", type=int, default=1_000,
                        help="with --all: products whose top 10 requests are written out")
    parser.add_argument("--no-batch", action="store_true", help="skip the batch (times one request only)")
    parser.add_argument("--all", action="store_true", help="rank everything that --save/--compare covers")
    parser.add_argument("--index", type=Path, help="an index file: read if it exists, else built and written")
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    rng = random.Random(7)
    pool = term_pool()
    products = synthetic(args.products, "product", rng, pool)
    demands = synthetic(args.demands, "demand", rng, pool)
    print(f"{args.products} products x {args.demands} requests; load average {os.getloadavg()[0]:.2f}")
    used = _cpu()
    if args.index and args.index.exists():
        index = ProductIndex.load(args.index)
        list(index.read_stored_profiles())
        print(f"  index read from {args.index}: {_cpu() - used:.1f} s CPU")
    else:
        index = ProductIndex(products)
        print(f"  index build: {_cpu() - used:.1f} s CPU")
        if args.index:
            index.save(args.index)
    lines = []

    if not args.no_batch:
        used, own, started = _cpu(), time.process_time(), time.perf_counter()
        batch = list(index.top_many(demands, k=10))
        print(f"  batch top-10 of {len(demands)}: {time.perf_counter() - started:.2f} s wall, "
              f"{_cpu() - used:.2f} s CPU incl. workers ({time.process_time() - own:.2f} s in this process)")
        lines += [_line("top_many", d.id, m) for d, m in batch]

    index.top(demands[0], k=10)  # the per-query memos of the first request are not what is timed
    wall, cpu = _singles(index, demands[:args.singles], args.rounds)
    print(f"  one request top-10 ({args.singles} x {args.rounds}): wall {_percentiles(wall)}; "
          f"CPU {_percentiles(cpu)}, mean {np.mean(cpu):.2f} ms; load average {os.getloadavg()[0]:.2f}")
    if args.rounds > 1:  # each request's best round: what is left of a shared machine's noise
        best = np.array(wall).reshape(args.rounds, -1).min(axis=0).tolist()
        print(f"  each request's best of {args.rounds} rounds, wall: {_percentiles(best)}, "
              f"mean {np.mean(best):.2f} ms")

    if args.all:
        lines += [_line("top", d.id, index.top(d, k=10)) for d in demands]
        requests = DemandIndex(demands)
        sample = products[:args.product_lists]
        lines += [_line("demands.top", p.id, requests.top(p, k=10)) for p in sample]
        lines += [_line("demands.top_many", p.id, m) for p, m in requests.top_many(sample, k=10)]
    text = "\n".join(lines) + "\n"
    print(f"  {len(lines)} result lists, sha256 {hashlib.sha256(text.encode()).hexdigest()[:16]}")
    if args.save:
        args.save.write_text(text)
    if args.compare:
        same = args.compare.read_text() == text
        print(f"  identical to {args.compare}: {same}")
        if not same:
            theirs = args.compare.read_text().splitlines()
            differing = [i for i, (a, b) in enumerate(zip(lines, theirs)) if a != b]
            print(f"  {len(differing)} lists differ, first: {differing[:5]}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
