"""What one save costs the matching at scale: refreshing the stored matches after one product (or one
request) changed, with the warm per-side indexes of ``services/index_store`` (snapshot + deltas),
against what every save cost before (both indexes fitted from the database, every request's list redone).

Fills a SQLite database (or DATABASE_URL) with synthetic listings of 200-400 characters from
``speed.py``'s generator, fits and saves both snapshots, loads them in a fresh process (load time,
memory of a process holding both indexes), then changes one product at a time and times
``matches.refresh``. Wall and CPU times are printed with the load average (shared machines).

    .venv/bin/python benchmarks/refresh.py [--products 100000] [--requests 2000] [--changes 5] [--before]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from speed import rss_mb, synthetic, term_pool  # noqa: E402


def _cpu() -> float:
    return time.process_time()


def timed(fn):
    wall, cpu = time.perf_counter(), _cpu()
    result = fn()
    return result, time.perf_counter() - wall, _cpu() - cpu


def fill(app, products: int, requests: int, seed: int) -> None:
    from sqlalchemy import insert

    from matchmaker.models import BuyingRequest, CatalogueChange, Organisation, ProductProfile, utcnow

    rng, pool = random.Random(seed), term_pool()
    now = utcnow()
    engine = app.extensions["db_engine"]
    orgs = [("exporter", "ID"), ("producer", "KZ"), ("exporter", "MY"), ("buyer", "KZ"), ("importer", "ID"),
            ("buyer", "MY")]
    with engine.begin() as connection:
        ids = {}
        for n, (kind, country) in enumerate(orgs):
            ids[(kind, country)] = connection.execute(insert(Organisation).values(
                slug=f"bench-{n}", name=f"Bench {kind} {country}", country=country, kind=kind, city="",
                description="", website="", languages=[], verified=False, registration_number="",
                verification_note="", contact_person="", contact_email="", contact_phone="", created_at=now,
                version=1)).inserted_primary_key[0]
        suppliers = {c: ids[(k, c)] for k, c in ids if k in ("exporter", "producer")}
        buyers = {c: ids[(k, c)] for k, c in ids if k in ("buyer", "importer")}
        rows = [dict(organisation_id=suppliers[p.country], title=p.title[:200], description=p.description or "",
                     hs_code=p.hs_code or "", sector="other", certifications=list(p.certifications), moq=p.moq,
                     unit="pcs", capacity_per_month=None, price_usd=None, incoterms=["FOB"], language="en",
                     status="published", created_at=now, updated_at=now, version=1)
                for p in synthetic(products, "product", rng, pool)]
        for start in range(0, len(rows), 5000):
            connection.execute(insert(ProductProfile), rows[start:start + 5000])
        rows = [dict(organisation_id=buyers[d.country], title=d.title[:200], description=d.description or "",
                     hs_code="", sector="other", required_certifications=list(d.required_certifications),
                     quantity=d.quantity, unit="pcs", max_price_usd=None, incoterms=["DAP"], language="en",
                     status="published", created_at=now, updated_at=now, version=1)
                for d in synthetic(requests, "demand", rng, pool)]
        connection.execute(insert(BuyingRequest), rows)
        # One log row: the snapshots are written at a position of the log.
        connection.execute(insert(CatalogueChange).values(side="products", item_id=1, at=now))


def load_in_a_fresh_process(url: str, index_dir: str) -> dict:
    """Load both snapshots the way a web process starts; its time and the process's memory."""
    code = f"""
import json, sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parents[1])!r}); sys.path.insert(0, {str(Path(__file__).resolve().parent)!r})
from speed import rss_mb
from sqlmodel import Session
from matchmaker import create_app
from matchmaker.services import index_store
before = rss_mb()
app = create_app({{"DATABASE_URL": {url!r}, "INDEX_DIR": {index_dir!r}, "INDEX_FIT_IN_WEB": False}})
out = {{"rss_app_mb": rss_mb() - before}}
with Session(app.extensions["db_engine"]) as session:
    for side in index_store.SIDES:
        t, c = time.perf_counter(), time.process_time()
        index_store.version(session, side)
        out[side] = (time.perf_counter() - t, time.process_time() - c)
    t = time.perf_counter()
    from matchmaker.services import search
    with app.app_context():
        search.search(session, query="teak furniture")
    out["first_search_s"] = time.perf_counter() - t
out["rss_mb"] = rss_mb()
print(json.dumps(out))
"""
    found = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(found.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=2_000)
    parser.add_argument("--changes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--before", action="store_true",
                        help="also time what a save cost before: both indexes fitted, every request's list redone")
    args = parser.parse_args()

    from sqlmodel import Session, func, select

    from matchmaker import create_app, migrate
    from matchmaker.models import BuyingRequest, Match, ProductProfile
    from matchmaker.services import changes, index_store, matches

    work = Path(tempfile.mkdtemp(prefix="refresh-bench-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{work / 'bench.db'}"
    index_dir = str(work / "index")
    print(f"{args.products} products, {args.requests} requests; load average {os.getloadavg()[0]:.1f}; {url}")
    migrate.upgrade(url)
    app = create_app({"DATABASE_URL": url, "INDEX_DIR": index_dir})
    _, wall, cpu = timed(lambda: fill(app, args.products, args.requests, args.seed))
    print(f"  fill the database: {wall:.1f} s")
    store = index_store.store_for(app.extensions["db_engine"])
    with app.app_context(), Session(app.extensions["db_engine"]) as session:
        for side in index_store.SIDES:
            _, wall, cpu = timed(lambda: index_store.rebuild(session, side, save=False))
            print(f"  fit {side}: {wall:.1f} s wall, {cpu:.1f} s CPU")
            state = store.sides[side]
            _, wall, cpu = timed(lambda: store.save(side, state.index, state.applied,
                                                    index_store._stamp(session, state.applied)))
            size = store.snapshots(side)[0][1].stat().st_size / 2 ** 20
            print(f"  save {side} snapshot: {wall:.2f} s wall, {cpu:.2f} s CPU, {size:.0f} MB")
        print(f"  this process (fitted both): {rss_mb():.0f} MB RSS")
        loaded = load_in_a_fresh_process(url, index_dir)
        for side in index_store.SIDES:
            print(f"  load {side} snapshot in a fresh process: {loaded[side][0]:.2f} s wall, {loaded[side][1]:.2f} s CPU")
        print(f"  fresh process holding both indexes: {loaded['rss_mb']:.0f} MB RSS "
              f"(first search {loaded['first_search_s'] * 1000:.0f} ms)")

        def store_request_lists():
            """Every request's stored list (what a rematch stores on the request side)."""
            from matchmaker.db import transaction
            with matches._Catalogue.warm(session) as catalogue:
                lists = catalogue.lists_for_requests(matches._matchable_ids(session, "requests"), 10)
                session.commit()
                with transaction(session):
                    rows = matches._stored(session, lists, {})
                    matches._apply(session, rows, lists, {}, catalogue.weights.name, catalogue.fingerprints)
            return lists

        _, wall, cpu = timed(store_request_lists)
        print(f"  every request's top 10 stored first: {wall:.1f} s wall, {cpu:.1f} s CPU")

        rng, pool = random.Random(args.seed + 1), term_pool()
        ids = session.exec(select(ProductProfile.id)).all()
        figures, changed_ids = [], []
        for n in range(args.changes):
            item = session.get(ProductProfile, rng.choice(ids))
            rewritten = synthetic(1, "product", rng, pool)[0]  # the exporter rewrites the listing
            item.title, item.description = rewritten.title[:200], rewritten.description or ""
            item.hs_code = rewritten.hs_code or ""
            session.add(item)
            changes.record(session, products=[item.id])
            changed_ids.append(item.id)
            session.commit()
            _, wall, cpu = timed(lambda: matches.refresh(session, products=[item.id]))
            figures.append((wall, cpu))
            stored = session.exec(select(func.count(Match.id)).where(Match.product_id == item.id)).one()
            print(f"  refresh after one product changed: {wall:.2f} s wall, {cpu:.2f} s CPU "
                  f"({stored} matches of it stored)")
        walls = [w for w, _ in figures]
        print(f"  one product: median {statistics.median(walls):.2f} s, max {max(walls):.2f} s wall "
              f"(median CPU {statistics.median(c for _, c in figures):.2f} s)")

        # A buyer rewrites a request: its own list ranks the products, and the product lists it can
        # now enter are found by ranking every product with it (the larger side).
        request_ids = session.exec(select(BuyingRequest.id)).all()
        request_figures = []
        for n in range(args.changes):
            item = session.get(BuyingRequest, rng.choice(request_ids))
            rewritten = synthetic(1, "demand", rng, pool)[0]
            item.title, item.description = rewritten.title[:200], rewritten.description or ""
            session.add(item)
            changes.record(session, requests=[item.id])
            session.commit()
            _, wall, cpu = timed(lambda: matches.refresh(session, requests=[item.id]))
            request_figures.append((wall, cpu))
            print(f"  refresh after one request changed: {wall:.2f} s wall, {cpu:.2f} s CPU")
        walls = [w for w, _ in request_figures]
        print(f"  one request: median {statistics.median(walls):.2f} s, max {max(walls):.2f} s wall "
              f"(median CPU {statistics.median(c for _, c in request_figures):.2f} s)")

        # The tolerance: lists not redone keep scores of the word weights of their time.
        with matches._Catalogue.warm(session) as catalogue:
            fresh = catalogue.lists_for_requests(matches._matchable_ids(session, "requests"), 10)
        session.expire_all()
        stored = {(m.request_id, m.product_id): (m.rank_for_request, m.score)
                  for m in session.exec(select(Match).where(Match.rank_for_request.is_not(None))).all()}
        drift, moved, lists_differ = 0.0, 0, 0
        for request_id, found in fresh.items():
            engine = {(request_id, int(m.product_id)): (rank, m.score) for rank, m in enumerate(found, 1)}
            mine = {key: value for key, value in stored.items() if key[0] == request_id}
            if set(engine) != set(mine) or any(engine[k][0] != mine[k][0] for k in engine if k in mine):
                lists_differ += 1
                if os.environ.get("BENCH_DEBUG"):
                    print("   ", request_id, sorted(engine.items(), key=lambda kv: kv[1][0]),
                          sorted(mine.items(), key=lambda kv: kv[1][0]), changed_ids)
            for key in set(engine) & set(mine):
                drift = max(drift, abs(engine[key][1] - mine[key][1]))
                moved += engine[key][1] != mine[key][1]
                if os.environ.get("BENCH_DEBUG") and abs(engine[key][1] - mine[key][1]) > 0.011:
                    print("    drift", key, engine[key], mine[key])
        print(f"  against every request's list recomputed now: {lists_differ} of {len(fresh)} lists differ in "
              f"pairs or ranks; {moved} stored scores differ, by at most {drift:.4f}")

        if args.before:
            def before():
                from matchmaker.matching import DemandIndex, ProductIndex
                products = matches._queries(session, "products", None)
                requests = matches._queries(session, "requests", None)
                product_index, demand_index = ProductIndex(products), DemandIndex(requests)
                list(product_index.top_many(requests, k=10))
                list(demand_index.top_many(products[:1], k=10))
            _, wall, cpu = timed(before)
            print(f"  before (both indexes fitted, every request's list redone): {wall:.1f} s wall, {cpu:.1f} s CPU")
    app.extensions["db_engine"].dispose()
    shutil.rmtree(work, ignore_errors=True)  # the database and snapshots (hundreds of MB at 100,000)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
