"""Quality of the engine against a plain TF-IDF baseline, on public HS nomenclatures.

Products: English HS 2022 subheadings and Indonesian BTKI lines (one per HS6) in the platform's
chapters plus distractor chapters. Requests: Russian TN VED lines, English and Indonesian BTKI lines,
without HS codes, each worded by a different source than the catalogue it searches. Relevance: same
HS6 = 2, same heading = 1. Random countries and certifications check the hard constraints.

Beside nDCG it prints the **precision of proposals** (the share of proposed pairs whose product and
request are in different sectors, sectors read from their HS codes; also where neither is "other")
and the **grade distribution** of what the engine proposes (perfect >= 85, plausible 50-85).

Requests are split by a hash of their HS6 code into ``dev`` (about half, for tuning) and ``test``
(held out: report it, never tune on it). The default run prints all requests, then dev, then test.

    .venv/bin/python benchmarks/quality.py [--data ../shared/data] [--requests 300] [--seed 7]
                                           [--split all|dev|test] [--weights text=0.3,hs=0.2]
"""

from __future__ import annotations

import argparse
import hashlib
import math
import random
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nomenclatures import btki, hs_english, tnved_russian  # noqa: E402

from matchmaker.matching import Demand, Product, ProductIndex, why_not  # noqa: E402
from matchmaker.vocabulary import sector_for_hs  # noqa: E402

SECTOR = ("02", "03", "04", "1601", "1602", "1603", "1604", "1605") + tuple(str(c) for c in range(50, 64)) + ("94",)
DISTRACTORS = ("07", "15", "19", "23", "39", "42", "44", "64", "65", "70")
CERTS = ("halal", "vet", "eac", "svlk", "fsc", "haccp", "asc", "msc")
PAIRS = (("ru", "en"), ("ru", "id"), ("en", "en"), ("en", "id"), ("id", "en"))


def split_of(hs6: str) -> str:
    """``dev`` or ``test``, fixed by the HS6 code alone so no run, seed or sample moves a code."""
    return "dev" if hashlib.sha256(f"split:{hs6}".encode()).digest()[0] % 2 == 0 else "test"


def in_scope(hs6: str, prefixes) -> bool:
    return hs6.startswith(prefixes)


def relevance(hs_a: str, hs_b: str) -> int:
    return 2 if hs_a == hs_b else 1 if hs_a[:4] == hs_b[:4] else 0


def metrics(ranked: list[str], query_hs: str, relevant: dict[str, int]) -> tuple[float, float, float]:
    gains = [relevant.get(p, 0) for p in ranked[:10]]
    dcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(gains))
    ideal = sorted(relevant.values(), reverse=True)[:10]
    idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    mrr = next((1 / (i + 1) for i, g in enumerate(gains) if g > 0), 0.0)
    exact = [p for p, g in relevant.items() if g == 2]
    recall = sum(1 for p in ranked[:10] if relevant.get(p) == 2) / len(exact) if exact else 0.0
    return dcg / idcg if idcg else 0.0, mrr, recall


def build_catalogue(rows: dict[str, str], language: str, rng: random.Random) -> list[Product]:
    products = []
    for hs6, text in sorted(rows.items()):
        if in_scope(hs6, SECTOR + DISTRACTORS):
            certs = tuple(sorted(rng.sample(CERTS, rng.randint(0, 3))))
            products.append(Product(f"{language}-{hs6}", text[:200], description=text[200:] or None,
                                    hs_code=hs6, country=rng.choice(["ID", "KZ", "MY", "VN"]),
                                    certifications=certs, language=language))
    return products


def benchmark_sets(data: Path, *, seed: int, requests: int,
                   split: str = "all") -> tuple[dict[str, list[Product]], dict[str, list[Demand]]]:
    """The catalogues (by language) and the requests (by pair, "ru->en"...) of a run: the same draws,
    in the same order, for every script that measures on them (quality.py, search_quality.py)."""
    rng = random.Random(seed)
    sources = {"en": dict(hs_english(data)), "id": dict(btki(data, "description_id"))}
    request_sources = {"ru": dict(tnved_russian(data)), "en": dict(btki(data, "description_en")),
                       "id": sources["id"]}
    catalogues = {lang: build_catalogue(rows, lang, rng) for lang, rows in sources.items()}
    drawn = {f"{source}->{target}": build_requests(request_sources[source], source, requests, rng, split)
             for source, target in PAIRS}
    return catalogues, drawn


def build_requests(rows: dict[str, str], language: str, n: int, rng: random.Random,
                   split: str = "all") -> list[Demand]:
    codes = sorted(c for c in rows if in_scope(c, SECTOR))
    demands = []
    for hs6 in rng.sample(codes, min(n, len(codes))):
        required = tuple(rng.sample(CERTS, 1)) if rng.random() < 0.2 else ()
        country = rng.choice(["ID", "KZ"])  # drawn before the split filter: same requests in every run
        if split != "all" and split_of(hs6) != split:
            continue
        text = rows[hs6]
        demands.append(Demand(f"{language}-{hs6}", text[:200], description=text[200:] or None,
                              country=country, required_certifications=required))
    return demands


class Baseline:
    """Plain word TF-IDF cosine, with the same hard constraints so the comparison is fair."""

    def __init__(self, products: list[Product]):
        self.products = products
        self.vectoriser = TfidfVectorizer()
        self.matrix = self.vectoriser.fit_transform([f"{p.title} {p.description or ''}" for p in products])

    def top(self, demand: Demand, k: int = 10) -> list[str]:
        query = self.vectoriser.transform([f"{demand.title} {demand.description or ''}"])
        scores = (self.matrix @ query.T).toarray().ravel()
        ok = np.array([not why_not(p, demand) for p in self.products])
        scores[~ok] = -1
        order = sorted(np.flatnonzero(ok), key=lambda i: (-scores[i], self.products[i].id))[:k]
        return [self.products[i].id for i in order]


class Proposals:
    """What the engine proposed, per split: sectors of each pair, grades, and the grade of the top
    result by its relevance (so a grade can be read against "exact subheading found first")."""

    def __init__(self):
        self.rows: list[tuple[str, bool, bool, float, int, int]] = []

    def add(self, split: str, product: Product, hs6: str, score: float, rank: int, relevance: int) -> None:
        sectors = sector_for_hs(product.hs_code), sector_for_hs(hs6)
        self.rows.append((split, sectors[0] != sectors[1], "other" not in sectors, score, rank, relevance))

    def print(self, split: str) -> None:
        rows = [r for r in self.rows if split in ("all", r[0])]
        if not rows:
            return
        crossed = sum(r[1] for r in rows)
        known = [r for r in rows if r[2]]
        print(f"precision of proposals [{split}]: {len(rows)} proposed pairs, {crossed} in different sectors "
              f"({crossed / len(rows):.2%}); where both sectors are known {sum(r[1] for r in known)} of "
              f"{len(known)} ({sum(r[1] for r in known) / max(1, len(known)):.2%})")
        bands = [("perfect >= 85", lambda g: g >= 85), ("plausible 50-84", lambda g: 50 <= g < 85),
                 ("below 50", lambda g: g < 50)]
        grades = [round(r[3] * 100) for r in rows]
        print("grades [" + split + "]: " + ", ".join(
            f"{name} {sum(map(test, grades))} ({sum(map(test, grades)) / len(grades):.0%})" for name, test in bands))
        for relevance, name in ((2, "same HS6"), (1, "same heading"), (0, "neither")):
            top = sorted(round(r[3] * 100) for r in rows if r[4] == 1 and r[5] == relevance)
            if top:
                print(f"  top result {name}: {len(top)}, median grade {top[len(top) // 2]}, "
                      f">= 85: {sum(g >= 85 for g in top) / len(top):.0%}")


def parse_weights(text: str | None) -> dict[str, float] | None:
    if not text:
        return None
    return {name.strip(): float(value) for name, value in (part.split("=") for part in text.split(","))}


def print_table(results: dict, split: str, requests: dict) -> None:
    keep = {pair: np.array([s == split or split == "all" for s in splits])
            for pair, splits in requests.items()}
    print(f"\n[{split}] {sum(int(k.sum()) for k in keep.values())} requests")
    print(f"{'pair':<10}{'engine nDCG@10':>16}{'MRR':>7}{'R@10':>7}"
          f"{'baseline nDCG@10':>19}{'MRR':>7}{'R@10':>7}")
    for pair in [*requests, "overall"]:
        row = []
        for name in ("engine", "baseline"):
            scores = np.vstack([results[name][p][keep[p]] for p in requests]) if pair == "overall" \
                else results[name][pair][keep[pair]]
            row.append(scores.mean(axis=0) if len(scores) else np.zeros(3))
        (e_ndcg, e_mrr, e_rec), (b_ndcg, b_mrr, b_rec) = row
        print(f"{pair:<10}{e_ndcg:>16.3f}{e_mrr:>7.3f}{e_rec:>7.3f}{b_ndcg:>19.3f}{b_mrr:>7.3f}{b_rec:>7.3f}")
        if pair == "overall":
            if b_ndcg:
                print(f"engine / baseline nDCG@10: {e_ndcg / b_ndcg:.2f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / "../shared/data")
    parser.add_argument("--requests", type=int, default=300, help="requests sampled per language pair")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--split", choices=("all", "dev", "test"), default="all",
                        help="evaluate only this half (tune on dev; 'all' prints all, dev and test)")
    parser.add_argument("--weights", help="component weights for the engine, e.g. text=0.3,concepts=0.25")
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline (faster tuning)")
    args = parser.parse_args()
    if not (args.data / "hs2022_harmonized-system.csv").exists():
        print(f"No reference data at {args.data.resolve()}: the quality benchmark needs ../shared/data "
              "(see benchmarks/README.md). Nothing measured.")
        return 0
    catalogues, requests = benchmark_sets(args.data, seed=args.seed, requests=args.requests, split=args.split)
    started = time.perf_counter()
    weights = parse_weights(args.weights)
    engines = {lang: ProductIndex(products, weights=weights) for lang, products in catalogues.items()}
    baselines = {lang: Baseline(products) for lang, products in catalogues.items()}
    print(f"catalogues: {', '.join(f'{l} {len(p)} products' for l, p in catalogues.items())}; "
          f"indexes built in {time.perf_counter() - started:.1f}s")

    rankers = ("engine",) if args.no_baseline else ("engine", "baseline")
    results = {name: {} for name in ("engine", "baseline")}
    splits: dict[str, list[str]] = {}
    violations = 0
    proposals = Proposals()
    for source, target in PAIRS:
        pair = f"{source}->{target}"
        demands = requests[pair]
        products = catalogues[target]
        by_id = {p.id: p for p in products}
        for name in ("engine", "baseline"):
            scores, splits[pair] = [], []
            for demand in demands:
                hs6 = demand.id.split("-")[1]
                relevant = {p.id: relevance(p.hs_code, hs6) for p in products
                            if relevance(p.hs_code, hs6) and not why_not(p, demand)}
                if not relevant:
                    continue
                splits[pair].append(split_of(hs6))
                if name not in rankers:
                    scores.append((0.0, 0.0, 0.0))
                    continue
                if name == "engine":
                    found = engines[target].top(demand, k=10)
                    ranked = [m.product_id for m in found]
                    violations += sum(bool(why_not(by_id[p], demand)) for p in ranked)
                    for rank, m in enumerate(found, start=1):
                        proposals.add(split_of(hs6), by_id[m.product_id], hs6, m.score, rank,
                                      relevant.get(m.product_id, 0))
                else:
                    ranked = baselines[target].top(demand)
                scores.append(metrics(ranked, hs6, relevant))
            results[name][pair] = np.array(scores).reshape(-1, 3)
        print(f"{pair}: {len(results['engine'][pair])} requests evaluated")

    for split in (("all", "dev", "test") if args.split == "all" else (args.split,)):
        print_table(results, split, splits)
        proposals.print(split)
    print(f"\nhard-constraint violations in engine results: {violations}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
