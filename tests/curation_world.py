"""A small world for the curation loop's tests: an Indonesian exporter and a Kazakh buyer paired by a
stored match, their members, curators of three chambers, an admin, and a stranger; plus a pair between
two countries outside the corridor (Türkiye and Malaysia) that no Kazakh or Indonesian curator curates.
"""

from __future__ import annotations

from datetime import date

import pytest

from matchmaker.models import Match
from matchmaker.services import curation

EXPLANATION = {"score": 0.8, "components": [
    {"name": "product", "label": "Product", "value": 1.0, "weight": 0.6, "contribution": 0.6, "detail": "Teak"},
    {"name": "quantity", "label": "Quantity", "value": 1.0, "weight": 0.2, "contribution": 0.2, "detail": "Fits"},
]}
EXPORTER_CONTACT = {"contact_person": "Siti Rahayu Private", "contact_email": "siti.private@jeparateak.example",
                    "contact_phone": "+62 291 555 0142"}
BUYER_CONTACT = {"contact_person": "Aigerim Private", "contact_email": "aigerim.private@astana.example",
                 "contact_phone": "+7 7172 55 01 99"}


def stored_match(db, product, request, *, score=0.8, explanation=None) -> Match:
    match = Match(product_id=product.id, request_id=request.id, score=score,
                  explanation=dict(explanation or EXPLANATION), rank_for_request=1, rank_for_product=1)
    db.add(match)
    db.commit()
    return match


@pytest.fixture
def world(make, db):
    exporter = make.organisation(kind="exporter", country="ID", name="PT Jepara Teak Works", **EXPORTER_CONTACT)
    buyer = make.organisation(kind="buyer", country="KZ", name="Astana Hotel Group", **BUYER_CONTACT)
    product = make.product(exporter, title="Solid teak dining table")
    request = make.request(buyer, title="Teak furniture for a hotel in Astana")
    turkish = make.organisation(kind="exporter", country="TR", name="Istanbul Mobilya")
    malaysian = make.organisation(kind="buyer", country="MY", name="Kuala Lumpur Hotels")
    far_product = make.product(turkish, title="Oak dining table")
    far_request = make.request(malaysian, title="Dining tables for a hotel in Kuala Lumpur")
    return {
        "exporter": exporter, "buyer": buyer, "product": product, "request": request,
        "match": stored_match(db, product, request),
        "far_match": stored_match(db, far_product, far_request),
        "exporter_member": make.user(exporter, name="Siti"), "exporter_colleague": make.user(exporter),
        "buyer_member": make.user(buyer, name="Aigerim"),
        "turkish_member": make.user(turkish),
        "stranger": make.user(make.organisation(kind="importer", country="ID", name="Other Importer")),
        "curator": make.user(make.organisation(kind="chamber", country="KZ", name="KZ Chamber"), role="curator"),
        "id_curator": make.user(make.organisation(kind="chamber", country="ID", name="ID Chamber"), role="curator"),
        "admin": make.user(make.organisation(kind="chamber", country="ID"), role="admin"),
    }


def run(db, world, *steps, match="match"):
    """Carry out moves by name: ("request", "buyer_member"), ("won", "curator", {...})."""
    introduction = None
    for step in steps:
        action, who, extra = (*step, {}) if len(step) == 2 else step
        introduction = curation.move(db, match_id=world[match].id, user_id=world[who].id, action=action,
                                     **extra)
    return introduction


WON = {"deal_value_usd": 1_250_000, "deal_date": date(2026, 11, 3)}
TO_ACCEPTED = (("request", "buyer_member"), ("introduce", "curator"), ("accept", "exporter_member"),
               ("accept", "buyer_member"))
