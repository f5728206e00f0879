"""The audit trail: who changed what, with the record before and after; never a password hash."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from matchmaker.models import AuditEvent, BuyingRequest, ProductProfile, User

PRODUCT = {"title": "Solid teak dining table", "description": "Kiln-dried.", "hs_code": "940360",
           "unit": "pcs", "language": "en", "moq": "20", "certifications": ["svlk"], "incoterms": ["FOB"]}


def events(db, **where) -> list[AuditEvent]:
    db.expire_all()
    statement = select(AuditEvent).order_by(AuditEvent.id)
    for key, value in where.items():
        statement = statement.where(getattr(AuditEvent, key) == value)
    return list(db.exec(statement).all())


@pytest.fixture
def exporter(make, auth):
    user = make.user(make.organisation(kind="exporter"))
    auth.login(user.email)
    return user


def test_create_edit_publish_product(client, db, exporter):
    client.post("/products/new", data={**PRODUCT, "draft": "1"})
    product = db.exec(select(ProductProfile)).one()

    (created,) = events(db, entity_type="product_profile")
    assert (created.actor_id, created.action, created.entity_id) == (exporter.id, "create", product.id)
    assert created.before is None
    assert created.after["title"] == "Solid teak dining table"
    assert created.after["status"] == "draft"
    assert created.after["organisation_id"] == exporter.organisation_id

    client.post(f"/products/{product.id}/edit", data={**PRODUCT, "title": "Teak dining table, 8 seats",
                                                      "draft": "1", "version": "1"})
    _, edited = events(db, entity_type="product_profile")
    assert (edited.actor_id, edited.action, edited.entity_id) == (exporter.id, "update", product.id)
    assert edited.before["title"] == "Solid teak dining table"
    assert edited.after["title"] == "Teak dining table, 8 seats"

    client.post(f"/products/{product.id}/status", data={"status": "published"})
    *_, published = events(db, entity_type="product_profile")
    assert (published.actor_id, published.action) == (exporter.id, "published")
    assert (published.before["status"], published.after["status"]) == ("draft", "published")
    assert len(events(db, entity_type="product_profile")) == 3


def test_request_changes_are_audited(client, auth, db, make):
    user = make.user(make.organisation(kind="buyer"))
    auth.login(user.email)
    client.post("/requests/new", data={"title": "Frozen shrimp 20 t", "unit": "t", "language": "en",
                                       "publish": "1"})
    request = db.exec(select(BuyingRequest)).one()
    client.post(f"/requests/{request.id}/status", data={"status": "archived"})
    actions = [(e.action, e.actor_id, e.entity_id) for e in events(db, entity_type="buying_request")]
    assert actions == [("create", user.id, request.id), ("archived", user.id, request.id)]


def test_refused_changes_are_not_audited(client, auth, db, make, exporter):
    other = make.product(make.organisation(kind="exporter"))
    before = len(events(db))
    client.post("/products/new", data={**PRODUCT, "title": ""})  # invalid
    client.post(f"/products/{other.id}/edit", data=PRODUCT)  # not theirs
    client.post(f"/products/{other.id}/status", data={"status": "archived"})  # not theirs
    assert len(events(db)) == before


def test_audit_timestamps_are_stored(client, db, exporter):
    client.post("/products/new", data={**PRODUCT, "publish": "1"})
    (event,) = events(db, entity_type="product_profile")
    assert event.created_at is not None
    assert isinstance(event.after["created_at"], str)  # datetimes are stored as ISO text in JSON


def test_registration_is_audited_without_the_password_hash(client, db):
    password = "a-long-password-2026"
    response = client.post("/register", data={
        "name": "PT Udang Beku Nusantara", "kind": "exporter", "country": "ID", "email": "udang@example.com",
        "password": password, "confirm": password})
    assert response.status_code == 302
    user = db.exec(select(User).where(User.email == "udang@example.com")).one()
    registered = events(db, action="register")
    assert {(e.entity_type, e.entity_id) for e in registered} == {
        ("organisation", user.organisation_id), ("user", user.id)}
    user_event = next(e for e in registered if e.entity_type == "user")
    assert user_event.after["email"] == "udang@example.com"
    assert "password_hash" not in user_event.after
    org_event = next(e for e in registered if e.entity_type == "organisation")
    assert org_event.after["name"] == "PT Udang Beku Nusantara"
    everything = json.dumps([(e.before, e.after) for e in events(db)])
    assert user.password_hash not in everything and password not in everything


def test_admin_changes_are_audited_without_the_password_hash(client, auth, db, make):
    org = make.organisation(kind="chamber")
    admin, target = make.user(org, role="admin"), make.user(make.organisation())
    auth.login(admin.email)
    client.post(f"/admin/users/{target.id}",
                data={f"u{target.id}-role": "curator", f"u{target.id}-active": "y"})
    (event,) = events(db, entity_type="user", entity_id=target.id)
    assert (event.actor_id, event.action) == (admin.id, "update")
    assert (event.before["role"], event.after["role"]) == ("member", "curator")
    assert "password_hash" not in event.before and "password_hash" not in event.after
    assert target.password_hash not in json.dumps([event.before, event.after])
