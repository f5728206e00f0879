"""Each score component on small cases, through ``explain`` so the figures are the ones users see."""

import pytest

from matchmaker.matching import Demand, Product, explain
from matchmaker.matching.explain import render_detail
from matchmaker.matching.fit import NEUTRAL, structured_fit


def value(product, demand, name, vocabulary):
    return explain(product, demand, vocabulary=vocabulary).component(name).value


def test_text_prefers_shared_words(tiny_vocabulary):
    demand = Demand("d", "solid teak dining table")
    same = value(Product("p", "Teak dining table, solid wood"), demand, "text", tiny_vocabulary)
    other = value(Product("p", "Frozen vannamei shrimp"), demand, "text", tiny_vocabulary)
    assert same > 0.4 and other < 0.1


def test_text_detail_names_shared_words_as_written_not_as_stems(tiny_vocabulary):
    detail = explain(Product("p", "Teak dining table"), Demand("d", "dining tables"),
                     vocabulary=tiny_vocabulary).component("text").detail
    assert detail == "Words in common: dining, tables"


def test_concepts_bridge_languages_where_words_do_not(tiny_vocabulary):
    product, demand = Product("p", "Kain katun"), Demand("d", "ткань хлопковая")
    e = explain(product, demand, vocabulary=tiny_vocabulary)
    assert e.component("text").value < 0.1
    assert e.component("concepts").value == 1.0
    assert e.component("concepts").detail == "Both are about cotton, fabric"


def test_concepts_partial_overlap(tiny_vocabulary):
    v = value(Product("p", "frozen beef"), Demand("d", "frozen shrimp"), "concepts", tiny_vocabulary)
    assert v == pytest.approx(0.5)


def test_hs_inferred_for_request_without_code(tiny_vocabulary):
    c = explain(Product("p", "Table", hs_code="940360"), Demand("d", "meja jati"),
                vocabulary=tiny_vocabulary).component("hs")
    assert c.value > 0.5 and "HS 9403, read from 'meja jati'" in c.detail


@pytest.mark.parametrize("product_title, demand_title", [
    ("Mebel jati", "мебель"),          # transliteration
    ("Kursi jati", "kursi jatti"),     # typo
])
def test_fuzzy_catches_transliteration_and_typos(tiny_vocabulary, product_title, demand_title):
    near = value(Product("p", product_title), Demand("d", demand_title), "fuzzy", tiny_vocabulary)
    far = value(Product("p", "Udang beku"), Demand("d", demand_title), "fuzzy", tiny_vocabulary)
    assert near >= 0.5 and far == 0


def test_fit_unknown_values_are_neutral_and_said():
    fit, detail = structured_fit(Product("p", "t"), Demand("d", "t"), "furniture")
    assert fit == NEUTRAL
    assert render_detail(detail) == ("Quantity or minimum order not given; Monthly capacity not given; "
                                     "Price or maximum price not given; Incoterms not given; Countries not given")


def test_fit_rewards_a_seller_who_can_serve_the_order():
    good = Product("p", "t", country="ID", moq=100, capacity_per_month=1000, price_usd=50,
                   incoterms=("FOB",), unit="pcs")
    demand = Demand("d", "t", country="KZ", quantity=500, max_price_usd=60, incoterms=("FOB", "CIF"),
                    unit="pcs")
    fit, detail = structured_fit(good, demand, "furniture", focus=True)
    assert fit == 1.0 and "focus corridor" in render_detail(detail)


@pytest.mark.parametrize("changes, phrase", [
    ({"moq": 1000}, "500 pcs asked, below the minimum order of 1,000 pcs"),
    ({"capacity_per_month": 10}, "Capacity 10 pcs a month is short for 500 pcs"),
    ({"price_usd": 80}, "Price $80/pc over the maximum $60/pc"),
    ({"incoterms": ("EXW",)}, "No Incoterms in common"),
])
def test_fit_penalises_each_mismatch(changes, phrase):
    base = dict(id="p", title="t", country="ID", moq=100, capacity_per_month=1000, price_usd=50,
                incoterms=("FOB",), unit="pcs")
    demand = Demand("d", "t", country="KZ", quantity=500, max_price_usd=60, incoterms=("FOB",), unit="pcs")
    fit, detail = structured_fit(Product(**{**base, **changes}), demand, "furniture", focus=True)
    assert fit < 1.0 and phrase in render_detail(detail)


def test_fit_converts_tonnes_and_kilograms():
    product = Product("p", "t", moq=2, unit="t", price_usd=1500)
    fit, detail = structured_fit(product, Demand("d", "t", quantity=5000, unit="kg", max_price_usd=1.6),
                                 "fisheries")
    assert render_detail(detail).startswith("5,000 kg asked, minimum order 2 t; ")
    assert "Price $1,500/t within the maximum $1.6/kg" in render_detail(detail)
    assert fit == pytest.approx((1 + 0.5 + 1 + 0.5 + 0.5) / 5)


@pytest.mark.parametrize("product_unit, demand_unit", [("sets", "t"), ("pcs", "sets"), ("t", None)])
def test_units_that_do_not_convert_are_neutral_and_said(product_unit, demand_unit):
    # A price per set is never weighed against a budget per tonne (the hijab pair scored 0.80 so).
    product = Product("p", "t", moq=2, capacity_per_month=10, price_usd=1450, unit=product_unit)
    demand = Demand("d", "t", quantity=20, max_price_usd=7500, unit=demand_unit)
    fit, detail = structured_fit(product, demand, "textiles")
    text = render_detail(detail)
    assert fit == NEUTRAL
    assert "units not comparable, counted as neutral" in text
    assert "per different units: not compared, counted as neutral" in text


def test_corridor_sentence_follows_the_focus_flag():
    p, d = Product("p", "t", country="KZ"), Demand("d", "t", country="ID")
    assert "is the meat focus corridor" in render_detail(structured_fit(p, d, "meat", focus=True)[1])
    assert "not a focus corridor" in render_detail(structured_fit(p, d, "furniture")[1])


def test_weights_change_the_score_and_must_be_known(tiny_vocabulary):
    p, d = Product("p", "Kain katun"), Demand("d", "ткань хлопковая")
    only_concepts = explain(p, d, weights={"text": 0, "hs": 0, "fuzzy": 0, "fit": 0},
                            vocabulary=tiny_vocabulary)
    assert only_concepts.score == 1.0
    with pytest.raises(ValueError):
        explain(p, d, weights={"colour": 1})
