"""A specific concept implies its broader one, weighed less, so general and specific texts meet."""

from matchmaker.matching import ConceptVocabulary, Demand, Product, ProductIndex
from matchmaker.matching.concepts import BROADER
from matchmaker.matching.profile import BROADER_WEIGHT, build_profile

VOCABULARY = ConceptVocabulary.from_entries([
    {"concept": "milk_powder", "hs": ["0402"], "en": ["milk powder"], "id": ["susu bubuk"],
     "ru": ["сухое молоко"]},
    {"concept": "skimmed_milk_powder", "hs": ["040210"], "en": ["skimmed milk powder"],
     "id": ["susu skim"], "ru": ["сухое обезжиренное молоко"], "broader": ["milk_powder"]},
    {"concept": "whole_milk_powder", "hs": ["040221"], "en": ["whole milk powder"],
     "id": ["susu bubuk full cream"], "ru": ["сухое цельное молоко"], "broader": ["milk_powder"]},
])


def test_a_specific_hit_brings_its_broader_concept_weighed_less():
    profile = build_profile(Product("p", "Skimmed milk powder, 25 kg"), VOCABULARY)
    assert [(h.concept, h.how) for h in profile.hits] == [("skimmed_milk_powder", "stem"),
                                                         ("milk_powder", BROADER)]
    assert profile.weights == {"skimmed_milk_powder": 1.0, "milk_powder": BROADER_WEIGHT}


def test_general_request_meets_specific_offers_and_the_asked_kind_comes_first():
    index = ProductIndex([Product("smp", "Skimmed milk powder"), Product("wmp", "Whole milk powder")],
                         vocabulary=VOCABULARY)
    general = index.top(Demand("d", "Susu bubuk"), k=2)
    assert all({c.name: c.value for c in m.explanation.components}["concepts"] > 0 for m in general)
    assert [m.product_id for m in index.top(Demand("d", "Susu bubuk full cream"), k=2)] == ["wmp", "smp"]
