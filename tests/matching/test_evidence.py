"""Product evidence before business fit, and the score as a grade a trade adviser can read."""

import random

import pytest

from matchmaker.matching import Demand, DemandIndex, Explanation, Product, ProductIndex, explain
from matchmaker.matching.grade import MINIMUM_GRADE, PERFECT_GRADE, grade

BUSINESS = dict(moq=20, unit="sets", capacity_per_month=150, price_usd=1450, incoterms=("FOB",))
ORDER = dict(quantity=20, unit="sets", max_price_usd=7500, incoterms=("FOB",))
TEAK_SET = Product("teak", "Teak dining set: table with 6 chairs", hs_code="940360", country="ID", **BUSINESS)


@pytest.mark.parametrize("demand", [
    Demand("coffee", "Arabica green coffee beans", country="KZ", **ORDER),
    Demand("hijab", "Хиджабы трикотажные оптом", country="KZ", **ORDER),
    Demand("nutmeg", "Pala (nutmeg) kering", country="KZ", **ORDER),
])
def test_a_perfect_business_fit_never_makes_a_match_alone(demand):
    assert ProductIndex([TEAK_SET]).top(demand, k=10) == []
    explanation = explain(TEAK_SET, demand)
    assert explanation.evidence == () and not explanation.proposed
    assert explanation.component("fit").value == 1.0


def test_shared_attributes_are_no_product_evidence():
    # "frozen" and "halal" name no product: frozen beef is not proposed for frozen shrimp, even
    # though most of their words are the same.
    beef = Product("beef", "Frozen halal beef", country="KZ", certifications=("halal",))
    demand = Demand("d", "Frozen halal shrimp", country="ID")
    assert explain(beef, demand).component("text").value >= 0.5
    assert ProductIndex([beef]).top(demand, k=10) == []


@pytest.mark.parametrize("product, demand, kind", [
    (Product("p", "Kursi makan jati", country="ID"), Demand("d", "Обеденные стулья из тика", country="KZ"),
     "concept"),
    (Product("p", "Produk A-17", hs_code="940360", country="ID"),
     Demand("d", "Art. 5531", hs_code="9403", country="KZ"), "hs"),
    (Product("p", "Qx-200 zelvox panels", country="ID"), Demand("d", "Qx-200 zelvox panels", country="KZ"),
     "text"),
])
def test_each_kind_of_product_evidence_is_enough(product, demand, kind):
    explanation = explain(product, demand)
    assert kind in explanation.evidence
    assert [m.product_id for m in ProductIndex([product]).top(demand, k=1)] == ["p"]


def test_a_shared_concept_must_belong_with_the_given_hs_code():
    # Wool grease (1505) shares the word "wool" with a wool fabric request but is no textile.
    grease = Product("grease", "Wool grease and lanolin", hs_code="150500", country="ID")
    assert "concept" not in explain(grease, Demand("d", "Шерстяная ткань", country="KZ")).evidence


def test_an_upholstery_fabric_does_not_make_chairs_a_textile_request():
    abaya = Product("abaya", "Women's abaya in nida fabric", hs_code="620443", country="ID")
    chairs = Demand("d", "Банкетные стулья для конференц-зала",
                    description="Штабелируемые банкетные стулья на металлическом каркасе, ткань бордо.",
                    country="KZ")
    assert ProductIndex([abaya]).top(chairs, k=10) == []


def test_grade_is_monotone_and_anchored():
    raws = [i / 1000 for i in range(1001)]
    grades = [grade(r) for r in raws]
    assert grades == sorted(grades) and grades[0] == 0.0 and grades[-1] == 1.0
    assert min(r for r, g in zip(raws, grades) if g >= MINIMUM_GRADE) < min(
        r for r, g in zip(raws, grades) if g >= PERFECT_GRADE)


def test_a_perfect_pair_grades_at_least_85():
    # Same HS subheading, the quantity at the minimum order, the price under the maximum, halal held.
    product = Product("beef", "Говядина замороженная бескостная", hs_code="020230", country="KZ",
                      certifications=("halal", "vet"), moq=20, unit="t", capacity_per_month=200,
                      price_usd=6100, incoterms=("CFR",), language="ru")
    demand = Demand("d", "Daging sapi beku tanpa tulang", hs_code="020230", country="ID",
                    required_certifications=("halal",), quantity=20, unit="t", max_price_usd=6200,
                    incoterms=("CFR", "CIF"), language="id")
    assert explain(product, demand).score >= PERFECT_GRADE


def test_a_plausible_pair_grades_between_50_and_85():
    # The right heading (frozen fish), another subheading, nothing known of the business side.
    product = Product("p", "Frozen skipjack tuna, whole round", hs_code="030343", country="ID")
    demand = Demand("d", "Мороженая рыба: скумбрия", country="KZ")
    explanation = explain(product, demand)
    assert explanation.proposed and MINIMUM_GRADE <= explanation.score < PERFECT_GRADE


def test_weaker_pairs_are_not_proposed_but_still_explained():
    # The request is for fish oils; tuna is named only as the fish an oil comes from.
    product = Product("p", "Frozen tuna loins", hs_code="030487", country="ID")
    demand = Demand("d", "Рыбий жир, масло печени трески, жир тунца", country="KZ")
    explanation = explain(product, demand)
    assert explanation.components and not explanation.proposed
    assert not explanation.evidence or explanation.score < MINIMUM_GRADE
    assert ProductIndex([product]).top(demand, k=10) == []


def test_the_parts_add_up_to_the_grade_in_whole_points():
    rng = random.Random(5)
    for _ in range(500):
        parts = [(f"c{i}", "", rng.random(), w, "") for i, w in enumerate([0.3, 0.25, 0.2, 0.1, 0.15])]
        e = Explanation.from_parts(parts, grade=grade)
        points = [round(c.contribution * 100) for c in e.components]
        assert all(abs(c.contribution * 100 - p) < 1e-9 for c, p in zip(e.components, points))
        assert sum(points) == round(e.score * 100) == round(grade(e.raw) * 100)


def test_ranked_lists_show_grades_best_first_and_only_proposable_pairs(catalogue, tiny_vocabulary, hotel_request):
    for matches in (ProductIndex(catalogue, vocabulary=tiny_vocabulary).top(hotel_request, k=4),
                    DemandIndex([hotel_request], vocabulary=tiny_vocabulary).top(catalogue[0], k=4)):
        assert matches and all(m.explanation.proposed for m in matches)
        assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
