"""Inflected Russian, affixed Indonesian and Kazakh reach the vocabulary; look-alike words do not."""

import threading

import pytest

from matchmaker.matching import ConceptVocabulary, Demand, Product, ProductIndex, morphology
from matchmaker.matching.normalise import detect_language, stem
from matchmaker.matching.profile import build_profile

WORDS = ConceptVocabulary.from_entries([
    {"concept": "seat", "hs": ["9401"], "en": ["seat"], "id": ["jok"], "ru": ["сиденье"],
     "kk": ["орындық"]},
    {"concept": "armchair", "hs": ["9401"], "en": ["armchair"], "id": ["kursi santai"], "ru": ["кресло"],
     "kk": ["кресло"]},
    {"concept": "rattan", "hs": ["1401"], "en": ["rattan"], "id": ["rotan"], "ru": ["ротанг"]},
    {"concept": "steel", "hs": ["72"], "en": ["steel"], "id": ["baja"], "ru": ["сталь"]},
    {"concept": "frozen", "hs": [], "en": ["frozen"], "id": ["beku"], "ru": ["замороженный", "с/м"]},
    {"concept": "charcoal", "hs": ["4402"], "en": ["charcoal"], "id": ["arang"], "ru": ["уголь"]},
    {"concept": "teak", "hs": ["4403"], "en": ["teak"], "id": ["jati"], "ru": ["тик"]},
    {"concept": "beech", "hs": ["4407"], "en": ["beech"], "id": ["kayu beech"], "ru": ["бук"]},
    {"concept": "beef", "hs": ["0202"], "en": ["beef"], "id": ["daging sapi"], "ru": ["говядина"],
     "kk": ["сиыр еті"]},
    {"concept": "eggs", "hs": ["0407"], "en": ["eggs"], "id": ["telur"], "ru": ["яйцо"]},
    {"concept": "carpet", "hs": ["5701"], "en": ["carpet"], "id": ["karpet"], "ru": ["ковёр"]},
    {"concept": "milk_powder", "hs": ["0402"], "en": ["milk powder"], "id": ["susu bubuk"],
     "ru": ["сухое молоко"], "kk": ["құрғақ сүт"]},
])


def concepts(text):
    return sorted(hit.concept for hit in WORDS.tag(text))


@pytest.mark.parametrize("text, expected", [
    ("кресла из ротанга", ["armchair", "rattan"]),     # plural and genitive: the lemma meets the term
    ("сиденья для кресел", ["armchair", "seat"]),
    ("изделия из нержавеющей стали", ["steel"]),       # "стали" is steel, not the verb "стать"
    ("Креветки замороженные", ["frozen"]),              # a participle keeps its adjective form
    ("Сиыр етінің партиясы", ["beef"]),                 # Kazakh: case endings stripped
    ("Құрғақ сүттің жеткізілімі", ["milk_powder"]),
    ("Кеңсе креслолары", ["armchair"]),                 # Kazakh plural on a Russian loan word
])
def test_inflected_words_meet_their_terms(text, expected):
    assert concepts(text) == expected


@pytest.mark.parametrize("text, concept", [
    ("партия яиц", "eggs"),                 # яйцо → яиц: no common stem at all
    ("ковров ручной работы", "carpet"),     # fleeting vowel: ковёр → ковров
    ("поставка кресел", "armchair"),        # кресло → кресел
])
def test_stem_changing_inflections_are_read_exactly_not_as_typos(text, concept):
    assert [(h.concept, h.how) for h in WORDS.tag(text)] == [(concept, "stem")]


@pytest.mark.parametrize("text", ["отель в Сиднее", "сидней", "barang impor", "serat kapas", "meslin",
                                  "riding breeches"])
def test_a_real_word_is_not_taken_for_a_typo_of_a_term(text):
    # "сидней" (Sydney) is one letter from "сиденье", "barang" (goods) is "arang" (charcoal) with
    # a letter in front, "serat" (fibre) is "seat" with one more, "breeches" are no "beech"
    # (English has no dictionary here, so English words are never read as typos).
    assert concepts(text) == []


def test_a_writers_typo_still_finds_the_term():
    assert [(h.concept, h.how) for h in WORDS.tag("kursi jatti")] == [("teak", "typo of jati")]


def test_indonesian_affixes_come_off_only_down_to_a_dictionary_root():
    # Snowball strips "ke-" and "per-" blindly: a basket (keranjang) became a bed (ranjang) and
    # furniture (perabotan) became "abot". Sastrawi keeps what its dictionary knows.
    assert stem("keranjang", "id") != stem("ranjang", "id")
    assert stem("perabotan", "id") == stem("perabot", "id") == "perabot"
    assert stem("kemeja", "id") != stem("meja", "id")
    assert stem("pakaian", "id") == "pakai"


def test_kazakh_text_is_recognised_and_read_with_kazakh_terms():
    assert detect_language(["сиыр", "еті"]) == "kk"
    assert detect_language(["говядина"]) == "ru"
    # Halal: the law of the buyer's country (Indonesia) for meat and dairy.
    index = ProductIndex([Product("beef", "Говядина замороженная", country="KZ", language="ru",
                                  certifications=("halal",)),
                          Product("milk", "Сухое молоко", country="KZ", language="ru", certifications=("halal",))])
    request = Demand("d", "Сиыр етінің партиясы керек", country="ID", language="kk")
    assert build_profile(request, index.vocabulary).language == "kk"
    assert [m.product_id for m in index.top(request, k=2)][:1] == ["beef"]


def test_kazakh_is_an_item_language_with_its_names():
    for spelling in ("kk", "Kazakh", "қазақ тілі", "казахский"):
        assert Demand.from_mapping({"id": "d", "title": "сүт", "language": spelling}).language == "kk"
    assert Demand.from_mapping({"id": "d", "title": "сүт", "country": "Қазақстан"}).country == "KZ"


def test_the_analysers_are_built_once_when_threads_race(monkeypatch):
    monkeypatch.setattr(morphology, "_LOADED", {})
    morphology.lemma.cache_clear()
    built, results = [], []
    real_load = morphology._load

    def counting_load(name):
        analyser = real_load(name)
        built.append(id(analyser))
        return analyser

    monkeypatch.setattr(morphology, "_load", counting_load)
    barrier = threading.Barrier(8)

    def work():
        barrier.wait()
        results.append((morphology.lemma("кресла", "ru"), morphology.lemma("pakaian", "id")))

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    morphology.lemma.cache_clear()
    assert set(results) == {("кресло", "pakai")}
    assert set(morphology._LOADED) == {"ru", "id"}
    assert len(set(built)) == 2  # each library once, however many threads asked first


@pytest.mark.parametrize("text, expected", [
    ("Креветки с/м 40/50", ["frozen"]),          # written out: свежемороженый
    ("Ткань шириной 1,5 м, рулон 50 м", []),     # a metre is not "с/м"
    ("Ткань шириной 150 см", []),                # nor a centimetre
])
def test_receipt_slash_abbreviations_are_read_whole(text, expected):
    vocabulary = ConceptVocabulary.from_entries([
        {"concept": "frozen", "hs": [], "en": ["frozen"], "id": ["beku"], "ru": ["свежемороженый", "с/м"]}])
    assert [h.concept for h in vocabulary.tag(text)] == expected
