"""The supplier directory ``/organisations/``: found by name or by what they publish, filtered, paged,
and never showing contact details or unpublished items."""

from __future__ import annotations

import re

import pytest


def names(html: str) -> list[str]:
    return re.findall(r'class="card-title" href="/organisations/\d+">([^<]*)<', html)


def test_the_directory_exists_and_lists_organisations_with_their_published_items(client, make):
    exporter = make.organisation(name="PT Jati Indah", kind="exporter", verified=True)
    buyer = make.organisation(name="ТОО «Мебель Хаус»", kind="buyer", country="KZ")
    make.product(exporter, title="Teak dining chair")
    make.product(exporter, title="Teak garden bench")
    make.product(exporter, title="Secret prototype", status="draft")
    make.request(buyer, title="Furniture for a hotel")
    response = client.get("/organisations/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert names(html) == ["PT Jati Indah", "ТОО «Мебель Хаус»"]
    assert "2 published products" in html and "1 open buying request" in html
    assert "Teak dining chair" in html and "Furniture for a hotel" in html and "Secret prototype" not in html
    assert f'href="/organisations/{exporter.id}"' in html


def test_contact_details_never_appear(client, make):
    make.organisation(name="PT Rahasia", contact_person="Ibu Sari", contact_email="sari@private.example",
                      contact_phone="+62 999 000")
    html = client.get("/organisations/?q=rahasia").get_data(as_text=True)
    assert "PT Rahasia" in html
    for private in ("Ibu Sari", "sari@private.example", "+62 999 000"):
        assert private not in html


@pytest.mark.parametrize("query", ["мебель", "Мебель", "МЕБЕЛЬ"])
def test_names_are_found_whatever_the_case(client, make, query):
    make.organisation(name="ТОО «Мебель Хаус»", kind="buyer", country="KZ")
    make.organisation(name="PT Tuna Jaya")
    assert names(client.get(f"/organisations/?q={query}").get_data(as_text=True)) == ["ТОО «Мебель Хаус»"]


def test_what_they_publish_finds_them_in_another_language(client, make):
    teak, tuna = make.organisation(name="PT Satu"), make.organisation(name="PT Dua")
    make.product(teak, title="Kursi makan jati solid", hs_code="940161", language="id")
    make.product(tuna, title="Tuna loin beku", hs_code="030487", language="id", certifications=[])
    assert names(client.get("/organisations/?q=мебель из тика").get_data(as_text=True)) == ["PT Satu"]


def test_filters_narrow(client, make):
    dairy = make.organisation(name="Dairy KZ", kind="producer", country="KZ", verified=True)
    meat = make.organisation(name="Meat KZ", kind="producer", country="KZ")
    teak = make.organisation(name="Teak ID", kind="exporter", country="ID", verified=True)
    make.product(dairy, title="Сыр полутвёрдый", hs_code="040690", certifications=["halal"])
    make.product(meat, title="Frozen beef", hs_code="020230", certifications=["halal", "vet"])
    make.product(teak, title="Teak chair")
    for query, expected in [("kind=producer", ["Dairy KZ", "Meat KZ"]), ("country=ID", ["Teak ID"]),
                            ("sector=dairy", ["Dairy KZ"]), ("certification=vet", ["Meat KZ"]),
                            ("verified=1", ["Dairy KZ", "Teak ID"]),
                            ("certification=halal&verified=1", ["Dairy KZ"]),
                            ("kind=nonsense&country=%00&sector=x", ["Dairy KZ", "Meat KZ", "Teak ID"])]:
        assert sorted(names(client.get(f"/organisations/?{query}").get_data(as_text=True))) == expected, query


def test_pages_and_the_htmx_partial(client, make):
    for n in range(25):
        make.organisation(name=f"Company {n:02d}")
    first = client.get("/organisations/").get_data(as_text=True)
    second = client.get("/organisations/?page=2").get_data(as_text=True)
    assert len(names(first)) == 20 and len(names(second)) == 5 and "Page 2 of 2" in second
    assert set(names(first)).isdisjoint(names(second))
    partial = client.get("/organisations/?page=2", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and names(partial) == names(second)
    assert "<html" in first and 'hx-push-url="true"' in first
