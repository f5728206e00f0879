"""Fixtures in the style of the Flask tutorial: ``app``, ``client``, ``runner``, plus an ``auth`` helper
and small factories. The schema is made by the migrations once per run; each test starts from empty tables.

Set DATABASE_URL to run the whole suite against PostgreSQL (CI does both).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import Session
from werkzeug.security import generate_password_hash

from matchmaker import create_app, migrate
from matchmaker.config import normalise_database_url
from matchmaker.db import make_engine
from matchmaker.models import BuyingRequest, Organisation, ProductProfile, User, derive_sector
from matchmaker.services import changes

PASSWORD = "correct-horse-2026"
# Hashed once, with few iterations: the factory makes many users and scrypt costs ~0.1 s per hash and check.
PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")
# Children before parents; organisation ⇄ user point at each other, so the link is cleared first.
CLEAR_TABLES = ("notification", "outbox_message", "meeting_slot", "meeting", "certificate", "audit_event",
                "introduction", "match", "product_profile", "buying_request", "weight_version",
                "catalogue_change", "derived_position", "matching_backlog")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        url = normalise_database_url(url)
        engine = make_engine(url)
        with engine.begin() as connection:  # a clean schema, so the migrations run from empty
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def app(database_url, tmp_path_factory):
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "WTF_CSRF_ENABLED": False, "INDEX_DIR": str(tmp_path_factory.mktemp("index"))})
    yield app
    engine = app.extensions["db_engine"]
    with engine.begin() as connection:
        for table in CLEAR_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))
        connection.execute(text("UPDATE organisation SET verified_by_id = NULL"))
        connection.execute(text('DELETE FROM "user"'))
        connection.execute(text("DELETE FROM organisation"))
    engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def db(app):
    """A session of the test's own, for arranging data and checking what was stored."""
    with Session(app.extensions["db_engine"], expire_on_commit=False) as session:
        yield session


class Factory:
    def __init__(self, session: Session):
        self.session = session
        self._n = 0
        # The factory's items are logged as every write path logs them, but count as matched already:
        # the factory never matched what it made (tests insert the matches they need, or call
        # matches.refresh / rematch_all). Tests of the matching job set this to True, so the job
        # finds them pending as it finds a real save's items.
        self.schedules_matching = False

    def _next(self) -> int:
        self._n += 1
        return self._n

    def organisation(self, *, kind="exporter", country="ID", **fields) -> Organisation:
        n = self._next()
        org = Organisation(slug=f"org-{n}", name=fields.pop("name", f"Organisation {n}"), kind=kind,
                           country=country, city=fields.pop("city", "Jepara"),
                           contact_person=fields.pop("contact_person", f"Contact Person {n}"),
                           contact_email=fields.pop("contact_email", f"private{n}@contact.example"),
                           contact_phone=fields.pop("contact_phone", f"+62 291 555 {n:04d}"), **fields)
        self.session.add(org)
        self.session.commit()
        return org

    def user(self, organisation: Organisation | None = None, *, role="member", email=None, **fields) -> User:
        n = self._next()
        user = User(email=email or f"user{n}@example.com", password_hash=PASSWORD_HASH,
                    role=role, organisation_id=organisation.id if organisation else None, **fields)
        self.session.add(user)
        self.session.commit()
        return user

    def product(self, organisation: Organisation, **fields) -> ProductProfile:
        values = dict(title="Solid teak dining table", description="Kiln-dried teak, SVLK certified.",
                      hs_code="940360", certifications=["svlk"], moq=20, unit="pcs", capacity_per_month=400,
                      price_usd=350.0, incoterms=["FOB"], language="en", status="published")
        values.update(fields)
        item = ProductProfile(organisation_id=organisation.id, **values)
        return self._store(item, products=True)

    def request(self, organisation: Organisation, **fields) -> BuyingRequest:
        values = dict(title="Teak furniture for a hotel in Astana", description="120 rooms, DAP Almaty.",
                      hs_code="", required_certifications=[], quantity=120, unit="sets", max_price_usd=900.0,
                      incoterms=["DAP"], language="en", status="published")
        values.update(fields)
        item = BuyingRequest(organisation_id=organisation.id, **values)
        return self._store(item, products=False)

    def _store(self, item, *, products: bool):
        # As every write path does: a published item is logged for matching and the search indexes.
        derive_sector(item)
        self.session.add(item)
        self.session.flush()
        if item.status == "published":
            changes.record(self.session, **{"products" if products else "requests": [item.id]})
            if not self.schedules_matching:
                self.session.flush()
                changes.advance(self.session, "matching", changes.latest(self.session))
        self.session.commit()
        return item


@pytest.fixture
def make(db) -> Factory:
    return Factory(db)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = PASSWORD):
        return self._client.post("/login", data={"email": email, "password": password})

    def logout(self):
        return self._client.post("/logout")


@pytest.fixture
def auth(client) -> AuthActions:
    return AuthActions(client)


@pytest.fixture
def seeds_dir() -> Path:
    return Path(__file__).resolve().parent.parent / "seeds"


@pytest.fixture
def eager_thread_switching():
    """Switch threads every microsecond instead of every 5 ms, so a race shows up on every run."""
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(interval)
