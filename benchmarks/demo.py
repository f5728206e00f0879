"""Precision of proposals on the demo data: how many proposed pairs join different sectors.

Reads ``seeds/`` directly (no database) and proposes matches the way ``matchmaker rematch`` does:
each published request's top 10 products and each published product's top 10 requests, united.
A pair is "cross-sector" when the product's sector (from its HS code, else its words) differs from
the request's; the figure where both sectors are known leaves ``other`` out.

    .venv/bin/python benchmarks/demo.py [--top 10] [--show 10]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from matchmaker.matching import Demand, DemandIndex, Product, ProductIndex, classify  # noqa: E402

SEEDS = ROOT / "seeds"


def _rows(name: str) -> list[dict]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return [row for row in csv.DictReader(handle) if row["status"] == "published"]


def load() -> tuple[list[Product], list[Demand]]:
    countries = {o["slug"]: o["country"] for o in json.loads((SEEDS / "organisations.json").read_text("utf-8"))}

    def record(build, row: dict, number: int, prefix: str):
        fields = {k: v for k, v in row.items() if k not in ("organisation", "status") and v != ""}
        return build({**fields, "id": f"{prefix}{number}", "country": countries[row["organisation"]]})

    products = [record(Product.from_mapping, row, i, "p") for i, row in enumerate(_rows("products.csv"), 1)]
    demands = [record(Demand.from_mapping, row, i, "r") for i, row in enumerate(_rows("requests.csv"), 1)]
    return products, demands


def proposals(products: list[Product], demands: list[Demand], k: int) -> dict[tuple[str, str], float]:
    pairs = {}
    for results in (ProductIndex(products).top_many(demands, k=k), DemandIndex(demands).top_many(products, k=k)):
        for _, matches in results:
            pairs.update({(m.product_id, m.demand_id): m.score for m in matches})
    return pairs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--top", type=int, default=10, help="matches kept per item (MATCHES_PER_ITEM)")
    parser.add_argument("--show", type=int, default=10, help="print this many cross-sector pairs")
    args = parser.parse_args()
    products, demands = load()
    sector = {r.id: classify(r).sector for r in [*products, *demands]}
    titles = {r.id: r.title for r in [*products, *demands]}
    pairs = proposals(products, demands, args.top)
    crossed = [(p, d) for p, d in pairs if sector[p] != sector[d]]
    known = [(p, d) for p, d in pairs if "other" not in (sector[p], sector[d])]
    crossed_known = [(p, d) for p, d in known if sector[p] != sector[d]]
    print(f"demo data: {len(products)} published products, {len(demands)} published requests")
    print(f"proposed pairs: {len(pairs)}")
    print(f"cross-sector: {len(crossed)} ({len(crossed) / max(1, len(pairs)):.1%}); where both sectors are "
          f"known: {len(crossed_known)} of {len(known)} ({len(crossed_known) / max(1, len(known)):.1%})")
    grades = Counter(min(9, int(score * 10)) for score in pairs.values())
    print("scores: " + ", ".join(f"{10 * b}-{10 * b + 9}: {grades[b]}" for b in range(10) if grades[b]))
    for p, d in sorted(crossed, key=lambda pair: -pairs[pair])[:args.show]:
        print(f"  {pairs[(p, d)] * 100:3.0f}  {titles[p][:45]:<45} [{sector[p]}] -> {titles[d][:45]} [{sector[d]}]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
