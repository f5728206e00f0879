"""On the match page, moves happen without a page reload (htmx): a refused one shows its error at the
field and in the live region, a good one moves the stage; from a request's list a buyer asks for an
introduction in place."""

from __future__ import annotations

from tests.curation_world import world  # noqa: F401 (fixture)


def log_in(page, live_server, email):
    page.goto(f"{live_server}/login")
    page.fill("#email", email)
    page.fill("#password", "correct-horse-2026")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def test_moves_on_the_match_page_without_reloading(page, live_server, world):
    log_in(page, live_server, world["buyer_member"].email)
    page.goto(f"{live_server}/matches/{world['match'].id}")
    page.evaluate("window.notReloaded = true")
    status = page.locator("#match-status")
    assert status.get_attribute("aria-live") == "polite"

    page.click("form.move-dismiss button[type=submit]")  # no reason chosen: 400, shown in place
    page.wait_for_selector("#dismiss-reason-error")
    assert page.inner_text("#dismiss-reason-error") == "Choose a reason."
    assert status.inner_text() == "Choose a reason."

    page.fill("#interest-note", "Samples to Astana, please")
    page.click("form.move-interest button[type=submit]")
    page.wait_for_selector(".stage-requested")
    assert status.inner_text() == "Your request for an introduction was sent to the chamber."
    assert "Waiting for the chamber" in page.inner_text("#match-panel")
    assert page.evaluate("window.notReloaded") is True


def test_a_buyer_asks_from_the_request_page(page, live_server, world):
    log_in(page, live_server, world["buyer_member"].email)
    page.goto(f"{live_server}/requests/{world['request'].id}")
    page.evaluate("window.notReloaded = true")
    row = page.locator(f"#match-row-{world['match'].id}")
    row.locator("summary", has_text="Request an introduction").click()
    row.locator("form[action$='/interest'] textarea").fill("Can you ship in March?")
    row.locator("form[action$='/interest'] button[type=submit]").click()
    page.wait_for_selector(f"#match-row-{world['match'].id} .stage-requested")
    assert page.inner_text("#match-status") == "Your request for an introduction was sent to the chamber."
    assert page.evaluate("window.notReloaded") is True
