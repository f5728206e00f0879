"""Where a search's time goes on the platform benchmark's database: ``platform_load.py``'s query mix
(part (a): 120 queries, seed 7) through the WSGI app in one process, each query timed (wall and this
process's CPU) and the slowest listed, optionally under cProfile.

Run it after ``platform_load.py`` has filled its database (it reuses the database and the index
snapshots as they are, and changes nothing):

    .venv/bin/python benchmarks/search_mix.py [--profile] [--rounds 3]

The process warms both indexes and freezes the collector as a gunicorn master does
(``gunicorn.conf.py``), then asks ``platform_load``'s warm-up mix once, then the measured mix.
The database server's time is in the wall figures only (it is another process).
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import platform_load  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--queries", type=int, default=120)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", platform_load.DEFAULT_DATABASE))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", platform_load.DEFAULT_REDIS))
    parser.add_argument("--rounds", type=int, default=1, help="ask the mix this many times (rankings and "
                                                              "tallies are remembered after the first)")
    parser.add_argument("--slowest", type=int, default=15)
    parser.add_argument("--profile", action="store_true", help="cProfile the first round; print the top functions")
    parser.add_argument("--profile-file", help="also write the profile to this file (for pstats)")
    args = parser.parse_args()

    os.environ.update({"DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
                       "MATCHMAKER_ENV": "development", "SECRET_KEY": "platform-benchmark-secret"})
    from matchmaker import create_app
    from matchmaker.services import index_store

    app = create_app()
    engine = app.extensions["db_engine"]
    started = time.perf_counter()
    index_store.warm(engine)
    gc.freeze()
    print(f"indexes warmed in {time.perf_counter() - started:.1f} s; load average {os.getloadavg()[0]:.2f}")

    data = ROOT / "instance" / "benchmark" / f"{args.products}-{args.demands}-{args.seed}"
    products = data / "products.jsonl"
    mix = platform_load.query_mix(random.Random(args.seed), products, args.queries)
    warm = platform_load.query_mix(random.Random(args.seed + 100), products, 60)
    client = app.test_client()
    for path in warm:
        client.get(path)

    profiler = cProfile.Profile() if args.profile else None
    for round_ in range(1, args.rounds + 1):
        timed = []
        if profiler is not None and round_ == 1:
            profiler.enable()
        for path in mix:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            timed.append(((time.perf_counter() - wall) * 1000, (time.process_time() - cpu) * 1000, path,
                          response.status_code))
        if profiler is not None and round_ == 1:
            profiler.disable()
        walls, cpus = [t[0] for t in timed], [t[1] for t in timed]
        print(f"round {round_}: {len(timed)} queries, wall p50 {platform_load.percentile(walls, 50):.1f} / "
              f"p95 {platform_load.percentile(walls, 95):.1f} / max {max(walls):.1f} ms; CPU mean "
              f"{statistics.mean(cpus):.1f}, p95 {platform_load.percentile(cpus, 95):.1f} ms; "
              f"errors {sum(t[3] != 200 for t in timed)}; load average {os.getloadavg()[0]:.2f}")
        for wall, cpu, path, status in sorted(timed, reverse=True)[:args.slowest]:
            print(f"  {wall:7.1f} ms wall {cpu:7.1f} ms CPU  {status}  {urllib_unquote(path)}")
    if profiler is not None and args.profile_file:
        profiler.dump_stats(args.profile_file)
    if profiler is not None:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(45)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)


def urllib_unquote(path: str) -> str:
    from urllib.parse import unquote_plus
    return unquote_plus(path)


if __name__ == "__main__":
    main()
