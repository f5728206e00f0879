"""Explanation details as phrases: the same English text as before, translatable templates, and
explanations that survive JSON, including those stored before phrases existed."""

import json
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from matchmaker.matching import Demand, Explanation, Product, explain
from matchmaker.matching.explain import Phrase, render_detail

TRANSLATIONS = Path(__file__).resolve().parents[2] / "matchmaker" / "translations"

FURNITURE = (Product("p", "Kursi dan meja jati solid", hs_code="940350", moq=40, capacity_per_month=250,
                     price_usd=3900, incoterms=("DAP", "FOB"), country="ID", unit="sets"),
             Demand("d", "Teak table and chairs, solid", hs_code="940350", quantity=120, unit="sets",
                    max_price_usd=4200, incoterms=("DAP",), country="KZ"))
MISMATCH = (Product("p2", "Kain katun", country="ID", moq=2, unit="t", price_usd=5),
            Demand("d2", "стол из тикового дерева", country="KZ", quantity=500, unit="kg", max_price_usd=4))


def test_render_formats_numbers_as_the_template_says_and_nests_phrases():
    phrase = Phrase("{level}: {codes}; {ratio:.0f}% of {total:g}",
                    {"level": Phrase("same {what}", {"what": "heading"}),
                     "codes": ["9403", Phrase("HS {code}", {"code": "940350"})],
                     "ratio": 34.4, "total": 120.0})
    assert phrase.render() == "same heading: 9403, HS 940350; 34% of 120"


def test_render_translates_every_template_but_never_the_values():
    table = {"{level}: {codes}": "{level} — {codes}", "same {what}": "та же {what}", "none": "нет"}
    phrase = Phrase("{level}: {codes}", {"level": Phrase("same {what}", {"what": "heading"}),
                                         "codes": Phrase("none")})
    assert phrase.render(lambda text: table.get(text, text)) == "та же heading — нет"


# Each detail as a sentence a trade adviser would write: no concept ids, no raw similarities.
SENTENCES = [
    (FURNITURE, "fit", "120 sets asked, minimum order 40 sets; Capacity 250 sets a month covers 120 sets; "
                       "Price $3,900/set within the maximum $4,200/set; Incoterms in common: DAP; "
                       "ID→KZ is the furniture focus corridor"),
    (FURNITURE, "concepts", "Both are about chair, table, teak"),
    (FURNITURE, "hs", "Same code on both sides: HS 9403.50"),
    (FURNITURE, "fuzzy", "The titles are spelled partly alike"),
    (FURNITURE, "text", "Words in common: solid"),
    (MISMATCH, "fit", "500 kg asked, below the minimum order of 2 t; Monthly capacity not given; "
                      "Price $5/t within the maximum $4/kg; Incoterms not given; ID→KZ is the textiles focus corridor"),
    (MISMATCH, "concepts", "No product in common; The request also asks for table, teak"),
    (MISMATCH, "hs", "Different chapters: product probably HS 52, read from 'kain katun', "
                     "request probably HS 9403, read from 'стол тикового дерева'"),
    (MISMATCH, "text", "No words in common"),
]


@pytest.mark.parametrize("pair, name, detail", SENTENCES, ids=[
    f"{'furniture' if pair is FURNITURE else 'mismatch'}-{name}" for pair, name, _ in SENTENCES])
def test_details_read_as_sentences_and_are_their_phrases_in_english(tiny_vocabulary, pair, name, detail):
    component = explain(*pair, vocabulary=tiny_vocabulary).component(name)
    assert component.detail == detail
    assert component.phrases and render_detail(component.phrases) == detail


def test_concepts_are_named_in_the_readers_language(tiny_vocabulary):
    phrase = explain(*FURNITURE, vocabulary=tiny_vocabulary).component("concepts").phrases[0]
    assert phrase.render(name=lambda concept: tiny_vocabulary.label(concept, "ru")) == "Both are about стул, стол, тик"
    assert phrase.render(name=lambda concept: tiny_vocabulary.label(concept, "id")) == "Both are about kursi, meja, jati"


def _templates(phrase: Phrase):
    yield phrase.template
    for value in phrase.params.values():
        for item in value if isinstance(value, tuple) else (value,):
            if isinstance(item, Phrase):
                yield from _templates(item)


def test_every_template_is_in_the_catalogues(tiny_vocabulary):
    templates = {template for pair in (FURNITURE, MISMATCH)
                 for component in explain(*pair, vocabulary=tiny_vocabulary).components
                 for phrase in component.phrases for template in _templates(phrase)}
    for locale in ("id", "ru", "kk"):
        with open(TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
            translated = {message.id for message in read_po(handle) if message.string}
        assert templates <= translated, (locale, sorted(templates - translated))


def test_explanation_round_trips_through_json_with_its_phrases(tiny_vocabulary):
    explanation = explain(*MISMATCH, vocabulary=tiny_vocabulary)
    stored = json.loads(json.dumps(explanation.to_dict()))
    assert {"template", "params"} == set(stored["components"][4]["phrases"][0])
    assert Explanation.from_dict(stored) == explanation


def test_explanations_stored_before_phrases_still_load(tiny_vocabulary):
    stored = json.loads(json.dumps(explain(*FURNITURE, vocabulary=tiny_vocabulary).to_dict()))
    for component in stored["components"]:
        del component["phrases"]
    loaded = Explanation.from_dict(stored)
    assert all(c.phrases == () for c in loaded.components)
    assert loaded.component("hs").detail == "Same code on both sides: HS 9403.50"
