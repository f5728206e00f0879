"""The demo data through the engine, as `matchmaker rematch` proposes it: no pair joins two sectors."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from demo import load, proposals  # noqa: E402

from matchmaker.matching import classify  # noqa: E402


def test_no_proposed_pair_on_the_demo_data_joins_two_sectors():
    products, demands = load()
    sector = {r.id: classify(r).sector for r in [*products, *demands]}
    pairs = proposals(products, demands, k=10)
    assert len(pairs) > 200  # the demo still shows plenty of matches
    assert [(p, d) for p, d in pairs if sector[p] != sector[d]] == []
    assert min(pairs.values()) >= 0.5  # nothing below the minimum grade
