"""The catalogue change log that matching and the search indexes follow: every write path logs the
published items it changed, in its own transaction, and nothing else."""

from __future__ import annotations

import pytest
from sqlmodel import select

from matchmaker.models import CatalogueChange, ProductProfile
from matchmaker.schemas import OrganisationIn, ProductIn
from matchmaker.services import catalog, changes, organisations
from matchmaker.services.catalog import PRODUCTS
from matchmaker.services.editing import StaleEdit


def _logged(db) -> list[tuple[str, int]]:
    db.expire_all()
    return [(c.side, c.item_id) for c in db.exec(select(CatalogueChange).order_by(CatalogueChange.seq))]


@pytest.fixture
def exporter(make):
    org = make.organisation(kind="exporter", country="ID")
    return org, make.user(org)


def _product_data(**fields) -> ProductIn:
    values = dict(title="Kursi makan jati", description="Kayu jati solid untuk hotel", hs_code="940161",
                  certifications=["svlk"], moq=20, unit="pcs", capacity_per_month=300, price_usd=120.0,
                  incoterms=["FOB"], language="id")
    values.update(fields)
    return ProductIn.model_validate(values)


def test_publishing_logs_the_item_and_a_draft_logs_nothing(app, db, exporter):
    _, user = exporter
    with app.app_context():
        draft = catalog.create(db, PRODUCTS, actor=user, data=_product_data())
        assert _logged(db) == []
        published = catalog.create(db, PRODUCTS, actor=user, data=_product_data(), publish=True)
        assert _logged(db) == [("products", published.id)]
        catalog.set_status(db, actor=user, item=published, status="archived")  # leaving counts too
        assert _logged(db) == [("products", published.id)] * 2
        assert draft.id not in {item_id for _, item_id in _logged(db)}


def test_a_failed_save_logs_nothing_and_announces_nothing(app, db, exporter):
    _, user = exporter
    heard = []
    changes.catalogue_changed.connect(heard.append, weak=False)
    try:
        with app.app_context():
            item = catalog.create(db, PRODUCTS, actor=user, data=_product_data(), publish=True)
            assert len(heard) == 1
            with pytest.raises(StaleEdit):
                catalog.update(db, PRODUCTS, actor=user, item=item, version=item.version + 5,
                               data=_product_data(title="Meja jati"))
    finally:
        changes.catalogue_changed.disconnect(heard.append)
    assert _logged(db) == [("products", item.id)]
    assert len(heard) == 1
    assert db.get(ProductProfile, item.id).title == "Kursi makan jati"


def test_a_change_of_country_logs_the_published_items_of_the_organisation(app, db, make, exporter):
    org, user = exporter
    published = make.product(org)
    make.product(org, status="draft")
    before = len(_logged(db))
    data = OrganisationIn.model_validate({**{k: getattr(org, k) for k in OrganisationIn.model_fields},
                                          "country": "KZ"})
    with app.app_context():
        organisations.update(db, actor=user, organisation=org, version=org.version, data=data)
    assert _logged(db)[before:] == [("products", published.id)]


def test_since_reads_each_consumer_from_its_own_position(app, db, make, exporter):
    org, _ = exporter
    first = make.product(org)
    buyer = make.organisation(kind="buyer", country="KZ")
    request = make.request(buyer)
    second = make.product(org)
    everything = changes.since(db, 0)
    assert everything.products == {first.id, second.id} and everything.requests == {request.id}
    assert everything.upto == changes.latest(db)

    # A consumer of the test's own: the matching job moves "matching" by itself after every save.
    changes.advance(db, "a-consumer", everything.upto - 1)
    db.commit()
    assert changes.position(db, "a-consumer") == everything.upto - 1
    rest = changes.since(db, changes.position(db, "a-consumer"))
    assert rest.products == {second.id} and not rest.requests
    changes.advance(db, "a-consumer", 1)  # never backwards
    db.commit()
    assert changes.position(db, "a-consumer") == everything.upto - 1
    assert not changes.since(db, everything.upto)
    assert changes.position(db, "search") == 0
