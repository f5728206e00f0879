"""The HS code picker: search by number or words, an escaped htmx fragment, and code validation."""

from __future__ import annotations

import re

import pytest

from matchmaker import hs


def codes(html: str) -> list[str]:
    return re.findall(r'data-hs-code="(\d+)"', html)


@pytest.mark.parametrize("query", ["9403", "9403.", "94 03"])
def test_search_by_number(client, query):
    response = client.get(f"/hs/search?q={query}")
    assert response.status_code == 200
    found = codes(response.get_data(as_text=True))
    assert found and all(code.startswith("9403") for code in found)
    assert "940360" in found


def test_subheadings_come_first():
    found = hs.search("94", limit=100)
    levels = [entry.level for entry in found]
    assert levels[0] == 6
    assert levels == sorted(levels, key=lambda level: level != 6)  # every 6-digit code before any shorter one
    assert any(entry.code == "9403" for entry in found)


def test_search_by_words(client):
    found = codes(client.get("/hs/search?q=frozen shrimp").get_data(as_text=True))
    # Codes whose description holds both words come first.
    assert found[:2] == ["030616", "030617"]


@pytest.mark.parametrize("query", ["Frozen Shrimp", "shrimp frozen", "  frozen   shrimp  "])
def test_word_search_ignores_case_order_and_spacing(query):
    assert [entry.code for entry in hs.search(query)][:2] == ["030616", "030617"]


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


def test_describe_national_code_by_its_subheading():
    assert hs.describe("94036010") == hs.describe("940360") != ""
    assert hs.describe("999999") == ""
