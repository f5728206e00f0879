"""Organisation profiles: members edit their own; curators verify; nobody else changes them."""

from __future__ import annotations

from matchmaker.models import AuditEvent, Organisation
from sqlmodel import select

PROFILE = {"name": "PT Jati Baru", "kind": "exporter", "country": "ID", "city": "Jepara",
           "description": "Mebel jati untuk hotel.", "website": "https://jatibaru.example",
           "languages": ["id", "en"], "contact_person": "Siti", "contact_email": "siti@jatibaru.example",
           "contact_phone": "+62 291 555 0101"}


def test_member_edits_own_organisation(client, auth, make, db):
    org = make.organisation()
    member = make.user(org)
    auth.login(member.email)
    assert client.get(f"/organisations/{org.id}/edit").status_code == 200
    response = client.post(f"/organisations/{org.id}/edit", data=PROFILE)
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(Organisation, org.id)
    assert (stored.name, stored.contact_email) == ("PT Jati Baru", "siti@jatibaru.example")


def test_bad_profile_input_is_refused_at_the_field(client, auth, make, db):
    org = make.organisation(name="Before")
    auth.login(make.user(org).email)
    response = client.post(f"/organisations/{org.id}/edit", data={**PROFILE, "website": "javascript:alert(1)"})
    assert response.status_code == 400
    assert "https://" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Organisation, org.id).name == "Before"


def test_member_of_another_organisation_cannot_edit(client, auth, make, db):
    org, other = make.organisation(name="Mine"), make.organisation()
    auth.login(make.user(other).email)
    assert client.get(f"/organisations/{org.id}/edit").status_code == 403
    assert client.post(f"/organisations/{org.id}/edit", data=PROFILE).status_code == 403
    db.expire_all()
    assert db.get(Organisation, org.id).name == "Mine"


def test_curator_verifies_and_the_audit_says_who(client, auth, make, db):
    org = make.organisation()
    chamber = make.organisation(kind="chamber", country="KZ")
    curator = make.user(chamber, role="curator")
    auth.login(curator.email)
    assert client.post(f"/organisations/{org.id}/verify", data={"verified": "1"}).status_code == 302
    db.expire_all()
    stored = db.get(Organisation, org.id)
    assert stored.verified and stored.verified_by_id == curator.id and stored.verified_at is not None
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "verify")).one()
    assert event.actor_id == curator.id and event.before["verified"] is False


def test_members_cannot_verify_organisations(client, auth, make, db):
    org = make.organisation()
    auth.login(make.user(org).email)
    assert client.post(f"/organisations/{org.id}/verify", data={"verified": "1"}).status_code == 403
    db.expire_all()
    assert db.get(Organisation, org.id).verified is False
