"""HS inference by weighted votes over the hierarchy, free word order, tariff-style requests."""

import pytest

from matchmaker.matching import ConceptVocabulary, Demand, Product, ProductIndex
from matchmaker.matching.hs import HsGuess, hs_similarity, infer_hs

VOCABULARY = ConceptVocabulary.from_entries([
    {"concept": "fabric", "hs": ["5208", "5407"], "en": ["fabric"], "ru": ["ткань"]},
    {"concept": "cotton", "hs": ["52"], "en": ["cotton"], "ru": ["хлопок"]},
    {"concept": "polyester", "hs": ["5407"], "en": ["polyester"], "ru": ["полиэстер"]},
    {"concept": "milk_powder", "hs": ["040221", "040210", "0402"], "en": ["milk powder"],
     "ru": ["сухое молоко"]},
    {"concept": "frozen_fish", "hs": ["0303"], "en": ["frozen fish"], "ru": ["мороженая рыба"]},
    {"concept": "fish_fillet", "hs": ["0304"], "en": ["fish fillet", "fillet"], "ru": ["филе"]},
])


def test_a_heading_also_votes_for_its_chapter():
    guess = infer_hs(VOCABULARY.tag("ткань хлопковая"), VOCABULARY)
    # fabric's heading 5208 passes its votes up to chapter 52, which cotton names: both back 52
    assert guess.code.startswith("52") and guess.confidence > 0.8
    assert guess.words == "ткань хлопковая"


def test_a_runner_up_heading_still_counts_as_a_second_guess():
    guess = infer_hs(VOCABULARY.tag("Frozen fish; milk powder"), VOCABULARY)
    assert guess.code == "0303" and [code for code, _ in guess.others] == ["0402"]
    value, detail = hs_similarity(HsGuess("040210", 1.0, "given"), guess)
    assert value == round(0.75 * guess.others[0][1], 4)
    assert detail.render().startswith("Same heading 0402, a second reading of the words")
    assert hs_similarity(HsGuess("940360", 1.0, "given"), guess)[0] == 0.0


def test_heading_is_surer_than_subheading():
    guess = infer_hs(VOCABULARY.tag("milk powder"), VOCABULARY)
    assert guess.code == "040221"
    assert guess.confidence_at(4) > guess.confidence
    value, detail = hs_similarity(HsGuess("040210", 1.0, "given"), guess)
    assert value == 0.75 * guess.confidence_at(4) and detail.render().startswith("Same heading:")


def test_multi_word_terms_match_in_any_word_order():
    hits = VOCABULARY.tag("молоко сухое 1 кг")
    assert [(h.concept, h.how) for h in hits] == [("milk_powder", "word order")]
    assert {h.concept for h in VOCABULARY.tag("Fish, frozen")} == {"frozen_fish"}
    assert [h.how for h in VOCABULARY.tag("сухое молоко")] == ["stem"]   # the written order first


def test_tariff_style_russian_request_finds_its_english_product():
    catalogue = [
        Product("fresh-tuna", "Fish, fresh or chilled; tunas, skipjack", hs_code="030233", country="ID"),
        Product("frozen-tuna", "Fish, frozen; tunas, skipjack", hs_code="030343", country="ID"),
        Product("tuna-fillet", "Fish fillets, frozen; tunas", hs_code="030487", country="ID"),
        Product("beef", "Meat of bovine animals, frozen; boneless", hs_code="020230", country="ID"),
    ]
    index = ProductIndex(catalogue)
    frozen = index.top(Demand("d1", "Рыба мороженая; тунец полосатый", country="KZ"), k=4)
    chilled = index.top(Demand("d2", "Рыба свежая или охлажденная; тунец полосатый", country="KZ"), k=4)
    beef = index.top(Demand("d3", "Мясо крупного рогатого скота, замороженное; обваленное", country="KZ"))
    assert frozen[0].product_id == "frozen-tuna"
    assert chilled[0].product_id == "fresh-tuna"
    assert beef[0].product_id == "beef"
    for match in frozen:
        assert round(sum(c.contribution for c in match.explanation.components), 3) == match.score


LATIN = ConceptVocabulary.from_entries([
    {"concept": "cotton", "hs": ["52"], "en": ["cotton"], "id": ["katun"], "ru": ["хлопок"]},
    {"concept": "seaweed", "hs": ["1212"], "en": ["seaweed"], "id": ["rumput laut", "cottonii"],
     "ru": ["водоросли"]},
    {"concept": "table", "hs": ["9403"], "en": ["table"], "id": ["meja"], "ru": ["стол"]},
    {"concept": "shirt", "hs": ["6205"], "en": ["shirt"], "id": ["kemeja"], "ru": ["рубашка"]},
    {"concept": "pork", "hs": ["0203"], "en": ["pork"], "id": ["daging babi"], "ru": ["свинина"]},
    {"concept": "baby", "hs": [], "en": ["baby"], "id": ["bayi"], "ru": ["детский"]},
])


def test_an_exact_word_in_one_language_is_no_typo_in_the_other():
    assert [h.concept for h in LATIN.tag("cotton yarn")] == ["cotton"]        # not "cottonii"
    assert [h.concept for h in LATIN.tag("rumput laut cottonii")] == ["seaweed"]


def test_a_word_written_as_a_term_is_that_term_not_a_stem_alike():
    assert [h.concept for h in LATIN.tag("meja makan jati")] == ["table"]     # not "kemeja"
    assert [h.concept for h in LATIN.tag("kemeja katun")] == ["shirt", "cotton"]


def test_a_longer_exact_term_beats_a_shorter_one_inside_it():
    assert [h.concept for h in LATIN.tag("daging babi segar")] == ["pork"]  # "babi" is no "baby"


def test_hits_note_their_clause_and_concepts_in_later_clauses_weigh_less():
    from matchmaker.matching.profile import build_profile
    profile = build_profile(Demand("d", "Kemeja katun; meja"), LATIN)
    assert [(h.concept, h.clause) for h in profile.hits] == [("shirt", 0), ("cotton", 0), ("table", 1)]
    assert profile.weights["shirt"] == profile.weights["cotton"] == 1.0 > profile.weights["table"]


@pytest.mark.parametrize("text, expected", [
    ("meja jati", "9403"),            # teak table: the piece of furniture, not teak logs
    ("kursi rotan", "9401"),          # rattan chair
    ("мебель из тика", "9403"),       # teak furniture
])
def test_a_material_does_not_swallow_the_product_it_is_made_into(text, expected):
    from matchmaker.matching import hs_codes_for_words

    assert hs_codes_for_words(text)[0] == expected
