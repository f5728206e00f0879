"""The first thing a new exporter does: register, add a product with a picked HS code, publish it."""

from __future__ import annotations

import re


def test_register_add_product_with_hs_picker_fix_an_error_and_publish(page, live_server, app):
    app.config["WTF_CSRF_ENABLED"] = True  # the real forms, with their CSRF tokens
    page.goto(f"{live_server}/register")
    page.fill("#name", "PT Mebel Jati Nusantara")
    page.select_option("#kind", "exporter")
    page.select_option("#country", "ID")
    page.fill("#city", "Jepara")
    page.fill("#email", "owner@jati-nusantara.example")
    page.fill("#password", "a-long-password-2026")
    page.fill("#confirm", "a-long-password-2026")
    page.click("button[type=submit]:has-text('Register')")
    page.wait_for_url(re.compile(r"/organisations/\d+"))

    page.click("text=Add a product")
    page.fill("#title", "Kursi makan jati solid")
    page.fill("#description", "Kayu jati solid, finishing natural, SVLK.")
    page.fill("#hs_code", "wooden furniture")
    option = page.locator(".hs-option", has_text="940360")
    option.wait_for()
    option.click()
    assert page.input_value("#hs_code") == "940360"
    page.fill("#moq", "-5")  # a bad value: the form must say so at the field
    page.click("button[name=publish]")
    assert page.locator("#moq-error").inner_text() == "Must be a positive number."
    assert page.input_value("#title") == "Kursi makan jati solid"

    page.fill("#moq", "50")
    page.fill("#price_usd", "120,50")
    page.click("button[name=publish]")
    # Under the tests' inline matching the save also matches (the first one fits both indexes).
    page.wait_for_url(re.compile(r"/products/\d+$"), timeout=30_000)
    assert "Published." in page.content()

    page.goto(f"{live_server}/products/?sector=furniture")
    assert page.locator(".card-title", has_text="Kursi makan jati solid").count() == 1


def test_hs_picker_works_from_the_keyboard(page, live_server, make):
    member = make.user(make.organisation(kind="exporter", country="ID"))
    page.goto(f"{live_server}/login")
    page.fill("#email", member.email)
    page.fill("#password", "correct-horse-2026")  # the factory's password (tests/conftest.py)
    page.click("main button[type=submit]")
    page.goto(f"{live_server}/products/new")
    page.fill("#hs_code", "udang beku")
    page.locator(".hs-option").first.wait_for()
    page.press("#hs_code", "ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("#hs_code") == "030617"
