"""Who may see and change what: every refusal, and that a refused request changes nothing."""

from __future__ import annotations

import pytest

from matchmaker.models import BuyingRequest, ProductProfile, User

GOOD_PRODUCT = {"title": "Hijacked title", "description": "", "hs_code": "940360", "unit": "pcs",
                "language": "en", "moq": "1", "publish": "1"}
GOOD_REQUEST = {"title": "Hijacked title", "description": "", "hs_code": "", "unit": "pcs", "language": "en",
                "quantity": "1", "publish": "1"}


def fresh(db, model, item_id):
    db.expire_all()
    return db.get(model, item_id)


@pytest.mark.parametrize("url", ["/products/new", "/requests/new", "/admin/users", "/organisations/mine"])
def test_anonymous_is_sent_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_anonymous_post_is_sent_to_login_and_saves_nothing(client, make, db):
    org = make.organisation()
    product = make.product(org, status="draft")
    response = client.post(f"/products/{product.id}/status", data={"status": "published"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert fresh(db, ProductProfile, product.id).status == "draft"


@pytest.fixture
def two_orgs(make):
    """Org A (exporter) and org B (buyer) each own a published product/request; plus a member of each."""
    exporter, buyer = make.organisation(kind="exporter"), make.organisation(kind="buyer", country="KZ")
    a_product = make.product(exporter, title="A's product")
    b_product = make.product(make.organisation(kind="exporter"), title="Another exporter's product")
    b_request = make.request(buyer, title="B's request")
    return {
        "exporter_member": make.user(exporter), "buyer_member": make.user(buyer),
        "a_product": a_product, "b_product": b_product, "b_request": b_request,
    }


@pytest.mark.parametrize("kind", ["product", "request"])
def test_member_of_another_organisation_cannot_edit(client, auth, db, two_orgs, kind):
    # The exporter's member tries another exporter's product, or the buyer's request.
    item = two_orgs["b_product"] if kind == "product" else two_orgs["b_request"]
    model = ProductProfile if kind == "product" else BuyingRequest
    auth.login(two_orgs["exporter_member"].email)
    base = f"/{kind}s/{item.id}"
    assert client.get(f"{base}/edit").status_code == 403
    data = GOOD_PRODUCT if kind == "product" else GOOD_REQUEST
    assert client.post(f"{base}/edit", data=data).status_code == 403
    for status in ("archived", "draft"):
        assert client.post(f"{base}/status", data={"status": status}).status_code == 403
    stored = fresh(db, model, item.id)
    assert stored.title == item.title
    assert stored.status == "published"
    assert stored.updated_at == item.updated_at


def test_member_can_edit_their_own_product(client, auth, db, two_orgs):
    auth.login(two_orgs["exporter_member"].email)
    product = two_orgs["a_product"]
    edited = {**GOOD_PRODUCT, "version": "1"}
    assert client.post(f"/products/{product.id}/edit", data=edited).status_code == 302
    assert client.post(f"/products/{product.id}/status", data={"status": "archived"}).status_code == 302
    stored = fresh(db, ProductProfile, product.id)
    assert (stored.title, stored.status) == ("Hijacked title", "archived")


def test_unknown_status_is_refused(client, auth, db, two_orgs):
    auth.login(two_orgs["exporter_member"].email)
    product = two_orgs["a_product"]
    assert client.post(f"/products/{product.id}/status", data={"status": "deleted"}).status_code == 400
    assert fresh(db, ProductProfile, product.id).status == "published"


@pytest.fixture
def hidden(make):
    """A draft and an archived product and request of one organisation, and the people who look at them."""
    exporter, buyer = make.organisation(kind="exporter"), make.organisation(kind="buyer")
    chamber = make.organisation(kind="chamber")
    return {
        "items": {
            ("products", "draft"): make.product(exporter, status="draft"),
            ("products", "archived"): make.product(exporter, status="archived"),
            ("requests", "draft"): make.request(buyer, status="draft"),
            ("requests", "archived"): make.request(buyer, status="archived"),
        },
        "owners": {"products": make.user(exporter), "requests": make.user(buyer)},
        "stranger": make.user(make.organisation(kind="exporter")),
        "curator": make.user(chamber, role="curator"),
        "admin": make.user(chamber, role="admin"),
    }


CASES = [(kind, status) for kind in ("products", "requests") for status in ("draft", "archived")]


@pytest.mark.parametrize(("kind", "status"), CASES)
@pytest.mark.parametrize("viewer", ["anonymous", "stranger"])
def test_unpublished_items_are_404_for_strangers(client, auth, hidden, kind, status, viewer):
    if viewer == "stranger":
        auth.login(hidden["stranger"].email)
    item = hidden["items"][(kind, status)]
    assert client.get(f"/{kind}/{item.id}").status_code == 404
    # Not on the owner's organisation page either.
    org_page = client.get(f"/organisations/{item.organisation_id}").get_data(as_text=True)
    assert f"/{kind}/{item.id}\"" not in org_page


@pytest.mark.parametrize(("kind", "status"), CASES)
@pytest.mark.parametrize("viewer", ["owner", "curator", "admin"])
def test_unpublished_items_are_visible_to_owners_and_curators(client, auth, hidden, kind, status, viewer):
    person = hidden["owners"][kind] if viewer == "owner" else hidden[viewer]
    auth.login(person.email)
    item = hidden["items"][(kind, status)]
    response = client.get(f"/{kind}/{item.id}")
    assert response.status_code == 200
    assert item.title in response.get_data(as_text=True)
    org_page = client.get(f"/organisations/{item.organisation_id}").get_data(as_text=True)
    assert f"/{kind}/{item.id}\"" in org_page


@pytest.mark.parametrize("kind", ["products", "requests"])
def test_stranger_editing_a_draft_gets_404_not_403(client, auth, hidden, kind):
    auth.login(hidden["stranger"].email)
    item = hidden["items"][(kind, "draft")]
    assert client.get(f"/{kind}/{item.id}/edit").status_code == 404
    assert client.post(f"/{kind}/{item.id}/status", data={"status": "published"}).status_code == 404


@pytest.mark.parametrize("kind", ["products", "requests"])
@pytest.mark.parametrize("suffix", ["", "/edit"])
def test_nonexistent_id_is_404(client, auth, make, kind, suffix):
    auth.login(make.user(make.organisation()).email)
    assert client.get(f"/{kind}/987654{suffix}").status_code == 404


@pytest.mark.parametrize("kind", ["products", "requests"])
def test_curators_read_drafts_but_cannot_edit_them(client, auth, db, hidden, kind):
    auth.login(hidden["curator"].email)
    item = hidden["items"][(kind, "draft")]
    model = ProductProfile if kind == "products" else BuyingRequest
    assert client.get(f"/{kind}/{item.id}").status_code == 200
    assert client.get(f"/{kind}/{item.id}/edit").status_code == 403
    data = GOOD_PRODUCT if kind == "products" else GOOD_REQUEST
    assert client.post(f"/{kind}/{item.id}/edit", data=data).status_code == 403
    assert client.post(f"/{kind}/{item.id}/status", data={"status": "published"}).status_code == 403
    stored = fresh(db, model, item.id)
    assert (stored.title, stored.status) == (item.title, "draft")


@pytest.mark.parametrize(("org_kind", "url", "allowed"), [
    ("exporter", "/products/new", True), ("producer", "/products/new", True),
    ("buyer", "/products/new", False), ("importer", "/products/new", False),
    ("chamber", "/products/new", False),
    ("buyer", "/requests/new", True), ("importer", "/requests/new", True),
    ("exporter", "/requests/new", False), ("producer", "/requests/new", False),
    ("chamber", "/requests/new", False),
])
def test_who_may_post_products_and_requests(client, auth, db, make, org_kind, url, allowed):
    auth.login(make.user(make.organisation(kind=org_kind)).email)
    assert client.get(url).status_code == (200 if allowed else 403)
    data = GOOD_PRODUCT if url.startswith("/products") else GOOD_REQUEST
    model = ProductProfile if url.startswith("/products") else BuyingRequest
    response = client.post(url, data=data)
    assert response.status_code == (302 if allowed else 403)
    assert len(db.exec(model.__table__.select()).all()) == (1 if allowed else 0)


def test_user_without_organisation_cannot_post(client, auth, make):
    auth.login(make.user(None).email)
    assert client.get("/products/new").status_code == 403
    assert client.get("/requests/new").status_code == 403


# ----- administration -------------------------------------------------------------------------------------

@pytest.fixture
def people(make):
    org = make.organisation(kind="chamber")
    return {"member": make.user(make.organisation()), "curator": make.user(org, role="curator"),
            "admin": make.user(org, role="admin")}


@pytest.mark.parametrize("viewer", ["member", "curator"])
def test_non_admin_cannot_manage_users(client, auth, db, people, viewer):
    auth.login(people[viewer].email)
    target = people["member"]
    assert client.get("/admin/users").status_code == 403
    response = client.post(f"/admin/users/{target.id}", data={f"u{target.id}-role": "admin",
                                                            f"u{target.id}-active": "y"})
    assert response.status_code == 403
    assert fresh(db, User, target.id).role == "member"
    assert fresh(db, User, people[viewer].id).role == viewer


def test_anonymous_cannot_post_to_admin(client, db, people):
    target = people["member"]
    response = client.post(f"/admin/users/{target.id}", data={f"u{target.id}-role": "admin"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert fresh(db, User, target.id).role == "member"


def test_admin_lists_users(client, auth, people):
    auth.login(people["admin"].email)
    response = client.get("/admin/users")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert all(person.email in html for person in people.values())


@pytest.mark.parametrize(("role", "active"), [("curator", True), ("admin", True), ("member", False)])
def test_admin_changes_a_users_role(client, auth, db, people, role, active):
    auth.login(people["admin"].email)
    target = people["member"]
    data = {f"u{target.id}-role": role}
    if active:
        data[f"u{target.id}-active"] = "y"
    response = client.post(f"/admin/users/{target.id}", data=data)
    assert response.status_code == 302
    stored = fresh(db, User, target.id)
    assert (stored.role, stored.active) == (role, active)


def test_admin_refuses_an_unknown_role(client, auth, db, people):
    auth.login(people["admin"].email)
    target = people["member"]
    client.post(f"/admin/users/{target.id}",
                data={f"u{target.id}-role": "superuser", f"u{target.id}-active": "y"})
    assert fresh(db, User, target.id).role == "member"


def test_admin_post_for_unknown_user_is_404(client, auth, people):
    auth.login(people["admin"].email)
    assert client.post("/admin/users/987654", data={"u987654-role": "member"}).status_code == 404


@pytest.mark.parametrize("change", [{"role": "member", "active": True}, {"role": "curator", "active": True},
                                    {"role": "admin", "active": False}])
def test_admin_cannot_remove_their_own_admin_access(client, auth, db, people, change):
    admin = people["admin"]
    auth.login(admin.email)
    data = {f"u{admin.id}-role": change["role"]}
    if change["active"]:
        data[f"u{admin.id}-active"] = "y"
    response = client.post(f"/admin/users/{admin.id}", follow_redirects=True, data=data)
    assert "cannot remove your own administrator access" in response.get_data(as_text=True)
    stored = fresh(db, User, admin.id)
    assert (stored.role, stored.active) == ("admin", True)
