"""Organisation profiles: members edit their own; curators verify; nobody else changes them."""

from __future__ import annotations

import pytest
from sqlmodel import select

from matchmaker.models import AuditEvent, Organisation, utcnow

PROFILE = {"name": "PT Jati Baru", "kind": "exporter", "country": "ID", "city": "Jepara",
           "description": "Mebel jati untuk hotel.", "website": "https://jatibaru.example",
           "languages": ["id", "en"], "contact_person": "Siti", "contact_email": "siti@jatibaru.example",
           "contact_phone": "+62 291 555 0101"}


def test_member_edits_own_organisation(client, auth, make, db):
    org = make.organisation()
    member = make.user(org)
    auth.login(member.email)
    assert client.get(f"/organisations/{org.id}/edit").status_code == 200
    response = client.post(f"/organisations/{org.id}/edit", data={**PROFILE, "version": "1"})
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
    chamber = make.organisation(kind="chamber", country="ID")
    curator = make.user(chamber, role="curator")
    auth.login(curator.email)
    response = client.post(f"/organisations/{org.id}/verify",
                           data={"registration_number": "9120 0012 3456 7", "note": "Checked on OSS."})
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(Organisation, org.id)
    assert stored.verified and stored.verified_by_id == curator.id and stored.verified_at is not None
    assert (stored.registration_number, stored.verification_note) == ("9120001234567", "Checked on OSS.")
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "verify")).one()
    assert event.actor_id == curator.id and event.before["verified"] is False


def test_members_cannot_verify_organisations(client, auth, make, db):
    org = make.organisation()
    auth.login(make.user(org).email)
    assert client.post(f"/organisations/{org.id}/verify",
                       data={"registration_number": "9120001234567", "note": "Mine"}).status_code == 403
    db.expire_all()
    assert db.get(Organisation, org.id).verified is False


def _verified_by_a_curator(make, db, **fields):
    org = make.organisation(website="https://jatibaru.example", **fields)
    curator = make.user(make.organisation(kind="chamber", country="KZ"), role="curator")
    org.verified, org.verified_by_id, org.verified_at = True, curator.id, utcnow()
    db.add(org)
    db.commit()
    return org, curator


def _as_typed(org: Organisation, **changes) -> dict:
    """The profile form as its member sends it: every current value, with some changed."""
    fields = ("name", "kind", "country", "city", "description", "website", "languages", "contact_person",
              "contact_email", "contact_phone")
    return {**{f: getattr(org, f) for f in fields}, "version": str(org.version), **changes}


@pytest.mark.parametrize("field, value", [
    ("name", "PT Jati Baru Sekali"), ("country", "MY"), ("kind", "producer"),
    ("website", "https://another.example"), ("contact_email", "someone@else.example"),
])
def test_changing_an_identity_detail_withdraws_verification(client, auth, make, db, field, value):
    org, curator = _verified_by_a_curator(make, db)
    member, original = make.user(org), getattr(org, field)
    auth.login(member.email)
    response = client.post(f"/organisations/{org.id}/edit", data=_as_typed(org, **{field: value}))
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(Organisation, org.id)
    assert getattr(stored, field) == value
    assert (stored.verified, stored.verified_by_id, stored.verified_at) == (False, None, None)

    update, unverify = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "organisation",
                                                        AuditEvent.entity_id == org.id)
                               .order_by(AuditEvent.id)).all()
    assert (update.action, update.before[field], update.after[field]) == ("update", original, value)
    assert (unverify.action, unverify.actor_id) == ("unverify", member.id)
    assert unverify.reason == {"code": "identity_changed", "fields": [field]}
    assert unverify.before == update.after
    assert (unverify.before["verified_by_id"], unverify.after["verified"]) == (curator.id, False)

    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "Verification pending again" in page and ">Verified<" not in page


def test_editing_other_details_keeps_verification(client, auth, make, db):
    org, curator = _verified_by_a_curator(make, db)
    auth.login(make.user(org).email)
    response = client.post(f"/organisations/{org.id}/edit", data=_as_typed(
        org, city="Semarang", description="Mebel jati.", contact_person="Budi",
        contact_phone="+62 24 555 0102"))
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(Organisation, org.id)
    assert (stored.city, stored.verified, stored.verified_by_id) == ("Semarang", True, curator.id)
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "unverify")).all() == []
    assert "Verification pending again" not in client.get(f"/organisations/{org.id}").get_data(as_text=True)


def test_the_page_says_in_the_visitors_language_which_verified_details_changed(client, auth, make, db):
    org, _ = _verified_by_a_curator(make, db)
    auth.login(make.user(org).email)
    client.post(f"/organisations/{org.id}/edit", data=_as_typed(org, name="PT Nama Baru",
                                                                 website="https://baru.example"))
    auth.logout()
    page = client.get(f"/organisations/{org.id}?lang=ru").get_data(as_text=True)
    assert "Снова ожидает проверки" in page
    assert "Название организации, Веб-сайт" in page
