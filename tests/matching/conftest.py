"""Fixtures for the engine's tests: a tiny vocabulary of our own, so unit tests do not depend on
the exact content of the team's growing concept files (the golden tests use those)."""

from __future__ import annotations

import pytest

from matchmaker.matching import ConceptVocabulary, Demand, Product

TINY_CONCEPTS = [
    {"concept": "teak", "hs": ["4403", "9403"], "en": ["teak", "teak wood"], "id": ["jati", "kayu jati"],
     "ru": ["тик", "тиковое дерево"]},
    {"concept": "furniture", "hs": ["9403"], "en": ["furniture"], "id": ["mebel", "perabot"],
     "ru": ["мебель"]},
    {"concept": "chair", "hs": ["9401"], "en": ["chair"], "id": ["kursi"], "ru": ["стул"]},
    {"concept": "table", "hs": ["9403"], "en": ["table"], "id": ["meja"], "ru": ["стол"]},
    {"concept": "cotton", "hs": ["52"], "en": ["cotton"], "id": ["katun", "kapas"], "ru": ["хлопок"]},
    {"concept": "fabric", "hs": ["5208", "5407"], "en": ["fabric", "woven fabric"], "id": ["kain"],
     "ru": ["ткань"]},
    {"concept": "shrimp", "hs": ["030617"], "en": ["shrimp", "prawn"], "id": ["udang"],
     "ru": ["креветка"]},
    {"concept": "frozen", "hs": [], "en": ["frozen"], "id": ["beku"], "ru": ["замороженный"]},
    {"concept": "beef", "hs": ["0201", "0202"], "en": ["beef"], "id": ["daging sapi"],
     "ru": ["говядина"]},
    {"concept": "milk powder", "hs": ["0402"], "en": ["milk powder", "powdered milk"],
     "id": ["susu bubuk"], "ru": ["сухое молоко"]},
]


@pytest.fixture(scope="session")
def tiny_vocabulary() -> ConceptVocabulary:
    return ConceptVocabulary.from_entries(TINY_CONCEPTS)


@pytest.fixture
def catalogue() -> list[Product]:
    return [
        Product("teak", "Kursi dan meja makan jati solid", hs_code="940161", country="ID",
                certifications=("svlk", "fsc"), moq=50, unit="pcs", capacity_per_month=2000,
                price_usd=120, incoterms=("FOB",), language="id"),
        Product("cotton", "Kain katun tenun", hs_code="520812", country="ID", certifications=("eac",),
                moq=1000, unit="m", incoterms=("FOB", "CIF"), language="id"),
        Product("shrimp", "Udang beku vaname", hs_code="030617", country="ID",
                certifications=("haccp", "asc"), moq=1, unit="t", language="id"),
        Product("beef", "Говядина замороженная без кости халяль", hs_code="020230", country="KZ",
                certifications=("halal", "vet"), language="ru"),
    ]


@pytest.fixture
def hotel_request() -> Demand:
    return Demand("hotel", "мебель из тикового дерева для гостиниц", country="KZ", quantity=300,
                  unit="pcs", max_price_usd=150, incoterms=("FOB", "CIF"), language="ru")
