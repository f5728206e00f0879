"""Realistic input for ``matchmaker import``: products and buying requests as JSON Lines.

The texts are the speed benchmark's (``benchmarks/speed.py``: 200–400 character noisy descriptions in
en/id/ru made of the team's concept terms, filler, specifications and typos); this script adds what a
platform row needs and the import checks: a 6-digit HS 2022 subheading for every product (from its
main term's concept), certifications, MOQ below the monthly capacity, a unit, a price, Incoterms, the
language when it is Russian, and an organisation drawn from a few hundred companies of the row's
country (suppliers for products, buyers for requests). Seeded: the same arguments give the same files.

    .venv/bin/python benchmarks/catalogue.py [--products 100000] [--demands 2000] [--seed 7] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from speed import synthetic, term_pool  # noqa: E402  (the speed benchmark's generator, reused)

from matchmaker import hs  # noqa: E402

SUPPLIER_PREFIX = {"ID": ("PT", "CV", "UD"), "KZ": ("ТОО", "TOO", "АО"), "MY": ("Sdn Bhd", "Bhd")}
BUYER_PREFIX = {"ID": ("PT", "CV"), "KZ": ("ТОО", "ИП", "TOO"), "MY": ("Sdn Bhd",)}
ROOTS = {"ID": "Jati Makmur Sinar Abadi Mitra Samudra Nusantara Cahaya Bahari Sentosa Karya Indah Mulia Jaya".split(),
         "KZ": "Altyn Dala Astana Qazaq Saryarka Dostyk Ak Bulak Tengri Steppe Kokshe Almaty Nomad Baiterek".split(),
         "MY": "Maju Harta Bumi Setia Gemilang Cemerlang".split()}
INCOTERMS = ("FOB", "CIF", "EXW", "DAP", "FCA", "CFR")
UNITS = ("kg", "t", "pcs", "sets", "m", "containers")
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


def companies(rng: random.Random, prefixes: dict, n: int, *, suffix: str) -> dict[str, list[str]]:
    """``n`` distinct company names per country, e.g. "PT Sinar Bahari 12"."""
    names: dict[str, list[str]] = {}
    for country, forms in prefixes.items():
        found: set[str] = set()
        while len(found) < n:
            roots = " ".join(rng.sample(ROOTS[country], 2))
            form = rng.choice(forms)
            name = f"{roots} {form}" if "Bhd" in form else f"{form} {roots}"
            found.add(f"{name} {suffix}{rng.randint(1, 99)}")
        names[country] = sorted(found)
    return names


def subheadings() -> dict[str, list[str]]:
    """Every HS 2022 code of 2 or 4 digits → the 6-digit subheadings under it that a product may carry."""
    under: dict[str, list[str]] = {}
    for code in sorted(hs._entries()):
        if len(code) == 6 and hs.is_valid(code):
            under.setdefault(code[:2], []).append(code)
            under.setdefault(code[:4], []).append(code)
    return under


def product_rows(n: int, rng: random.Random, pool, owners) -> list[dict]:
    """Products: every one with an HS subheading, so the pool holds only terms whose concept has one."""
    with_hs = {lang: [(t, h) for t, h in terms if h] for lang, terms in pool.items()}
    under = subheadings()
    rows = []
    for record in synthetic(n, "product", rng, with_hs):
        code = record.hs_code if len(record.hs_code) == 6 and hs.is_valid(record.hs_code) else \
            rng.choice(under.get(record.hs_code[:4]) or under.get(record.hs_code[:2]) or under["94"])
        moq = record.moq
        row = {"id": record.id, "title": record.title, "description": record.description, "hs_code": code,
               "country": record.country, "organisation": rng.choice(owners[record.country]),
               "certifications": list(record.certifications), "moq": moq, "unit": rng.choice(UNITS),
               "capacity_per_month": moq * rng.randint(2, 50), "price_usd": round(rng.uniform(0.5, 5000), 2),
               "incoterms": sorted(rng.sample(INCOTERMS, rng.randint(1, 3)))}
        rows.append(_language(row))
    return rows


def demand_rows(n: int, rng: random.Random, pool, owners) -> list[dict]:
    """Buying requests: no HS code (buyers rarely know it; the platform reads it from the words)."""
    rows = []
    for record in synthetic(n, "demand", rng, pool):
        row = {"id": record.id, "title": record.title, "country": record.country,
               "organisation": rng.choice(owners[record.country]),
               "required_certifications": list(record.required_certifications), "quantity": record.quantity,
               "unit": rng.choice(UNITS), "incoterms": sorted(rng.sample(INCOTERMS, rng.randint(0, 2)))}
        if record.description:
            row["description"] = record.description
        if rng.random() < 0.5:
            row["max_price_usd"] = round(rng.uniform(1, 8000), 2)
        rows.append(_language(row))
    return rows


def _language(row: dict) -> dict:
    if CYRILLIC.search(row["title"]):
        row["language"] = "ru"
    return row


def write(rows: list[dict], path: Path) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")


def generate(out: Path, *, products: int, demands: int, seed: int = 7,
             companies_per_country: int = 100) -> tuple[Path, Path]:
    """Write ``products.jsonl`` and ``demands.jsonl`` under ``out``; return their paths."""
    rng = random.Random(seed)
    pool = term_pool()
    suppliers = companies(rng, SUPPLIER_PREFIX, companies_per_country, suffix="S")
    buyers = companies(rng, BUYER_PREFIX, max(10, companies_per_country // 3), suffix="B")
    out.mkdir(parents=True, exist_ok=True)
    paths = out / "products.jsonl", out / "demands.jsonl"
    write(product_rows(products, rng, pool, suppliers), paths[0])
    write(demand_rows(demands, rng, pool, buyers), paths[1])
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("instance/benchmark"))
    args = parser.parse_args()
    started = time.perf_counter()
    paths = generate(args.out, products=args.products, demands=args.demands, seed=args.seed)
    print(f"{args.products} products → {paths[0]}, {args.demands} requests → {paths[1]} "
          f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
