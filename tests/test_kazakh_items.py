"""Kazakh is a language of items: a Kazakh producer writes its product in Kazakh, and it is kept as such."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from matchmaker.models import ProductProfile
from matchmaker.schemas import ProductIn, errors_by_field

KAZAKH_PRODUCT = {"title": "Мұздатылған сиыр еті, сүйексіз", "description": "Жартылай ұшалар, вакуумдық орама.",
                  "hs_code": "020230", "unit": "t", "moq": "5", "language": "kk", "publish": "1"}


def test_a_product_is_written_in_kazakh(client, auth, make, db):
    producer = make.user(make.organisation(kind="producer", country="KZ"))
    auth.login(producer.email)
    form = client.get("/products/new").get_data(as_text=True)
    assert re.search(r'<option value="kk">Kazakh</option>', form)
    response = client.post("/products/new", data=KAZAKH_PRODUCT)
    assert response.status_code == 302
    product = db.get(ProductProfile, int(response.headers["Location"].rsplit("/", 1)[1]))
    assert product.language == "kk"
    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert '<h1 lang="kk">Мұздатылған сиыр еті, сүйексіз</h1>' in page


def test_a_kazakh_speaking_member_starts_in_kazakh(client, auth, make):
    buyer = make.user(make.organisation(kind="buyer", country="KZ"), locale="kk")
    auth.login(buyer.email)
    form = client.get("/requests/new").get_data(as_text=True)
    select = re.search(r'<select id="language" name="language">.*?</select>', form, re.S).group(0)
    assert re.findall(r'<option (?:selected )?value="(\w+)"(?: selected)?>', select) == ["en", "id", "ru", "kk"]
    assert re.search(r'<option selected value="kk">', select)


def test_an_unknown_language_is_refused_with_the_four_choices():
    # What a CSV row or an API call is told (the web form offers only the four).
    with pytest.raises(ValidationError) as refused:
        ProductIn.model_validate({**KAZAKH_PRODUCT, "language": "xx"})
    assert errors_by_field(refused.value)["language"] == ["Choose English, Bahasa Indonesia, Russian or Kazakh."]


def test_kazakh_is_a_working_language_of_organisations(client, auth, make, db):
    org = make.organisation(kind="producer", country="KZ")
    auth.login(make.user(org).email)
    data = {"name": org.name, "country": "KZ", "kind": "producer", "languages": ["kk", "ru"]}
    assert client.post(f"/organisations/{org.id}/edit", data=data).status_code == 302
    assert "Kazakh" in client.get(f"/organisations/{org.id}").get_data(as_text=True)
