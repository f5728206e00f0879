"""``/search`` latency on the demo data and on larger generated catalogues, through the WSGI app.

    .venv/bin/python benchmarks/search.py [--repeat 20] [--sizes 5000 20000]
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/DB .venv/bin/python benchmarks/search.py --sizes 20000 100000

Builds a fresh SQLite database (or uses DATABASE_URL, which it empties), loads the demo data and
times searches as a buyer would make them: words in four languages, a typo, an HS code, a company
name, facets, a second page, the htmx partial. Each query is timed twice: **cold**, with the
snapshot's memory of ranked queries emptied first (the engine ranks every time), and **warm** (the same
query again: the next page, another facet). The first search after a catalogue change also builds the
engine's index of that side (printed as "index build"). Then the same on catalogues of ``--sizes``
products, generated from the demo products with varied words (bulk insert, no matching; on
PostgreSQL followed by VACUUM ANALYZE, as after any bulk load, so the planner knows the table).

A cold search also forgets the tallies of facet counts (``search.forget_tallies``): it is the first
search of its words (or of the bare catalogue) since the catalogue changed. Wall times are inflated on
a shared machine; the CPU column is this process's CPU time per search (the app and the engine, not
the database server), and the load average is printed with each size.

``--freeze`` measures as a gunicorn worker runs (gunicorn.conf.py): both indexes warmed (every
profile read) and ``gc.freeze()`` after each build, so the garbage collector never walks the index.
Without it, the collector's full passes over the index's millions of objects land on whichever
search triggers them: most of the CPU figure at 100,000, and most of its noise.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert, text
from sqlmodel import Session, func, select

from matchmaker import create_app, migrate
from matchmaker.config import normalise_database_url
from matchmaker.db import make_engine
from matchmaker.models import ProductProfile, utcnow
from matchmaker.seeding import load_demo_data
from matchmaker.services import changes, index_store, search, search_index

QUERIES = {
    "ru words": "q=мебель из тика",
    "id words": "q=daging sapi",
    "typo": "q=teak furnitre",
    "en + facet": "q=frozen shrimp&certification=haccp",
    "hs code": "q=9403",
    "company": "q=jepara teak works",
    "no query, facets": "sector=dairy&country=KZ&sort=moq",
    "page 2": "q=furniture&page=2",
    "requests side": "q=halal beef&side=requests",
}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(app, repeat: int, freeze: bool = False) -> None:
    client = app.test_client()
    started = time.perf_counter()
    for _ in range(2):  # a large catalogue is refitted in the background: wait for it, then ask again
        client.get("/search/?q=teak")
        client.get("/search/?q=teak&side=requests")
        search_index.wait_for_rebuilds(1800)
    if freeze:
        index_store.warm(app.extensions["db_engine"])
        gc.collect()
        gc.freeze()
    print(f"  index build (both sides) + first search: {(time.perf_counter() - started) * 1000:.0f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")
    cold_all, warm_all = [], []
    print(f"  {'query':22} {'cold median':>12} {'cold p95':>9} {'cold CPU':>9} {'warm median':>12} {'warm p95':>9}"
          f" {'warm CPU':>9}  (ms)")
    for name, query in QUERIES.items():
        cold, warm, cold_cpu, warm_cpu = [], [], [], []
        for _ in range(repeat):
            for snapshot in list(search_index._snapshots.values()):
                snapshot._ranked.clear()
            search.forget_tallies()
            t, c = time.perf_counter(), time.process_time()
            response = client.get(f"/search/?{query}", headers={"HX-Request": "true"})
            cold.append((time.perf_counter() - t) * 1000)
            cold_cpu.append((time.process_time() - c) * 1000)
            assert response.status_code == 200, (query, response.status_code)
            t, c = time.perf_counter(), time.process_time()
            client.get(f"/search/?{query}", headers={"HX-Request": "true"})
            warm.append((time.perf_counter() - t) * 1000)
            warm_cpu.append((time.process_time() - c) * 1000)
        cold_all += cold
        warm_all += warm
        print(f"  {name:22} {statistics.median(cold):12.1f} {percentile(cold, 0.95):9.1f} "
              f"{statistics.median(cold_cpu):9.1f} {statistics.median(warm):12.1f} {percentile(warm, 0.95):9.1f} "
              f"{statistics.median(warm_cpu):9.1f}")
    print(f"  {'all':22} {statistics.median(cold_all):12.1f} {percentile(cold_all, 0.95):9.1f} {'':9} "
          f"{statistics.median(warm_all):12.1f} {percentile(warm_all, 0.95):9.1f}")
    wall, cpu = [], []
    for _ in range(repeat):
        t, c = time.perf_counter(), time.process_time()
        client.get("/search/?q=мебель из тика")
        wall.append((time.perf_counter() - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    print(f"  full page (not htmx), warm: median {statistics.median(wall):.1f} ms, CPU {statistics.median(cpu):.1f} ms; "
          f"load average {os.getloadavg()[0]:.1f}")


def grow(engine, size: int) -> None:
    """Add generated products up to ``size`` published ones: demo products with words swapped in."""
    rng = random.Random(size)
    with Session(engine) as session:
        demo = session.exec(select(ProductProfile).where(ProductProfile.status == "published")).all()
        have = len(demo)
        words = sorted({w for p in demo for w in p.title.split() if w.isalpha() and len(w) > 3})
        now = utcnow()
        rows = []
        for i in range(max(0, size - have)):
            base = demo[i % len(demo)]
            extra = " ".join(rng.sample(words, 2))
            rows.append({"organisation_id": base.organisation_id, "title": f"{base.title} {extra}"[:200],
                         "description": base.description, "hs_code": base.hs_code, "sector": base.sector,
                         "certifications": base.certifications, "moq": base.moq, "unit": base.unit,
                         "capacity_per_month": base.capacity_per_month, "price_usd": base.price_usd,
                         "incoterms": base.incoterms, "language": base.language, "status": "published",
                         "created_at": now, "updated_at": now, "version": 1})
        before = session.exec(select(func.max(ProductProfile.id))).one() or 0
        for start in range(0, len(rows), 2000):
            session.execute(insert(ProductProfile), rows[start:start + 2000])
        # As every write path does (and `matchmaker import`): the new items go into the change log,
        # then the index is refitted at once rather than applying them as deltas.
        added = session.exec(select(ProductProfile.id).where(ProductProfile.id > before)).all()
        changes.record(session, products=added)
        session.commit()
        index_store.rebuild(session, "products")
    if engine.url.get_backend_name() == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM ANALYZE"))


def fresh_database(folder: Path, name: str) -> str:
    """DATABASE_URL emptied (its public schema dropped), or a new SQLite file; migrated to head."""
    url = os.environ.get("DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        with make_engine(url).begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    else:
        url = f"sqlite:///{folder / f'{name}.db'}"
    migrate.upgrade(url)
    return url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--sizes", type=int, nargs="*", default=[5000, 20000])
    parser.add_argument("--freeze", action="store_true", help="warm the indexes and gc.freeze() as gunicorn does")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = fresh_database(Path(folder), "search")
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
        engine = app.extensions["db_engine"]
        with Session(engine) as session:
            load_demo_data(session)
        print(f"database: {engine.url.get_backend_name()}{', gc frozen after each build' if args.freeze else ''}")
        print("demo data (180 products, 65 requests):")
        measure(app, args.repeat, args.freeze)
        for size in args.sizes:
            grow(engine, size)
            print(f"{size:,} published products:")
            measure(app, max(3, args.repeat // 4), args.freeze)


if __name__ == "__main__":
    main()
