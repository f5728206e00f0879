"""Corridor law as hard constraints, one test per rule, and the index's masks agreeing with them."""

import random

import pytest

from matchmaker.matching import Demand, DemandIndex, Product, ProductIndex, why_not
from matchmaker.matching.constraints import asks_for_halal, corridor_defaults, focus_corridor, is_swine
from matchmaker.matching.profile import build_profile

BEEF = Product("beef", "Frozen boneless beef", hs_code="020230", country="KZ", certifications=("vet",))
HALAL_BEEF = Product("halal-beef", "Frozen boneless beef, halal", hs_code="020230", country="KZ",
                     certifications=("halal", "vet"))
MILK = Product("milk", "Whole milk powder 26% fat", hs_code="040221", country="KZ", certifications=("vet",))
HALAL_MILK = Product("halal-milk", "Whole milk powder 26% fat", hs_code="040221", country="KZ",
                     certifications=("halal", "vet"))
PORK = Product("pork", "Frozen pork loin", hs_code="020329", country="KZ", certifications=("halal", "vet"))


def shown(products, demand):
    return [m.product_id for m in ProductIndex(products).top(demand, k=10)]


@pytest.mark.parametrize("demand", [
    Demand("d", "Daging sapi beku tanpa tulang", country="ID"),                     # sector read from words
    Demand("d", "Frozen boneless beef", hs_code="020230", country="ID"),
])
def test_halal_is_required_for_meat_requests_from_indonesia_even_unticked(demand):
    assert shown([BEEF, HALAL_BEEF], demand) == ["halal-beef"]
    assert why_not(BEEF, demand) == ["halal is required by Indonesian law for meat and dairy, and the product "
                                     "is not certified halal"]


def test_halal_is_required_for_dairy_requests_from_indonesia():
    demand = Demand("d", "Susu bubuk full cream", country="ID")
    assert shown([MILK, HALAL_MILK], demand) == ["halal-milk"]


def test_the_halal_law_is_for_meat_and_dairy_into_indonesia_only():
    assert set(shown([BEEF, HALAL_BEEF], Demand("d", "Frozen boneless beef", country="UZ"))) == {"beef", "halal-beef"}
    cloth = Product("cloth", "Kain katun", hs_code="520812", country="KZ")
    assert shown([cloth], Demand("d", "Cotton fabric", country="ID")) == ["cloth"]


@pytest.mark.parametrize("text", ["Frozen boneless beef loin for hotel kitchens, halal slaughter",
                                  "Говядина замороженная, только халяль", "Говядина (халал)",
                                  "Сиыр еті, хәләл; говядина", "Daging sapi beku HALAL"])
def test_halal_in_a_requests_words_makes_it_required(text):
    demand = Demand("d", text, country="UZ")
    assert asks_for_halal(text)
    assert "halal-beef" in shown([BEEF, HALAL_BEEF], demand) and "beef" not in shown([BEEF, HALAL_BEEF], demand)
    assert why_not(BEEF, demand) == ["the request asks for halal in its text, and the product is not certified halal"]


@pytest.mark.parametrize("text", ["Pork loin for the non-halal market", "Frozen beef, no halal needed",
                                  "Khalal Trading: frozen beef"])
def test_words_that_do_not_ask_for_halal_require_nothing(text):
    assert not asks_for_halal(text)
    assert why_not(BEEF, Demand("d", text, country="UZ")) == []


@pytest.mark.parametrize("product", [
    PORK,
    Product("p", "Pork offal: livers", hs_code="020641", country="KZ", certifications=("halal",)),
    Product("p", "Pig back fat", hs_code="020910", country="KZ", certifications=("halal",)),
    Product("p", "Smoked sausages of pork", hs_code="160100", country="KZ", certifications=("halal",)),
    Product("p", "Колбаса из свинины варёная", hs_code="1601", country="KZ", certifications=("halal",)),
    Product("p", "Daging babi beku", country="KZ", certifications=("halal",)),                # no code: words
])
def test_a_swine_product_is_never_halal_nor_proposed_to_a_halal_request(product):
    assert is_swine(build_profile(product, _vocabulary()))
    demand = Demand("d", "Frozen meat for restaurants", country="UZ", required_certifications=("halal",))
    assert product.id not in shown([product], demand)
    assert why_not(product, demand) == ["the product is of swine, which can never be halal, and the request "
                                        "requires halal"]


@pytest.mark.parametrize("product", [
    HALAL_BEEF,
    Product("p", "Halal beef sausages, no pork", hs_code="160100", country="KZ", certifications=("halal",)),
    Product("p", "Sosis sapi halal tanpa babi", country="KZ", certifications=("halal",)),
])
def test_beef_is_not_swine_even_when_its_words_mention_pork(product):
    assert not is_swine(build_profile(product, _vocabulary()))


def test_a_pork_product_is_never_a_focus_corridor_product():
    assert not focus_corridor("meat", "KZ", "ID", swine=True)
    assert focus_corridor("meat", "KZ", "ID", swine=False)
    demand = Demand("d", "Frozen pork loin", country="UZ")
    fit = ProductIndex([PORK]).explain(PORK, demand).component("fit").detail
    assert "focus corridor" in fit and "is the meat focus corridor" not in fit


@pytest.mark.parametrize("country, sector, expected", [
    ("KZ", "meat", [("vet", False)]), ("KZ", "dairy", [("vet", False)]), ("KZ", "fisheries", [("vet", False)]),
    ("KZ", "furniture", []), ("ID", "meat", [("halal", True)]), ("ID", "dairy", [("halal", True)]),
    ("ID", "fisheries", []), (None, "meat", []),
])
def test_corridor_defaults_tick_vet_for_kazakh_animal_products_and_halal_into_indonesia(country, sector, expected):
    assert [(d.certification, d.mandatory) for d in corridor_defaults(country, sector)] == expected


def test_the_veterinary_default_is_not_enforced_when_the_owner_unticks_it():
    tuna = Product("tuna", "Frozen tuna loins", hs_code="030487", country="ID")
    assert shown([tuna], Demand("d", "Тунец мороженый", country="KZ")) == ["tuna"]


def test_own_country_is_excluded():
    assert why_not(HALAL_BEEF, Demand("d", "Beef", country="KZ")) == [
        "the product comes from the buyer's own country (KZ)"]


def test_masks_agree_with_why_not_in_both_directions():
    rng = random.Random(11)
    products = [BEEF, HALAL_BEEF, MILK, HALAL_MILK, PORK,
                Product("sausage", "Halal beef sausages, no pork", hs_code="160100", country="KZ",
                        certifications=("halal",)),
                Product("ham", "Ham of swine, smoked", hs_code="021011", country="UZ", certifications=("halal",))]
    texts = ["Frozen beef", "Daging sapi halal", "Susu bubuk", "Frozen pork", "Sausages", "Мясо халяль",
             "Smoked ham"]
    demands = [Demand(f"d{i}", rng.choice(texts), country=rng.choice(["ID", "KZ", "UZ", None]),
                      required_certifications=tuple(rng.sample(["halal", "vet"], rng.randint(0, 1))))
               for i in range(40)]
    by_product = ProductIndex(products)
    for demand in demands:
        allowed = {p.id for p in products if not why_not(p, demand)}
        assert {m.product_id for m in by_product.top(demand, k=10)} <= allowed
        assert all(by_product.explain(p, demand).eligible == (p.id in allowed) for p in products)
    by_demand = DemandIndex(demands)
    for product in products:
        allowed = {d.id for d in demands if not why_not(product, d)}
        assert {m.demand_id for m in by_demand.top(product, k=40)} <= allowed
        assert all(by_demand.explain(product, d).eligible == (d.id in allowed) for d in demands)


def _vocabulary():
    from matchmaker.matching import default_vocabulary
    return default_vocabulary()


def test_why_not_counts_a_same_country_partner_only_under_own_country():
    # The Indonesian buyer also lacks nothing a certificate could fix: listing it under "needs vet"
    # would send the owner after a certificate that brings no match.
    demands = [Demand("kz", "Frozen tuna loins", country="KZ", required_certifications=("vet",)),
               Demand("id", "Frozen tuna loins", country="ID", required_certifications=("vet",))]
    tuna = Product("p", "Frozen tuna loins", hs_code="030487", country="ID")
    found = {(o.kind, o.code): o.partner_ids for o in DemandIndex(demands).why_not(tuna)}
    assert found == {("certificate", "vet"): ("kz",), ("own_country", "ID"): ("id",)}
