"""Normalisation, concept tagging across languages and inflections, HS inference."""

import pytest

from matchmaker.matching import ConceptVocabulary, Demand, classify
from matchmaker.matching.hs import HsGuess, format_hs, hs_similarity, infer_hs
from matchmaker.matching.normalise import normalise, phonetic, transliterate


def test_normalise_folds_case_width_punctuation_and_yo():
    assert normalise("ＦＲＯＺＥＮ Ёж-рыба, «сорт» №1!") == "frozen еж рыба сорт no1"


def test_transliteration_lets_latin_and_cyrillic_meet():
    assert transliterate("мебель") == "mebel"
    assert phonetic("polyester") == phonetic(transliterate("полиэстер"))


@pytest.mark.parametrize("text, expected", [
    ("мебель из тикового дерева для гостиниц", {"furniture", "teak"}),   # case endings, adjective
    ("ткань хлопковая", {"fabric", "cotton"}),                           # adjective from a noun
    ("ткани из хлопка", {"fabric", "cotton"}),                           # fleeting vowel
    ("Kursi jatti", {"chair", "teak"}),                                  # typo
    ("perabotan kayu jati", {"furniture", "teak"}),                      # Indonesian affixes
    ("Frozen prawns", {"frozen", "shrimp"}),                             # plural
    ("сухое молоко 26%", {"milk powder"}),                               # multi-word term
    ("daging sapi beku", {"beef", "frozen"}),
])
def test_concepts_found_across_languages_and_forms(tiny_vocabulary, text, expected):
    assert {hit.concept for hit in tiny_vocabulary.tag(text)} == expected


def test_unrelated_words_find_no_concept(tiny_vocabulary):
    assert tiny_vocabulary.tag("laptop gaming murah") == []


def test_typo_hit_says_how_it_matched(tiny_vocabulary):
    hit = next(h for h in tiny_vocabulary.tag("kursi jatti") if h.concept == "teak")
    assert hit.words == "jatti" and hit.how == "typo of jati"


def test_hs_inferred_from_agreeing_concepts(tiny_vocabulary):
    guess = infer_hs(tiny_vocabulary.tag("meja jati"), tiny_vocabulary)
    assert guess.code == "9403" and guess.source == "inferred"
    assert 0 < guess.confidence < 1
    # In words, not figures: "probably" when the guess holds most votes.
    assert guess.describe().render() == "probably HS 9403, read from 'meja jati'"


def test_no_concept_means_no_hs_guess(tiny_vocabulary):
    assert infer_hs(tiny_vocabulary.tag("laptop"), tiny_vocabulary).code is None


@pytest.mark.parametrize("product, demand, value", [
    ("030617", "030617", 1.0),
    ("030617", "0306", 1.0),      # the request names only the heading: fully met
    ("030617", "030616", 0.75),   # same heading, other subheading
    ("030617", "0304", 0.35),     # same chapter
    ("030617", "03", 0.5),        # bare chapter
    ("030617", "9403", 0.0),
])
def test_hs_levels(product, demand, value):
    score, detail = hs_similarity(HsGuess(product, 1.0, "given"), HsGuess(demand, 1.0, "given"))
    assert score == value
    assert format_hs(product) in detail.render() and format_hs(demand) in detail.render()


def test_hs_inferred_confidence_scales_the_value():
    score, _ = hs_similarity(HsGuess("940360", 1.0, "given"), HsGuess("9403", 0.6, "inferred", "meja"))
    assert score == pytest.approx(0.6)


def test_unknown_hs_scores_zero_and_says_so():
    score, detail = hs_similarity(HsGuess(None), HsGuess("9403", 1.0, "given"))
    assert score == 0 and "no HS code" in detail.render()


@pytest.mark.parametrize("text", [
    "Fish, fresh or chilled, excluding fish fillets; sole",
    "Рыба свежая или охлажденная, за исключением рыбного филе; морской язык",
    "Ikan segar, tidak termasuk fillet ikan; sole",
])
def test_what_a_text_excludes_is_not_what_it_names(text):
    vocabulary = ConceptVocabulary.from_entries([
        {"concept": "fish", "hs": ["03"], "en": ["fish"], "id": ["ikan"], "ru": ["рыба"]},
        {"concept": "fish_fillet", "hs": ["0304"], "en": ["fish fillets"], "id": ["fillet ikan"],
         "ru": ["рыбное филе"]},
    ])
    assert [h.concept for h in vocabulary.tag(text)] == ["fish"]


@pytest.mark.parametrize("text, expected", [("Говядина без кости", "boneless"),
                                            ("Баранина на кости", "bone_in")])
def test_without_the_bone_is_not_on_the_bone(text, expected):
    vocabulary = ConceptVocabulary.from_entries([
        {"concept": "boneless", "hs": [], "en": ["boneless"], "id": ["tanpa tulang"], "ru": ["без кости"]},
        {"concept": "bone_in", "hs": [], "en": ["bone-in"], "id": ["dengan tulang"], "ru": ["на кости"]},
    ])
    assert [h.concept for h in vocabulary.tag(text)] == [expected]


def test_fish_in_tomato_sauce_is_canned_fish_not_a_sauce():
    # A demo request filed under "other" put canned tuna beside it in a cross-sector pair.
    request = Demand("d", "Сардины в томатном соусе", description="Закупаем рыбные консервы: сардины в томатном соусе.")
    assert classify(request).sector == "fisheries"


@pytest.mark.parametrize("text, expected", [
    ("teak of wood", [("teak", "teak wood")]),  # a stop word inside a term is stepped over
    ("teak frozen wood", [("teak", "teak"), ("frozen", "frozen")]),  # a term word that stands in
    ("frozen teak wood chair", [("frozen", "frozen"), ("teak", "teak wood"), ("chair", "chair")]),  # no longer
    ("kayu beku jati", [("frozen", "beku"), ("teak", "jati")]),  # term splits the words around it
])
def test_a_term_of_one_word_between_two_words_of_a_longer_term_keeps_them_apart(tiny_vocabulary, text, expected):
    assert [(h.concept, h.words) for h in tiny_vocabulary.tag(text)] == expected
