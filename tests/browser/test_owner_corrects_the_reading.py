"""On a phone, an importer sees that "loin" was read as fish, picks the beef heading with the picker, and
the request is re-filed and re-matched."""

from __future__ import annotations

import re


def test_importer_corrects_what_the_platform_read_at_phone_width(page, live_server, make):
    producer = make.organisation(kind="producer", country="KZ", name="Karaganda Beef")
    make.product(producer, title="Frozen boneless beef loin", hs_code="020230", certifications=["halal", "vet"],
                 unit="t", moq=5, capacity_per_month=100, price_usd=6500, description="Striploin, tenderloin")
    importer = make.user(make.organisation(kind="importer", country="ID"))
    page.set_viewport_size({"width": 390, "height": 844})

    page.goto(f"{live_server}/login")
    page.fill("#email", importer.email)
    page.fill("#password", "correct-horse-2026")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_server}/requests/new")
    page.fill("#title", "Frozen boneless loin for hotel kitchens")
    page.fill("#quantity", "20")
    page.select_option("#unit", "t")
    page.click("button[name=publish]")
    # Under the tests' inline matching the save also matches (the first one fits both indexes).
    page.wait_for_url(re.compile(r"/requests/\d+$"), timeout=30_000)

    reading = page.locator("section.reading")
    assert "Fisheries" in reading.inner_text()
    page.fill("#hs_code", "daging sapi")
    page.locator("#hs_code-options [data-hs-code='0202']").click()
    assert page.input_value("#hs_code") == "0202"
    page.click("form.hs-correction button[type=submit]")
    page.wait_for_load_state()

    assert page.locator("section.reading").count() == 0
    assert "Meat" in page.locator(".facts").inner_text()
    assert "Frozen boneless beef loin" in page.locator(".match-list").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
