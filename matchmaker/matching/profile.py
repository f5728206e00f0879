"""What the engine reads from one record, computed once: words, spelling grams, concepts, HS, sector.

Both sides (products and requests) get the same kind of profile, so every component compares like
with like and both search directions share one code path.
"""

from __future__ import annotations

from collections import Counter
from itertools import filterfalse, repeat
from dataclasses import dataclass, fields, replace
from functools import lru_cache, partial
from typing import Callable, Mapping, Sequence, TypeVar, Union

from matchmaker.vocabulary import sector_for_hs

from matchmaker.matching.concepts import BROADER, ConceptHit, ConceptVocabulary
from matchmaker.matching.hs import HsGuess, infer_hs
from matchmaker.matching.parallel import collections_paused, default_workers, forked_map
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


def read_in_chunks(read: Callable[[Sequence], T], records: Sequence[Record], *, workers: int | None = None,
                   then: Callable[[tuple[int, int], T], object] | None = None) -> list[tuple[tuple[int, int], T]]:
    """``read`` applied to consecutive chunks of ``records``: ``((start, stop), result)`` in order,
    each result passed through ``then(bounds, result)`` when given, here, in order, as soon as it is
    ready (the workers go on reading meanwhile).
    From ``PARALLEL_FROM`` records on, chunks are read by ``workers`` processes (default: the
    machine's processors, at most 4): this one and forked ones, whose results come back pickled (so
    ``read`` should return compact things); see ``parallel.forked_map``."""
    if workers is None:
        workers = default_workers() if len(records) >= PARALLEL_FROM else 1
    size = max(1, min(_CHUNK, -(-len(records) // max(workers, 1))))  # at least one chunk per worker
    bounds = [(start, min(start + size, len(records))) for start in range(0, len(records), size)]
    with collections_paused():  # the workers are forked inside: they inherit the pause
        results = forked_map(lambda b: read(records[b[0]:b[1]]), bounds, workers)
        if then is not None:
            results = map(then, bounds, results)
        return list(zip(bounds, results))


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
