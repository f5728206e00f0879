"""Golden dairy cases against the team's real vocabulary: the kind of milk powder or cheese asked for
comes first, and meat never sits among cheeses (seen on the demo data, issue 7).

The buyers are Indonesian, so halal is required by law for their dairy: every product here holds it."""

import pytest

from matchmaker.matching import Demand, Product, ProductIndex

CATALOGUE = [
    Product("wmp", "Whole milk powder 26% fat", description="Instant whole milk powder, fat 26–28%, "
            "for recombined milk, bakery and confectionery. 25 kg bags.", country="KZ", certifications=("halal",), language="en"),
    Product("wmp-ru", "Сухое цельное молоко 25%", description="Цельное сухое молоко 25% жирности для "
            "хлебопечения, мешки 25 кг.", country="KZ", certifications=("halal",), language="ru"),
    Product("smp", "Skimmed milk powder, spray-dried, 25 kg bags", description="Spray-dried SMP, fat max "
            "1.25%, protein min 34%.", country="KZ", certifications=("halal",), language="en"),
    Product("smp-ru", "Сухое обезжиренное молоко (СОМ) 1,5%", country="KZ", certifications=("halal",), language="ru"),
    Product("butter", "Unsalted butter 82.5%, 25 kg block", description="Sweet-cream unsalted butter "
            "82.5% fat, frozen.", country="KZ", certifications=("halal",), language="en"),
    Product("gouda", "Сыр полутвёрдый «Костанайский» 45%", description="Полутвёрдый сыр типа гауда, "
            "бруски по 5 кг.", country="KZ", certifications=("halal",), language="ru"),
    Product("rossiysky", "Сыр «Российский» 50%, бруски", country="KZ", certifications=("halal",), language="ru"),
    Product("brynza", "Сыр рассольный брынза", country="KZ", certifications=("halal",), language="ru"),
    Product("beef", "Frozen boneless beef, 90CL manufacturing grade", description="Halal boneless "
            "trimmings, 27.2 kg blocks, frozen.", country="KZ", certifications=("halal",), language="en"),
    Product("frankfurters", "Halal beef frankfurters, frozen", description="Cooked beef frankfurters in "
            "collagen casing, 60 g each, for hotel breakfast buffets.", country="KZ",
            certifications=("halal",), language="en"),
]


@pytest.fixture(scope="module")
def index():
    return ProductIndex(CATALOGUE)


def ranked(index, title, description=None):
    return [m.product_id for m in index.top(Demand("d", title, description=description, country="ID"),
                                            k=len(CATALOGUE))]


@pytest.mark.parametrize("title", ["Susu bubuk full cream 26%", "Full cream milk powder 26% for chocolate"])
def test_whole_milk_powder_comes_before_skimmed_powder_and_butter(index, title):
    order = ranked(index, title)
    whole = max(order.index("wmp"), order.index("wmp-ru"))
    # Other dairy ranks after it, when it is proposed at all.
    assert whole < min((order.index(p) for p in ("smp", "smp-ru", "butter") if p in order),
                       default=len(order)), order


@pytest.mark.parametrize("title, description", [
    ("Gouda-type cheese for hotel breakfast buffets",
     "Semi-hard cheese (gouda or similar), blocks, 2 t a month."),
    ("Keju mozzarella untuk pizza", None),
    ("Keju untuk hotel, halal", "Keju semi keras untuk sarapan hotel"),
])
def test_cheeses_come_before_any_meat(index, title, description):
    order = ranked(index, title, description)
    cheeses = [order.index(p) for p in ("gouda", "rossiysky", "brynza")]
    meat = [order.index(p) for p in ("beef", "frankfurters") if p in order]  # better still: not proposed
    assert max(cheeses) < min(meat, default=len(order)), order
