"""A keyboard user chooses the interface language without being moved off the page, and skips the top bar."""

from __future__ import annotations

import pytest


def test_arrow_keys_in_the_language_select_do_not_leave_the_page(page, live_server):
    page.goto(f"{live_server}/products/")
    page.evaluate("window.stillHere = true")  # gone if the page is reloaded or left
    page.focus("#locale")
    page.keyboard.press("ArrowDown")  # Bahasa Indonesia
    page.keyboard.press("ArrowDown")  # Русский: the third language is reachable
    page.wait_for_timeout(300)  # a change handler that submits would have navigated by now
    assert page.evaluate("window.stillHere === true")
    assert page.input_value("#locale") == "ru"
    assert page.locator("h1").inner_text() == "Products"

    with page.expect_navigation():
        page.keyboard.press("Tab")  # to the button that applies the choice
        page.keyboard.press("Enter")
    assert page.url.endswith("/products/")
    assert page.locator("h1").inner_text() == "Товары"


def test_language_switch_works_without_javascript(browser, live_server):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/requests/")
        page.select_option("#locale", "kk")
        page.click("form:has(#locale) button[type=submit]")
        assert page.url.endswith("/requests/")
        assert page.locator("html").get_attribute("lang") == "kk"
    finally:
        context.close()


@pytest.mark.parametrize("path", ["/", "/products/", "/register"])
def test_skip_link_is_the_first_stop_and_moves_focus_to_the_content(page, live_server, path):
    page.goto(f"{live_server}{path}")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.tagName, document.activeElement.getAttribute('href')]")
    assert focused == ["A", "#content"]
    link = page.locator(".skip-link")
    box = link.bounding_box()
    assert link.is_visible() and box["y"] >= 0 and box["height"] > 0  # seen when focused, not off-screen
    assert link.inner_text() == "Skip to content"

    page.keyboard.press("Enter")
    assert page.evaluate("[document.activeElement.tagName, document.activeElement.id]") == ["MAIN", "content"]
    page.keyboard.press("Tab")  # the next stop is inside the content, past the top bar
    assert page.evaluate("document.querySelector('main').contains(document.activeElement)")
