"""Quantities and prices read as people write them: "1 tonne", "5 тонн", "USD 74.00 per piece"."""

from __future__ import annotations

import pytest

from matchmaker.templating import fmt_price, fmt_qty
from matchmaker.vocabulary import UNITS

NBSP = "\xa0"  # Babel's group separator in Russian and Kazakh


@pytest.mark.parametrize("locale, value, unit, expected", [
    ("en", 1, "t", "1 tonne"), ("en", 2, "t", "2 tonnes"), ("en", 1.5, "t", "1.5 tonnes"),
    ("en", 1.001, "t", "1 tonne"),  # shown as 1, so it reads as one
    ("en", 1, "pcs", "1 piece"), ("en", 1200, "kg", "1,200 kilograms"),
    ("en", 1, "m2", "1 square metre"),
    ("en", 1, "containers", "1 40-ft container"),
    ("ru", 1, "t", "1 тонна"), ("ru", 2, "t", "2 тонны"), ("ru", 5, "t", "5 тонн"), ("ru", 11, "t", "11 тонн"),
    ("ru", 21, "t", "21 тонна"), ("ru", 24, "t", "24 тонны"), ("ru", 1.5, "t", "1,5 тонны"),
    ("ru", 3, "pcs", "3 штуки"), ("ru", 1200, "sets", f"1{NBSP}200 комплектов"),
    ("id", 1, "t", "1 ton"), ("id", 5, "pcs", "5 buah"), ("id", 1200.5, "kg", "1.200,5 kilogram"),
    ("kk", 1, "t", "1 тонна"), ("kk", 5, "t", "5 тонна"), ("kk", 2, "pcs", "2 дана"),
])
def test_a_quantity_agrees_with_its_number(app, locale, value, unit, expected):
    with app.test_request_context(f"/?lang={locale}"):
        assert fmt_qty(value, unit) == expected


@pytest.mark.parametrize("locale, value, unit, expected", [
    ("en", 74, "pcs", "USD 74.00 per piece"), ("en", 1450, "sets", "USD 1,450.00 per set"),
    ("ru", 74, "pcs", "74,00 USD за штуку"), ("ru", 5600, "t", f"5{NBSP}600,00 USD за тонну"),
    ("id", 74, "pcs", "USD 74,00 per buah"),
    ("kk", 74, "t", "1 тонна үшін 74,00 USD"),
])
def test_a_price_names_the_unit_it_is_for(app, locale, value, unit, expected):
    with app.test_request_context(f"/?lang={locale}"):
        assert fmt_price(value, unit) == expected


def test_every_unit_has_a_singular_and_a_plural(app):
    with app.test_request_context("/?lang=en"):
        for unit in UNITS:
            one, five = fmt_qty(1, unit), fmt_qty(5, unit)
            assert one[2:] != five[2:], unit  # "1 tonne", "5 tonnes": not the same word twice


@pytest.fixture
def tonnes(make):
    exporter = make.organisation(kind="exporter", country="ID")
    buyer = make.organisation(kind="buyer", country="KZ")
    product = make.product(exporter, moq=1, capacity_per_month=5, unit="t", price_usd=74.0)
    request = make.request(buyer, quantity=2, unit="t", max_price_usd=900.0)
    return product, request


@pytest.mark.parametrize("locale, shown, wrong", [
    ("en", ["MOQ 1 tonne", "USD 74.00 per tonne", "2 tonnes", "up to USD 900.00 per tonne"],
     ["1 tonnes", "/ tonnes", "/ t<"]),
    ("ru", ["MOQ 1 тонна", "74,00 USD за тонну", "2 тонны", "до 900,00 USD за тонну"], ["1 т<", "/ т<"]),
])
def test_listings_show_quantities_and_prices_in_words(client, tonnes, locale, shown, wrong):
    page = client.get("/products/?lang=" + locale).get_data(as_text=True) + \
        client.get("/requests/?lang=" + locale).get_data(as_text=True)
    for text in shown:
        assert text in page
    for text in wrong:
        assert text not in page


@pytest.mark.parametrize("locale, shown", [
    ("en", ["1 tonne", "5 tonnes", "USD 74.00 per tonne"]),
    ("ru", ["1 тонна", "5 тонн", "74,00 USD за тонну"]),
    ("kk", ["1 тонна", "5 тонна", "1 тонна үшін 74,00 USD"]),
])
def test_product_page_shows_quantities_and_price_in_words(client, tonnes, locale, shown):
    product, _ = tonnes
    page = client.get(f"/products/{product.id}?lang={locale}").get_data(as_text=True)
    for text in shown:
        assert text in page
    assert "1 tonnes" not in page and "/ tonnes" not in page
