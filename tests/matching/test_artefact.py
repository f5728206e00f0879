"""The engine as a fitted artefact: fit, add, remove, save, load, fingerprint."""

from __future__ import annotations

import random

import numpy as np
import pytest

from matchmaker.matching import ConceptVocabulary, Demand, DemandIndex, Product, ProductIndex
from matchmaker.matching import artefact
from matchmaker.matching.artefact import IncompatibleIndex

from tests.matching.conftest import TINY_CONCEPTS

WORDS = {
    "en": "teak chair table furniture cotton fabric woven frozen shrimp prawn beef milk powder solid "
          "premium export grade bulk carton natural hotel dining".split(),
    "id": "kursi meja jati kayu mebel kain katun udang beku daging sapi susu bubuk kualitas ekspor "
          "grosir murah asli lokal".split(),
    "ru": "стул стол тик мебель ткань хлопок креветки замороженный говядина сухое молоко качество "
          "экспорт оптом партия".split(),
}
CERTIFICATES = ("halal", "vet", "svlk", "eac", "haccp")


def _text(rng: random.Random, language: str) -> str:
    words = rng.sample(WORDS[language], rng.randint(2, 7)) + [str(rng.randint(1, 300))]
    if rng.random() < 0.3:  # a typo, as people write
        i = rng.randrange(len(words))
        words[i] = words[i][:-1] if len(words[i]) > 3 else words[i]
    return " ".join(words)


def random_products(rng: random.Random, n: int, prefix: str = "p") -> list[Product]:
    return [Product(f"{prefix}{i}", _text(rng, lang := rng.choice(("en", "id", "ru"))),
                    description=_text(rng, lang) if rng.random() < 0.6 else None,
                    country=rng.choice(("ID", "KZ", "MY", None)),
                    certifications=tuple(rng.sample(CERTIFICATES, rng.randint(0, 3))),
                    moq=rng.choice((None, 10, 500)), unit="pcs") for i in range(n)]


def random_demands(rng: random.Random, n: int, prefix: str = "d") -> list[Demand]:
    return [Demand(f"{prefix}{i}", _text(rng, rng.choice(("en", "id", "ru"))),
                   country=rng.choice(("ID", "KZ", None)), quantity=rng.choice((None, 100)), unit="pcs",
                   required_certifications=tuple(rng.sample(CERTIFICATES, rng.randint(0, 1))))
            for i in range(n)]


def tops(index, queries, k=10):
    return [[(m.product_id, m.demand_id, m.score) for m in index.top(q, k=k)] for q in queries]


@pytest.fixture(scope="module")
def vocabulary() -> ConceptVocabulary:
    return ConceptVocabulary.from_entries(TINY_CONCEPTS)


@pytest.fixture(scope="module")
def market():
    rng = random.Random(11)
    return random_products(rng, 240), random_products(rng, 60, "q"), random_demands(rng, 40)


def test_fit_then_add_ranks_as_fit_on_the_union(market, vocabulary):
    first, later, demands = market
    grown = ProductIndex(first, vocabulary=vocabulary).add(later)
    union = ProductIndex(first + later, vocabulary=vocabulary)
    assert len(grown) == len(union) == 300
    expected = tops(union, demands)
    assert sum(map(len, expected)) > 100  # the comparison is not vacuous
    assert tops(grown, demands) == expected


def test_many_small_adds_and_compaction_rank_as_one_fit(market, vocabulary):
    first, later, demands = market
    grown = ProductIndex(first[:100], vocabulary=vocabulary)
    for i in range(100, 240, 7):  # twenty adds: more segments than the index keeps apart
        grown.add(first[i:i + 7])
    assert len(grown._segments) < 20
    assert tops(grown, demands) == tops(ProductIndex(first, vocabulary=vocabulary), demands)


def test_remove_ranks_as_fit_without_them(market, vocabulary):
    first, later, demands = market
    shrunk = ProductIndex(first + later, vocabulary=vocabulary).remove([p.id for p in later] + ["nobody"])
    assert len(shrunk) == len(first)
    assert tops(shrunk, demands) == tops(ProductIndex(first, vocabulary=vocabulary), demands)
    assert all(p.id not in shrunk for p in later)


def test_ranking_among_allowed_ids_follows_changes_of_the_catalogue(market, vocabulary):
    """A search's facets pass the same set of ids again and again; the index remembers which rows
    they are only until its rows move (a removal compacts them), so it never ranks stale rows."""
    first, later, demands = market
    allowed = frozenset(p.id for p in first[::3] + later[::2])
    index = ProductIndex(first + later, vocabulary=vocabulary)
    ranked = [index.rank(d, k=20, allowed=allowed) for d in demands]
    assert any(ranked) and all(item_id in allowed for found in ranked for item_id, _ in found)
    assert ranked == [index.rank(d, k=20, allowed=allowed) for d in demands]  # remembered: the same
    index.remove([p.id for p in first[:120]])
    for product in later[:20]:  # saved again one by one: many small segments, compacted (rows move)
        index.add([product])
    fresh = ProductIndex(first[120:] + later[20:] + later[:20], vocabulary=vocabulary)
    assert [index.rank(d, k=20, allowed=allowed) for d in demands] == \
        [fresh.rank(d, k=20, allowed=allowed) for d in demands] == \
        [fresh.rank(d, k=20, allowed=set(allowed)) for d in demands]  # a plain set: not remembered


def test_adding_an_id_again_replaces_it(vocabulary):
    index = ProductIndex([Product("p1", "kain katun", country="ID"), Product("p2", "udang beku", country="ID")],
                         vocabulary=vocabulary)
    demand = Demand("d", "frozen shrimp", country="KZ")
    assert [m.product_id for m in index.top(demand)] == ["p2"]
    index.add([Product("p2", "kain katun tenun", country="ID"), Product("p1", "udang beku vaname", country="ID")])
    assert len(index) == 2
    assert [m.product_id for m in index.top(demand)] == ["p1"]
    assert {r.id: r.title for r in index.records} == {"p1": "udang beku vaname", "p2": "kain katun tenun"}


def test_an_emptied_index_matches_nothing_and_can_grow_again(vocabulary):
    index = ProductIndex(vocabulary=vocabulary)
    demand = Demand("d", "frozen shrimp", country="KZ")
    assert index.top(demand) == []
    index.add([Product("p1", "udang beku", country="ID")])
    assert [m.product_id for m in index.top(demand)] == ["p1"]
    index.remove(["p1"])
    assert len(index) == 0 and index.top(demand) == []


def test_save_and_load_give_the_same_top_and_explanations(tmp_path, market, vocabulary):
    first, later, demands = market
    index = ProductIndex(first, vocabulary=vocabulary).add(later).remove(["p3", "q7"])
    before = tops(index, demands)
    explained = [index.explain(p, demands[0]) for p in index.records[:20]]
    index.save(tmp_path / "products.idx")
    loaded = ProductIndex.load(tmp_path / "products.idx", vocabulary=vocabulary)
    assert tops(loaded, demands) == before
    assert [loaded.explain(p, demands[0]) for p in index.records[:20]] == explained
    assert loaded.fingerprint == index.fingerprint
    assert str(loaded.fingerprint) == str(index.fingerprint)
    # and it keeps changing like a fitted one
    loaded.add(random_products(random.Random(5), 20, "n"))
    index.add(random_products(random.Random(5), 20, "n"))
    assert tops(loaded, demands) == tops(index, demands)


def test_a_demand_index_round_trips_too(tmp_path, market, vocabulary):
    first, _, demands = market
    index = DemandIndex(demands, vocabulary=vocabulary)
    index.save(tmp_path / "demands.idx")
    loaded = DemandIndex.load(tmp_path / "demands.idx", vocabulary=vocabulary)
    assert tops(loaded, first[:30]) == tops(index, first[:30])
    with pytest.raises(IncompatibleIndex, match="demands"):
        ProductIndex.load(tmp_path / "demands.idx", vocabulary=vocabulary)


def test_fingerprint_names_engine_weights_vocabulary_and_fit(market, vocabulary):
    first, _, _ = market
    index = ProductIndex(first[:20], vocabulary=vocabulary)
    fingerprint = index.fingerprint
    assert fingerprint.to_dict()["engine"] == artefact.ENGINE_VERSION
    assert fingerprint.to_dict()["vocabulary"] == vocabulary.digest
    assert set(fingerprint.to_dict()["weights"]) == {"text", "concepts", "hs", "fuzzy", "fit"}
    assert str(fingerprint).startswith(artefact.ENGINE_VERSION) and len(str(fingerprint)) < 40
    assert index.fingerprint == fingerprint  # stable
    index.add(first[20:30])
    assert index.fingerprint == fingerprint  # deltas keep the fitted artefact's fingerprint
    other_weights = ProductIndex(first[:20], vocabulary=vocabulary, weights={"hs": 0.3})
    other_vocabulary = ProductIndex(first[:20], vocabulary=ConceptVocabulary.from_entries(TINY_CONCEPTS[:-1]))
    for other in (other_weights, other_vocabulary):
        assert str(other.fingerprint) != str(fingerprint)
    assert other_weights.fingerprint.vocabulary == fingerprint.vocabulary
    assert other_vocabulary.fingerprint.weights == fingerprint.weights


def test_a_file_from_another_engine_version_or_vocabulary_is_refused(tmp_path, market, vocabulary, monkeypatch):
    first, _, _ = market
    ProductIndex(first[:20], vocabulary=vocabulary).save(tmp_path / "old.idx")
    monkeypatch.setattr(artefact, "ENGINE_VERSION", "1999.1")
    with pytest.raises(IncompatibleIndex, match="engine version .*fit the index again"):
        ProductIndex.load(tmp_path / "old.idx", vocabulary=vocabulary)
    monkeypatch.undo()
    with pytest.raises(IncompatibleIndex, match="another concept vocabulary"):
        ProductIndex.load(tmp_path / "old.idx", vocabulary=ConceptVocabulary.from_entries(TINY_CONCEPTS[:-1]))


def test_saved_file_is_arrays_and_a_manifest(tmp_path, market, vocabulary):
    first, _, _ = market
    ProductIndex(first, vocabulary=vocabulary).save(tmp_path / "p.idx")
    with np.load(tmp_path / "p.idx", allow_pickle=False) as arrays:
        assert {"manifest", "words.tf.data", "grams.df", "profiles"} <= set(arrays.files)
    manifest = artefact.read_manifest(tmp_path / "p.idx")
    assert manifest["records"] == len(first) and manifest["kind"] == "products"


def test_fit_refits_from_scratch(market, vocabulary):
    first, later, demands = market
    index = ProductIndex(first, vocabulary=vocabulary)
    stamp = index.fingerprint.fitted_at
    index.fit(later)
    assert {r.id for r in index.records} == {p.id for p in later}
    assert index.fingerprint.fitted_at != stamp
    assert tops(index, demands[:10]) == tops(ProductIndex(later, vocabulary=vocabulary), demands[:10])


def test_profiles_read_in_worker_processes_rank_the_same(market, vocabulary):
    first, _, demands = market
    forked = ProductIndex(vocabulary=vocabulary).fit(first[:120], workers=2)
    alone = ProductIndex(vocabulary=vocabulary).fit(first[:120], workers=1)
    assert tops(forked, demands[:15]) == tops(alone, demands[:15])


def test_a_loaded_index_takes_removals_and_reads_profiles_lazily(tmp_path, market, vocabulary):
    first, later, demands = market
    ProductIndex(first + later, vocabulary=vocabulary).save(tmp_path / "p.idx")
    loaded = ProductIndex.load(tmp_path / "p.idx", vocabulary=vocabulary)
    assert sum(p is artefact.STORED for p in loaded._profiles) == len(first + later)
    loaded.remove([p.id for p in later])
    assert tops(loaded, demands[:15]) == tops(ProductIndex(first, vocabulary=vocabulary), demands[:15])
    assert {r.id for r in loaded.records} == {p.id for p in first}


def test_one_records_profile_by_id_from_a_fitted_or_a_loaded_index(tmp_path, market, vocabulary):
    first, later, _ = market
    fitted = ProductIndex(first + later, vocabulary=vocabulary)
    fitted.save(tmp_path / "p.idx")
    loaded = ProductIndex.load(tmp_path / "p.idx", vocabulary=vocabulary)
    for index in (fitted, loaded):
        found = index.profile(first[3].id)
        assert found.record == first[3] and found.language in ("en", "id", "ru")
        assert index.profile("not-indexed") is None
        index.remove([first[3].id])
        assert index.profile(first[3].id) is None
    assert loaded.profile(later[0].id) == fitted.profile(later[0].id)


def test_a_loaded_index_reads_its_stored_profiles_ahead_and_ranks_the_same(tmp_path, market, vocabulary):
    first, later, demands = market
    fitted = ProductIndex(first + later, vocabulary=vocabulary)
    fitted.save(tmp_path / "p.idx")
    loaded = ProductIndex.load(tmp_path / "p.idx", vocabulary=vocabulary)
    steps = list(loaded.read_stored_profiles(step=7))
    assert steps[-1] == len(first + later) and len(steps) == -(-len(first + later) // 7)
    assert not any(p is artefact.STORED for p in loaded._profiles)
    assert loaded._store is None  # the file's pickled copy is let go
    assert tops(loaded, demands[:15]) == tops(fitted, demands[:15])


def test_rows_built_in_pieces_rank_as_at_once(market, vocabulary, monkeypatch):
    from matchmaker.matching import text

    first, _, demands = market
    whole = tops(ProductIndex(first, vocabulary=vocabulary), demands[:15])
    monkeypatch.setattr(text, "_ROWS_AT_ONCE", 7)
    assert tops(ProductIndex(first, vocabulary=vocabulary), demands[:15]) == whole


@pytest.mark.parametrize("side", ["products", "demands"])
def test_a_batch_ranked_in_worker_processes_gives_the_same_matches(market, vocabulary, monkeypatch, side):
    from matchmaker.matching import index as engine

    first, later, demands = market
    catalogue, queries, cls = (first, demands, ProductIndex) if side == "products" else \
        (demands, first[:60], DemandIndex)
    built = cls(catalogue, vocabulary=vocabulary)
    alone = list(built.top_many(queries, k=5))
    monkeypatch.setattr(engine, "PARALLEL_QUERIES_FROM", 2)
    monkeypatch.setattr(engine, "CHUNK", 7)  # several chunks per worker, finished in any order
    done = []
    forked = list(built.top_many(queries, k=5, progress=done.append))
    assert sum(len(m) for _, m in alone) > 30  # not vacuous
    assert forked == alone  # the same records, matches, scores and explanations, in input order
    assert sum(done) == len(queries) and len(done) > 1


def test_a_forked_batch_stopped_early_gives_what_it_gave(market, vocabulary, monkeypatch):
    from matchmaker.matching import index as engine

    first, _, demands = market
    built = ProductIndex(first, vocabulary=vocabulary)
    monkeypatch.setattr(engine, "PARALLEL_QUERIES_FROM", 2)
    monkeypatch.setattr(engine, "CHUNK", 4)
    batch = built.top_many(demands, k=3)
    head = [next(batch) for _ in range(5)]
    batch.close()  # stops the workers instead of waiting for them
    assert [(d.id, [m.product_id for m in found]) for d, found in head] == \
        [(d.id, [m.product_id for m in built.top(d, k=3)]) for d in demands[:5]]


def test_profiles_come_back_from_a_pickle_equal_and_sharing_their_hits(market, vocabulary):
    import pickle

    from matchmaker.matching.profile import build_profile

    first, _, _ = market
    profiles = [build_profile(p, vocabulary) for p in first[:50]]
    back = pickle.loads(pickle.dumps(profiles))
    assert back == profiles and sum(len(p.hits) for p in back) > 20
    again = pickle.loads(pickle.dumps(profiles))  # read in another chunk: the same hit objects
    assert all(a is b for p, q in zip(back, again) for a, b in zip(p.hits, q.hits))


def test_profiles_read_in_worker_processes_are_those_read_here(market, vocabulary):
    first, later, _ = market
    records = first + later
    forked = ProductIndex(vocabulary=vocabulary).fit(records, workers=2)
    alone = ProductIndex(vocabulary=vocabulary).fit(records, workers=1)
    assert forked.profiles == alone.profiles and forked.profiles[0].record is records[0]
    for block in ("words", "grams"):
        assert forked.text.blocks[block].names == alone.text.blocks[block].names
        assert (forked._segments[0].text.tf[block] != alone._segments[0].text.tf[block]).nnz == 0
