"""Proposals are private: who is proposed to whom is seen by the two parties and curators only, and the
counts on an organisation page are the matches its item pages list."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from matchmaker.models import Match


@pytest.fixture
def pair(client, make, db):
    """A teak product (ID) matched to a hotel's request (KZ), and everyone who might look at the match."""
    exporter = make.organisation(kind="exporter", country="ID", name="PT Jepara Jati")
    buyer = make.organisation(kind="buyer", country="KZ", name="Astana Hotel Supply")
    chamber = make.organisation(kind="chamber", country="KZ")
    product = make.product(exporter, title="Kursi dan meja makan jati solid", language="id")
    request = make.request(buyer, title="Teak dining furniture for hotels")
    client.application.test_cli_runner().invoke(args=["rematch"])
    match = db.exec(select(Match).where(Match.product_id == product.id, Match.request_id == request.id)).one()
    return {
        "match": match, "product": product, "request": request, "exporter": exporter, "buyer": buyer,
        "people": {
            "exporter": make.user(exporter), "buyer": make.user(buyer),
            "curator": make.user(chamber, role="curator"), "admin": make.user(chamber, role="admin"),
            "stranger": make.user(make.organisation(kind="buyer", country="KZ")),
            "competitor": make.user(make.organisation(kind="exporter", country="ID")),
            "no organisation": make.user(None),
        },
    }


def _as(auth, pair, viewer):
    if viewer != "anonymous":
        auth.login(pair["people"][viewer].email)


@pytest.mark.parametrize("viewer", ["exporter", "buyer", "curator", "admin"])
def test_match_page_is_open_to_the_parties_and_curators(client, auth, pair, viewer):
    _as(auth, pair, viewer)
    page = client.get(f"/matches/{pair['match'].id}")
    assert page.status_code == 200
    assert "Astana Hotel Supply" in page.get_data(as_text=True)


@pytest.mark.parametrize("viewer", ["anonymous", "stranger", "competitor", "no organisation"])
def test_match_page_does_not_exist_for_anyone_else(client, auth, pair, viewer):
    _as(auth, pair, viewer)
    assert client.get(f"/matches/{pair['match'].id}").status_code == 404


def test_a_match_never_shows_a_party_the_other_sides_draft(client, auth, db, pair):
    pair["match"].status = "curated"  # curated, so it survives the product going back to draft
    db.add(pair["match"])
    pair["product"].status = "draft"
    db.add(pair["product"])
    db.commit()
    auth.login(pair["people"]["buyer"].email)
    assert client.get(f"/matches/{pair['match'].id}").status_code == 404
    auth.logout()
    auth.login(pair["people"]["curator"].email)
    assert client.get(f"/matches/{pair['match'].id}").status_code == 200


@pytest.mark.parametrize("side", ["product", "request"])
@pytest.mark.parametrize("viewer", ["anonymous", "stranger", "competitor"])
def test_public_item_pages_list_no_proposed_partners(client, auth, pair, side, viewer):
    _as(auth, pair, viewer)
    item, other = (pair["product"], pair["request"]) if side == "product" else (pair["request"], pair["product"])
    page = client.get(f"/{side}s/{item.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert other.title not in html
    assert "/matches/" not in html


@pytest.mark.parametrize(("side", "viewer"), [("product", "exporter"), ("request", "buyer"),
                                              ("product", "curator"), ("request", "admin")])
def test_owners_and_curators_see_the_items_matches(client, auth, pair, side, viewer):
    _as(auth, pair, viewer)
    item, other = (pair["product"], pair["request"]) if side == "product" else (pair["request"], pair["product"])
    html = client.get(f"/{side}s/{item.id}").get_data(as_text=True)
    assert other.title in html
    assert f"/matches/{pair['match'].id}" in html


@pytest.mark.parametrize("viewer", ["anonymous", "stranger"])
def test_organisation_page_shows_no_match_counts_to_strangers(client, auth, pair, viewer):
    _as(auth, pair, viewer)
    html = client.get(f"/organisations/{pair['exporter'].id}").get_data(as_text=True)
    assert pair["product"].title in html
    assert not re.search(r"\d+ match", html)


def _listed_on_item_page(client, kind, item_id) -> int:
    return client.get(f"/{kind}s/{item_id}").get_data(as_text=True).count('class="why"')


def _counted_on_organisation_page(client, org_id, item_title) -> int:
    html = client.get(f"/organisations/{org_id}").get_data(as_text=True)
    line = next(li for li in html.split("<li>") if item_title in li)
    found = re.search(r"(\d+) match", line)
    return int(found.group(1)) if found else 0


def test_organisation_page_counts_what_the_item_page_lists(client, auth, make, db, pair):
    # Twelve hotels ask for teak furniture: the product sits in all their top lists, more than the ten
    # shown at first; one curated match whose request was archived is listed nowhere.
    for n in range(12):
        make.request(make.organisation(kind="buyer", country="KZ"), title=f"Teak dining chairs for hotel {n}")
    client.application.test_cli_runner().invoke(args=["rematch"])
    pair["match"].status = "curated"
    pair["request"].status = "archived"
    db.add_all([pair["match"], pair["request"]])
    db.commit()
    auth.login(pair["people"]["exporter"].email)
    listed = _listed_on_item_page(client, "product", pair["product"].id)
    assert listed > 10
    assert _counted_on_organisation_page(client, pair["exporter"].id, pair["product"].title) == listed
