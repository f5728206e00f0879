"""Verification with evidence: registration numbers (NIB, BIN), certificates, who may verify, badges and
certificate expiry."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlmodel import select

from matchmaker.models import AuditEvent, Certificate, Organisation
from matchmaker.services import verification
from matchmaker.services.curation import Refused
from matchmaker.signals import verification_changed

NIB = "9120001234567"
BIN = "081140000436"  # Samruk-Kazyna's, a real BIN with a valid control digit


@contextmanager
def signals():
    sent = []

    def receiver(sender, **kwargs):
        sent.append(kwargs)

    with verification_changed.connected_to(receiver):
        yield sent


@pytest.fixture
def id_curator(make):
    chamber = make.organisation(kind="chamber", country="ID", name="KADIN Indonesia")
    return make.user(chamber, role="curator", name="Dewi Lestari")


@pytest.fixture
def kz_curator(make):
    chamber = make.organisation(kind="chamber", country="KZ", name="Atameken")
    return make.user(chamber, role="curator", name="Aigerim Nurlanova")


@pytest.mark.parametrize("number, valid", [
    ("081140000436", True), ("081140000437", False), ("123456789013", True), ("000000000000", True),
    ("12345678901", False), ("1234567890123", False), ("08114000043a", False),
])
def test_bin_control_digit(number, valid):
    assert verification.is_valid_bin(number) is valid


@pytest.mark.parametrize("country, typed, stored", [
    ("ID", "9120 0012-3456 7", NIB), ("KZ", "0811 4000 0436", BIN), ("MY", "201901000005", "201901000005"),
])
def test_registration_numbers_are_cleaned(country, typed, stored):
    assert verification.clean_registration_number(country, typed) == stored


@pytest.mark.parametrize("country, typed", [
    ("ID", "912000123456"), ("ID", "91200012345678"), ("ID", "912000123456X"), ("KZ", "081140000437"),
    ("KZ", "08114000043"), ("ID", ""), ("MY", "<b>"),
])
def test_bad_registration_numbers_are_refused(country, typed):
    with pytest.raises(Refused) as refused:
        verification.clean_registration_number(country, typed)
    assert refused.value.field == "registration_number"


def test_curator_verifies_with_a_nib_and_the_badges_say_who_and_when(client, auth, make, db, id_curator):
    org = make.organisation(name="PT Jati Baru")
    product = make.product(org)
    auth.login(id_curator.email)
    with signals() as sent:
        response = client.post(f"/organisations/{org.id}/verify",
                               data={"registration_number": NIB, "note": "NIB checked on oss.go.id"})
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(Organisation, org.id)
    assert (stored.verified, stored.verified_by_id, stored.registration_number) == (True, id_curator.id, NIB)
    assert sent == [{"organisation_id": org.id, "what": "organisation", "event": "verified",
                     "actor_id": id_curator.id, "detail": {"registration_number": NIB}}]
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "verify")).one()
    assert (event.actor_id, event.before["verified"], event.after["registration_number"]) == (id_curator.id, False, NIB)

    auth.logout()
    badge = f"Verified by Dewi Lestari, KADIN Indonesia, on"
    for page in (f"/organisations/{org.id}", f"/products/{product.id}"):
        html = client.get(page).get_data(as_text=True)
        assert badge in html and f"NIB {NIB}" in html
    assert "NIB checked on oss.go.id" not in client.get(f"/organisations/{org.id}").get_data(as_text=True)


def test_a_kazakh_organisation_is_verified_with_a_valid_bin(client, auth, make, db, kz_curator):
    org = make.organisation(country="KZ", kind="producer")
    auth.login(kz_curator.email)
    response = client.post(f"/organisations/{org.id}/verify",
                           data={"registration_number": "081140000437", "note": "Checked"})
    assert response.status_code == 400
    assert "control digit does not match" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Organisation, org.id).verified is False
    assert client.post(f"/organisations/{org.id}/verify",
                       data={"registration_number": BIN, "note": "Checked on stat.gov.kz"}).status_code == 302
    db.expire_all()
    assert db.get(Organisation, org.id).registration_number == BIN
    assert f"BIN {BIN}" in client.get(f"/organisations/{org.id}").get_data(as_text=True)


@pytest.mark.parametrize("data, message", [
    ({"registration_number": "91200012345", "note": "x"}, "An Indonesian NIB has 13 digits."),
    ({"registration_number": NIB, "note": ""}, "Say what you checked"),
    ({"registration_number": NIB, "note": "x" * 2001}, "2000"),
])
def test_bad_evidence_is_a_form_error(client, auth, make, db, id_curator, data, message):
    org = make.organisation()
    auth.login(id_curator.email)
    response = client.post(f"/organisations/{org.id}/verify", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Organisation, org.id).verified is False


def test_curators_verify_only_their_own_country(client, auth, make, db, kz_curator):
    org = make.organisation(country="ID")
    auth.login(kz_curator.email)
    assert client.post(f"/organisations/{org.id}/verify",
                       data={"registration_number": NIB, "note": "x"}).status_code == 403
    page = client.get(f"/organisations/{org.id}").get_data(as_text=True)
    assert "Curators verify organisations of their own chamber" in page
    assert "Verify this organisation" not in page


def test_a_curator_cannot_grant_or_withdraw_their_own_chambers_verification(client, auth, make, db):
    chamber = make.organisation(kind="chamber", country="KZ")
    curator = make.user(chamber, role="curator")
    admin = make.user(make.organisation(kind="chamber", country="ID"), role="admin")
    auth.login(curator.email)
    assert client.post(f"/organisations/{chamber.id}/verify",
                       data={"registration_number": BIN, "note": "mine"}).status_code == 403
    with pytest.raises(Refused) as refused:
        verification.verify_organisation(db, organisation_id=chamber.id, user_id=curator.id,
                                         registration_number=BIN, note="mine")
    assert refused.value.code == "forbidden"

    auth.logout()
    auth.login(admin.email)  # an admin may, in any country
    assert client.post(f"/organisations/{chamber.id}/verify",
                       data={"registration_number": BIN, "note": "Atameken's charter"}).status_code == 302
    auth.logout()
    auth.login(curator.email)
    assert client.post(f"/organisations/{chamber.id}/unverify", data={"note": "mine"}).status_code == 403
    db.expire_all()
    assert db.get(Organisation, chamber.id).verified is True


def test_members_and_strangers_cannot_verify(client, auth, make, db):
    org = make.organisation()
    assert client.post(f"/organisations/{org.id}/verify", data={"registration_number": NIB, "note": "x"}
                       ).status_code == 302  # to the login page
    auth.login(make.user(org).email)
    assert client.post(f"/organisations/{org.id}/verify",
                       data={"registration_number": NIB, "note": "x"}).status_code == 403
    assert client.post(f"/organisations/{org.id}/unverify", data={"note": "x"}).status_code == 403
    assert client.post("/organisations/999999/verify", data={"note": "x"}).status_code == 404
    db.expire_all()
    assert db.get(Organisation, org.id).verified is False


def test_withdrawing_needs_a_reason_and_tells_the_listeners(client, auth, make, db, id_curator):
    org = make.organisation()
    verification.verify_organisation(db, organisation_id=org.id, user_id=id_curator.id,
                                     registration_number=NIB, note="ok")
    auth.login(id_curator.email)
    assert client.post(f"/organisations/{org.id}/unverify", data={"note": ""}).status_code == 400
    with signals() as sent:
        assert client.post(f"/organisations/{org.id}/unverify",
                           data={"note": "Licence revoked"}).status_code == 302
    assert [(s["event"], s["actor_id"]) for s in sent] == [("withdrawn", id_curator.id)]
    db.expire_all()
    stored = db.get(Organisation, org.id)
    assert (stored.verified, stored.verified_by_id, stored.verification_note) == (False, None, "Licence revoked")
    assert [e.action for e in db.exec(select(AuditEvent).where(AuditEvent.entity_type == "organisation")
                                      .order_by(AuditEvent.id))] == ["verify", "unverify"]


def _certificate(client, org, **fields):
    data = {"kind": "halal", "issuer": "MUI", "number": "ID00410000123", "expires_on": "2030-05-01", **fields}
    return client.post(f"/organisations/{org.id}/certificates", data=data)


def test_owners_add_certificates_and_curators_verify_each(client, auth, make, db, id_curator, kz_curator):
    org = make.organisation()
    product = make.product(org, certifications=["halal", "svlk"])
    member = make.user(org)
    auth.login(member.email)
    assert _certificate(client, org).status_code == 302
    certificate = db.exec(select(Certificate)).one()
    assert (certificate.kind, certificate.issuer, certificate.expires_on) == ("halal", "MUI", date(2030, 5, 1))
    assert "not yet verified by a curator" in client.get(f"/products/{product.id}").get_data(as_text=True)
    assert client.post(f"/certificates/{certificate.id}/verify").status_code == 403  # not a curator
    auth.logout()

    auth.login(make.user(make.organisation()).email)  # another company's member
    assert _certificate(client, org).status_code == 403
    auth.logout()

    auth.login(kz_curator.email)  # a curator of the other country
    assert client.post(f"/certificates/{certificate.id}/verify").status_code == 403
    auth.logout()

    auth.login(id_curator.email)
    with signals() as sent:
        assert client.post(f"/certificates/{certificate.id}/verify").status_code == 302
    assert [(s["what"], s["event"], s["detail"]["number"]) for s in sent] == [
        ("certificate", "verified", "ID00410000123")]
    auth.logout()
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "MUI No. ID00410000123, valid until" in html
    assert "verified by Dewi Lestari, KADIN Indonesia, on" in html
    db.expire_all()
    assert verification.counts_as_verified(db, org.id, "halal")


@pytest.mark.parametrize("fields, message", [
    ({"kind": "kosher"}, "Not a valid choice"), ({"issuer": ""}, "Say who issued the certificate."),
    ({"number": " "}, "Give the certificate&#39;s number."), ({"expires_on": "2020-01-01"}, "already expired"),
    ({"expires_on": "soon"}, "Not a valid date value"), ({"issuer": "<script>x</script>"}, "Plain text only"),
])
def test_bad_certificates_are_form_errors(client, auth, make, db, fields, message):
    org = make.organisation()
    auth.login(make.user(org).email)
    response = _certificate(client, org, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.exec(select(Certificate)).all() == []


def test_an_expired_certificate_stops_counting_and_its_owner_is_told_once(client, auth, make, db, runner,
                                                                             id_curator):
    org = make.organisation()
    product = make.product(org, certifications=["halal"])
    member = make.user(org)
    certificate = verification.add_certificate(db, organisation_id=org.id, user_id=member.id, kind="halal",
                                               issuer="MUI", number="H-1", expires_on=date.today() + timedelta(days=3))
    verification.verify_certificate(db, certificate_id=certificate.id, user_id=id_curator.id)
    later = date.today() + timedelta(days=5)
    assert verification.status(certificate, later) == "expired"
    assert not verification.counts_as_verified(db, org.id, "halal", today=later)

    with signals() as sent:
        assert verification.expire_certificates(db, today=later) == [certificate.id]
        assert verification.expire_certificates(db, today=later) == []  # recorded once
    assert [(s["organisation_id"], s["event"], s["actor_id"], s["detail"]["was_verified"]) for s in sent] == [
        (org.id, "expired", None, True)]
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "expire")).one()
    assert (event.entity_type, event.entity_id, event.actor_id) == ("certificate", certificate.id, None)
    with pytest.raises(Refused):
        verification.verify_certificate(db, certificate_id=certificate.id, user_id=id_curator.id, today=later)


def test_the_daily_command_records_expiries_and_the_pages_show_them(client, auth, make, db, runner, id_curator):
    org = make.organisation()
    product = make.product(org, certifications=["halal"])
    db.add(Certificate(organisation_id=org.id, kind="halal", issuer="MUI", number="H-2",
                       expires_on=date.today() - timedelta(days=1), verified_by_id=id_curator.id))
    db.commit()
    with signals() as sent:
        result = runner.invoke(args=["certificates", "expire"])
        assert "1 certificate(s) newly expired" in result.output
        assert "0 certificate(s)" in runner.invoke(args=["certificates", "expire"]).output
    assert len(sent) == 1
    html = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "expired on" in html and "verified by" not in html
    assert "add the renewed one" not in client.get(f"/organisations/{org.id}").get_data(as_text=True)
    auth.login(make.user(org).email)
    assert "Your Halal certificate No. H-2 expired on" in client.get(f"/organisations/{org.id}").get_data(as_text=True)


def test_owners_remove_certificates_and_nobody_else(client, auth, make, db, id_curator):
    org = make.organisation()
    member = make.user(org)
    certificate = verification.add_certificate(db, organisation_id=org.id, user_id=member.id, kind="svlk",
                                               issuer="Sucofindo", number="V-1", expires_on=None)
    auth.login(id_curator.email)
    assert client.post(f"/certificates/{certificate.id}/delete").status_code == 403
    assert client.post(f"/certificates/{certificate.id}/withdraw").status_code == 409  # never verified
    auth.logout()
    auth.login(member.email)
    assert client.post(f"/certificates/{certificate.id}/delete").status_code == 302
    assert db.exec(select(Certificate)).all() == []
    assert client.post(f"/certificates/{certificate.id}/delete").status_code == 404


def test_changing_a_verified_identity_detail_tells_the_listeners(client, auth, make, db, id_curator):
    org = make.organisation(website="https://jati.example")
    verification.verify_organisation(db, organisation_id=org.id, user_id=id_curator.id,
                                     registration_number=NIB, note="ok")
    member = make.user(org)
    auth.login(member.email)
    db.refresh(org)
    fields = ("name", "kind", "country", "city", "description", "website", "languages", "contact_person",
              "contact_email", "contact_phone")
    form = {**{f: getattr(org, f) for f in fields}, "version": str(org.version), "name": "PT Nama Baru"}
    with signals() as sent:
        assert client.post(f"/organisations/{org.id}/edit", data=form).status_code == 302
    assert [(s["event"], s["actor_id"], s["detail"]["reason"]["fields"]) for s in sent] == [
        ("withdrawn", member.id, ["name"])]
    db.expire_all()
    assert db.get(Organisation, org.id).registration_number == NIB  # the evidence stays on record
