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
    # Under the tests' inline matching the save also matches (the first one fits both indexes).
    page.wait_for_url(re.compile(r"/requests/\d+$"), timeout=30_000)

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


def test_why_this_match_fits_a_phone(page, live_server, make, client):
    exporter = make.organisation(kind="exporter", country="ID", name="PT Jepara Jati")
    make.product(exporter, title="Kursi dan meja makan jati solid", hs_code="940360", language="id",
                 description="Set meja makan kayu jati untuk hotel", certifications=["svlk", "eac"])
    buyer_org = make.organisation(kind="buyer", country="KZ")
    make.request(buyer_org, title="Мебель из тикового дерева для гостиниц", language="ru")
    client.application.test_cli_runner().invoke(args=["rematch"])
    page.set_viewport_size({"width": 390, "height": 844})
    # The buyer reads its own request's proposals: a match page is for the parties.
    page.goto(f"{live_server}/login")
    page.fill("#email", make.user(buyer_org).email)
    page.fill("#password", "correct-horse-2026")
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto(f"{live_server}/requests/")
    page.locator(".listing a, table a, li a").filter(has_text="Мебель из тикового").first.click()
    page.locator("a.why").first.click()
    page.wait_for_url(re.compile(r"/matches/\d+$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    fills = page.locator(".breakdown-row .breakdown-fill")
    widths = [box["width"] for box in (fills.nth(i).bounding_box() for i in range(fills.count()))]
    values = [int(t.strip("+")) for t in page.locator(".breakdown-value").all_inner_texts()]
    assert all((w > 0) == (v > 0) for w, v in zip(widths, values))  # the chart is drawn, not hidden
    assert page.locator(".breakdown-why").first.is_visible()
