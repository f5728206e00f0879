"""Reading many records at once (``reading.py``) gives exactly the profiles of reading them one by one."""

import random

import numpy as np
import pytest

from matchmaker.matching import Demand, Product, default_vocabulary
from matchmaker.matching.normalise import clause_tokens, clause_tokens_many, detect_language, detect_languages
from matchmaker.matching.profile import build_profile
from matchmaker.matching.reading import read_profiles, read_slim
from matchmaker.matching.text import _one, local_counts, local_counts_of
from matchmaker.matching.profile import word_grams

AWKWARD = [
    Product("fish", "Fish, fresh or chilled, excluding fish fillets; sole", description="Frozen tuna (yellowfin)"),
    Product("ru-fish", "Рыба свежая или охлажденная, за исключением рыбного филе; морской язык"),
    Product("sigma", "ΣΚΑΜΝΙ ΞΎΛΙΝΟ, teak; ΣΣ", description="mebel jati; ΣΑΣ"),
    Product("wide", "ＦＲＯＺＥＮ shrimp，beef；ｍｉｌｋ ｐｏｗｄｅｒ", description="ﬁsh fillet"),
    Product("abbrev", "Креветки с/м 40/50, говядина б/к", description="х/б ткань;с/м"),
    Product("kazakh", "Сиыр еті, мұздатылған", description="сүттің ұнтағы; креслолар"),
    Product("given", "Skimmed milk powder 25 kg", hs_code="040210", language="ru"),
    Product("broader", "Whole milk powder, skimmed milk powder; yellowfin tuna"),
    Product("empty", "", description=None),
    Product("stops", "and or of the; и или", description="dan atau"),
    Product("marks", "QCLAUSEQ QTEXTQ qtextq", description="a_b__c; 1/2"),
    Product("mixed", "Kursi jatti dan meja makan, furniture", description="daging sapi beku; \nсухое молоко"),
    Product("lang", "Frozen prawns", language="fr"),
]


def _catalogue(n: int) -> list:
    rng = random.Random(3)
    words = [w for p in AWKWARD for w in f"{p.title} {p.description or ''}".split()] + list(",;:()/\n")
    return AWKWARD + [Product(f"r{i}", " ".join(rng.choice(words) for _ in range(rng.randint(0, 12))),
                              description=" ".join(rng.choice(words) for _ in range(rng.randint(0, 30))) or None,
                              language=rng.choice([None, None, "en", "ru", "id", "kk"]))
                      for i in range(n)]


def test_a_batch_of_texts_splits_into_the_words_and_clauses_of_each():
    texts = [f"{p.title}; {p.description or ''}" for p in _catalogue(300)]
    batch = clause_tokens_many(texts)
    for i, text in enumerate(texts):
        a, b = batch.bounds[i], batch.bounds[i + 1]
        assert (batch.words[a:b], batch.clauses[a:b].tolist()) == clause_tokens(text)
        assert [batch.distinct[k] for k in batch.ids[a:b]] == batch.words[a:b]
    assert detect_languages(batch) == [detect_language(clause_tokens(t)[0]) for t in texts]


@pytest.mark.parametrize("kind", [Product, Demand])
def test_read_profiles_equal_build_profile(kind):
    vocabulary = default_vocabulary()
    records = [r if kind is Product else Demand(r.id, r.title, description=r.description, language=r.language)
               for r in _catalogue(400)]
    assert read_profiles(records, vocabulary) == [build_profile(r, vocabulary) for r in records]
    assert any(h.how == "broader" for p in read_profiles(records, vocabulary) for h in p.hits)  # not vacuous


def test_read_slim_counts_the_same_words():
    vocabulary = default_vocabulary()
    records = _catalogue(400)
    profiles, stems, spelled = read_slim(records, vocabulary)
    full = [build_profile(r, vocabulary) for r in records]
    assert all(p.words == p.spelled == () for p in profiles)
    assert stems.per_text() == [p.words for p in full] and spelled.per_text() == [p.spelled for p in full]
    for tokens, documents, expand in ((stems, [p.words for p in full], _one),
                                      (spelled, [p.spelled for p in full], word_grams)):
        names, counts = local_counts_of(tokens.ids, tokens.names, tokens.text_at, tokens.texts, expand)
        expected_names, expected = local_counts(documents, expand)
        assert names == expected_names
        assert all(np.array_equal(getattr(counts, a), getattr(expected, a)) for a in ("data", "indices", "indptr"))
