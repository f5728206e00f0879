"""Golden cross-lingual cases against the team's real concept vocabulary (concepts/*.json).

Each request must rank its product above products of other sectors, in all three languages, with
typos and transliterations. A sector whose concept file is missing fails, by name.
"""

import pytest

from matchmaker.matching import Demand, Product, ProductIndex
from matchmaker.matching.concepts import CONCEPTS_DIR

CATALOGUE = [
    Product("furniture-id", "Kursi dan meja makan jati solid", country="ID"),
    Product("furniture-en", "Rattan garden sofa set", country="ID"),
    Product("textiles-id", "Kain katun tenun polos", country="ID"),
    Product("textiles-ru", "Футболки мужские трикотажные из хлопка", country="ID"),
    Product("fisheries-id", "Udang beku vaname", country="ID"),
    Product("fisheries-en", "Frozen skipjack tuna loins", country="ID"),
    # Meat and dairy bought into Indonesia must be halal by law: these producers are certified.
    Product("meat-ru", "Говядина замороженная без кости халяль", country="KZ", certifications=("halal", "vet")),
    Product("meat-en", "Frozen lamb carcasses", country="KZ", certifications=("halal", "vet")),
    Product("dairy-ru", "Сухое молоко обезжиренное", country="KZ", certifications=("halal", "vet")),
    Product("dairy-id", "Keju cheddar", country="KZ", certifications=("halal", "vet")),
]

CASES = [
    ("furniture", "мебель из тикового дерева для гостиниц", "furniture-id"),
    ("furniture", "teak dining chairs", "furniture-id"),
    ("furniture", "kursi jatti", "furniture-id"),                  # typo
    ("furniture", "mebel iz rotanga dlya sada", "furniture-en"),    # Russian typed in Latin
    ("furniture", "sofa rotan untuk taman", "furniture-en"),
    ("textiles", "ткань хлопковая", "textiles-id"),
    ("textiles", "cotton fabric, plain weave", "textiles-id"),
    ("textiles", "kaos katun pria", "textiles-ru"),
    ("textiles", "men's cotton t-shirts", "textiles-ru"),
    ("fisheries", "shrimp", "fisheries-id"),
    ("fisheries", "замороженные креветки ваннамей", "fisheries-id"),
    ("fisheries", "tuna cakalang beku", "fisheries-en"),
    ("fisheries", "тунец полосатый замороженный", "fisheries-en"),
    ("meat", "halal frozen boneless beef", "meat-ru"),
    ("meat", "daging sapi beku tanpa tulang halal", "meat-ru"),
    ("meat", "баранина замороженная тушами", "meat-en"),
    ("dairy", "susu bubuk", "dairy-ru"),
    ("dairy", "skimmed milk powder", "dairy-ru"),
    ("dairy", "сыр чеддер", "dairy-id"),
    ("dairy", "cheddar cheese", "dairy-id"),
]


@pytest.fixture(scope="module")
def index():
    return ProductIndex(CATALOGUE)


@pytest.mark.parametrize("sector, request_text, expected", CASES, ids=[c[1] for c in CASES])
def test_request_finds_its_product_first(index, sector, request_text, expected):
    assert (CONCEPTS_DIR / f"{sector}.json").exists(), f"concepts/{sector}.json is missing"
    country = "ID" if sector in ("meat", "dairy") else "KZ"
    matches = index.top(Demand("d", request_text, country=country), k=3)
    assert matches[0].product_id == expected, [(m.product_id, m.score) for m in matches]
    assert matches[0].score > 0.2
