"""Registration, login and logout."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from matchmaker import create_app
from matchmaker.models import Organisation, User
from matchmaker.services import accounts as accounts_service

PASSWORD = "correct-horse-2026"  # the factory users' password (tests/conftest.py)

NEW_PASSWORD = "a-long-new-password-2026"


def registration(**overrides) -> dict:
    data = {
        "name": "PT Batik Pekalongan Jaya", "kind": "exporter", "country": "ID", "city": "Pekalongan",
        "description": "Hand-drawn batik since 1978.", "website": "https://batik.example",
        "languages": ["id", "en"], "contact_person": "Ibu Sari", "contact_email": "sari@batik.example",
        "contact_phone": "+62 285 555 0101", "person_name": "Sari Wulandari", "email": "sari@batik.example",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD,
    }
    data.update(overrides)
    return data


def signed_in_user_id(client):
    with client.session_transaction() as session:
        return session.get("_user_id")


def count(db, model) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def field_error(html: str, field: str) -> str | None:
    """The error message rendered at a form field, or None."""
    found = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', html)
    return found.group(1) if found else None


def test_register_creates_organisation_and_user_and_logs_in(client, db):
    response = client.post("/register", data=registration())
    assert response.status_code == 302
    user = db.exec(select(User).where(User.email == "sari@batik.example")).one()
    org = db.get(Organisation, user.organisation_id)
    assert org.name == "PT Batik Pekalongan Jaya"
    assert (org.kind, org.country, org.city) == ("exporter", "ID", "Pekalongan")
    assert org.languages == ["id", "en"]
    assert org.contact_phone == "+62 285 555 0101"
    assert org.slug
    assert user.role == "member" and user.name == "Sari Wulandari"
    assert user.password_hash != NEW_PASSWORD and NEW_PASSWORD not in user.password_hash
    assert signed_in_user_id(client) == str(user.id)
    # The new member lands on their organisation and may add products straight away.
    assert response.headers["Location"].endswith("/organisations/mine")
    assert client.get("/products/new").status_code == 200


@pytest.mark.parametrize("optional", ["omitted", "empty"])
def test_register_with_only_the_required_fields(client, db, optional):
    required = {"name": "PT Udang Beku", "kind": "exporter", "country": "ID", "email": "udang@example.com",
                "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    if optional == "empty":
        required.update({key: "" for key in ("city", "description", "website", "contact_person",
                                             "contact_email", "contact_phone", "person_name")})
    response = client.post("/register", data=required)
    assert response.status_code == 302
    org = db.exec(select(Organisation).where(Organisation.name == "PT Udang Beku")).one()
    assert (org.contact_email, org.contact_phone, org.website, org.languages) == ("", "", "", [])


def test_registered_user_can_log_in_again(client, auth):
    client.post("/register", data=registration(email="Sari@Batik.Example"))
    auth.logout()
    assert signed_in_user_id(client) is None
    response = auth.login("sari@batik.example", NEW_PASSWORD)
    assert response.status_code == 302
    assert signed_in_user_id(client) is not None


def test_two_organisations_with_the_same_name_get_distinct_slugs(client, db):
    client.post("/register", data=registration(email="one@example.com"))
    client.post("/logout")
    client.post("/register", data=registration(email="two@example.com"))
    slugs = db.exec(select(Organisation.slug)).all()
    assert len(slugs) == 2 and len(set(slugs)) == 2


@pytest.mark.parametrize("email", ["taken@example.com", "Taken@Example.COM"])
def test_duplicate_email_is_refused_at_the_field(client, db, make, email):
    make.user(make.organisation(), email="taken@example.com")
    orgs, users = count(db, Organisation), count(db, User)
    response = client.post("/register", data=registration(email=email))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "already exists" in field_error(html, "email")
    assert "PT Batik Pekalongan Jaya" in html  # what the user typed is kept
    assert (count(db, Organisation), count(db, User)) == (orgs, users)
    assert signed_in_user_id(client) is None


def test_login_with_right_password(client, auth, make):
    user = make.user(make.organisation())
    response = auth.login(user.email)
    assert response.status_code == 302
    assert signed_in_user_id(client) == str(user.id)


def test_login_email_is_case_insensitive(client, auth, make):
    user = make.user(make.organisation(), email="mixed@example.com")
    assert auth.login("  MIXED@example.com").status_code == 302
    assert signed_in_user_id(client) == str(user.id)


@pytest.mark.parametrize("case", ["wrong password", "unknown email", "empty password"])
def test_login_refused(client, auth, make, case):
    user = make.user(make.organisation())
    email, password = {
        "wrong password": (user.email, "not-the-password"),
        "unknown email": ("nobody@example.com", PASSWORD),
        "empty password": (user.email, ""),
    }[case]
    response = auth.login(email, password)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), "password")
    assert signed_in_user_id(client) is None


def test_wrong_password_and_unknown_email_give_the_same_message(client, auth, make):
    user = make.user(make.organisation())
    wrong = field_error(auth.login(user.email, "not-the-password").get_data(as_text=True), "password")
    unknown = field_error(auth.login("nobody@example.com", PASSWORD).get_data(as_text=True), "password")
    assert wrong == unknown == "Wrong email or password."


def test_login_redirects_to_a_local_next_page_only(client, auth, make):
    user = make.user(make.organisation())
    response = client.post("/login?next=/products/", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"].endswith("/products/")
    client.post("/logout")
    response = client.post("/login?next=//evil.example/", data={"email": user.email, "password": PASSWORD})
    assert "evil.example" not in response.headers["Location"]


def test_logout_ends_the_session(client, auth, make):
    user = make.user(make.organisation())
    auth.login(user.email)
    assert client.get("/products/new").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert signed_in_user_id(client) is None
    assert client.get("/products/new").status_code == 302


def test_logout_needs_a_post(client, auth, make):
    user = make.user(make.organisation())
    auth.login(user.email)
    assert client.get("/logout").status_code == 405
    assert signed_in_user_id(client) == str(user.id)


def test_deactivated_user_cannot_log_in(client, auth, make):
    user = make.user(make.organisation(), active=False)
    response = auth.login(user.email)
    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_deactivated_user_with_the_right_password_is_told_whom_to_ask(client, auth, make):
    user = make.user(make.organisation(), active=False)
    html = auth.login(user.email).get_data(as_text=True)
    assert "deactivated" in html and "administrator of the platform" in html
    assert field_error(html, "password") is None
    assert signed_in_user_id(client) is None


def test_deactivated_user_with_a_wrong_password_learns_nothing(client, auth, make):
    user = make.user(make.organisation(), active=False)
    html = auth.login(user.email, "not-the-password").get_data(as_text=True)
    assert field_error(html, "password") == "Wrong email or password."
    assert "deactivated" not in html


@pytest.mark.parametrize("case", ["right password", "wrong password", "unknown email",
                                  "deactivated, right password", "deactivated, wrong password"])
def test_every_login_attempt_checks_one_password_hash(client, auth, make, monkeypatch, case):
    """Equal work, so the answer time does not reveal which emails exist or are deactivated."""
    user = make.user(make.organisation(), active="deactivated" not in case)
    email = "nobody@example.com" if case == "unknown email" else user.email
    password = "not-the-password" if "wrong" in case else PASSWORD
    checked = []
    real_check = accounts_service.check_password_hash
    monkeypatch.setattr(accounts_service, "check_password_hash",
                        lambda hashed, given: checked.append(hashed) or real_check(hashed, given))
    auth.login(email, password)
    assert len(checked) == 1


def test_deactivated_user_is_signed_out_on_next_request(client, auth, make, db):
    user = make.user(make.organisation())
    auth.login(user.email)
    user.active = False
    db.add(user)
    db.commit()
    assert client.get("/products/new").status_code == 302  # to the login page


def test_login_form_field_names(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in html
    assert 'name="password"' in html
    assert 'type="password"' in html


@pytest.fixture
def csrf_client(database_url, app):  # ``app`` clears the tables afterwards
    protected = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret"})
    yield protected.test_client()
    protected.extensions["db_engine"].dispose()


@pytest.mark.parametrize("url", ["/login", "/register"])
def test_forms_carry_a_csrf_token_when_csrf_is_on(csrf_client, url):
    html = csrf_client.get(url).get_data(as_text=True)
    assert re.search(r'<input[^>]*name="csrf_token"[^>]*value="[^"]+"', html)


def test_forms_of_signed_in_pages_carry_a_csrf_token(csrf_client, make):
    user = make.user(make.organisation())
    login_page = csrf_client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login_page).group(1)
    csrf_client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    html = csrf_client.get("/products/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="csrf_token"[^>]*value="[^"]+"', html)
