"""A request without an HS code is matched by what the engine reads in its words; its owner sees that
reading and can correct it, and the correction is kept and used by listings and matching."""

from __future__ import annotations

import pytest
from sqlmodel import select

from matchmaker.models import BuyingRequest, Match

LOIN = {"title": "Frozen boneless loin for hotel kitchens", "description": "Halal slaughter, vacuum packed.",
        "hs_code": "", "unit": "t", "quantity": "20", "language": "en", "publish": "1"}


@pytest.fixture
def loin(client, auth, make, db):
    """An Indonesian importer's request that the engine reads as fish fillets; Kazakh beef and fish on offer."""
    importer_org = make.organisation(kind="importer", country="ID")
    producer = make.organisation(kind="producer", country="KZ")
    beef = make.product(producer, title="Frozen boneless beef loin", description="Striploin and tenderloin",
                        hs_code="020230", certifications=["halal", "vet"], unit="t", moq=5, capacity_per_month=100,
                        price_usd=6500)
    fish = make.product(producer, title="Frozen pike-perch loin fillets", description="Skinless, boneless",
                        hs_code="030489", certifications=["halal", "vet"], unit="t", moq=5, capacity_per_month=100,
                        price_usd=4200)
    owner = make.user(importer_org)
    auth.login(owner.email)
    response = client.post("/requests/new", data=LOIN)
    request_id = int(response.headers["Location"].rsplit("/", 1)[1])
    return {"request_id": request_id, "beef": beef, "fish": fish, "owner": owner, "org": importer_org}


def _stored(db, request_id):
    db.expire_all()
    return db.get(BuyingRequest, request_id)


def _best_product(db, request_id) -> int:
    db.expire_all()
    return db.exec(select(Match.product_id).where(Match.request_id == request_id, Match.rank_for_request == 1)).one()


def test_the_owner_sees_what_the_platform_read(client, loin):
    page = client.get(f"/requests/{loin['request_id']}").get_data(as_text=True)
    section = page[page.index("What the platform reads in your request"):]
    assert "0304" in section and "Fish fillets" in section and "Fisheries" in section
    assert 'action="/requests/%d/hs-code"' % loin["request_id"] in section


@pytest.mark.parametrize("viewer", ["anonymous", "another importer", "curator"])
def test_nobody_else_sees_the_reading(client, auth, make, loin, viewer):
    auth.logout()
    if viewer == "another importer":
        auth.login(make.user(make.organisation(kind="importer", country="ID")).email)
    elif viewer == "curator":
        auth.login(make.user(make.organisation(kind="chamber"), role="curator").email)
    page = client.get(f"/requests/{loin['request_id']}").get_data(as_text=True)
    assert "What the platform reads" not in page


def test_a_correction_is_kept_and_used_by_listings_and_matching(client, db, loin):
    assert _best_product(db, loin["request_id"]) == loin["fish"].id
    response = client.post(f"/requests/{loin['request_id']}/hs-code", data={"version": "1", "hs_code": "0202"})
    assert response.status_code == 302
    stored = _stored(db, loin["request_id"])
    assert (stored.hs_code, stored.sector) == ("0202", "meat")
    assert LOIN["title"] in client.get("/requests/?sector=meat").get_data(as_text=True)
    assert LOIN["title"] not in client.get("/requests/?sector=fisheries").get_data(as_text=True)
    assert _best_product(db, loin["request_id"]) == loin["beef"].id
    # Now the request gives its own code: nothing left to read, the facts show it.
    page = client.get(f"/requests/{loin['request_id']}").get_data(as_text=True)
    assert "What the platform reads" not in page
    assert "0202" in page


def test_the_owner_may_confirm_the_reading(client, db, loin):
    inferred = _stored(db, loin["request_id"])
    page = client.get(f"/requests/{loin['request_id']}").get_data(as_text=True)
    code = page.split('name="hs_code" value="')[1].split('"')[0]
    assert code.startswith("0304")
    assert client.post(f"/requests/{loin['request_id']}/hs-code", data={"version": "1", "hs_code": code}).status_code == 302
    assert _stored(db, loin["request_id"]).hs_code == code
    assert _stored(db, loin["request_id"]).sector == inferred.sector


@pytest.mark.parametrize("code", ["", "9999", "03", "abc", "0304891"])
def test_a_wrong_code_is_refused_and_nothing_changes(client, db, loin, code):
    before = _stored(db, loin["request_id"])
    response = client.post(f"/requests/{loin['request_id']}/hs-code", data={"version": "1", "hs_code": code})
    assert response.status_code == 400
    assert 'class="error"' in response.get_data(as_text=True)
    after = _stored(db, loin["request_id"])
    assert (after.hs_code, after.sector, after.updated_at) == ("", before.sector, before.updated_at)


@pytest.mark.parametrize(("viewer", "status"), [("another importer", 403), ("curator", 403),
                                                ("anonymous", 302)])
def test_only_the_owner_may_correct(client, auth, make, db, loin, viewer, status):
    auth.logout()
    if viewer == "another importer":
        auth.login(make.user(make.organisation(kind="importer", country="ID")).email)
    elif viewer == "curator":
        auth.login(make.user(make.organisation(kind="chamber"), role="curator").email)
    response = client.post(f"/requests/{loin['request_id']}/hs-code", data={"version": "1", "hs_code": "0202"})
    assert response.status_code == status
    assert _stored(db, loin["request_id"]).hs_code == ""


def test_a_strangers_draft_cannot_be_probed(client, auth, make, db, loin):
    request = _stored(db, loin["request_id"])
    request.status = "draft"
    db.add(request)
    db.commit()
    auth.logout()
    auth.login(make.user(make.organisation(kind="importer", country="ID")).email)
    assert client.post(f"/requests/{loin['request_id']}/hs-code", data={"version": "1", "hs_code": "0202"}).status_code == 404


def test_products_have_no_such_correction(client, auth, loin):
    assert client.post(f"/products/{loin['beef'].id}/hs-code", data={"version": "1", "hs_code": "0202"}).status_code == 404


def test_a_correction_made_on_a_request_changed_meanwhile_saves_nothing(client, db, loin):
    # The owner read the page at version 1; a colleague then edited the request (version 2).
    request = _stored(db, loin["request_id"])
    request.description = "Loins, vacuum packed"
    db.add(request)
    db.commit()
    response = client.post(f"/requests/{loin['request_id']}/hs-code", data={"version": "1", "hs_code": "0202"})
    assert response.status_code == 409
    assert "Someone else changed this since you opened it" in response.get_data(as_text=True)
    db.expire_all()
    assert _stored(db, loin["request_id"]).hs_code == ""
