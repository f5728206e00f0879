"""The demo data in seeds/ (format: seeds/README.md; loader: matchmaker/seeding.py).

Loading the full seeds takes a second or two, so each test loads them at most once (twice where
loading twice is the point). A missing seed file fails the tests: the demo and `make run` need them all.
"""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from matchmaker.models import BuyingRequest, Organisation, ProductProfile, User
from matchmaker.seeding import DEMO_PASSWORD, load_demo_data
from matchmaker.services import changes, index_store, jobs

SEED_FILES = ("organisations.json", "users.json", "products.csv", "requests.csv", "curation.json")
DEMO_LOGINS = {
    "exporter@demo.test": "member", "fisheries@demo.test": "member", "producer@demo.test": "member",
    "buyer@demo.test": "member", "importer@demo.test": "member", "curator@demo.test": "curator",
    "curator.kz@demo.test": "curator", "admin@demo.test": "admin",
}
FOCUS_SECTORS = {"textiles", "furniture", "fisheries", "meat", "dairy"}
MODELS = (Organisation, User, ProductProfile, BuyingRequest)


@pytest.fixture
def seeds(seeds_dir):
    missing = [name for name in SEED_FILES if not (seeds_dir / name).exists()]
    if missing:
        pytest.fail(f"seed files missing from {seeds_dir}: {', '.join(missing)}")
    return seeds_dir


def counts(db) -> dict[str, int]:
    return {model.__name__: db.exec(select(func.count()).select_from(model)).one() for model in MODELS}


def test_demo_data_loads(db, seeds):
    reported = load_demo_data(db, seeds_dir=seeds)
    stored = counts(db)
    assert stored["Organisation"] == reported["organisations"] >= 40
    assert stored["User"] == reported["users"] >= len(DEMO_LOGINS)
    assert stored["ProductProfile"] == reported["products"] >= 150
    assert stored["BuyingRequest"] == reported["requests"] >= 50

    product_sectors = set(db.exec(select(ProductProfile.sector).distinct()).all())
    request_sectors = set(db.exec(select(BuyingRequest.sector).distinct()).all())
    assert FOCUS_SECTORS <= product_sectors
    assert FOCUS_SECTORS <= request_sectors
    assert {"en", "id", "ru"} <= set(db.exec(select(ProductProfile.language).distinct()).all())
    assert {"en", "id", "ru"} <= set(db.exec(select(BuyingRequest.language).distinct()).all())
    assert {"ID", "KZ"} <= set(db.exec(select(Organisation.country).distinct()).all())

    # Supply belongs to exporters and producers, demand to importers and buyers.
    supply_kinds = set(db.exec(select(Organisation.kind).join(ProductProfile).distinct()).all())
    demand_kinds = set(db.exec(select(Organisation.kind).join(BuyingRequest).distinct()).all())
    assert supply_kinds <= {"exporter", "producer"}
    assert demand_kinds <= {"importer", "buyer"}
    # The sector follows from the HS code, as it does for items typed into the forms.
    mislabelled = (select(func.count()).select_from(ProductProfile)
                   .where(ProductProfile.hs_code.like("94%"), ProductProfile.sector != "furniture"))
    assert db.exec(mislabelled).one() == 0
    assert db.exec(select(func.count()).select_from(ProductProfile)
                   .where(ProductProfile.status == "published")).one() >= 100


def test_loading_twice_creates_no_duplicates(db, seeds):
    load_demo_data(db, seeds_dir=seeds)
    first = counts(db)
    load_demo_data(db, seeds_dir=seeds)
    assert counts(db) == first


def test_demo_logins_work(client, auth, db, seeds):
    load_demo_data(db, seeds_dir=seeds)
    for email, role in DEMO_LOGINS.items():
        user = db.exec(select(User).where(User.email == email)).one()
        assert user.role == role and user.active and user.organisation_id is not None
        assert user.password_hash != DEMO_PASSWORD
        response = auth.login(email, DEMO_PASSWORD)
        assert response.status_code == 302, email
        with client.session_transaction() as session:
            assert session.get("_user_id") == str(user.id), email
        auth.logout()
    auth.login("exporter@demo.test", DEMO_PASSWORD)
    assert client.get("/products/new").status_code == 200
    auth.logout()
    auth.login("buyer@demo.test", DEMO_PASSWORD)
    assert client.get("/requests/new").status_code == 200
    auth.logout()
    auth.login("admin@demo.test", DEMO_PASSWORD)
    assert client.get("/admin/users").status_code == 200


def test_demo_listing_pages_render(client, db, seeds):
    load_demo_data(db, seeds_dir=seeds)
    for url in ("/", "/products/", "/requests/", "/products/?sector=furniture&country=ID",
                "/requests/?sector=meat", "/products/?page=5"):
        assert client.get(url).status_code == 200, url
    for model, prefix in ((ProductProfile, "products"), (BuyingRequest, "requests")):
        for item_id in db.exec(select(model.id).where(model.status == "published").limit(15)).all():
            assert client.get(f"/{prefix}/{item_id}").status_code == 200
    for org_id in db.exec(select(Organisation.id)).all():
        assert client.get(f"/organisations/{org_id}").status_code == 200


def test_init_loads_demo_data_into_an_empty_database_once(runner, db, seeds):
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded" in result.output
    loaded = counts(db)
    assert loaded["ProductProfile"] >= 150 and loaded["User"] >= len(DEMO_LOGINS)
    again = runner.invoke(args=["init"])  # not empty any more: migrate only
    assert again.exit_code == 0, again.output
    assert "Demo data loaded" not in again.output
    assert counts(db) == loaded


def test_init_leaves_the_demo_catalogue_matched_and_its_index_snapshots_written(app, runner, db, seeds):
    """A fresh `make run` starts from snapshots (no web process fits) and the matching job, which
    reads the change log, finds the demo catalogue already matched rather than matching it again."""
    assert runner.invoke(args=["init"]).exit_code == 0
    published = db.exec(select(func.count()).select_from(ProductProfile)
                         .where(ProductProfile.status == "published")).one()
    assert changes.latest(db) >= published > 0  # the demo data went through the log
    assert changes.position(db, jobs.NAME) == changes.latest(db)
    store = index_store.store_for(app.extensions["db_engine"])
    for side in index_store.SIDES:
        newest, _ = store.snapshots(side)[0]
        assert newest == changes.latest(db)


def test_init_without_demo_data(app, runner, db):
    app.config["LOAD_DEMO_DATA"] = False
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "Database ready" in result.output
    assert counts(db) == {model.__name__: 0 for model in MODELS}


def test_seed_command_refuses_without_demo_data(app, runner, db):
    app.config["LOAD_DEMO_DATA"] = False
    result = runner.invoke(args=["seed"])
    assert result.exit_code != 0
    assert counts(db)["Organisation"] == 0
