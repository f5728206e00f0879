"""Corridor law as the platform shows it: a pork product is never labelled "focus corridor"."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("title, hs_code, in_focus", [
    ("Frozen boneless beef", "020230", True),
    ("Frozen pork loin", "020329", False),
    ("Копчёная колбаса из свинины", "160100", False),
])
def test_a_pork_product_is_never_a_focus_corridor_product(client, make, title, hs_code, in_focus):
    producer = make.organisation(kind="producer", country="KZ")
    product = make.product(producer, title=title, hs_code=hs_code, description="", unit="t")
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert ("<dd>Focus corridor</dd>" in page) == in_focus
    listing = client.get("/products/?sector=meat").get_data(as_text=True)
    assert ("outside the focus" in listing) != in_focus
