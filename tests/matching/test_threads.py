"""The engine answers the same from many threads as from one: web requests share one process."""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from itertools import cycle, islice
from pathlib import Path

import pytest

from matchmaker.matching import concepts
from matchmaker.matching.concepts import CONCEPTS_DIR
from matchmaker.matching.normalise import stem, tokens

THREADS = 8
WORDS = 10_000


def _words() -> list[tuple[str, str]]:
    """10,000 (word, language) pairs from the team's vocabulary, in English, Indonesian and Russian."""
    pairs = sorted({(word, language)
                    for path in CONCEPTS_DIR.glob("*.json")
                    for entry in json.loads(path.read_text(encoding="utf-8"))
                    for language in ("en", "id", "ru")
                    for term in entry.get(language, ())
                    for word in tokens(term)})
    return list(islice(cycle(pairs), WORDS))


def test_stemming_from_eight_threads_equals_stemming_from_one(eager_thread_switching):
    uncached = stem.__wrapped__  # the stemmer itself, not the per-word cache in front of it
    words = _words()
    expected = [uncached(word, language) for word, language in words]

    def stem_all(_thread: int) -> list[str]:
        return [uncached(word, language) for word, language in words]

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(stem_all, range(THREADS)))
    assert all(result == expected for result in results)


@pytest.fixture
def concept_files(monkeypatch, tmp_path) -> Path:
    """A copy of the concept files in a new folder: the vocabulary has not been read from there yet."""
    for path in CONCEPTS_DIR.glob("*.json"):
        shutil.copy(path, tmp_path / path.name)
    monkeypatch.setattr(concepts, "CONCEPTS_DIR", tmp_path)
    return tmp_path


def test_the_vocabulary_is_built_once_when_many_threads_ask_at_once(monkeypatch, concept_files,
                                                                    eager_thread_switching):
    builds = []
    load = concepts.ConceptVocabulary.load.__func__

    def counting_load(cls, directory=CONCEPTS_DIR):
        builds.append(directory)
        return load(cls, directory)

    monkeypatch.setattr(concepts.ConceptVocabulary, "load", classmethod(counting_load))
    with ThreadPoolExecutor(THREADS) as pool:
        vocabularies = list(pool.map(lambda _: concepts.default_vocabulary(), range(THREADS)))
    assert len(builds) == 1
    assert all(v is vocabularies[0] for v in vocabularies) and len(vocabularies[0]) > 0


def test_the_vocabulary_is_read_again_when_a_file_changes(concept_files):
    before = concepts.default_vocabulary()
    assert "sea cucumber test" not in before.concepts
    (concept_files / "zz-added.json").write_text(json.dumps([{"concept": "sea cucumber test",
                                                              "en": ["trepang"]}]))
    after = concepts.default_vocabulary()
    assert "sea cucumber test" in after.concepts and len(after) == len(before) + 1
