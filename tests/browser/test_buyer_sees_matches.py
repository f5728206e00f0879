"""A Kazakh buyer posts a request in Russian and reads why a supplier was proposed."""

from __future__ import annotations

import re


def test_buyer_posts_a_request_and_reads_why_this_match(page, live_server, make):
    exporter = make.organisation(kind="exporter", country="ID", name="PT Jepara Jati")
    make.product(exporter, title="Kursi dan meja makan jati solid", hs_code="940360", language="id",
                 description="Set meja makan kayu jati untuk hotel", certifications=["svlk", "eac"])
    make.product(exporter, title="Kain katun tenun", hs_code="520812", unit="m", language="id",
                 description="Kain katun untuk seragam")
    buyer = make.user(make.organisation(kind="buyer", country="KZ", name="ТОО Астана Отель"))

    page.goto(f"{live_server}/login")
    page.fill("#email", buyer.email)
    page.fill("#password", "correct-horse-2026")
    page.click("main button[type=submit]")
    page.goto(f"{live_server}/requests/new")
    page.fill("#title", "Мебель из тикового дерева для гостиниц")
    page.select_option("#language", "ru")
    page.select_option("#unit", "sets")
    page.fill("#quantity", "120")
    page.check("input[name=required_certifications][value=eac]")
    page.click("button[name=publish]")
    page.wait_for_url(re.compile(r"/requests/\d+$"))

    first = page.locator(".match-list li").first
    assert "Kursi dan meja makan jati solid" in first.inner_text()
    first.locator("a.why").click()
    page.wait_for_url(re.compile(r"/matches/\d+$"))
    assert page.locator(".breakdown-row").count() == 5
    score = int(page.locator(".score.big").inner_text())
    contributions = [int(t.strip("+")) for t in page.locator(".breakdown-value").all_inner_texts()]
    assert abs(sum(contributions) - score) <= 2  # each bar is rounded to a whole point


def test_interface_language_switch_keeps_the_page(page, live_server):
    page.goto(f"{live_server}/products/")
    page.select_option("#locale", "ru")
    with page.expect_navigation():
        page.click("form:has(#locale) button[type=submit]")
    assert page.url.endswith("/products/")
    assert page.locator("h1").inner_text() == "Товары"
