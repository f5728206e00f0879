"""What the engine reads from one record, computed once: words, spelling grams, concepts, HS, sector.

Both sides (products and requests) get the same kind of profile, so every component compares like
with like and both search directions share one code path.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
import threading
from collections import Counter
from contextlib import contextmanager
from itertools import filterfalse, repeat
from dataclasses import dataclass, fields, replace
from functools import lru_cache, partial
from typing import Callable, Iterator, Mapping, Sequence, TypeVar, Union

from matchmaker.vocabulary import sector_for_hs

from matchmaker.matching.concepts import BROADER, ConceptHit, ConceptVocabulary
from matchmaker.matching.hs import HsGuess, infer_hs
from matchmaker.matching.normalise import STOPWORDS, clause_tokens, detect_language, normalise, phonetic, \
    stem, transliterate
from matchmaker.matching.records import Demand, Product

__all__ = ["Profile", "build_profile", "with_tokens", "word_grams", "CLAUSE_WEIGHT", "BROADER_WEIGHT"]

# A text's first clause names the product ("Fish, frozen; tuna", "Мясо ...; туши"), later ones
# qualify it: a concept counts 1 in the first clause, 1/1.25 in the second, 1/1.5 in the third...
# On the benchmark's dev half: 0 gave nDCG@10 0.686, 0.25 gave 0.697, 0.5 0.698 (lower MRR), 1.0 0.685.
CLAUSE_WEIGHT = 0.25
# A broader concept that the text implies but does not name ("milk powder" in "skimmed milk
# powder") counts this much of the named one: a general request meets every specific offer, while
# two different specific ones (skimmed, whole) stay far apart.
BROADER_WEIGHT = 0.5

Record = Union[Product, Demand]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Profile:
    record: Record
    language: str
    words: tuple[str, ...]        # stems, for word TF-IDF
    spelled: tuple[str, ...]      # the words whose spelling grams are compared (not figures)
    hits: tuple[ConceptHit, ...]
    concepts: frozenset[str]
    weights: Mapping[str, float]  # each concept's weight: 1 in the first clause, less in later ones
    hs: HsGuess
    sector: str
    title_key: str                # normalised, transliterated title, for fuzzy comparison

    def __reduce__(self):
        # Rebuilt with its constructor: the default for a slotted dataclass looks its fields up
        # again for every object, which made reading worker processes' profiles back cost a
        # third of the work of reading them.
        return Profile, tuple(getattr(self, name) for name in _FIELDS)

    @property
    def grams(self) -> tuple[str, ...]:
        """Character n-grams of a Latin spelling key of each word, for cognates."""
        return tuple(g for w in self.spelled for g in word_grams(w))


_FIELDS = tuple(f.name for f in fields(Profile))


@lru_cache(maxsize=500_000)
def word_grams(word: str) -> tuple[str, ...]:
    """The 3- and 4-letter grams of one word's spelling key (cached per word)."""
    key = f" {phonetic(word)} "
    return tuple(key[i:i + n] for n in (3, 4) for i in range(len(key) - n + 1))


_grams = word_grams


def _sector(hs: HsGuess, hits: tuple[ConceptHit, ...], vocabulary: ConceptVocabulary) -> str:
    if hs.code:
        return sector_for_hs(hs.code)
    sectors = Counter(vocabulary.concepts[h.concept].sector for h in hits)
    return min(sectors, key=lambda s: (-sectors[s], s)) if sectors else "other"


def _weights(hits: tuple[ConceptHit, ...]) -> dict[str, float]:
    rank = {clause: r for r, clause in enumerate(sorted({h.clause for h in hits}))}
    return {h.concept: (BROADER_WEIGHT if h.how == BROADER else 1.0) / (1.0 + CLAUSE_WEIGHT * rank[h.clause])
            for h in hits}


PARALLEL_FROM = 20_000   # records; below this, starting worker processes costs more than it saves
_CHUNK = 2_000
_shared: tuple = ()      # (work, items) handed to forked workers without pickling them


def _work_on(i: int):
    work, items = _shared
    return work(items[i])


def default_workers() -> int:
    """Worker processes for a large job: the machine's processors, at most 4."""
    return min(os.cpu_count() or 1, 4)


def _can_fork() -> bool:
    return "fork" in multiprocessing.get_all_start_methods() \
        and threading.current_thread() is threading.main_thread() \
        and not multiprocessing.current_process().daemon


def forked_map(work: Callable[[T], object], items: Sequence[T], workers: int) -> Iterator:
    """``work(item)`` for each item, in order, computed in ``workers`` forked processes that see
    this process's memory as it is now (so ``work`` and ``items`` are not pickled; only results
    are, so they should be compact). A generator: results come as they are ready; closing it early
    waits for the work already handed out (see below). Runs everything here, in order, where forking is not possible (no
    ``fork`` start method, a daemonic process, a thread other than the main one) or not asked for."""
    global _shared
    if workers <= 1 or len(items) <= 1 or not _can_fork():
        yield from map(work, items)
        return
    _shared = (work, items)
    # Objects that exist now are left out of the workers' garbage collections: a collection walks
    # every object it tracks, writing to each, so each worker would copy the whole (shared) heap.
    gc.freeze()
    try:
        pool = multiprocessing.get_context("fork").Pool(min(workers, len(items)), initializer=_worker_signals)
    except (AssertionError, OSError):  # e.g. "daemonic processes are not allowed to have children"
        pool = None
    finally:
        gc.unfreeze()
        _shared = ()  # the workers are forked already: they keep their copy
    if pool is None:
        yield from map(work, items)
        return
    with pool:
        results = pool.imap(_work_on, range(len(items)))
        try:
            yield from results
        finally:
            # Closed early (an error, a consumer that stops): let the workers finish what they were
            # given. Terminating the pool while a worker is half-way through writing a large result
            # deadlocks it: the pool's own sentinel waits for the lock that worker holds.
            for _ in results:
                pass


def _worker_signals() -> None:
    """A forked worker's signals: the default SIGTERM, so ``pool.terminate()`` ends it even when the
    parent only notes SIGTERM (``matchmaker worker`` stops after its run; a worker with that handler
    blocked writing a large result forever), and no SIGINT (Ctrl-C is the parent's to handle)."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def read_in_chunks(read: Callable[[Sequence], T], records: Sequence[Record], *,
                   workers: int | None = None) -> list[tuple[tuple[int, int], T]]:
    """``read`` applied to consecutive chunks of ``records``: ``((start, stop), result)`` in order.
    From ``PARALLEL_FROM`` records on, chunks are read in ``workers`` forked processes (default: the
    machine's processors, at most 4), each warming its own word caches, and the results come back
    pickled (so ``read`` should return compact things); see ``forked_map``."""
    if workers is None:
        workers = default_workers() if len(records) >= PARALLEL_FROM else 1
    size = max(1, min(_CHUNK, -(-len(records) // max(workers, 1))))  # at least one chunk per worker
    bounds = [(start, min(start + size, len(records))) for start in range(0, len(records), size)]
    with collections_paused():  # the workers are forked inside: they inherit the pause
        return list(zip(bounds, forked_map(lambda b: read(records[b[0]:b[1]]), bounds, workers)))


@contextmanager
def collections_paused() -> Iterator[None]:
    """No automatic garbage collection inside. Reading a catalogue makes millions of objects and no
    reference cycles, and every collection of the older generations walks all the objects of the
    process: they took about a tenth of a 100,000-product build (in a reading process, and again
    in the parent while it received the profiles). Collections resume on leaving; another thread's
    garbage with cycles waits until then."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def build_profiles(records: Sequence[Record], vocabulary: ConceptVocabulary, *,
                   workers: int | None = None) -> list[Profile]:
    """Profiles of many records, in order (see ``read_in_chunks``)."""
    chunks = read_in_chunks(partial(_profiles_of, vocabulary=vocabulary), records, workers=workers)
    return [p for _, chunk in chunks for p in chunk]


def _profiles_of(records: Sequence[Record], vocabulary: ConceptVocabulary) -> list[Profile]:
    return [build_profile(r, vocabulary) for r in records]


_STOP = {language: words | STOPWORDS["ru"] for language, words in STOPWORDS.items()}
_STOP_RU = STOPWORDS["ru"]


def build_profile(record: Record, vocabulary: ConceptVocabulary) -> Profile:
    """Read a product or a request once for every component."""
    words, clauses, all_words = _text_words(record)
    detected = detect_language(all_words)
    language = record.language or detected
    stems, spelled = _tokens(all_words, language)
    hits = tuple(vocabulary.tag_words(words, clauses, language=detected if all_words is words else None))
    return _profile(record, language, stems, spelled, hits, vocabulary)


def _profile(record: Record, language: str, stems: tuple[str, ...], spelled: tuple[str, ...],
             hits: tuple[ConceptHit, ...], vocabulary: ConceptVocabulary) -> Profile:
    named = tuple(h for h in hits if h.how != BROADER)  # HS and sector come from what is named
    if record.hs_code:
        hs = _given(record.hs_code)
    else:
        hs = _inferred(named, vocabulary)
    return Profile(
        record=record,
        language=language,
        words=stems,
        spelled=spelled,
        hits=hits,
        concepts=frozenset(h.concept for h in hits),
        weights=_weights(hits),
        hs=hs,
        sector=_sector(hs, named, vocabulary),
        title_key=transliterate(normalise(record.title)),
    )


def with_tokens(profile: Profile) -> Profile:
    """``profile`` with its words and spelled words read again from its record, as ``build_profile``
    reads them: an index keeps its profiles without them (``index._read``: the counts are kept), and
    a query read from such a profile needs them, but not the concept tagging and HS inference that
    cost most of a reading.

    >>> from matchmaker.matching.concepts import ConceptVocabulary
    >>> read = build_profile(Product("p", "Frozen shrimps, 20 kg"), ConceptVocabulary([]))
    >>> slim = replace(read, words=(), spelled=())
    >>> with_tokens(slim) == read, with_tokens(slim).spelled
    (True, ('frozen', 'shrimps', 'kg'))
    """
    stems, spelled = _tokens(_text_words(profile.record)[2], profile.language)
    return replace(profile, words=stems, spelled=spelled)


def _text_words(record: Record) -> tuple[list[str], list[int], list[str]]:
    """A record's words with their clauses, and the words of its whole text."""
    text = f"{record.title}; {record.description or ''}"
    words, clauses = clause_tokens(text)
    # The words of the whole text are those of its clauses (only a Greek capital sigma lower-cases
    # differently at a clause's end).
    all_words = normalise(f"{record.title} {record.description or ''}").split() if "Σ" in text else words
    return words, clauses, all_words


def _tokens(all_words: list[str], language: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stems of a text's content words (for word TF-IDF) and those words without the figures
    (for spelling grams)."""
    stop = _STOP.get(language, _STOP_RU)
    content = [w for w in all_words if w not in stop]
    return tuple(map(stem, content, repeat(language, len(content)))), tuple(filterfalse(str.isdigit, content))


@lru_cache(maxsize=4096)
def _given(code: str) -> HsGuess:
    return HsGuess(code, 1.0, "given")


def _inferred(named: tuple[ConceptHit, ...], vocabulary: ConceptVocabulary) -> HsGuess:
    """``infer_hs``, remembered per vocabulary for each distinct list of named concepts."""
    cache = vocabulary.__dict__.setdefault("_inferred_hs", {})
    found = cache.get(named)
    if found is None:
        if len(cache) > 100_000:
            cache.clear()
        found = cache[named] = infer_hs(named, vocabulary)
    return found
