"""``/search``: the matching engine's relevance over the published catalogue, facets counted in SQL,
pages, htmx partials and the plain page, and nothing private or unpublished ever shown."""

from __future__ import annotations

import threading

import pytest
from sqlmodel import select

from matchmaker.models import BuyingRequest, ProductProfile
from matchmaker.seeding import load_demo_data
from matchmaker.services import catalog, index_store, search, search_index
from matchmaker.services.search import Filters


@pytest.fixture
def demo(db, seeds_dir):
    load_demo_data(db, seeds_dir=seeds_dir)
    return db


def run(app, **kwargs) -> search.Results:
    from matchmaker.db import get_session

    with app.test_request_context():
        return search.search(get_session(), **kwargs)


def titles(results) -> list[str]:
    return [hit.item.title for hit in results.page.items]


@pytest.mark.parametrize("query, sector", [
    ("мебель из тика", "furniture"),     # Russian against Indonesian and English products
    ("daging sapi", "meat"),             # Indonesian against Russian and English products
    ("teak furnitre", "furniture"),      # a typo
    ("креветки", "fisheries"),
    ("сыр", "dairy"),
])
def test_queries_in_any_language_find_the_right_sector_first(app, demo, query, sector):
    results = run(app, query=query)
    assert results.page.total >= 3
    assert [hit.item.sector for hit in results.page.items[:3]] == [sector] * 3, titles(results)[:3]


def test_teak_does_not_put_tuna_steak_first(app, demo):
    found = titles(run(app, query="teak"))
    assert "teak" in found[0].lower()
    assert not any("tuna" in title.lower() for title in found[:5])


def test_case_does_not_matter_in_cyrillic(app, demo):
    lower, upper = run(app, query="сыр"), run(app, query="Сыр")
    assert lower.page.total == upper.page.total > 0
    assert titles(lower) == titles(upper)


@pytest.mark.parametrize("code", ["9403", "0306", "94.03"])
def test_an_hs_code_finds_items_by_prefix(app, demo, code):
    results = run(app, query=code)
    digits = code.replace(".", "")
    expected = demo.exec(select(ProductProfile).where(ProductProfile.status == "published",
                                                      ProductProfile.hs_code.startswith(digits))).all()
    assert results.page.total == len(expected) > 0
    assert all(hit.item.hs_code.startswith(digits) for hit in results.page.items)


def test_a_company_name_finds_its_items_first(app, demo):
    results = run(app, query="jepara teak works")
    own = [hit for hit in results.page.items if hit.item.organisation.name == "PT Jepara Teak Works"]
    assert own and results.page.items[:len(own)] == own


def test_cross_language_results_show_the_bridge_and_highlight_words(app, demo, client):
    results = run(app, query="мебель из тика")
    first = results.page.items[0]
    assert first.bridges and first.bridges[0][0] == "тика" and "teak" in first.bridges[0]
    assert any(matched for _, matched in first.title)
    page = client.get("/search/?q=мебель+из+тика").get_data(as_text=True)
    assert "тика ≈ teak" in page and "<mark>Teak</mark>" in page


def test_highlighting_escapes_titles(app, make, client):
    org = make.organisation()
    make.product(org, title="<script>alert(1)</script> teak bench", description="<b>teak</b> & co")
    page = client.get("/search/?q=teak").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<mark>teak</mark>" in page and "<b>" not in page


def test_no_results_offer_a_word_of_the_catalogue(app, demo, client):
    results = run(app, query="mahogani")
    assert results.page.total == 0 and results.suggestion == "mahogany"
    page = client.get("/search/?q=mahogani").get_data(as_text=True)
    assert "Did you mean" in page and "q=mahogany" in page


def test_a_company_name_is_not_corrected_into_a_catalogue_word(app, make):
    """A supplier's name that the facets leave out finds nothing, and "did you mean" does not turn
    it into a word of the catalogue: the name is not a typo."""
    maker = make.organisation(country="ID", name="Teakwod Trading")
    make.product(maker, title="Teakwood garden chair", description="Solid teakwood, oiled.")
    assert run(app, query="teakwod").page.total == 1  # the company's own product
    assert run(app, query="teakwood gardn chair", filters=Filters(country="KZ")).page.total == 0
    assert run(app, query="teakwod trading", filters=Filters(country="KZ")).suggestion is None
    assert run(app, query="teakwud", filters=Filters(country="KZ")).suggestion == "teakwood"  # a typo


def test_did_you_mean_skips_only_words_that_cannot_be_close_enough():
    """Comparing only words of a possible length picks the same word as comparing them all."""
    import random

    from rapidfuzz import fuzz, process

    rng = random.Random(3)
    letters = "aeiourstnlkmb"
    terms = tuple(sorted({"".join(rng.choice(letters) for _ in range(rng.randint(2, 16))) for _ in range(3000)}))
    snap = search_index.Snapshot(("test",), "products", _terms=terms)
    for _ in range(300):
        word = "".join(rng.choice(letters) for _ in range(rng.randint(4, 14)))
        near = snap.terms_near(len(word), 75)
        assert len(near) < len(terms)
        best = process.extractOne(word, near, scorer=fuzz.ratio, score_cutoff=75)
        assert (best or (None,))[:2] == (process.extractOne(word, terms, scorer=fuzz.ratio, score_cutoff=75)
                                         or (None,))[:2]


def test_facets_narrow_with_the_counts_they_show(app, make):
    exporter, producer = make.organisation(country="ID", verified=True), make.organisation(country="KZ", kind="producer")
    make.product(exporter, title="Teak dining chair", certifications=["svlk"], moq=10, incoterms=["FOB"])
    make.product(exporter, title="Teak garden bench", certifications=["svlk", "fsc"], moq=100, incoterms=["CIF"])
    make.product(exporter, title="Teak coffee table", certifications=[], moq=None, incoterms=["FOB"])
    make.product(producer, title="Frozen beef", hs_code="020230", certifications=["halal"], moq=5000,
                 incoterms=["FCA"])
    everything = run(app)
    assert everything.page.total == 4
    assert dict(everything.facets["sector"]) == {"furniture": 3, "meat": 1}
    assert dict(everything.facets["country"]) == {"ID": 3, "KZ": 1}
    assert dict(everything.facets["certification"]) == {"svlk": 2, "fsc": 1, "halal": 1}
    assert dict(everything.facets["chapter"]) == {"94": 3, "02": 1}
    assert everything.facets["verified"] == [("1", 3)]
    for filters, count in [(Filters(sector="furniture"), 3), (Filters(certification="svlk"), 2),
                           (Filters(country="KZ"), 1), (Filters(incoterm="FOB"), 2), (Filters(verified=True), 3),
                           (Filters(moq_max=100), 2), (Filters(chapter="02"), 1),
                           (Filters(sector="furniture", certification="fsc"), 1)]:
        narrowed = run(app, filters=filters)
        assert narrowed.page.total == count, filters
    # A facet's counts leave its own choice aside (so one can switch), and follow the others.
    narrowed = run(app, filters=Filters(sector="furniture", incoterm="FOB"))
    assert dict(narrowed.facets["sector"]) == {"furniture": 2}
    assert dict(narrowed.facets["incoterm"]) == {"FOB": 2, "CIF": 1}
    assert run(app, query="teak", filters=Filters(certification="fsc")).page.total == 1


def test_counts_follow_the_catalogue_as_it_changes(app, make):
    """Facet counts are remembered per catalogue version: a publication, an archived item or a newly
    verified organisation shows in the next search's counts, with words in the box or without."""
    org = make.organisation(country="ID")
    make.product(org, title="Teak dining chair", certifications=["svlk"])
    for query in ("", "teak"):
        assert dict(run(app, query=query).facets["certification"]) == {"svlk": 1}
    item = make.product(org, title="Teak garden bench", certifications=["fsc"])
    for query in ("", "teak"):
        results = run(app, query=query)
        assert dict(results.facets["certification"]) == {"svlk": 1, "fsc": 1} and results.page.total == 2
        assert results.facets["verified"] == [("1", 0)]
    org.verified = True
    make.session.add(org)
    make.session.commit()
    assert run(app).facets["verified"] == [("1", 2)]
    with app.app_context():  # archived by its owner, through the write path every page uses
        catalog.set_status(make.session, actor=make.user(org), item=item, status="archived")
    for query in ("", "teak"):
        results = run(app, query=query)
        assert dict(results.facets["certification"]) == {"svlk": 1} and results.sides["products"] == 1


def test_requests_side_and_moq_order(app, make):
    buyer, exporter = make.organisation(kind="buyer", country="KZ"), make.organisation()
    make.request(buyer, title="Teak furniture for a hotel in Astana")
    make.request(buyer, title="Frozen tuna loins", hs_code="030487")
    make.product(exporter, title="Teak chair", moq=50)
    make.product(exporter, title="Teak table", moq=5)
    results = run(app, query="teak", side="requests")
    assert titles(results) == ["Teak furniture for a hotel in Astana"]
    assert results.sides == {"products": 2, "requests": 1}
    assert titles(run(app, query="teak", sort="moq")) == ["Teak table", "Teak chair"]


def test_pages(app, demo, client):
    first, second = run(app, page=1), run(app, page=2)
    assert first.page.total == second.page.total > 40
    assert len(first.page.items) == 20 and {h.item.id for h in first.page.items}.isdisjoint(
        {h.item.id for h in second.page.items})
    page = client.get("/search/?q=&page=2").get_data(as_text=True)
    assert "Page 2 of" in page and 'rel="next"' in page and 'rel="prev"' in page


def test_plain_get_is_the_whole_page_and_htmx_gets_the_results(client, make):
    make.product(make.organisation(), title="Teak dining chair")
    page = client.get("/search/?q=teak")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'method="get"' in html and 'name="q"' in html and "<mark>Teak</mark> dining chair" in html
    assert 'hx-push-url="true"' in html and "keyup changed delay:300ms" in html and 'form="search-form"' in html
    assert "HX-Request" in page.headers["Vary"]
    partial = client.get("/search/?q=teak", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and "<mark>Teak</mark> dining chair" in partial and 'name="sector"' in partial
    # htmx restoring a page it no longer holds asks for the whole page.
    restored = client.get("/search/?q=teak", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restored.get_data(as_text=True)


def test_each_locale_gets_its_own_labels(client, make):
    """Labels, country names and number formats are remembered per locale: pages in Russian and English,
    asked in turns, each show their own, and neither leaks into the other."""
    producer = make.organisation(country="KZ", verified=True)
    make.product(producer, title="Frozen beef", hs_code="020230", sector="meat", certifications=["halal"],
                 price_usd=1234.5, unit="kg")
    own = {"en": ["Meat (1)", "Kazakhstan", "Halal", "Verified", "USD 1,234.50"],
           "ru": ["Мясо (1)", "Казахстан", "Халяль", "Проверено", "234,50 USD"]}
    for lang in ["ru", "en", "ru", "en"]:
        page = client.get(f"/search/?lang={lang}", headers={"HX-Request": "true"}).get_data(as_text=True)
        other = "en" if lang == "ru" else "ru"
        assert [word for word in own[lang] if word not in page] == [], lang
        assert [word for word in own[other] if word in page] == [], lang


def test_the_nav_links_to_search(client):
    assert 'href="/search/"' in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("query", ["side=nope&sort=nope&page=x", "moq_max=abc&sector=%00&chapter=9x&country=kaz",
                                   "q=" + "x" * 5000, "q=%25_%5C", "verified=maybe&certification=none"])
def test_bad_input_is_ignored(client, make, query):
    make.product(make.organisation(), title="Teak dining chair")
    assert client.get(f"/search/?{query}").status_code == 200


def test_drafts_and_private_details_never_appear(app, make, client):
    org = make.organisation(contact_email="secret@private.example", contact_phone="+62 111 222")
    make.product(org, title="Zebrawood cabinet", status="draft")
    make.product(org, title="Archived zebrawood desk", status="archived")
    make.request(org, title="Zebrawood veneer wanted", status="draft")
    make.product(org, title="Teak cabinet")
    for side in ("products", "requests"):
        assert run(app, query="zebrawood", side=side).page.total == 0
    assert all(hit.item.status == "published" for hit in run(app).page.items)
    page = client.get("/search/?q=cabinet").get_data(as_text=True)
    assert "Teak <mark>cabinet</mark>" in page and "Zebrawood" not in page
    assert "secret@private.example" not in page and "+62 111 222" not in page


def test_a_new_publication_is_found_at_once(app, make):
    org = make.organisation()
    make.product(org, title="Teak dining chair")
    assert run(app, query="rattan").page.total == 0
    item = make.product(org, title="Rattan lounge chair", hs_code="940152")
    assert titles(run(app, query="rattan")) == ["Rattan lounge chair"]
    with app.app_context():
        catalog.set_status(make.session, actor=make.user(org), item=item, status="archived")
    assert run(app, query="rattan").page.total == 0


def test_one_snapshot_per_version_however_many_threads_ask(app, make, eager_thread_switching):
    make.product(make.organisation(), title="Teak dining chair")
    search_index.clear()
    found, engine = [], app.extensions["db_engine"]

    def ask():
        from sqlmodel import Session
        with Session(engine) as session:
            found.append(search_index.snapshot(session, "products"))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(snapshot) for snapshot in found}) == 1


def test_hs_prefixes_are_read_from_the_box():
    assert search.hs_prefixes("9403 teak") == ["9403"]
    assert search.hs_prefixes("0306.17 shrimp 1") == ["030617"]
    assert search.hs_prefixes("teak") == []
    assert search.hs_prefixes("61 09") == ["09", "61"] and search.hs_prefixes("03") == ["03"]
    assert search.hs_prefixes("kontainer 20 feet") == []  # a figure among words, not chapter 20


def test_search_ranks_exactly_as_matching_does():
    from matchmaker.matching import Demand, Product, ProductIndex

    index = ProductIndex([Product("1", "Kursi makan jati solid", hs_code="940161", country="ID"),
                          Product("2", "Teak garden bench", hs_code="940169", country="ID"),
                          Product("3", "Lemari pakaian jati", hs_code="940350", country="ID"),
                          Product("4", "Tuna sirip kuning steak beku", hs_code="030487", country="ID"),
                          Product("5", "Meja makan jati", hs_code="940360", country="ID")])
    for query in ("мебель из тика", "teak furnitre", "steak tuna", "meja"):
        public = index.top(Demand("search", query), k=5)
        assert [(r.item_id, r.score) for r in search_index.rank(index, "products", query)] == \
            [(int(m.product_id), m.score) for m in public]

    # Facets narrow the engine's own ranking: only allowed items, best first among them.
    narrowed = search_index.rank(index, "products", "мебель из тика", allowed=frozenset({"3", "5"}))
    assert narrowed and {r.item_id for r in narrowed} <= {3, 5}
    assert [r.score for r in narrowed] == sorted((r.score for r in narrowed), reverse=True)


_LONG_REQUEST = ("We are a hotel group in Astana and Almaty preparing our purchasing plan for the next "
                 "season; please send offers with prices, delivery terms and documents to our office. "
                 "What we need this time: frozen yellowfin tuna loins, skinless, vacuum packed")


@pytest.mark.parametrize("query", ["мебель из тика", "teak furnitre", "daging sapi beku", "креветки",
                                   _LONG_REQUEST])
def test_the_search_page_ranks_as_the_engine_does(app, make, client, query):
    """The first results of /search, in the page's order, are the engine's ``top`` for a request of the
    same text (a text longer than a title read as title and description, as matching reads it)."""
    import re

    from matchmaker.matching import Demand, ProductIndex
    from matchmaker.services.matches import to_engine_product

    assert len(_LONG_REQUEST) > 200 and "tuna" not in _LONG_REQUEST[:200]
    supplier, other = make.organisation(country="ID"), make.organisation(country="MY")
    for org, title, hs_code, language in [
            (supplier, "Kursi makan jati solid", "940161", "id"), (supplier, "Lemari pakaian jati", "940350", "id"),
            (other, "Teak garden bench", "940169", "en"), (other, "Teak dining table", "940360", "en"),
            (supplier, "Meja kopi kayu jati", "940360", "id"), (other, "Rattan lounge chair", "940152", "en"),
            (supplier, "Daging sapi beku tanpa tulang", "020230", "id"), (other, "Frozen beef brisket", "020230", "en"),
            (supplier, "Udang vannamei beku", "030617", "id"), (other, "Frozen shrimp, peeled", "030617", "en"),
            (supplier, "Tuna sirip kuning loin beku", "030487", "id"), (other, "Frozen tuna steak", "030487", "en"),
            (other, "Canned tuna in oil", "160414", "en"), (supplier, "Kain batik katun", "520852", "id")]:
        make.product(org, title=title, description="", hs_code=hs_code, language=language,
                     certifications=[], moq=None, incoterms=[])
    items = make.session.exec(select(ProductProfile).where(ProductProfile.status == "published")).all()
    engine = ProductIndex([to_engine_product(item) for item in items])
    expected = [int(m.product_id) for m in engine.top(Demand("q", query[:200], description=query[200:] or None),
                                                      k=10)]
    page = client.get("/search/", query_string={"q": query}).get_data(as_text=True)
    shown = [int(found) for found in re.findall(r'class="card-title" href="/products/(\d+)"', page)]
    assert expected and shown[:len(expected)] == expected


def test_a_narrow_facet_ranks_among_its_own_items(app, make, monkeypatch):
    """With room for two results per query, two of the four teak products are not among the overall
    best two; a facet that only they pass still finds each, as the engine ranks among allowed items."""
    monkeypatch.setattr(search_index, "DEPTH", 2)
    org = make.organisation()
    products = {code: make.product(org, title=title, certifications=[code]) for code, title in (
        ("svlk", "Teak dining chair"), ("fsc", "Teak garden bench"), ("eac", "Teak coffee table"),
        ("haccp", "Teak serving tray"))}
    best = {hit.item.id for hit in run(app, query="teak").page.items}
    assert len(best) == 2
    for code, item in products.items():
        if item.id not in best:
            assert titles(run(app, query="teak", filters=Filters(certification=code))) == [item.title]


def test_a_new_publication_is_found_by_the_next_search_without_a_refit(app, make, db):
    """The index follows the change log by deltas: the next search finds a new item, from the same
    fitted index (same fingerprint), one log position further."""
    org = make.organisation()
    make.product(org, title="Teak dining chair")
    assert run(app, query="rattan").page.total == 0
    before = index_store.version(db, "products")
    make.product(org, title="Rattan lounge chair", hs_code="940152")
    assert titles(run(app, query="rattan")) == ["Rattan lounge chair"]
    after = index_store.version(db, "products")
    assert after.fingerprint == before.fingerprint and after.applied > before.applied
