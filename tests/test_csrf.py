"""With CSRF protection on (as in production), a POST without the token is refused and changes nothing."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from matchmaker import create_app
from matchmaker.models import ProductProfile

PASSWORD = "correct-horse-2026"  # the factory users' password (tests/conftest.py)


@pytest.fixture
def protected(database_url, app):  # the ``app`` fixture empties the tables afterwards
    protected = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret"})
    assert protected.config["WTF_CSRF_ENABLED"] is True
    yield protected
    protected.extensions["db_engine"].dispose()


@pytest.fixture
def csrf_client(protected):
    return protected.test_client()


def token_from(html: str) -> str:
    return re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def signed_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


def log_in(client, email):
    token = token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert signed_in(client)


@pytest.fixture
def owner(make):
    org = make.organisation(kind="exporter")
    return {"user": make.user(org), "draft": make.product(org, status="draft", title="Draft teak table")}


@pytest.mark.parametrize("token", [None, "", "forged-token"])
def test_login_without_token_is_refused(csrf_client, owner, token):
    data = {"email": owner["user"].email, "password": PASSWORD}
    if token is not None:
        data["csrf_token"] = token
    csrf_client.get("/login")  # a session exists, but the token is missing or wrong
    response = csrf_client.post("/login", data=data)
    assert response.status_code == 400
    assert not signed_in(csrf_client)


def test_login_with_token_works(csrf_client, owner):
    log_in(csrf_client, owner["user"].email)


@pytest.mark.parametrize("token", [None, "forged-token"])
def test_new_product_without_token_is_refused(csrf_client, db, owner, token):
    log_in(csrf_client, owner["user"].email)
    before = db.exec(select(func.count()).select_from(ProductProfile)).one()
    data = {"title": "Sneaky product", "hs_code": "940360", "unit": "pcs", "language": "en", "publish": "1"}
    if token:
        data["csrf_token"] = token
    response = csrf_client.post("/products/new", data=data)
    assert response.status_code == 400
    assert db.exec(select(func.count()).select_from(ProductProfile)).one() == before


def test_new_product_with_token_is_saved(csrf_client, db, owner):
    log_in(csrf_client, owner["user"].email)
    token = token_from(csrf_client.get("/products/new").get_data(as_text=True))
    data = {"title": "Honest product", "hs_code": "940360", "unit": "pcs", "language": "en", "publish": "1",
            "csrf_token": token}
    assert csrf_client.post("/products/new", data=data).status_code == 302
    assert db.exec(select(ProductProfile).where(ProductProfile.title == "Honest product")).one()


def test_status_change_without_token_is_refused(csrf_client, db, owner):
    log_in(csrf_client, owner["user"].email)
    draft = owner["draft"]
    response = csrf_client.post(f"/products/{draft.id}/status", data={"status": "published"})
    assert response.status_code == 400
    db.expire_all()
    assert db.get(ProductProfile, draft.id).status == "draft"


def test_status_change_with_the_pages_token_works(csrf_client, db, owner):
    log_in(csrf_client, owner["user"].email)
    draft = owner["draft"]
    token = token_from(csrf_client.get(f"/products/{draft.id}").get_data(as_text=True))
    response = csrf_client.post(f"/products/{draft.id}/status",
                                data={"status": "published", "csrf_token": token})
    assert response.status_code == 302
    db.expire_all()
    assert db.get(ProductProfile, draft.id).status == "published"


def test_htmx_style_header_token_is_accepted(csrf_client, db, owner):
    """app.js sends the meta tag's token as X-CSRFToken on htmx requests."""
    log_in(csrf_client, owner["user"].email)
    draft = owner["draft"]
    html = csrf_client.get(f"/products/{draft.id}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', html).group(1)
    response = csrf_client.post(f"/products/{draft.id}/status", data={"status": "published"},
                                headers={"X-CSRFToken": token})
    assert response.status_code == 302


def test_language_switch_without_token_is_refused(csrf_client):
    response = csrf_client.post("/language", data={"locale": "ru", "next": "/"})
    assert response.status_code == 400
    assert '<html lang="en">' in csrf_client.get("/").get_data(as_text=True)


def test_language_switch_with_token_works(csrf_client):
    token = token_from(csrf_client.get("/").get_data(as_text=True))
    response = csrf_client.post("/language", data={"locale": "ru", "next": "/", "csrf_token": token})
    assert response.status_code == 302
    assert '<html lang="ru">' in csrf_client.get("/").get_data(as_text=True)


def test_logout_without_token_keeps_the_session(csrf_client, owner):
    log_in(csrf_client, owner["user"].email)
    assert csrf_client.post("/logout").status_code == 400
    assert signed_in(csrf_client)


def test_refusal_explains_the_expired_form(csrf_client):
    html = csrf_client.post("/language", data={"locale": "ru"}).get_data(as_text=True)
    assert "The form expired" in html
