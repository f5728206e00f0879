"""Contact details stay private until a curator introduces the two organisations and both accept."""

from __future__ import annotations

import pytest

from matchmaker.models import Introduction, Match

CONTACT = {"contact_person": "Siti Rahayu Private", "contact_email": "siti.private@jeparateak.example",
           "contact_phone": "+62 291 555 0142"}
BUYER_CONTACT = {"contact_person": "Aigerim Private", "contact_email": "aigerim.private@astana.example",
                 "contact_phone": "+7 7172 55 01 99"}


@pytest.fixture
def world(make):
    exporter = make.organisation(kind="exporter", country="ID", name="PT Jepara Teak Works", **CONTACT)
    buyer = make.organisation(kind="buyer", country="KZ", name="Astana Hotel Group", **BUYER_CONTACT)
    chamber = make.organisation(kind="chamber", country="KZ")
    product = make.product(exporter, title="Solid teak dining table")
    draft = make.product(exporter, title="Teak bench (draft)", status="draft")
    request = make.request(buyer, title="Teak furniture for a hotel in Astana")
    return {
        "exporter": exporter, "buyer": buyer, "product": product, "draft": draft, "request": request,
        "exporter_member": make.user(exporter), "buyer_member": make.user(buyer),
        "stranger": make.user(make.organisation(kind="importer", country="ID")),
        "curator": make.user(chamber, role="curator"),
        "admin": make.user(chamber, role="admin"),
        "loner": make.user(None),
    }


def pages_showing_the_exporter(client, w) -> dict[str, str]:
    urls = {
        "organisation": f"/organisations/{w['exporter'].id}",
        "product": f"/products/{w['product'].id}",
        "request": f"/requests/{w['request'].id}",
        "products": "/products/",
        "products by sector": "/products/?sector=furniture",
        "products by country": "/products/?country=ID",
        "products search": "/products/?q=teak",
        "requests": "/requests/",
        "home": "/",
    }
    pages = {name: client.get(url).get_data(as_text=True) for name, url in urls.items()}
    pages["htmx fragment"] = client.get("/products/?sector=furniture",
                                        headers={"HX-Request": "true"}).get_data(as_text=True)
    return pages


def leaked(html: str, contact: dict) -> list[str]:
    return [value for value in contact.values() if value in html]


@pytest.mark.parametrize("viewer", [None, "stranger", "buyer_member", "loner"])
def test_contacts_absent_for_strangers(client, auth, world, viewer):
    if viewer:
        auth.login(world[viewer].email)
    pages = pages_showing_the_exporter(client, world)
    assert "PT Jepara Teak Works" in pages["product"]  # the page does show the organisation…
    for name, html in pages.items():
        assert leaked(html, CONTACT) == [], name  # …but not how to reach it
        if viewer != "buyer_member":  # nor the buyer's, on its request page and everywhere else
            assert leaked(html, BUYER_CONTACT) == [], name
    buyer_page = client.get(f"/organisations/{world['buyer'].id}").get_data(as_text=True)
    expected = list(BUYER_CONTACT.values()) if viewer == "buyer_member" else []
    assert leaked(buyer_page, BUYER_CONTACT) == expected


@pytest.mark.parametrize("viewer", ["exporter_member", "curator", "admin"])
def test_contacts_present_for_members_and_curators(client, auth, world, viewer):
    auth.login(world[viewer].email)
    html = client.get(f"/organisations/{world['exporter'].id}").get_data(as_text=True)
    assert leaked(html, CONTACT) == list(CONTACT.values())


def introduce(db, world, stage: str) -> Match:
    match = Match(product_id=world["product"].id, request_id=world["request"].id, score=0.8,
                  status="proposed" if stage == "proposed" else "curated")
    db.add(match)
    db.commit()
    if stage != "proposed":
        db.add(Introduction(match_id=match.id, product_id=match.product_id, request_id=match.request_id,
                            stage=stage))
        db.commit()
    return match


@pytest.mark.parametrize("stage", ["accepted", "meeting", "negotiation", "won", "lost"])
def test_contacts_present_once_both_accepted_both_ways(client, auth, db, world, stage):
    introduce(db, world, stage)
    auth.login(world["buyer_member"].email)
    assert leaked(client.get(f"/organisations/{world['exporter'].id}").get_data(as_text=True),
                  CONTACT) == list(CONTACT.values())
    auth.logout()
    auth.login(world["exporter_member"].email)
    assert leaked(client.get(f"/organisations/{world['buyer'].id}").get_data(as_text=True),
                  BUYER_CONTACT) == list(BUYER_CONTACT.values())


@pytest.mark.parametrize("stage", ["proposed", "requested", "dismissed", "declined", "introduced", "rejected"])
def test_contacts_absent_until_both_accept(client, auth, db, world, stage):
    introduce(db, world, stage)
    auth.login(world["buyer_member"].email)
    for name, html in pages_showing_the_exporter(client, world).items():
        assert leaked(html, CONTACT) == [], name


def test_introduction_is_only_between_the_two_organisations(client, auth, db, world):
    introduce(db, world, "accepted")
    auth.login(world["stranger"].email)
    html = client.get(f"/organisations/{world['exporter'].id}").get_data(as_text=True)
    assert leaked(html, CONTACT) == []


def test_match_with_a_draft_shows_contacts_only_once_introduced(client, auth, db, world):
    match = Match(product_id=world["draft"].id, request_id=world["request"].id, score=0.5, status="proposed")
    db.add(match)
    db.commit()
    auth.login(world["buyer_member"].email)
    html = client.get(f"/organisations/{world['exporter'].id}").get_data(as_text=True)
    assert leaked(html, CONTACT) == []
    assert "Teak bench (draft)" not in html


def test_contacts_follow_the_curation_loop_on_the_match_page(client, auth, db, world):
    """Through the real moves: neither party sees the other's contacts until both have accepted; then
    both do, on the match page and the organisation pages, and a third member still sees nothing."""
    from matchmaker.services import curation

    match = introduce(db, world, "proposed")
    page = f"/matches/{match.id}"
    steps = [("request", "buyer_member"), ("introduce", "curator"), ("accept", "exporter_member")]
    for action, who in steps:
        curation.move(db, match_id=match.id, user_id=world[who].id, action=action)
        for viewer, contact, org in (("buyer_member", CONTACT, "exporter"), ("exporter_member", BUYER_CONTACT, "buyer")):
            auth.logout()
            auth.login(world[viewer].email)
            assert leaked(client.get(page).get_data(as_text=True), contact) == [], (action, viewer)
            assert leaked(client.get(f"/organisations/{world[org].id}").get_data(as_text=True), contact) == []
    curation.move(db, match_id=match.id, user_id=world["buyer_member"].id, action="accept")
    for viewer, contact, org in (("buyer_member", CONTACT, "exporter"), ("exporter_member", BUYER_CONTACT, "buyer")):
        auth.logout()
        auth.login(world[viewer].email)
        html = client.get(page).get_data(as_text=True)
        assert leaked(html, contact) == list(contact.values()), viewer
        assert "Contact details" in html
        assert leaked(client.get(f"/organisations/{world[org].id}").get_data(as_text=True),
                      contact) == list(contact.values())
    auth.logout()
    auth.login(world["stranger"].email)
    assert client.get(page).status_code == 404
    for org, contact in (("exporter", CONTACT), ("buyer", BUYER_CONTACT)):
        assert leaked(client.get(f"/organisations/{world[org].id}").get_data(as_text=True), contact) == []


def test_a_curator_reads_both_parties_contacts_on_the_match_page(client, auth, db, world):
    match = introduce(db, world, "proposed")
    auth.login(world["curator"].email)
    html = client.get(f"/matches/{match.id}").get_data(as_text=True)
    assert leaked(html, CONTACT) == list(CONTACT.values())
    assert leaked(html, BUYER_CONTACT) == list(BUYER_CONTACT.values())
