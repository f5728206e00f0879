"""CPU time of the text model's query rows (``TextModel.queries``), per block, on speed.py's
synthetic catalogue: what every batch of queries pays before its matrix products.

    .venv/bin/python benchmarks/query_rows.py [--products 20000] [--queries 2000] [--save rows.npz]

``--save`` writes the rows, so two versions of the engine can be compared bit for bit
(``--compare rows.npz``).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.speed import synthetic, term_pool  # noqa: E402
from matchmaker.matching import ProductIndex  # noqa: E402
from matchmaker.matching.profile import build_profile  # noqa: E402

CHUNK = 64  # queries per call, as the index asks for them (index.CHUNK)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--save", type=Path)
    parser.add_argument("--compare", type=Path)
    args = parser.parse_args()
    rng, pool = random.Random(7), term_pool()
    index = ProductIndex(synthetic(args.products, "product", rng, pool))
    # Queries of 250-400 characters: listings of the same kind as the catalogue's, not in it.
    queries = [p for p in synthetic(args.queries * 2, "product", random.Random(8), pool)
               if 250 <= len(f"{p.title} {p.description}") <= 400][:args.queries]
    profiles = [build_profile(q, index.vocabulary) for q in queries]
    chunks = [profiles[i:i + CHUNK] for i in range(0, len(profiles), CHUNK)]
    print(f"{len(index)} products, {len(queries)} queries of 250-400 characters, {CHUNK} per call")
    for name, block in index.text.blocks.items():
        tokens = [[p.words if name == "words" else p.spelled for p in chunk] for chunk in chunks]
        best = float("inf")
        for _ in range(args.repeat):
            started = time.process_time()
            for chunk in tokens:
                block.queries(chunk)
            best = min(best, time.process_time() - started)
        print(f"  {name}: {best:.3f}s CPU (best of {args.repeat})")
    if args.save or args.compare:
        rows = {f"{n}.{part}": np.concatenate([getattr(index.text.queries(c)[n], part) for c in chunks])
                for n in ("words", "grams") for part in ("indptr", "indices", "data")}
        if args.save:
            np.savez(args.save, **rows)
        if args.compare:
            other = np.load(args.compare)
            same = all(np.array_equal(rows[key], other[key]) for key in rows)
            print(f"  rows identical to {args.compare}: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
