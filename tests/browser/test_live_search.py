"""A Kazakh buyer searches in Russian and with a typo, and sees teak furniture as they type."""

from __future__ import annotations

import re


def catalogue(make):
    exporter = make.organisation(kind="exporter", country="ID", name="PT Jepara Jati", verified=True)
    other = make.organisation(kind="exporter", country="ID", name="CV Kayu Kecil")
    fisheries = make.organisation(kind="exporter", country="ID", name="PT Samudra")
    make.product(exporter, title="Kursi dan meja makan jati solid", hs_code="940360", language="id",
                 description="Set meja makan kayu jati untuk hotel", certifications=["svlk", "eac"])
    make.product(exporter, title="Teak garden bench", hs_code="940169", certifications=["svlk"])
    make.product(other, title="Lemari pakaian jati", hs_code="940350", language="id", certifications=[])
    make.product(fisheries, title="Tuna sirip kuning steak beku", hs_code="030487", language="id",
                 certifications=["haccp"], description="Steak tuna beku")


def results(page) -> list[str]:
    return page.locator("#results .card-title").all_inner_texts()


def test_a_buyer_types_and_sees_teak_furniture_without_a_reload(page, live_server, make):
    catalogue(make)
    page.goto(f"{live_server}/search/")
    page.evaluate("window.notReloaded = true")  # gone if the page were loaded again

    page.locator("#search-q").press_sequentially("мебель из тика", delay=20)
    page.wait_for_url(re.compile(r"q=%D0%BC%D0%B5%D0%B1"))
    page.wait_for_function("document.querySelector('#result-count').textContent.includes('3 results')")
    found = results(page)
    assert found[0] in ("Kursi dan meja makan jati solid", "Lemari pakaian jati", "Teak garden bench")
    assert not any("Tuna" in title for title in found)
    assert "≈ teak" in page.locator("#results").inner_text()

    page.fill("#search-q", "")
    page.locator("#search-q").press_sequentially("teak furnitre", delay=20)
    page.wait_for_url(re.compile(r"q=teak(\+|%20)furnitre"))
    page.wait_for_function("document.querySelector('#results mark') !== null")
    assert "Teak garden bench" in results(page)

    # A facet narrows the list, and its choice is in the URL too.
    page.select_option("select[name=certification]", "eac")
    page.wait_for_url(re.compile(r"certification=eac"))
    page.wait_for_function("document.querySelectorAll('#results .card-title').length === 1")
    assert results(page) == ["Kursi dan meja makan jati solid"]
    assert page.evaluate("window.notReloaded") is True

    # The URL is the result list: opening it anew shows the same.
    page.goto(page.url)
    assert results(page) == ["Kursi dan meja makan jati solid"]
    assert page.input_value("#search-q") == "teak furnitre"


def test_search_works_without_javascript(browser, live_server, make):
    catalogue(make)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/search/")
        page.fill("#search-q", "мебель из тика")
        with page.expect_navigation():
            page.click("#search-form button[type=submit]")
        assert "q=" in page.url
        assert "Kursi dan meja makan jati solid" in results(page)
        page.select_option("select[name=certification]", "eac")
        with page.expect_navigation():
            page.click("noscript button, .facets button[type=submit]")
        assert results(page) == ["Kursi dan meja makan jati solid"]
    finally:
        context.close()


def test_the_pushed_url_carries_only_the_chosen_facets(page, live_server, make):
    catalogue(make)
    page.goto(f"{live_server}/search/")
    page.locator("#search-q").press_sequentially("teak", delay=20)
    page.wait_for_url(re.compile(r"q=teak"))
    assert "sector=" not in page.url and "country=" not in page.url


def test_search_and_directory_fit_a_phone(page, live_server, make):
    catalogue(make)
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/search/?q=мебель из тика", "/search/?q=9403&side=requests", "/organisations/?q=jati"):
        page.goto(f"{live_server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (path, width)
