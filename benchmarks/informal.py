"""Robustness on informal product texts: marketplace-style titles against formal requests.

Part 1, always: ``informal/products.csv`` holds 123 product titles the team wrote in the style of
Indonesian and Russian marketplace listings and shop receipts (brands, model numbers, sizes and
variant suffixes, "с/м", "б/к", "х/к", inflected Russian, mixed Indonesian and English), each labelled
by us with its HS6 code, plus look-alike distractors (cat food "rasa tuna", a "coklat susu" dress,
sunflower "масло"); ``informal/requests.csv`` holds 42 formal requests in en, id, ru and kk. Products
carry no HS code, as a marketplace title has none. Relevance as in ``quality.py``: same HS6 = 2, same
heading = 1.

Part 2, only when ``../shared/data/realtexts`` exists: real retail names that nobody on the team
wrote (Russian grocery names and Tokopedia titles, see that folder's SOURCE.txt). They have shop
categories, not HS codes, so a product is relevant when its category's sector is the request's sector.
The script says so when that folder is missing.

    .venv/bin/python benchmarks/informal.py [--data ../shared/data] [--seed 7] [--no-baseline]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from quality import Baseline, metrics  # noqa: E402

from matchmaker.matching import Demand, Product, ProductIndex  # noqa: E402
from matchmaker.vocabulary import sector_for_hs  # noqa: E402

HERE = Path(__file__).resolve().parent / "informal"
# Shop categories of the real texts, as the platform's sectors (SOURCE.txt gives the mapping).
GROCERY_SECTORS = {"Птица, мясо, деликатесы": "meat", "Молоко, сыр, яйца": "dairy", "Рыба, икра": "fisheries"}
TOKOPEDIA_SECTORS = {"Men's Fashion": "textiles", "Women's Fashion": "textiles",
                     "Muslim Fashion": "textiles", "Kids and Baby Fashion": "textiles"}
PER_SECTOR = 150      # real names sampled per sector, and three times as many distractors


def read_csv(name: str) -> list[dict]:
    with (HERE / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def requests() -> list[tuple[Demand, str]]:
    """``(request, hs6)``; no country and no certificate, so only the texts decide."""
    return [(Demand(r["id"], r["title"], description=r["description"] or None, language=r["language"]),
             r["hs6"]) for r in read_csv("requests.csv")]


def relevance(hs_a: str, hs_b: str) -> int:
    return 2 if hs_a == hs_b else 1 if hs_a[:4] == hs_b[:4] else 0


def evaluate(catalogue: list[Product], graded: list[tuple[Demand, dict[str, int], str]],
             with_baseline: bool) -> dict[str, dict[str, np.ndarray]]:
    """Per ranker, per group: rows of (nDCG@10, MRR, share of the top 10 that is relevant)."""
    rankers = {"engine": ProductIndex(catalogue)}
    if with_baseline:
        rankers["baseline"] = Baseline(catalogue)
    results: dict[str, dict[str, list]] = {name: defaultdict(list) for name in rankers}
    for demand, relevant, group in graded:
        if not relevant:
            continue
        for name, ranker in rankers.items():
            ranked = [m.product_id for m in ranker.top(demand, k=10)] if name == "engine" \
                else ranker.top(demand)
            ndcg, mrr, _ = metrics(ranked, "", relevant)
            precision = sum(1 for p in ranked[:10] if relevant.get(p)) / 10
            for key in (group, "overall"):
                results[name][key].append((ndcg, mrr, precision))
    return {name: {group: np.array(rows) for group, rows in groups.items()}
            for name, groups in results.items()}


def print_table(title: str, results: dict[str, dict[str, np.ndarray]]) -> None:
    print(f"\n{title}")
    names = list(results)
    print(f"{'requests':<12}{'n':>4}" + "".join(f"{n + ' nDCG@10':>18}{'MRR':>7}{'P@10':>7}" for n in names))
    groups = sorted(g for g in results["engine"] if g != "overall") + ["overall"]
    for group in groups:
        row = f"{group:<12}{len(results['engine'][group]):>4}"
        for name in names:
            ndcg, mrr, precision = results[name][group].mean(axis=0)
            row += f"{ndcg:>18.3f}{mrr:>7.3f}{precision:>7.3f}"
        print(row)


def written_titles(with_baseline: bool) -> None:
    rows = read_csv("products.csv")
    catalogue = [Product(r["id"], r["title"]) for r in rows]
    graded = []
    for demand, hs6 in requests():
        relevant = {r["id"]: relevance(r["hs6"], hs6) for r in rows if relevance(r["hs6"], hs6)}
        graded.append((demand, relevant, demand.language))
    results = evaluate(catalogue, graded, with_baseline)
    print_table(f"Part 1: {len(catalogue)} informal titles written by the team, {len(graded)} formal "
                "requests (relevance: same HS6 2, same heading 1)", results)


def real_names(folder: Path, rng: random.Random) -> list[tuple[str, str, str]]:
    """``(id, title, sector)`` sampled from the real retail texts: each sector's names and distractors."""
    by_sector: dict[str, list[tuple[str, str]]] = defaultdict(list)
    with (folder / "ru_grocery_names_receipt_parser.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            by_sector[GROCERY_SECTORS.get(row["Категория"], "other")].append(("ru", row["name_norm"]))
    with (folder / "prdect_id_tokopedia_reviews.csv").open(encoding="utf-8") as handle:
        titles = {(row["Category"], row["Product Name"]) for row in csv.DictReader(handle, delimiter=";")}
    for category, title in sorted(titles):
        by_sector[TOKOPEDIA_SECTORS.get(category, "other")].append(("id", title))
    sample = []
    for sector, names in sorted(by_sector.items()):
        names = sorted(set(names))
        size = PER_SECTOR * (3 if sector == "other" else 1)
        sample += [(f"{lang}-{sector}-{i}", title, sector)
                   for i, (lang, title) in enumerate(rng.sample(names, min(size, len(names))))]
    return sample


def real_texts(folder: Path, seed: int, with_baseline: bool) -> None:
    if not (folder / "ru_grocery_names_receipt_parser.csv").exists():
        print(f"\nPart 2 not run: no real retail texts at {folder.resolve()} (see benchmarks/README.md).")
        return
    names = real_names(folder, random.Random(seed))
    catalogue = [Product(pid, title) for pid, title, _ in names]
    sectors = {pid: sector for pid, _, sector in names}
    graded = []
    for demand, hs6 in requests():
        sector = sector_for_hs(hs6)
        if sector in GROCERY_SECTORS.values() or sector in TOKOPEDIA_SECTORS.values():
            graded.append((demand, {pid: 1 for pid, s in sectors.items() if s == sector}, sector))
    counts = ", ".join(f"{sector} {n}" for sector, n in sorted(Counter(sectors.values()).items()))
    print_table(f"Part 2: {len(catalogue)} real retail names ({counts}), the same requests "
                "(relevance: same sector)", evaluate(catalogue, graded, with_baseline))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path(__file__).resolve().parents[1] / "../shared/data")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-baseline", action="store_true", help="skip the word TF-IDF baseline")
    args = parser.parse_args()
    started = time.perf_counter()
    written_titles(not args.no_baseline)
    real_texts(args.data / "realtexts", args.seed, not args.no_baseline)
    print(f"\n{time.perf_counter() - started:.1f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
