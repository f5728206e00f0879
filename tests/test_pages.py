"""Every page renders for visitors and members; listings filter, paginate and answer htmx with a fragment."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

CARD = '<li class="card">'


@pytest.fixture
def catalogue(make):
    """A published product and request, each with an organisation, plus a member of a third organisation."""
    exporter = make.organisation(kind="exporter", country="ID")
    buyer = make.organisation(kind="buyer", country="KZ")
    product = make.product(exporter, title="Solid teak dining table")
    request = make.request(buyer, title="Teak furniture for a hotel in Astana")
    outsider = make.user(make.organisation(kind="importer", country="ID"))
    return {"exporter": exporter, "buyer": buyer, "product": product, "request": request,
            "outsider": outsider}


def _pages(c):
    return [
        "/", "/login", "/register", "/products/", "/requests/",
        f"/products/{c['product'].id}", f"/requests/{c['request'].id}",
        f"/organisations/{c['exporter'].id}", f"/organisations/{c['buyer'].id}",
        "/healthz", "/hs/search?q=teak",
    ]


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
def test_every_public_page_renders(client, auth, catalogue, signed_in):
    if signed_in:
        assert auth.login(catalogue["outsider"].email).status_code == 302
    for url in _pages(catalogue):
        response = client.get(url)
        # /login and /register send a signed-in user on to their organisation.
        expected = (302,) if signed_in and url in ("/login",) else (200,)
        assert response.status_code in expected, url


def test_detail_pages_show_the_record(client, catalogue):
    product_page = client.get(f"/products/{catalogue['product'].id}").get_data(as_text=True)
    assert "Solid teak dining table" in product_page
    assert "Teak furniture for a hotel in Astana" in client.get(
        f"/requests/{catalogue['request'].id}").get_data(as_text=True)
    org_page = client.get(f"/organisations/{catalogue['exporter'].id}").get_data(as_text=True)
    assert catalogue["exporter"].name in org_page
    assert "Solid teak dining table" in org_page


@pytest.mark.parametrize("kind", ["product", "request"])
def test_owner_forms_render(client, auth, make, kind):
    org = make.organisation(kind="exporter" if kind == "product" else "buyer")
    user = make.user(org)
    item = make.product(org) if kind == "product" else make.request(org)
    auth.login(user.email)
    new = client.get(f"/{kind}s/new")
    assert new.status_code == 200
    assert 'name="title"' in new.get_data(as_text=True)
    edit = client.get(f"/{kind}s/{item.id}/edit")
    assert edit.status_code == 200
    assert f'value="{item.title}"' in edit.get_data(as_text=True)


@pytest.mark.parametrize("kind", ["products", "requests"])
def test_sector_filter(client, make, kind):
    org = make.organisation(kind="exporter" if kind == "products" else "buyer")
    add = make.product if kind == "products" else make.request
    add(org, title="Teak armchair for lobbies", hs_code="940161")
    add(org, title="Skimmed milk powder 25 kg bags", hs_code="040210")
    furniture = client.get(f"/{kind}/?sector=furniture").get_data(as_text=True)
    dairy = client.get(f"/{kind}/?sector=dairy").get_data(as_text=True)
    assert "Teak armchair for lobbies" in furniture and "Skimmed milk powder" not in furniture
    assert "Skimmed milk powder" in dairy and "Teak armchair for lobbies" not in dairy


@pytest.mark.parametrize("kind", ["products", "requests"])
def test_country_filter(client, make, kind):
    add = make.product if kind == "products" else make.request
    org_kind = "exporter" if kind == "products" else "buyer"
    add(make.organisation(kind=org_kind, country="ID"), title="Made in Indonesia item")
    add(make.organisation(kind=org_kind, country="KZ"), title="Made in Kazakhstan item")
    id_page = client.get(f"/{kind}/?country=ID").get_data(as_text=True)
    kz_page = client.get(f"/{kind}/?country=kz").get_data(as_text=True)
    assert "Made in Indonesia item" in id_page and "Made in Kazakhstan item" not in id_page
    assert "Made in Kazakhstan item" in kz_page and "Made in Indonesia item" not in kz_page


def test_unknown_sector_is_ignored_not_an_error(client, make):
    make.product(make.organisation(), title="Solid teak dining table")
    response = client.get("/products/?sector=<script>")
    assert response.status_code == 200
    assert "Solid teak dining table" in response.get_data(as_text=True)


def test_search_box_filters_by_text(client, make):
    org = make.organisation()
    make.product(org, title="Kursi makan jati solid")
    make.product(org, title="Batik cotton fabric", hs_code="520812")
    page = client.get("/products/?q=jati").get_data(as_text=True)
    assert "Kursi makan jati solid" in page and "Batik cotton fabric" not in page


@pytest.mark.parametrize(("query", "found"), [
    ("%", {"100% cotton fabric"}), ("_", {"Teak_table export"}), ("100%", {"100% cotton fabric"}),
    ("a/b", {"Lot a/b of teak"}), ("%cotton", set()), ("teak", {"Teak_table export", "Lot a/b of teak"}),
])
def test_search_takes_percent_and_underscore_literally(client, make, query, found):
    org = make.organisation()
    titles = {"100% cotton fabric", "Teak_table export", "Lot a/b of teak", "Plain batik"}
    for title in titles:
        make.product(org, title=title, description="")
    page = client.get("/products/", query_string={"q": query}).get_data(as_text=True)
    assert {title for title in titles if title in page} == found


@pytest.fixture
def many_products(make):
    org = make.organisation()
    for n in range(25):
        make.product(org, title=f"Numbered teak table {n:02d}")
    make.product(org, title="Unpublished draft table", status="draft")


def test_pagination(client, many_products):
    first = client.get("/products/").get_data(as_text=True)
    second = client.get("/products/?page=2").get_data(as_text=True)
    assert first.count(CARD) == 20
    assert second.count(CARD) == 5
    assert "25 results" in first
    assert 'rel="next"' in first and 'rel="prev"' in second
    titles = {f"Numbered teak table {n:02d}" for n in range(25)}
    shown = {t for t in titles if t in first} | {t for t in titles if t in second}
    assert shown == titles  # every published product is on exactly one of the pages
    assert "Unpublished draft table" not in first + second


@pytest.mark.parametrize("page", ["999", "0", "-1", "abc", "1e9", "99999999999999999999", "²", "³", "9" * 5_000])
def test_out_of_range_page_numbers_do_not_fail(client, many_products, page):
    response = client.get(f"/products/?page={page}")
    assert response.status_code == 200
    assert 0 < response.get_data(as_text=True).count(CARD) <= 20


def test_htmx_filter_returns_only_the_fragment(client, make):
    make.product(make.organisation(), title="Teak armchair for lobbies", hs_code="940161")
    make.product(make.organisation(), title="Skimmed milk powder 25 kg bags", hs_code="040210")
    response = client.get("/products/?sector=furniture", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and "<nav class=\"mainnav\"" not in body
    assert "Teak armchair for lobbies" in body and "Skimmed milk powder" not in body
    full = client.get("/products/?sector=furniture").get_data(as_text=True)
    assert "<html" in full


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "member"])
def test_language_switch_redirects(client, auth, make, signed_in):
    if signed_in:
        user = make.user(make.organisation())
        auth.login(user.email)
    response = client.post("/language", data={"locale": "ru", "next": "/products/"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/products/")
    assert '<html lang="ru">' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example/"])
def test_language_switch_never_redirects_off_site(client, target):
    response = client.post("/language", data={"locale": "ru", "next": target})
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.netloc in ("", "localhost")
    assert location.path.startswith("/") and not location.path.startswith("//") and "\\" not in location.path


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "does not exist" in response.get_data(as_text=True)


def test_listing_labels_trade_outside_the_focus_corridors(client, make):
    make.product(make.organisation(country="ID"), title="Batik cotton from Pekalongan", hs_code="520812")
    make.product(make.organisation(country="KZ", name="Kazakh Wool LLP"), title="Kazakh felt from Shymkent",
                 hs_code="560290")
    page = client.get("/products/?sector=textiles").get_data(as_text=True)
    batik, felt = page.index("Batik cotton from Pekalongan"), page.index("Kazakh felt from Shymkent")
    card_of_felt = page[felt:]
    assert "outside the focus" in card_of_felt.split('class="card"')[0]
    assert "outside the focus" not in page[batik:].split('class="card"')[0]


def test_pages_forbid_foreign_scripts_and_framing(client):
    response = client.get("/")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_home_counts_supply_and_demand_along_the_corridors(client, make):
    make.product(make.organisation(country="ID"), title="Teak chair", hs_code="940161")
    make.product(make.organisation(country="KZ"), title="Kazakh pine bench", hs_code="940169")
    make.request(make.organisation(kind="buyer", country="KZ"), title="Hotel chairs", hs_code="940161")
    page = client.get("/").get_data(as_text=True)
    furniture_row = page[page.index("?sector=furniture"):].split("</tr>")[0]
    assert "2 <small" in furniture_row and "(1 in the corridor)" in furniture_row
