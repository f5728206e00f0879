"""Search quality: the quality benchmark's requests typed into ``/search``, against the batch engine.

    .venv/bin/python benchmarks/search_quality.py [--data ../shared/data] [--requests 300] [--seed 7]
                                                  [--split all|dev|test]

The catalogues and requests are those of ``quality.py`` (same readers, same seed, same draws, so the
same requests): for each target catalogue (English, Indonesian) a fresh database (SQLite, or
DATABASE_URL, which it empties) receives the catalogue's products as published products of four
organisations, one per country the benchmark draws (ID, KZ, MY, VN). Each request's text then goes
through the WSGI app as ``/search/?q=<text>&side=products`` and the first ten results, in the page's
order, are judged with ``quality.py``'s relevance (same HS6 2, same heading 1) and nDCG@10.

**The same information.** A search box knows only the words typed. ``quality.py``'s batch engine also
knows the buyer's country (a seller of the buyer's own country is not proposed) and the certificates
the request requires (one request in five). So the engine is run twice:

- *like-for-like*: the request's text alone (title = its first 200 characters, description = the
  rest, no country, no certificates), on an index of the same catalogue built in memory, judged with
  the relevant products for that request (``why_not`` against the text alone): this must equal
  ``/search`` within 0.01;
- *full*: the request as ``quality.py`` builds it (country and certificates), judged as there: the
  figure ``quality.py`` prints, given for reference (it answers another question).

Products are stored with ids in catalogue order, all of the same number of digits, so the engine's
tie-break (the id as text) orders equal scores the same way in both runs.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality import PAIRS, benchmark_sets, metrics, relevance, split_of  # noqa: E402
from search import fresh_database  # noqa: E402
from sqlalchemy import insert, text  # noqa: E402
from sqlmodel import Session  # noqa: E402

from matchmaker import create_app  # noqa: E402
from matchmaker.matching import Demand, ProductIndex, why_not  # noqa: E402
from matchmaker.models import Organisation, ProductProfile, utcnow  # noqa: E402
from matchmaker.services import search_index  # noqa: E402
from matchmaker.vocabulary import sector_for_hs  # noqa: E402

FIRST_ID = 100_001  # ids of one width: the engine breaks ties by the id as text
COUNTRIES = ("ID", "KZ", "MY", "VN")
_RESULT = re.compile(r'class="card-title" href="[^"]*/(\d+)[^"]*"')


def plain(demand: Demand) -> Demand:
    """What a search box knows of a request: its words, nothing else."""
    return Demand(demand.id, demand.title, description=demand.description)


def query_text(demand: Demand) -> str:
    return f"{demand.title}{demand.description or ''}"


def load(engine, products) -> dict[int, str]:
    """The catalogue as published products, in one transaction; returns database id -> catalogue id."""
    now = utcnow()
    with Session(engine) as session:
        organisations = {}
        for country in COUNTRIES:
            organisation = Organisation(slug=f"catalogue-{country.lower()}", name=f"Catalogue {country}",
                                        country=country, kind="exporter")
            session.add(organisation)
            session.flush()
            organisations[country] = organisation.id
        rows, ids = [], {}
        for position, p in enumerate(products):
            ids[FIRST_ID + position] = p.id
            rows.append({"id": FIRST_ID + position, "organisation_id": organisations[p.country],
                         "title": p.title, "description": p.description or "", "hs_code": p.hs_code,
                         "sector": sector_for_hs(p.hs_code), "certifications": list(p.certifications),
                         "incoterms": [], "unit": "kg", "language": p.language, "status": "published",
                         "created_at": now, "updated_at": now, "version": 1})
        for start in range(0, len(rows), 2000):
            session.execute(insert(ProductProfile), rows[start:start + 2000])
        session.commit()
        if engine.url.get_backend_name() == "postgresql":
            session.execute(text("SELECT setval('product_profile_id_seq', (SELECT max(id) FROM product_profile))"))
            session.commit()
    return ids


def searched(client, demand: Demand, ids: dict[int, str]) -> list[str]:
    """The first ten results of ``/search`` for the request's text, in the page's order."""
    response = client.get("/search/", query_string={"q": query_text(demand), "side": "products"},
                          headers={"HX-Request": "true"})
    assert response.status_code == 200, response.status_code
    return [ids[int(found)] for found in _RESULT.findall(response.get_data(as_text=True))][:10]


def judged(products, demand: Demand, hs6: str) -> dict[str, int]:
    return {p.id: relevance(p.hs_code, hs6) for p in products
            if relevance(p.hs_code, hs6) and not why_not(p, demand)}


def run_target(target: str, products, pairs: dict, folder: Path, results: dict, seconds: dict) -> None:
    url = fresh_database(folder, target)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
    ids = load(app.extensions["db_engine"], products)
    search_index.clear()
    client = app.test_client()
    client.get("/search/", query_string={"q": "warm up", "side": "products"})  # builds the snapshot
    search_index.wait_for_rebuilds(600)
    engine = ProductIndex(products)
    for pair, demands in pairs.items():
        rows = results[pair] = {"split": [], "search": [], "like": [], "full": [], "full_split": [], "same": []}
        for demand in demands:
            hs6 = demand.id.split("-")[1]
            full = judged(products, demand, hs6)
            if full:  # as quality.py: the requests it evaluates
                rows["full"].append(metrics([m.product_id for m in engine.top(demand, k=10)], hs6, full))
                rows["full_split"].append(split_of(hs6))
            text_only = plain(demand)
            relevant = judged(products, text_only, hs6)
            if not relevant:
                continue
            rows["split"].append(split_of(hs6))
            expected = [m.product_id for m in engine.top(text_only, k=10)]
            rows["like"].append(metrics(expected, hs6, relevant))
            started = time.perf_counter()
            shown = searched(client, demand, ids)
            seconds["search"] += time.perf_counter() - started
            rows["search"].append(metrics(shown, hs6, relevant))
            rows["same"].append(shown[:len(expected)] == expected)
            seconds["queries"] += 1
        print(f"{pair}: {len(rows['search'])} requests", flush=True)
    app.extensions["db_engine"].dispose()


def table(results: dict, split: str) -> None:
    def mean(pair_rows, name, splits):
        keep = [i for i, s in enumerate(pair_rows[splits]) if split in ("all", s)]
        values = np.array([pair_rows[name][i][0] for i in keep])
        return (values.mean() if len(values) else float("nan")), len(values)

    print(f"\n[{split}] nDCG@10{'':6}{'requests':>9}{'/search':>9}{'engine, text only':>19}{'difference':>12}"
          f"{'requests':>10}{'engine, full':>14}  same top 10")
    overall = {name: [] for name in ("search", "like", "full", "same")}
    for pair, rows in results.items():
        s, n = mean(rows, "search", "split")
        like, _ = mean(rows, "like", "split")
        full, n_full = mean(rows, "full", "full_split")
        same = [rows["same"][i] for i, sp in enumerate(rows["split"]) if split in ("all", sp)]
        print(f"{pair:<21}{n:>9}{s:>9.3f}{like:>19.3f}{s - like:>+12.3f}{n_full:>10}{full:>14.3f}"
              f"{sum(same):>8} of {len(same)}")
        for name, splits in (("search", "split"), ("like", "split"), ("full", "full_split"), ("same", "split")):
            overall[name] += [rows[name][i][0] if name != "same" else rows[name][i]
                              for i, sp in enumerate(rows[splits]) if split in ("all", sp)]
    s, like, full = (float(np.mean(overall[name])) for name in ("search", "like", "full"))
    print(f"{'overall':<21}{len(overall['search']):>9}{s:>9.3f}{like:>19.3f}{s - like:>+12.3f}"
          f"{len(overall['full']):>10}{full:>14.3f}{sum(overall['same']):>8} of {len(overall['same'])}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / "../shared/data")
    parser.add_argument("--requests", type=int, default=300, help="requests sampled per language pair")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--split", choices=("all", "dev", "test"), default="all")
    args = parser.parse_args()
    if not (args.data / "hs2022_harmonized-system.csv").exists():
        print(f"No reference data at {args.data.resolve()}: see benchmarks/README.md. Nothing measured.")
        return 0
    # The same catalogues and requests as quality.py.
    catalogues, requests = benchmark_sets(args.data, seed=args.seed, requests=args.requests)
    by_target: dict[str, dict[str, list[Demand]]] = {}
    for source, target in PAIRS:
        by_target.setdefault(target, {})[f"{source}->{target}"] = requests[f"{source}->{target}"]
    results: dict = {}
    seconds = {"search": 0.0, "queries": 0}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        for target, pairs in by_target.items():
            run_target(target, catalogues[target], pairs, Path(folder), results, seconds)
    results = {f"{s}->{t}": results[f"{s}->{t}"] for s, t in PAIRS}
    print(f"database: {'PostgreSQL' if os.environ.get('DATABASE_URL') else 'SQLite'}; "
          f"{seconds['queries']} searches, {seconds['search'] / max(1, seconds['queries']) * 1000:.0f} ms each "
          f"(wall); {time.perf_counter() - started:.0f} s in all")
    for split in (("all", "dev", "test") if args.split == "all" else (args.split,)):
        table(results, split)
    return 0


if __name__ == "__main__":
    sys.exit(main())
