"""An exporter publishes a product: the page answers at once with "Finding matches…", and the matches
appear in it without a reload once the matching job has stored them."""

from __future__ import annotations

import re

from matchmaker.services import jobs


def test_the_matches_appear_without_a_reload_after_the_job(page, live_server, app, make):
    app.config["MATCHING_MODE"] = "worker"  # the job runs when the test says, as a worker would
    jobs.init_app(app)
    exporter = make.organisation(kind="exporter", country="ID")
    owner = make.user(exporter)
    make.request(make.organisation(kind="buyer", country="KZ", name="Astana Grand Hotel"))

    page.goto(f"{live_server}/login")
    page.fill("#email", owner.email)
    page.fill("#password", "correct-horse-2026")
    page.click("main button[type=submit]")
    page.goto(f"{live_server}/products/new")
    page.fill("#title", "Teak dining chairs for hotels")
    page.fill("#description", "Solid teak furniture, SVLK certified")
    page.fill("#hs_code", "940161")
    page.select_option("#unit", "pcs")
    page.fill("#moq", "20")
    page.fill("#capacity_per_month", "400")
    page.click("button[name=publish]")
    page.wait_for_url(re.compile(r"/products/\d+$"))

    status = page.locator("#finding-matches")
    assert "Finding matches…" in status.inner_text() and status.get_attribute("role") == "status"
    page.evaluate("window.notReloaded = true")

    with app.app_context():
        assert jobs.run_matching(app.extensions["db_engine"]) == 1
    page.locator(".match-list li", has_text="Astana Grand Hotel").wait_for(timeout=10_000)
    assert status.count() == 0 and page.evaluate("window.notReloaded") is True
    assert page.locator("#item-matches").get_attribute("hx-trigger") is None  # the polling stopped
