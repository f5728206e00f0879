"""Many requests at once, as a threaded server runs them: none fails, none loses or doubles data."""

from __future__ import annotations

import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import pytest

from matchmaker import hs
from matchmaker.matching import concepts, normalise, profile

THREADS = 8
HS_QUERIES = ["meja jati", "мебель из тика", "udang beku", "kain katun", "susu bubuk", "daging sapi beku",
              "говядина замороженная", "ткань хлопковая", "perabotan kayu", "молоко сухое"]


@pytest.fixture
def fresh_process(monkeypatch, tmp_path):
    """Forget every table and cache the engine built, as in a process that has just started."""
    for cached in (normalise.stem, normalise.transliterate, normalise.phonetic, profile._grams, hs._entries):
        cached.cache_clear()
    for path in concepts.CONCEPTS_DIR.glob("*.json"):  # concept files the vocabulary never read
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(concepts, "CONCEPTS_DIR", tmp_path)


def _options(client, query: str) -> tuple[int, list[str]]:
    response = client.get("/hs/search", query_string={"q": query})
    return response.status_code, re.findall(r'data-hs-code="(\d+)"', response.get_data(as_text=True))


def test_concurrent_hs_searches_on_a_fresh_app_all_succeed(app, fresh_process, eager_thread_switching):
    def search_all(_thread: int) -> list[tuple[int, list[str]]]:
        client = app.test_client()
        return [_options(client, query) for query in HS_QUERIES]

    with ThreadPoolExecutor(THREADS) as pool:
        answers = list(pool.map(search_all, range(THREADS)))
    expected = [_options(app.test_client(), query) for query in HS_QUERIES]
    assert all(status == 200 and codes for status, codes in expected)
    assert all(answer == expected for answer in answers)
