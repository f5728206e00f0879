"""A supplier in Indonesia and a buyer in Kazakhstan paired by the engine, each with a member, and a
curator in each country's chamber: the people notifications, mail and meetings are for."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from matchmaker.models import Match, Organisation, User
from matchmaker.services import curation

EXPLANATION = {"score": 0.82, "components": [
    {"name": "text", "label": "Product text", "contribution": 0.62, "detail": "teak dining tables"},
    {"name": "corridor", "label": "Corridor", "contribution": 0.20, "detail": "ID to KZ furniture"}]}


@dataclass
class Pair:
    match: Match
    supplier: Organisation
    buyer: Organisation
    seller: User        # the supplier's member
    purchaser: User     # the buyer's member
    curator_id_: User   # Indonesian chamber's curator
    curator_kz: User
    stranger: User
    app: object

    # Moves run in an app context, as in a request, a CLI command or a worker: mail is written then.
    def move(self, db, action, user, **fields):
        with self.app.app_context():
            return curation.move(db, match_id=self.match.id, user_id=user.id, action=action, **fields)

    def request(self, db):
        return self.move(db, "request", self.purchaser, note="Hi")

    def introduce(self, db):
        return self.move(db, "introduce", self.curator_kz, note="Meet")

    def accept_both(self, db):
        self.move(db, "accept", self.seller)
        return self.move(db, "accept", self.purchaser)


@pytest.fixture
def pair(app, make, db) -> Pair:
    supplier = make.organisation(kind="exporter", country="ID", name="Jepara Teak Works")
    buyer = make.organisation(kind="importer", country="KZ", name="Astana Hotel Supply", city="Astana")
    chamber_id = make.organisation(kind="chamber", country="ID", name="KADIN Jepara")
    chamber_kz = make.organisation(kind="chamber", country="KZ", name="Atameken Astana")
    other = make.organisation(kind="importer", country="KZ", name="Someone Else")
    seller = make.user(supplier, email="seller@jepara.example", locale="id", name="Sari")
    purchaser = make.user(buyer, email="buyer@astana.example", locale="ru", name="Айгерим")
    curator_id_ = make.user(chamber_id, role="curator", email="curator@kadin.example", locale="en")
    curator_kz = make.user(chamber_kz, role="curator", email="curator@atameken.example", locale="kk")
    stranger = make.user(other, email="stranger@example.com")
    product = make.product(supplier)
    request = make.request(buyer)
    match = Match(product_id=product.id, request_id=request.id, score=0.82, explanation=EXPLANATION)
    db.add(match)
    db.commit()
    return Pair(match, supplier, buyer, seller, purchaser, curator_id_, curator_kz, stranger, app)
