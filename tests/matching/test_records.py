"""Input records: field names are the shared vocabulary, and bad values are refused by field."""

from dataclasses import fields

import pytest

from matchmaker import vocabulary
from matchmaker.matching import Demand, InputError, Product


def test_fields_are_the_shared_vocabulary():
    assert tuple(f.name for f in fields(Product)) == vocabulary.PRODUCT_FIELDS
    assert tuple(f.name for f in fields(Demand)) == vocabulary.REQUEST_FIELDS


def test_from_mapping_accepts_strings_lists_and_numeric_strings():
    product = Product.from_mapping({
        "id": 7, "title": " Kursi jati ", "hs_code": "9401.61", "country": "id",
        "certifications": "SVLK; fsc", "moq": "1 000", "capacity_per_month": 5000, "price_usd": "12.5",
        "incoterms": ["fob", "CIF"], "unit": "PCS", "language": "id", "extra": "ignored",
    })
    assert product == Product("7", "Kursi jati", None, "940161", "ID", ("fsc", "svlk"), 1000.0, "pcs",
                              5000.0, 12.5, ("CIF", "FOB"), "id")


def test_missing_values_are_unknown_not_zero():
    demand = Demand.from_mapping({"id": "d1", "title": "Frozen shrimp", "quantity": "", "country": None})
    assert demand.quantity is None and demand.country is None and demand.required_certifications == ()


def test_space_and_comma_separated_lists():
    demand = Demand.from_mapping({"id": "d", "title": "t", "required_certifications": "halal,vet haccp",
                                  "incoterms": "FOB CIF"})
    assert demand.required_certifications == ("haccp", "halal", "vet")
    assert demand.incoterms == ("CIF", "FOB")


@pytest.mark.parametrize("changes, field", [
    ({"id": None}, "id"),
    ({"title": "  "}, "title"),
    ({"title": "x" * (vocabulary.TITLE_MAX + 1)}, "title"),
    ({"certifications": "halal; kosher"}, "certifications"),
    ({"incoterms": "FOBB"}, "incoterms"),
    ({"moq": "-5"}, "moq"),
    ({"moq": "lots"}, "moq"),
    ({"capacity_per_month": vocabulary.MAX_QUANTITY * 10}, "capacity_per_month"),
    ({"price_usd": vocabulary.MAX_PRICE_USD + 1}, "price_usd"),
    ({"hs_code": "94a3"}, "hs_code"),
    ({"country": "Atlantis"}, "country"),
    ({"unit": "bushels"}, "unit"),
    ({"language": "fr"}, "language"),
])
def test_bad_product_values_name_their_field(changes, field):
    data = {"id": "p1", "title": "Teak chair", **changes}
    with pytest.raises(InputError) as raised:
        Product.from_mapping(data)
    assert raised.value.field == field
    assert isinstance(raised.value, ValueError)


@pytest.mark.parametrize("changes, field", [
    ({"required_certifications": ["halal", "iso9001"]}, "required_certifications"),
    ({"quantity": -1}, "quantity"),
    ({"max_price_usd": "free"}, "max_price_usd"),
    ({"quantity": True}, "quantity"),
])
def test_bad_demand_values_name_their_field(changes, field):
    with pytest.raises(InputError) as raised:
        Demand.from_mapping({"id": "d1", "title": "Beef", **changes})
    assert raised.value.field == field


def test_records_are_frozen():
    with pytest.raises(AttributeError):
        Product("p", "t").title = "other"


@pytest.mark.parametrize("unit, language, country, expected", [
    ("tons", "English", "Indonesia", ("t", "en", "ID")),
    ("MT", "Bahasa Indonesia", "Kazakhstan", ("t", "id", "KZ")),
    ("pieces", "russian", "Казахстан", ("pcs", "ru", "KZ")),
    ("кг", "ru", "kz", ("kg", "ru", "KZ")),
])
def test_spreadsheet_spellings_of_units_languages_and_countries_are_understood(unit, language, country, expected):
    product = Product.from_mapping({"id": "p1", "title": "Beef", "unit": unit, "language": language,
                                    "country": country})
    assert (product.unit, product.language, product.country) == expected
