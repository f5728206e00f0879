"""Ranking in both directions: hard constraints, explanations that add up, determinism."""

import json
import random

import numpy as np
import pytest

from matchmaker.matching import Demand, DemandIndex, Explanation, Product, ProductIndex, why_not


@pytest.fixture
def index(catalogue, tiny_vocabulary):
    return ProductIndex(catalogue, vocabulary=tiny_vocabulary)


def test_best_product_for_a_cross_lingual_request(index, hotel_request):
    matches = index.top(hotel_request, k=3)
    assert matches[0].product_id == "teak"
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)


def test_missing_certification_excludes_and_why_not_says_so(index, catalogue):
    demand = Demand("d", "frozen shrimp", country="KZ", required_certifications=("msc",))
    assert "shrimp" not in [m.product_id for m in index.top(demand, k=10)]
    assert why_not(catalogue[2], demand) == [
        "the request requires MSC, which the product does not have"]


def test_buyers_own_country_is_excluded(index, catalogue):
    demand = Demand("d", "frozen boneless beef", country="KZ")
    assert "beef" not in [m.product_id for m in index.top(demand, k=10)]
    assert why_not(catalogue[3], demand) == ["the product comes from the buyer's own country (KZ)"]


def test_unknown_country_is_not_excluded(index):
    assert "beef" in [m.product_id for m in index.top(Demand("d", "beef"), k=10)]


def test_no_eligible_product_gives_no_match(index):
    assert index.top(Demand("d", "anything", required_certifications=("organic",)), k=5) == []


def test_index_agrees_with_why_not_on_random_constraints(catalogue, tiny_vocabulary):
    rng = random.Random(7)
    codes = ["halal", "vet", "svlk", "fsc", "eac", "haccp", "asc", "msc"]
    titles = ["kursi jati", "kain katun", "udang beku", "daging sapi beku", "daging sapi beku halal",
              "говядина", "frozen beef, no halal needed"]
    index = ProductIndex(catalogue, vocabulary=tiny_vocabulary)
    for i in range(80):
        demand = Demand(f"d{i}", rng.choice(titles), country=rng.choice([None, "ID", "KZ"]),
                        required_certifications=tuple(sorted(set(rng.sample(codes, rng.randint(0, 2))))))
        shown = {m.product_id for m in index.top(demand, k=10)}
        allowed = {p.id for p in catalogue if not why_not(p, demand, vocabulary=tiny_vocabulary)}
        assert shown == {p.id for p in catalogue if p.id in allowed and index.explain(p, demand).proposed}
        assert all(index.explain(p, demand).eligible == (p.id in allowed) for p in catalogue)


def test_contributions_add_up_to_the_score_shown(index, hotel_request):
    for match in index.top(hotel_request, k=4):
        e = match.explanation
        assert match.score == e.score
        assert round(sum(c.contribution for c in e.components), 3) == e.score
        assert sum(c.weight for c in e.components) == pytest.approx(1.0)
        assert {c.name for c in e.components} == {"text", "concepts", "hs", "fuzzy", "fit"}
        assert all(0 <= c.value <= 1 for c in e.components)


def test_rounding_never_breaks_the_sum():
    rng = random.Random(3)
    for _ in range(500):
        parts = [(f"c{i}", "", rng.random(), w, "") for i, w in enumerate([0.3, 0.25, 0.2, 0.1, 0.15])]
        e = Explanation.from_parts(parts)
        assert round(sum(c.contribution for c in e.components), 3) == e.score


def test_explanation_round_trips_through_json(index, hotel_request):
    e = index.top(hotel_request, k=1)[0].explanation
    assert Explanation.from_dict(json.loads(json.dumps(e.to_dict()))) == e


def test_index_explain_matches_the_ranked_explanation(index, catalogue, hotel_request):
    match = index.top(hotel_request, k=1)[0]
    assert index.explain(catalogue[0], hotel_request) == match.explanation


def test_ties_are_broken_by_id(tiny_vocabulary):
    twins = [Product(i, "Kain katun", country="ID") for i in ("b", "c", "a")]
    matches = ProductIndex(twins, vocabulary=tiny_vocabulary).top(Demand("d", "kain katun"), k=3)
    assert [m.product_id for m in matches] == ["a", "b", "c"]


def test_results_do_not_depend_on_catalogue_order(catalogue, hotel_request, tiny_vocabulary):
    first = ProductIndex(catalogue, vocabulary=tiny_vocabulary).top(hotel_request, k=4)
    again = ProductIndex(catalogue[::-1], vocabulary=tiny_vocabulary).top(hotel_request, k=4)
    assert first == again


def test_top_many_equals_top_one_by_one(index, hotel_request):
    demands = [hotel_request, Demand("s", "udang"), Demand("c", "cotton fabric")] * 30
    demands = [Demand(f"{d.id}{i}", d.title) for i, d in enumerate(demands)]
    done = []
    batch = list(index.top_many(demands, k=2, progress=done.append))
    assert [d for d, _ in batch] == demands
    assert all(matches == index.top(d, k=2) for d, matches in batch)
    assert sum(done) == len(demands)


def test_demand_index_finds_open_requests_for_a_product(tiny_vocabulary, catalogue):
    demands = [Demand("cloth", "ткань хлопковая", country="KZ"),
               Demand("prawns", "frozen prawns", country="KZ", required_certifications=("asc",)),
               Demand("msc-only", "frozen shrimp", country="KZ", required_certifications=("msc",))]
    index = DemandIndex(demands, vocabulary=tiny_vocabulary)
    matches = index.top(catalogue[2], k=3)
    assert [m.demand_id for m in matches][0] == "prawns"
    assert "msc-only" not in [m.demand_id for m in matches]
    assert all(m.product_id == "shrimp" for m in matches)


def test_duplicate_ids_are_refused(tiny_vocabulary):
    with pytest.raises(ValueError):
        ProductIndex([Product("p", "a"), Product("p", "b")], vocabulary=tiny_vocabulary)


def test_empty_index_returns_nothing(tiny_vocabulary):
    assert ProductIndex([], vocabulary=tiny_vocabulary).top(Demand("d", "teak"), k=3) == []


def _random_listings(rng: random.Random, vocabulary, n: int, kind: str) -> list:
    """Listings made of the vocabulary's own terms in en/id/ru, HS codes given or left to inference,
    a few words no term knows: enough overlap that whole-side rankings have many candidates."""
    terms = [(t, c.hs[0] if c.hs else None) for c in vocabulary.concepts.values()
             for lang in ("en", "id", "ru") for t in c.terms.get(lang, ())]
    listings = []
    for i in range(n):
        picked = rng.sample(terms, rng.randint(1, 3))
        words = [t for t, _ in picked] + rng.sample(["premium", "grade A", "ekspor", "оптом", "fresh", "25 kg"], 2)
        code = picked[0][1] if rng.random() < 0.6 else None
        country = rng.choice(("ID", "KZ", "MY"))
        if kind == "product":
            listings.append(Product(f"p{i}", " ".join(words[:3]), description=" ".join(words), hs_code=code,
                                    country=country))
        else:
            listings.append(Demand(f"d{i}", " ".join(words[:3]), description=" ".join(words), hs_code=code,
                                   country=country))
    return listings


@pytest.mark.parametrize("side", ["products", "requests"])
def test_ranking_a_whole_side_skips_only_rows_that_cannot_agree(side, monkeypatch):
    """Stage two skips rows whose arrays rule out product evidence (no strong text, no shared product
    concept, another HS chapter, no runner-up heading): whole-side rankings stay exactly the same."""
    from matchmaker.matching import default_vocabulary

    vocabulary = default_vocabulary()
    rng = random.Random(11)
    products, demands = _random_listings(rng, vocabulary, 300, "product"), _random_listings(rng, vocabulary, 40, "demand")
    index = ProductIndex(products, vocabulary=vocabulary) if side == "products" else \
        DemandIndex(demands, vocabulary=vocabulary)
    queries = demands if side == "products" else products[:40]
    kept = []
    may_agree = type(index)._may_agree

    def counting(self, query, positions, text_values):
        found = may_agree(self, query, positions, text_values)
        kept.append((int(found.sum()), len(positions)))
        return found

    monkeypatch.setattr(type(index), "_may_agree", counting)
    pruned = [index.rank(q, k=len(index)) for q in queries]
    assert sum(k for k, _ in kept) < 0.8 * sum(n for _, n in kept), "most rows cannot agree and are skipped"
    monkeypatch.setattr(type(index), "_may_agree", lambda self, query, positions, values: np.ones(len(positions), bool))
    assert pruned == [index.rank(q, k=len(index)) for q in queries]
    assert any(pruned)


def _market_with_odd_texts(seed: int):
    from dataclasses import replace

    from tests.matching.test_artefact import random_demands, random_products

    rng = random.Random(seed)
    products, demands = random_products(rng, 150), random_demands(rng, 60)
    products[3] = replace(products[3], title="ΣΚΑΜΝΙ ΞΎΛΙΝΟ, teak; ΣΣ", description="mebel jati; ΣΑΣ")
    products[4] = replace(products[4], language="id")  # a language given, not detected
    products[5] = replace(products[5], title="", description=None)
    return products, demands


def test_a_query_read_from_its_own_index_reads_as_a_fresh_reading(tiny_vocabulary):
    from dataclasses import fields

    from matchmaker.matching.profile import build_profile, with_tokens

    products, demands = _market_with_odd_texts(21)
    for index, records in ((ProductIndex(products, vocabulary=tiny_vocabulary), products),
                           (DemandIndex(demands, vocabulary=tiny_vocabulary), demands)):
        for record in records:
            slim, fresh = index.profile(record.id), build_profile(record, tiny_vocabulary)
            assert slim.words == slim.spelled == ()  # the index keeps only their counts
            again = with_tokens(slim)
            for field in fields(fresh):
                assert getattr(again, field.name) == getattr(fresh, field.name), (record.id, field.name)
    assert sum(len(build_profile(p, tiny_vocabulary).words) for p in products) > 300  # not vacuous


@pytest.mark.parametrize("forked", [False, True])
def test_top_many_with_the_queries_own_index_gives_the_same_matches(tiny_vocabulary, monkeypatch, forked):
    from dataclasses import replace

    from matchmaker.matching import ConceptVocabulary
    from matchmaker.matching import index as engine
    from matchmaker.matching.profile import build_profile
    from matchmaker.matching.reading import read_profiles

    from tests.matching.conftest import TINY_CONCEPTS

    products, demands = _market_with_odd_texts(22)
    product_index = ProductIndex(products[:-20], vocabulary=tiny_vocabulary)
    demand_index = DemandIndex(demands[:-10], vocabulary=tiny_vocabulary)
    # Queries the lending index does not hold, or holds as they were before an edit, are read whole.
    products[7] = replace(products[7], title=products[7].title + " kursi", hs_code="940161")
    demands[2] = replace(demands[2], country="ID")
    if forked:
        monkeypatch.setattr(engine, "PARALLEL_QUERIES_FROM", 2)
        monkeypatch.setattr(engine, "CHUNK", 9)
    reads = []
    monkeypatch.setattr(engine, "build_profile", lambda r, v: reads.append(r.id) or build_profile(r, v))
    monkeypatch.setattr(engine, "read_profiles", lambda rs, v: reads.extend(r.id for r in rs) or read_profiles(rs, v))
    for catalogue, queries, own in ((demand_index, products, product_index),
                                    (product_index, demands, demand_index)):
        plain = list(catalogue.top_many(queries, k=5))
        reads.clear()
        lent = list(catalogue.top_many(queries, k=5, profiled=own))
        assert lent == plain  # the same queries, matches, scores and explanations, in input order
        assert sum(len(m) for _, m in plain) > 100  # not vacuous
        held = {q.id for q in queries if q.id in own and own.profile(q.id).record == q}
        assert sorted(reads) == sorted(q.id for q in queries if q.id not in held)
        assert len(held) > len(queries) / 2
        # An index read with another vocabulary lends nothing: its readings are not this index's.
        other = type(own)(own.records, vocabulary=ConceptVocabulary.from_entries(TINY_CONCEPTS[:3]))
        reads.clear()
        assert list(catalogue.top_many(queries[:20], k=5, profiled=other)) == plain[:20]
        assert len(reads) == 20


def _stage_one_by_matrix_products(index, profiles) -> np.ndarray:
    """Stage one as the batch's sparse matrix products compute it (the definition the one-query
    path must equal to the bit)."""
    from matchmaker.matching.index import _STAGE_ONE_FLOOR, _concept_matrix

    w = {n: max(index.weights[n], _STAGE_ONE_FLOOR) for n in ("text", "concepts", "hs")}
    concepts = _concept_matrix(profiles, index._concept_column)
    words = index.text.queries(profiles)["words"]
    parts = []
    for segment in index._segments:
        width = segment.words_t.shape[0]
        query = words[:, :width] if words.shape[1] > width else words
        scores = (query @ segment.words_t).toarray()
        scores *= np.float32(w["text"] * 0.5) / index.text.norms(segment.text, "words")
        scores += (concepts @ segment.concepts_t).toarray() * np.float32(w["concepts"])
        parts.append(scores)
    dense = np.concatenate(parts, axis=1)
    for i, query in enumerate(profiles):
        hs = index._hs_stage_one(query)
        if hs is not None:
            dense[i, hs[0]] += w["hs"] * hs[1]
    return dense


def test_one_querys_stage_one_is_the_matrix_products_to_the_bit():
    """Segments added later (narrower word lists), removed rows, unseen words, empty texts."""
    from matchmaker.matching import default_vocabulary
    from matchmaker.matching.profile import build_profile

    vocabulary = default_vocabulary()
    rng = random.Random(3)
    products = _random_listings(rng, vocabulary, 400, "product")
    index = ProductIndex(products[:300], vocabulary=vocabulary)
    index.add(products[300:350]).add(products[350:]).remove([p.id for p in products[::9]])
    assert len(index._segments) > 1
    queries = _random_listings(rng, vocabulary, 60, "demand") + [Demand("empty", ""),
                                                                  Demand("new", "xylophone zzq")]
    profiles = [build_profile(q, vocabulary) for q in queries]
    expected = _stage_one_by_matrix_products(index, profiles)
    for profile, row in zip(profiles, expected):
        found = index._stage_one(profile, index.text.query(profile)["words"])
        assert found.dtype == np.float32 and np.array_equal(found, row)


def test_candidates_are_the_set_a_whole_row_argpartition_gives():
    """Sampled partitions where the edge is clear, the whole row's argpartition where it is tied."""
    from matchmaker.matching.index import _best

    rng = np.random.default_rng(5)
    for trial in range(300):
        n, take = int(rng.integers(1, 3000)), int(rng.integers(1, 40))
        row = rng.random(n).astype(np.float32)
        if trial % 3 == 0:  # few distinct scores: ties at the edge
            row = np.round(row * 20) / 20
        if trial % 5 == 0:  # most rows score nothing
            row[rng.random(n) < 0.95] = 0
        ok = rng.random(n) < rng.choice([1.0, 0.9, 0.3])
        available = int(ok.sum())
        taken = min(take, available)
        expected = np.argpartition(-np.where(ok, row, -np.inf), taken - 1)[:taken] if taken else []
        assert sorted(_best(row, ok, available, take).tolist()) == sorted(list(expected))
