"""The HS code picker: search by number or words, an escaped htmx fragment, and code validation."""

from __future__ import annotations

import re

import pytest

from matchmaker import hs
from matchmaker.schemas import ProductIn, RequestIn


def codes(html: str) -> list[str]:
    return re.findall(r'data-hs-code="(\d+)"', html)


@pytest.mark.parametrize("query", ["9403", "9403.", "94 03"])
def test_search_by_number(client, query):
    response = client.get(f"/hs/search?q={query}")
    assert response.status_code == 200
    found = codes(response.get_data(as_text=True))
    assert found and all(code.startswith("9403") for code in found)
    assert "940360" in found


def test_search_by_words(client):
    found = codes(client.get("/hs/search?q=frozen shrimp").get_data(as_text=True))
    # The codes whose description holds both words come first.
    assert set(found[:2]) == {"030616", "030617"}


@pytest.mark.parametrize("query", ["Frozen Shrimp", "shrimp frozen", "  frozen   shrimp  "])
def test_word_search_ignores_case_order_and_spacing(query):
    assert {entry.code for entry in hs.search(query)[:2]} == {"030616", "030617"}


@pytest.mark.parametrize(("query", "first"), [
    ("teak chair", {"940161"}),                   # a seat with a wooden frame, not teak logs (4403)
    ("kursi jati", {"940161", "940169"}),
    ("kursi kayu", {"940161", "940169"}),         # not aircraft seats (940110)
    ("кресло из ротанга", {"940153"}),
    ("meja jati", {"940360"}),
    ("susu bubuk", {"040221"}),
])
def test_product_words_find_the_product_before_its_material(query, first):
    assert hs.search(query)[0].code in first


def test_chair_offers_seats_before_chair_lifts_and_dentists_chairs():
    found = [entry.code for entry in hs.search("chair")]
    assert found and all(code.startswith("9401") for code in found)


@pytest.mark.parametrize("query", ["6109", "94", "0402"])
def test_numbers_find_codes_by_prefix_and_a_product_is_offered_only_subheadings(client, query):
    found = codes(client.get("/hs/search", query_string={"q": query, "kind": "product"}).get_data(as_text=True))
    assert found and all(len(code) == 6 and code.startswith(query) for code in found)
    assert found == sorted(found)


def test_a_request_is_offered_the_heading_before_its_subheadings(client):
    found = codes(client.get("/hs/search", query_string={"q": "6109", "kind": "request"}).get_data(as_text=True))
    assert found == ["6109", "610910", "610990"]
    by_words = codes(client.get("/hs/search", query_string={"q": "susu bubuk", "kind": "request"})
                     .get_data(as_text=True))
    assert by_words[:2] == ["0402", "040221"]


QUERIES = ["6109", "94", "03", "teak chair", "kursi kayu", "chair", "frozen shrimp", "мебель из тика", "susu bubuk",
           "cotton", "hijab", "daging sapi", "wood", "kayu", "ball bearings"]


@pytest.mark.parametrize("query", QUERIES)
def test_every_code_offered_can_be_saved(query):
    for entry in hs.search(query, limit=50):
        ProductIn.model_validate({"title": "x", "hs_code": entry.code})
    for entry in hs.search(query, limit=50, headings=True):
        RequestIn.model_validate({"title": "x", "hs_code": entry.code})


def test_picker_also_reads_the_form_field_name(client):
    # htmx sends the input's own name (hs_code) when the picker fires from the form.
    found = codes(client.get("/hs/search?hs_code=030617").get_data(as_text=True))
    assert found == ["030617"]


@pytest.mark.parametrize("query", ["", "x", "9", " a ", "a b", "a b c"])
def test_short_query_gives_nothing(client, query):
    html = client.get("/hs/search", query_string={"q": query}).get_data(as_text=True)
    assert codes(html) == []


def test_no_match_says_so(client):
    html = client.get("/hs/search?q=unobtainium").get_data(as_text=True)
    assert codes(html) == []
    assert "No HS code found" in html


def test_fragment_escapes_the_query(client):
    response = client.get("/hs/search", query_string={"q": "<b>x"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&lt;b&gt;x" in html
    assert "<b>x" not in html
    assert "<html" not in html  # a fragment for htmx, not a page


def test_fragment_escapes_script(client):
    html = client.get("/hs/search", query_string={"q": '"><script>alert(1)</script>'}).get_data(as_text=True)
    assert "<script>" not in html


def test_long_query_is_cut_not_refused(client):
    assert client.get("/hs/search", query_string={"q": "shrimp " * 100}).status_code == 200


@pytest.mark.parametrize("code", ["940360", "030617", "94036010", "0202300000", "9403.60", "9403 60 10",
                                  "520812"])
def test_valid_codes(code):
    assert hs.is_valid(code)


@pytest.mark.parametrize("code", ["", None, "94", "9403", "94036", "9403601", "999999", "99", "9999999999",
                                  "99999999", "123", "abcdef", "940361", "000000", "94036010123"])
def test_invalid_codes(code):
    assert not hs.is_valid(code)


@pytest.mark.parametrize(("code", "valid"), [("9403", True), ("0402", True), ("04.02", True), ("9403 60", True),
                                             ("0199", False), ("9999", False), ("94", False), ("940", False)])
def test_a_request_may_name_a_heading(code, valid):
    assert hs.is_valid(code, heading=True) is valid


def test_describe_national_code_by_its_subheading():
    assert hs.describe("94036010") == hs.describe("940360") != ""
    assert hs.describe("999999") == ""
