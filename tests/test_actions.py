"""Pages offer an action only to whom it is allowed: no button or link ends in a 403."""

from __future__ import annotations

import re

import pytest

ACTION = re.compile(r'href="(/[^"?#]*(?:/new|/edit)|/admin/[^"?#]*)"')
POSTING = {"/products/new", "/requests/new", "/admin/users"}


@pytest.fixture
def people(make):
    exporter = make.organisation(kind="exporter", country="ID")
    buyer = make.organisation(kind="buyer", country="KZ")
    chamber = make.organisation(kind="chamber", country="ID")
    product = make.product(exporter)
    request = make.request(buyer)
    return {
        "orgs": {"exporter": exporter.id, "buyer": buyer.id, "curator": chamber.id, "admin": chamber.id},
        "product": product.id, "request": request.id,
        "users": {"exporter": make.user(exporter), "buyer": make.user(buyer),
                  "curator": make.user(chamber, role="curator"), "admin": make.user(chamber, role="admin")},
    }


def pages_seen_by(people, viewer):
    pages = ["/", "/products/", "/requests/",
             f"/products/{people['product']}", f"/requests/{people['request']}",
             f"/organisations/{people['orgs']['exporter']}", f"/organisations/{people['orgs']['buyer']}"]
    if viewer in people["orgs"]:
        pages.append(f"/organisations/{people['orgs'][viewer]}")
    return pages


def offered_actions(client, pages):
    found = {}
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        for href in ACTION.findall(response.get_data(as_text=True)):
            found.setdefault(href, page)
    return found


VIEWERS = ["anonymous", "exporter", "buyer", "curator", "admin"]


@pytest.mark.parametrize("viewer", VIEWERS)
def test_every_offered_action_opens_for_the_viewer(client, auth, people, viewer):
    if viewer != "anonymous":
        auth.login(people["users"][viewer].email)
    for href, page in offered_actions(client, pages_seen_by(people, viewer)).items():
        assert client.get(href).status_code == 200, f"{page} offers {href} to the {viewer}"


@pytest.mark.parametrize("viewer, expected", [
    ("anonymous", set()),
    ("exporter", {"/products/new"}),
    ("buyer", {"/requests/new"}),
    ("curator", set()),
    ("admin", {"/admin/users"}),
])
def test_each_role_is_offered_what_it_may_do(client, auth, people, viewer, expected):
    if viewer != "anonymous":
        auth.login(people["users"][viewer].email)
    offered = set(offered_actions(client, pages_seen_by(people, viewer))) & POSTING
    assert offered == expected


@pytest.mark.parametrize("kind, label", [("product", "Add a product"), ("request", "Post a buying request")])
def test_listing_offers_posting_only_to_the_side_that_posts(client, auth, people, kind, label):
    side = "exporter" if kind == "product" else "buyer"
    for viewer in VIEWERS:
        if viewer != "anonymous":
            auth.login(people["users"][viewer].email)
        page = client.get(f"/{kind}s/").get_data(as_text=True)
        assert (label in page) == (viewer == side), viewer
        auth.logout()
