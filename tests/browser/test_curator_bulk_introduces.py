"""A curator filters the queue and introduces two pairs at once, without a page reload; the result is
announced in the page's aria-live region."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from matchmaker.models import Introduction, Match, utcnow
from sqlmodel import select

expect = pytest.importorskip("playwright.sync_api").expect

EXPLANATION = {"score": 0.8, "components": [
    {"name": "hs", "label": "HS code fit", "contribution": 0.4, "detail": "Same heading"},
    {"name": "concepts", "label": "Same products (across languages)", "contribution": 0.3,
     "detail": "Both are about teak"},
]}


def test_curator_filters_and_bulk_introduces_without_a_reload(page, live_server, make, db):
    chamber = make.organisation(kind="chamber", country="KZ", name="Astana Business Council")
    curator = make.user(chamber, role="curator")
    exporter = make.organisation(kind="exporter", country="ID", name="PT Jati Makmur")
    producer = make.organisation(kind="producer", country="KZ", name="Kostanay Meat")
    buyer = make.organisation(kind="buyer", country="KZ", name="Astana Hotel Supply")
    importer = make.organisation(kind="importer", country="ID", name="PT Pangan Halal")
    pairs = [(make.product(exporter, title="Teak dining table"), make.request(buyer, title="Teak furniture for a hotel")),
             (make.product(exporter, title="Teak lounge chair"), make.request(buyer, title="Chairs for a lobby")),
             (make.product(producer, title="Frozen boneless beef", hs_code="020230"),
              make.request(importer, title="Daging sapi beku halal", hs_code="020230"))]
    for n, (product, request) in enumerate(pairs):
        db.add(Match(product_id=product.id, request_id=request.id, score=0.9 - n / 10, explanation=EXPLANATION,
                     created_at=utcnow() - timedelta(days=n)))
    db.commit()

    page.goto(f"{live_server}/login")
    page.fill("#email", curator.email)
    page.fill("#password", "correct-horse-2026")
    page.click("main button[type=submit]")
    page.click("nav.mainnav a[href='/curation']")
    page.wait_for_url(re.compile(r"/curation$"))
    assert page.locator(".queue-row").count() == 3
    page.evaluate("window.stillTheSamePage = true")

    # The filter applies live (htmx) and the address follows it.
    page.select_option("select[name=sector]", "furniture")
    expect(page.locator(".queue-row")).to_have_count(2)
    assert page.url.endswith("/curation?sector=furniture")  # only the filters that apply
    assert "Frozen boneless beef" not in page.locator("#queue-results").inner_text()

    page.check("input[data-select-all]")  # every row of the filtered page
    assert all(box.is_checked() for box in page.locator(".queue-row input[type=checkbox]").all())
    page.fill("textarea[name=note]", "Please meet at the Astana expo")
    page.click("main button[name=action][value=introduce]")

    status = page.locator("#bulk-status")
    assert status.get_attribute("aria-live") == "polite"
    expect(status).to_have_text("2 introduced")
    assert page.evaluate("window.stillTheSamePage === true")  # no reload, no navigation
    expect(page.locator(".queue-row.moved")).to_have_count(2)
    assert page.locator(".queue-row input[type=checkbox]").count() == 0  # introduced: nothing to tick
    stages = {i.stage for i in db.exec(select(Introduction)).all()}
    assert stages == {"introduced"} and len(db.exec(select(Introduction)).all()) == 2
