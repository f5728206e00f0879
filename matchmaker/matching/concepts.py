"""The cross-lingual bridge: find the team's product concepts in English, Indonesian, Russian, Kazakh.

The vocabulary lives in ``concepts/*.json`` (one file per sector, written and reviewed by the team).
Terms and texts go through the same keys (``normalise.stem``: lemmas, roots, stems), so "тикового
дерева" meets the term "тиковое дерево", "яиц" meets "яйцо" and "pakaian" meets "pakai". Beyond exact
keys we accept, for a single word, Russian adjective and fleeting-vowel forms ("хлопковая", "хлопка"
for "хлопок"), a longer Latin word that starts with a term ("cottonseed"), and a typo close to a term
("jatti" for "jati") when the dictionary does not know the word; each such hit says how it matched.
A 2-3 word term also matches in another word order ("молоко сухое", "Fish, frozen"). Latin text is
read as English and as Indonesian, Kazakh text as Kazakh and Russian; an exact reading in one
language beats a loose one in the other, and a longer exact term beats a shorter one inside it.
What follows "excluding", «за исключением» or "tidak termasuk" in a clause is not named by the text.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Iterable, Iterator, Mapping

import numpy as np
from rapidfuzz import fuzz, process

from matchmaker.matching.morphology import DICTIONARIES, known
from matchmaker.matching.normalise import CLAUSE, STOPWORDS, Words, clause_tokens, detect_language, stem, tokens

__all__ = ["Concept", "ConceptHit", "ConceptVocabulary", "default_vocabulary", "CONCEPTS_DIR", "BROADER"]

CONCEPTS_DIR = Path(__file__).with_name("concepts")
LANGUAGES = ("en", "id", "ru", "kk")
# When a concept has no term in the reader's language: Kazakh readers read Russian, others English.
_NAME_FALLBACK = {"kk": ("kk", "ru", "en"), "id": ("id", "en"), "ru": ("ru", "en")}
_MAX_TERM_WORDS = 5
_MAX_UNORDERED = 3
_EXACT = ("stem", "word order")
BROADER = "broader"
_TYPO_CUTOFF = 86
# Words that open an exclusion, up to the end of their clause.
_EXCLUDING = frozenset({"excluding", "except", ("other", "than"), ("not", "including"), "kecuali",
                        ("tidak", "termasuk"), "selain", "bukan", "исключением", "кроме", "исключая"})
_EXCLUDING_FIRST = frozenset(m if isinstance(m, str) else m[0] for m in _EXCLUDING)
_DOUBLED = re.compile(r"(.)\1+")
_CLAUSE = CLAUSE
# How the scan sees a word of one reading (language): a stop word, a word no term can start or hold
# and no looser reading ties to a term, a word with loose hits only (form, prefix, typo), a word
# that is (part of) a term, a word that is a term only on its own (it stands in no longer term, so
# no run goes through it). One byte per word, so a text's runs of term words are found by a regex.
_STOP, _INERT, _LOOSE, _TERM, _SOLO = 0, 1, 2, 3, 4
# The languages a text of each detected language is read in, in order (see tag_words).
_READINGS = {"ru": ("ru",), "kk": ("kk", "ru"), "en": ("en", "id"), "id": ("en", "id")}
_RUNS = re.compile(rb"[\x02\x04]|\x03(?:\x00*\x03)*")
_RUNS_KEPT = 200_000  # scans of pieces of runs of term words remembered per vocabulary
_WORDS_KEPT = 500_000  # words whose reading is remembered, per language
_RU_FLEETING = re.compile(r"(?<=[бвгджзклмнпрстфхцчшщ])[оеё](?=[кц]$)")
_RU_ADJECTIVE_ENDING = re.compile(r"(?<=...)(ый|ий|ой)$")
_RU_ADJECTIVE = re.compile(r"(?<=..[^аеиоуыэюя])(ов|ев|н)$")


@dataclass(frozen=True)
class Concept:
    """One product idea with its HS prefixes, its words in each language and the broader ideas it
    is a kind of (whole milk powder is a milk powder, yellowfin is a tuna)."""

    name: str
    sector: str
    hs: tuple[str, ...] = ()
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    broader: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConceptHit:
    """Where a concept was found: the words of the text, and how they matched (stem, prefix, typo)."""

    concept: str
    words: str
    how: str = "stem"   # "stem", "word order", "form", "prefix", "typo of x", or BROADER
    clause: int = 0     # which clause of the text (split at ; : , and brackets) it was found in

    def __reduce__(self):  # see Profile.__reduce__
        return _hit, (self.concept, self.words, self.how, self.clause)


_HITS_KEPT = 200_000
_unpickled: dict[tuple, ConceptHit] = {}


def _hit(*key) -> ConceptHit:
    """A hit read back from a pickle: one object per distinct hit, as the vocabulary makes them
    (a catalogue's profiles read in worker processes share their hits again, and reading them back
    builds each distinct hit once)."""
    found = _unpickled.get(key)
    if found is None:
        if len(_unpickled) > _HITS_KEPT:
            _unpickled.clear()
        found = _unpickled[key] = ConceptHit(*key)
    return found


def _ru_key(word_stem: str) -> str:
    return _RU_FLEETING.sub("", word_stem)


@lru_cache(maxsize=500_000)
def _key(word: str, language: str) -> str:
    s = stem(word, language)
    return _ru_key(s) if language == "ru" else s


def _content_words(text: str, language: str) -> list[str]:
    stop = STOPWORDS.get(language, frozenset())
    return [w for w in tokens(text) if w not in stop]


class ConceptVocabulary:
    """Concept lookup tables built from concept entries.

    >>> vocab = ConceptVocabulary.from_entries([
    ...     {"concept": "teak", "hs": ["4403", "9403"], "en": ["teak"], "id": ["jati", "kayu jati"],
    ...      "ru": ["тик"]},
    ...     {"concept": "table", "hs": ["9403"], "en": ["table"], "id": ["meja"], "ru": ["стол"]}])
    >>> sorted(h.concept for h in vocab.tag("Meja makan kayu jati"))
    ['table', 'teak']
    >>> sorted(h.concept for h in vocab.tag("столы из тикового дерева"))
    ['table', 'teak']
    """

    def __init__(self, concepts: Iterable[Concept]):
        self.concepts: dict[str, Concept] = {}
        for c in concepts:
            old = self.concepts.get(c.name)
            if old:  # the same concept in two files: merge, keep the first sector
                terms = {lang: tuple(dict.fromkeys(old.terms.get(lang, ()) + c.terms.get(lang, ())))
                         for lang in LANGUAGES}
                c = Concept(c.name, old.sector, tuple(dict.fromkeys(old.hs + c.hs)), terms,
                            tuple(dict.fromkeys(old.broader + c.broader)))
            self.concepts[c.name] = c
        self._tables: dict[str, dict[tuple[str, ...], set[str]]] = {lang: {} for lang in LANGUAGES}
        for c in self.concepts.values():
            for lang in LANGUAGES:
                for term in c.terms.get(lang, ()):
                    key = tuple(_key(w, lang) for w in _content_words(term, lang))
                    # "с/м" without its stop word is a bare "м", which any "м" (metre) would hit.
                    if key and len("".join(key)) > 1:
                        self._tables[lang].setdefault(key, set()).add(c.name)
        # Word order is free in Russian ("молоко сухое", "сухое молоко") and tariff English inverts
        # ("Fish, frozen"): a 2-3 word term also matches its words in another order.
        self._unordered: dict[str, dict[tuple[str, ...], set[str]]] = {lang: {} for lang in LANGUAGES}
        for lang, table in self._tables.items():
            for key, names in table.items():
                if 2 <= len(key) <= _MAX_UNORDERED:
                    self._unordered[lang].setdefault(tuple(sorted(key)), set()).update(names)
        self._unordered_words = {lang: {w for key in table for w in key}
                                 for lang, table in self._unordered.items()}
        # One-word terms as written: the stemmer strips Indonesian affixes, so "kemeja" (shirt)
        # and "meja" (table) share a stem; a word written exactly as a term means that term.
        self._surface: dict[str, dict[str, set[str]]] = {lang: {} for lang in LANGUAGES}
        for c in self.concepts.values():
            for lang in LANGUAGES:
                for term in c.terms.get(lang, ()):
                    if len(tokens(term)) == 1:
                        self._surface[lang].setdefault(tokens(term)[0], set()).add(c.name)
        # One-word terms by first letter: a writer's typo keeps the first letter, while a letter
        # added in front makes another word ("barang" is goods, not "arang" charcoal).
        self._singles: dict[str, dict[str, list[str]]] = {lang: {} for lang in LANGUAGES}
        for lang, table in self._tables.items():
            for key in sorted(k[0] for k in table if len(k) == 1 and len(k[0]) >= 4):
                self._singles[lang].setdefault(key[0], []).append(key)
        self._starts = {lang: {k[0] for k in table} for lang, table in self._tables.items()}
        # A word whose key is in no term, in no other word order and is no term as written, and
        # that no looser reading (form, prefix, typo) ties to a term, is inert: the scan steps over it.
        self._term_keys = {lang: {w for key in table for w in key} | self._unordered_words[lang]
                           for lang, table in self._tables.items()}
        self._loose_cache: dict[tuple[str, str], tuple[ConceptHit, ...]] = {}
        self._longest: dict[str, dict[str, int]] = {lang: {} for lang in LANGUAGES}  # words of the longest term from a key
        for lang, table in self._tables.items():
            for key in table:
                self._longest[lang][key[0]] = max(self._longest[lang].get(key[0], 0), len(key))
        # Filled from many threads: a dict item is set atomically, and a race only repeats a lookup.
        self._typo_cache: dict[tuple[str, str], str | None] = {}
        self._state: dict[str, dict[str, int]] = {lang: {} for lang in LANGUAGES}  # see _scan_text
        self._pieces: dict[tuple, tuple] = {}  # see _piece
        self._arrays: dict[str, dict] = {lang: {} for lang in LANGUAGES}  # see _scanned
        self._linked_arrays: dict[str, tuple] = {}
        self._singles_scanned: dict[str, dict[str, tuple]] = {lang: {} for lang in LANGUAGES}
        # Pairs of keys that may stand next to each other inside one term (in its order, or in any
        # order for the terms that match in free word order): a run of term words is cut elsewhere.
        self._linked: dict[str, set[tuple[str, str]]] = {lang: set() for lang in LANGUAGES}
        for lang, table in self._tables.items():
            for key in table:
                self._linked[lang].update(zip(key, key[1:]))
            for key in self._unordered[lang]:
                self._linked[lang].update((a, b) for a in key for b in key)
        # Keys that stand next to another one in some term: the other term words are terms alone.
        self._joined = {lang: {key for pair in pairs for key in pair} for lang, pairs in self._linked.items()}
        self._hits: dict[tuple, ConceptHit] = {}  # one object per distinct hit: profiles share them

    @classmethod
    def from_entries(cls, entries: Iterable[Mapping], *, sector: str = "other") -> "ConceptVocabulary":
        """Build from dicts shaped like the JSON files (``concept``, ``hs``, ``en``, ``id``, ``ru``,
        ``kk``)."""
        return cls(_concept(e, sector) for e in entries)

    @classmethod
    def load(cls, directory: Path | str = CONCEPTS_DIR) -> "ConceptVocabulary":
        """Read every ``*.json`` in ``directory``; the file name is the sector. Missing dir: empty."""
        directory = Path(directory)
        files = sorted(directory.glob("*.json")) if directory.is_dir() else []
        return cls(_concept(entry, path.stem)
                   for path in files for entry in json.loads(path.read_text(encoding="utf-8")))

    def __len__(self) -> int:
        return len(self.concepts)

    @cached_property
    def digest(self) -> str:
        """A short hash of the vocabulary's content: indexes and fingerprints name it."""
        from matchmaker.matching.artefact import vocabulary_digest

        return vocabulary_digest(self)

    @cached_property
    def products(self) -> frozenset[str]:
        """Concepts that name a product (they have HS codes), as opposed to attributes such as
        "frozen", "halal" or "hotel"."""
        return frozenset(name for name, concept in self.concepts.items() if concept.hs)

    def label(self, concept: str, language: str) -> str:
        """The concept's name for a reader of ``language``: its first term there, else in a language
        that reader is likely to read, else its id in words; never the raw id.

        >>> vocab = ConceptVocabulary.from_entries([{"concept": "dining_chair", "en": ["dining chair"],
        ...                                          "id": ["kursi makan"], "ru": ["обеденный стул"]}])
        >>> vocab.label("dining_chair", "id"), vocab.label("dining_chair", "kk"), vocab.label("x_y", "ru")
        ('kursi makan', 'обеденный стул', 'x y')
        """
        found = self.concepts.get(concept)
        for lang in _NAME_FALLBACK.get(language, (language, "en")) if found else ():
            if found.terms.get(lang):
                return found.terms[lang][0]
        return concept.replace("_", " ")

    def tag(self, text: str | None) -> list[ConceptHit]:
        """Concepts mentioned in ``text``, each once, in order of first mention (the English and
        Indonesian readings of Latin text interleaved by position).

        A term may span punctuation ("Fish, frozen"); each hit notes the clause it starts in.
        """
        return self.tag_words(*clause_tokens(text))

    def tag_words(self, words: list[str], clauses: list[int], *, language: str | None = None) -> list[ConceptHit]:
        """:meth:`tag` of a text already split into normalised words, with each word's clause;
        ``language`` is ``detect_language(words)`` when the caller has it already."""
        if not words:
            return []
        excluded = _excluded_positions(words, clauses)
        lang = language or detect_language(words)
        # Latin text is tried as both English and Indonesian: titles often mix them. Kazakh text
        # borrows Russian words ("кресло", "йогурт"), so it is read as both Kazakh and Russian.
        languages = _READINGS.get(lang, _READINGS["en"])
        scanned: list = []
        widest: dict[int, int] = {}
        for lang in languages:
            self._scan_text(words, lang, scanned, widest)
        # A word one language knows exactly is not a typo or prefix of a term in the other
        # ("cotton" is not "cottonii", a seaweed; "swine" is not "wine"), and a longer exact term
        # beats a shorter one inside it ("daging babi" is pork; "babi" alone is not "baby").
        found: dict[str, ConceptHit] = {}
        interned = self._hits
        if len(interned) > _RUNS_KEPT:
            interned.clear()
        for start, size, hit, exact in sorted(scanned, key=itemgetter(0)):  # stable: scan order within a start
            concept = hit.concept
            if concept in found or widest.get(start, 0) > size or start in excluded or \
                    (not exact and start in widest):
                continue
            key = (concept, hit.words, hit.how, clauses[start])
            one = interned.get(key)
            if one is None:
                one = interned.setdefault(key, ConceptHit(*key))
            found[concept] = one
        return self._with_broader(list(found.values()))

    def tag_many(self, batch: Words, languages: list[str]) -> list[list[ConceptHit]]:
        """``tag_words`` of each text of ``batch`` (``normalise.clause_tokens_many``), ``languages``
        being their detected languages: the same hits, with the work done once per distinct word and
        per distinct piece of a run of term words in the whole batch, and the rest with numpy.

        >>> from matchmaker.matching.normalise import clause_tokens_many
        >>> vocab = ConceptVocabulary.from_entries([{"concept": "teak", "en": ["teak"], "id": ["jati"]},
        ...                                         {"concept": "table", "en": ["table"], "id": ["meja"]}])
        >>> [[h.concept for h in hits] for hits in vocab.tag_many(clause_tokens_many(
        ...     ["Meja makan kayu jati", "teak", "nothing"]), ["en", "en", "en"])]
        [['table', 'teak'], ['teak'], []]
        """
        text_at = batch.text_of()
        readings = [_READINGS.get(lang, _READINGS["en"]) for lang in languages]
        hits: list[ConceptHit] = []  # the hits of the distinct pieces scanned, one after another
        found, covers = [], []
        for lang in LANGUAGES:
            rank = np.array([r.index(lang) if lang in r else -1 for r in readings], dtype=np.int64)
            read = np.flatnonzero(rank[text_at] >= 0)
            for entries, cover in self._scan_many(batch, text_at, read, lang, hits) if len(read) else ():
                found.append(entries + (rank[text_at[entries[0]]],))
                covers.append(cover)
        if not hits:
            return [[] for _ in range(len(batch))]
        start, size, exact, order, concept, hit, rank = (np.concatenate(column) for column in zip(*found))
        widest = np.zeros(len(batch.words), dtype=np.int64)
        for at, sizes in covers:
            np.maximum.at(widest, at, sizes)
        # The rules of tag_words: an exact term in one reading beats loose hits at its start in the
        # other, a longer exact term beats the shorter ones inside it, excluded words name nothing,
        # and each concept counts once per text, where it is first found (in scan order).
        covering = widest[start]
        kept = np.flatnonzero((covering <= size) & ((exact == 1) | (covering == 0))
                              & ~self._excluded(batch, text_at)[start])
        kept = kept[np.lexsort((order[kept], rank[kept], start[kept]))]
        _, first = np.unique(text_at[start[kept]] * len(self.concepts) + concept[kept], return_index=True)
        kept = kept[np.sort(first)]
        return self._hits_of(hits, hit[kept], batch.clauses[start[kept]], text_at[start[kept]], len(batch))

    def _scan_many(self, batch: Words, text_at: np.ndarray, read: np.ndarray, lang: str,
                   hits: list[ConceptHit]) -> Iterator[tuple[tuple, tuple]]:
        """``_scan_text`` in ``lang`` of the words at positions ``read`` of ``batch``, as arrays, for
        the words scanned alone and for the longer pieces of runs: ``(start, size, exact, order,
        concept, hit)`` for every hit (``order`` its place in its piece's scan, ``hit`` its place in
        ``hits``, to which the distinct pieces' hits are added) and ``(position, size)`` of the
        exact terms' cover."""
        words, ids, distinct = batch.words, batch.ids, batch.distinct
        needed = np.unique(ids[read])
        codes = np.full(len(words), _INERT, dtype=np.uint8)
        codes[read] = self._states(distinct, needed, lang)[ids[read]]
        # The runs of _scan_text cut into their pieces: term words with only stop words between
        # them, whose keys are linked in some term.
        terms = np.flatnonzero(codes == _TERM)
        numbers, linked = self._linked_numbers(lang)
        key_of = np.full(len(distinct), -1, dtype=np.int64)
        in_terms = np.unique(ids[terms]).tolist()
        key_of[in_terms] = [numbers[_key(distinct[i], lang)] for i in in_terms]
        not_stop = np.cumsum(codes != _STOP)
        pairs = key_of[ids[terms[:-1]]] * len(numbers) + key_of[ids[terms[1:]]]
        joined = (text_at[terms[1:]] == text_at[terms[:-1]]) & (not_stop[terms[1:] - 1] == not_stop[terms[:-1]]) \
            & np.isin(pairs, linked)
        first = np.flatnonzero(np.concatenate([[True], ~joined])) if len(terms) else terms
        length = np.diff(np.append(first, len(terms)))
        # Words scanned alone, by word; longer pieces by their words.
        alone = np.concatenate([np.flatnonzero((codes == _LOOSE) | (codes == _SOLO)), terms[first[length == 1]]])
        single, which = np.unique(ids[alone], return_inverse=True)
        yield self._placed(self._scanned(map(distinct.__getitem__, single.tolist()), lang, self._single),
                           which.reshape(-1), lambda unit, at: alone[unit] + at, hits)
        first, terms_list = first[length > 1], terms.tolist()
        keys = [tuple(words[p] for p in terms_list[a:b]) for a, b in zip(first.tolist(), (first + length[length > 1]).tolist())]
        pieces = {key: i for i, key in enumerate(dict.fromkeys(keys))}
        which = np.fromiter(map(pieces.__getitem__, keys), dtype=np.int64, count=len(keys))
        yield self._placed(self._scanned(pieces, lang, self._piece), which, lambda unit, at: terms[first[unit] + at], hits)

    @staticmethod
    def _placed(tables: list[tuple], which: np.ndarray, place, hits: list[ConceptHit]) -> tuple[tuple, tuple]:
        """The entries and cover of units ``tables[which]`` (see ``_scanned``) where they occur:
        ``place(occurrence, at)`` is the position of a unit's word ``at``."""
        offset = len(hits)
        for table in tables:
            hits += table[2]
        entries = np.concatenate([t[0] for t in tables]) if tables else np.zeros((0, 5), dtype=np.int64)
        unit, entry = _expand(which, np.array([len(t[0]) for t in tables], dtype=np.int64))
        cover = np.concatenate([t[1] for t in tables]) if tables else np.zeros((0, 2), dtype=np.int64)
        covered, at = _expand(which, np.array([len(t[1]) for t in tables], dtype=np.int64))
        return (place(unit, entries[entry, 0]), *(entries[entry, k] for k in range(1, 5)), entry + offset), \
            (place(covered, cover[at, 0]), cover[at, 1])

    def _scanned(self, keys: Iterable, lang: str, scan) -> list[tuple]:
        """``scan`` (``_single`` or ``_piece``) of each key as arrays (remembered): its entries'
        (at, size, exact, order, concept number) and cover (at, size), and its hits."""
        arrays, numbers = self._arrays[lang], self._concept_numbers
        tables = []
        for key in keys:
            found = arrays.get(key)
            if found is None:
                if len(arrays) > _RUNS_KEPT:
                    arrays.clear()
                entries, cover = scan(key, lang)
                found = arrays[key] = (
                    np.array([(at, size, exact, k, numbers[hit.concept])
                              for k, (at, size, hit, exact) in enumerate(entries)], dtype=np.int64).reshape(-1, 5),
                    np.array(cover, dtype=np.int64).reshape(-1, 2), tuple(e[2] for e in entries))
            tables.append(found)
        return tables

    def _states(self, distinct: list[str], needed: np.ndarray, lang: str) -> np.ndarray:
        """``_word_state`` of the distinct words ``needed`` (others: inert), by their number."""
        states = np.full(len(distinct), _INERT, dtype=np.uint8)
        known_states, word_state = self._state[lang], self._word_state
        states[needed] = [known_states[w] if w in known_states else word_state(w, lang)
                          for w in map(distinct.__getitem__, needed.tolist())]
        return states

    def _linked_numbers(self, lang: str) -> tuple[dict[str, int], np.ndarray]:
        """The keys of term words that stand next to another (a number each), and the pairs of
        ``_linked`` as ``first * len(numbers) + second``, sorted."""
        found = self._linked_arrays.get(lang)
        if found is None:
            numbers = {key: i for i, key in enumerate(sorted(self._joined[lang]))}
            pairs = sorted(numbers[a] * len(numbers) + numbers[b] for a, b in self._linked[lang])
            found = self._linked_arrays[lang] = (numbers, np.array(pairs, dtype=np.int64))
        return found

    def _excluded(self, batch: Words, text_at: np.ndarray) -> np.ndarray:
        """Which words of the batch their text excludes (``_excluded_positions``)."""
        excluded = np.zeros(len(batch.words), dtype=bool)
        opening = np.array([w in _EXCLUDING_FIRST for w in batch.distinct], dtype=bool)
        if opening.any():
            bounds = batch.bounds.tolist()
            for text in np.unique(text_at[opening[batch.ids]]).tolist():
                a, b = bounds[text], bounds[text + 1]
                excluded[[a + i for i in _excluded_positions(batch.words[a:b], batch.clauses[a:b].tolist())]] = True
        return excluded

    def _hits_of(self, hits: list[ConceptHit], hit: np.ndarray, clause: np.ndarray, text: np.ndarray,
                 texts: int) -> list[list[ConceptHit]]:
        """Each text's hits, ``hits[hit]`` noted in ``clause`` (one object per distinct hit, as
        ``tag_words`` makes them), with their broader concepts."""
        interned = self._hits
        if len(interned) > _RUNS_KEPT:
            interned.clear()
        clauses = int(clause.max(initial=0)) + 1
        pairs, which = np.unique(hit * clauses + clause, return_inverse=True)
        made = []
        for h, c in zip(*(p.tolist() for p in np.divmod(pairs, clauses))):
            key = (hits[h].concept, hits[h].words, hits[h].how, c)
            one = interned.get(key)
            made.append(one if one is not None else interned.setdefault(key, ConceptHit(*key)))
        flat = [made[i] for i in which.reshape(-1).tolist()]
        bounds = np.concatenate([[0], np.cumsum(np.bincount(text, minlength=texts))]).tolist()
        broader = self._broader_concepts
        return [self._with_broader(found) if not broader.isdisjoint([h.concept for h in found]) else found
                for found in (flat[a:b] for a, b in zip(bounds, bounds[1:]))]

    @cached_property
    def _concept_numbers(self) -> dict[str, int]:
        return {name: i for i, name in enumerate(self.concepts)}

    @cached_property
    def _broader_concepts(self) -> frozenset[str]:
        return frozenset(name for name, c in self.concepts.items() if c.broader)

    def _scan_text(self, words: list[str], lang: str, scanned: list, widest: dict[int, int]) -> None:
        """``_scan`` of a whole text's content words in ``lang``, done on the runs that can hold a
        term; appends ``(start, size, hit, exact)`` to ``scanned`` (positions in ``words``)
        and notes in ``widest`` the longest exact term covering each position.

        Most words of a listing are no term: one byte per word says what each is, and only runs of
        term words (stop words between them do not break a run, as the scan skips them) and words
        with loose hits are looked at."""
        state = self._state[lang]
        codes = list(map(state.get, words))
        if None in codes:
            codes = [self._word_state(w, lang) if c is None else c for w, c in zip(words, codes)]
        singles, linked, append = self._singles_scanned[lang], self._linked[lang], scanned.append
        for match in _RUNS.finditer(bytes(codes)):
            a, b = match.span()
            if b - a == 1:  # most runs are one word
                entries, cover = singles.get(words[a]) or self._single(words[a], lang)
                for _, _, hit, exact in entries:
                    append((a, 1, hit, exact))
                if cover and a not in widest:
                    widest[a] = 1
            else:
                # Cut the run where no term can span two neighbours (their keys are never neighbours
                # in a term, nor together in a term of free word order): the scan of each piece is
                # that of the run, and pieces repeat across texts far more than whole runs.
                positions = [i for i in range(a, b) if codes[i] == _TERM]
                keys = [_key(words[i], lang) for i in positions]
                cuts = [j for j in range(1, len(positions)) if (keys[j - 1], keys[j]) not in linked]
                for piece in [positions[i:j] for i, j in zip([0] + cuts, cuts + [len(positions)])]:
                    entries, cover = self._piece(tuple(words[i] for i in piece), lang)
                    for at, size, hit, exact in entries:
                        append((piece[at], size, hit, exact))
                    for at, size in cover:
                        if widest.get(piece[at], 0) < size:
                            widest[piece[at]] = size

    def _single(self, word: str, lang: str) -> tuple[tuple, tuple]:
        """The scan of a word alone, as ``_piece`` gives it; remembered per word."""
        found = self._singles_scanned[lang].get(word)
        if found is None:
            entries = tuple((0, 1, hit, hit.how in _EXACT) for _, _, hit in self._scan([word], lang))
            found = self._singles_scanned[lang][word] = (entries, ((0, 1),) if any(e[3] for e in entries) else ())
        return found

    def _piece(self, words: tuple[str, ...], lang: str) -> tuple[tuple, tuple]:
        """The scan of a piece of a run of term words (see ``_scan_text``), remembered per piece:
        ``(at, size, hit, exact)`` for each hit and ``(at, size)`` for the longest exact term
        covering each word, ``at`` counted in the piece's words."""
        found = self._pieces.get((lang, words))
        if found is None:
            if len(self._pieces) > _RUNS_KEPT:
                self._pieces.clear()
            entries, cover = [], {}
            for at, size, hit in self._scan(list(words), lang):
                exact = hit.how in _EXACT
                entries.append((at, size, hit, exact))
                for position in range(at, at + size) if exact else ():
                    cover[position] = max(cover.get(position, 0), size)
            found = self._pieces[(lang, words)] = (tuple(entries), tuple(cover.items()))
        return found

    def _word_state(self, word: str, lang: str) -> int:
        state = self._state[lang].get(word)
        if state is None:
            if len(self._state[lang]) > _WORDS_KEPT:  # a long-lived process reading endless typos
                self._state[lang].clear()
                self._singles_scanned[lang].clear()
            if word in STOPWORDS[lang]:
                state = _STOP
            elif _key(word, lang) in self._term_keys[lang] or word in self._surface[lang]:
                state = _TERM if _key(word, lang) in self._joined[lang] else _SOLO
            else:
                hits = self._loose_cache.get((word, lang))
                if hits is None:
                    hits = self._loose_cache[(word, lang)] = tuple(self._loose(word, _key(word, lang), lang))
                state = _LOOSE if hits else _INERT
            self._state[lang][word] = state
        return state

    def _with_broader(self, hits: list[ConceptHit]) -> list[ConceptHit]:
        """Each hit's broader concepts too, after the named ones ("skimmed milk powder" is also
        a milk powder), so a general request meets specific offers and the other way round."""
        named = {h.concept for h in hits}
        added: dict[str, ConceptHit] = {}
        for hit in hits:
            todo = list(self.concepts[hit.concept].broader)
            while todo:
                name = todo.pop(0)
                if name in named or name in added or name not in self.concepts:
                    continue
                added[name] = ConceptHit(name, hit.words, BROADER, hit.clause)
                todo += self.concepts[name].broader
        return hits + list(added.values())

    def _scan(self, words: list[str], lang: str) -> Iterable[tuple[int, int, ConceptHit]]:
        table, starts, unordered = self._tables[lang], self._starts[lang], self._unordered_words[lang]
        keys = [_key(w, lang) for w in words]
        term_keys, surface, loose_cache = self._term_keys[lang], self._surface[lang], self._loose_cache
        longest = self._longest[lang]
        i = 0
        while i < len(keys):
            if keys[i] not in term_keys and words[i] not in surface:
                hits = loose_cache.get((words[i], lang))
                if hits is None:
                    hits = loose_cache[(words[i], lang)] = tuple(self._loose(words[i], keys[i], lang))
                yield from ((i, 1, hit) for hit in hits)
                i += 1
                continue
            step, names, how = 1, None, "stem"
            if keys[i] in starts:
                for n in range(min(longest[keys[i]], _MAX_TERM_WORDS, len(keys) - i), 0, -1):
                    names = table.get(tuple(keys[i:i + n]))
                    if names:
                        step = n
                        break
            # The same words in another order, when that makes a longer term.
            pair = i + 1 < len(keys) and keys[i] in unordered and keys[i + 1] in unordered
            for n in range(min(_MAX_UNORDERED, len(keys) - i), step if names else 1, -1) if pair else ():
                if n == 2 or keys[i + 2] in unordered:
                    found = self._unordered[lang].get(tuple(sorted(keys[i:i + n])))
                    if found:
                        step, names, how = n, found, "word order"
                        break
            if step == 1 and words[i] in self._surface[lang]:  # "meja" is a table, not "kemeja"
                names, how = self._surface[lang][words[i]], "stem"
            if names:
                hits = [ConceptHit(c, " ".join(words[i:i + step]), how) for c in sorted(names)]
            else:
                hits = loose_cache.get((words[i], lang))
                if hits is None:
                    hits = loose_cache[(words[i], lang)] = tuple(self._loose(words[i], keys[i], lang))
            yield from ((i, step, hit) for hit in hits)
            i += step

    def _loose(self, word: str, key: str, lang: str) -> list[ConceptHit]:
        table = self._tables[lang]
        if lang == "ru":
            reduced = _RU_ADJECTIVE.sub("", _RU_ADJECTIVE_ENDING.sub("", key))
            for candidate in (reduced, _ru_key(reduced)):
                if candidate != key and (candidate,) in table:
                    return [ConceptHit(c, word, "form") for c in sorted(table[(candidate,)])]
        # English compounds ("cottonseed" -> "cotton"); Russian endings are the stemmer's job, and a
        # prefix there misleads ("гостиниц" is not "гостин(ая)").
        for cut in range(len(key) - 1, max(4, len(key) - 4), -1) if lang not in ("ru", "kk") else ():
            if (key[:cut],) in table:
                return [ConceptHit(c, word, "prefix") for c in sorted(table[(key[:cut],)])]
        # A word the dictionary knows is that word, not a typo of a term ("сидней" is no "сиденье").
        # Without a dictionary (English, Kazakh) real words looked like typos ("breeches" of
        # "beech", "boilers" of "broiler"), so only Russian and Indonesian readings take typos.
        if lang in DICTIONARIES and len(word) >= 5 and not word.isdigit() and not known(word, lang):
            near = self._typo(key, lang)
            if near and len(word) <= len(near) + 4:  # the stemmer, not the writer, made "jalan"
                return [ConceptHit(c, word, f"typo of {near}") for c in sorted(table[(near,)])]
        return []

    def _typo(self, key: str, lang: str) -> str | None:
        if (key, lang) not in self._typo_cache:
            best = process.extractOne(key, self._singles[lang].get(key[:1], ()), scorer=fuzz.ratio,
                                      score_cutoff=_TYPO_CUTOFF)
            near = best[0] if best else None
            # One letter more or less is a quarter of a four-letter word ("serat" is fibre, not
            # "seat"): a short term takes only a doubled letter ("jatti" for "jati"). A term that
            # only adds or drops an ending is another word ("singlet" is not "single", "turbot"
            # not "turbo"); longer forms are the prefix rule's and the stemmer's job.
            if near and (len(near) < 5 and _DOUBLED.sub(r"\1", key) != near
                         or near.startswith(key) or key.startswith(near)):
                near = None
            self._typo_cache[(key, lang)] = near
        return self._typo_cache[(key, lang)]


def _expand(which: np.ndarray, lengths: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For occurrences of table rows ``which`` (row ``i`` holding ``lengths[i]`` entries, stored one
    row after another): each (occurrence, entry) pair, as two arrays."""
    per = lengths[which]
    occurrence = np.repeat(np.arange(len(which), dtype=np.int64), per)
    first = (np.cumsum(lengths) - lengths)[which]
    entry = np.repeat(first - (np.cumsum(per) - per), per) + np.arange(int(per.sum()), dtype=np.int64)
    return occurrence, entry


def _excluded_positions(words: list[str], clauses: list[int]) -> set[int]:
    """Word positions after "excluding", «за исключением», "tidak termasuk"... up to the clause's
    end: what a text excludes is not what it names ("Fish, fresh, excluding fish fillets")."""
    positions: set[int] = set()
    if _EXCLUDING_FIRST.isdisjoint(words):
        return positions  # most texts exclude nothing: skip the scan
    start = 0
    while start < len(words):
        stop = start
        while stop < len(words) and clauses[stop] == clauses[start]:
            stop += 1
        for i in range(start, stop):
            if words[i] in _EXCLUDING or (i + 1 < stop and (words[i], words[i + 1]) in _EXCLUDING):
                positions.update(range(i, stop))
                break
        start = stop
    return positions


def _concept(entry: Mapping, sector: str) -> Concept:
    terms = {lang: tuple(str(t).strip().lower() for t in entry.get(lang, ()) if str(t).strip())
             for lang in LANGUAGES}
    hs = tuple("".join(ch for ch in str(code) if ch.isdigit()) for code in entry.get("hs", ()))
    broader = tuple(str(name) for name in entry.get("broader", ()))
    return Concept(str(entry["concept"]), sector, tuple(code for code in hs if code), terms, broader)


def _fingerprint(directory: Path) -> tuple:
    if not directory.is_dir():
        return ()
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.json")))


_loading = threading.Lock()
_loaded: tuple[tuple, ConceptVocabulary] | None = None  # ((folder, its files' fingerprint), vocabulary)


def default_vocabulary() -> ConceptVocabulary:
    """The team's vocabulary from ``concepts/*.json``, read again when a file changes.

    Built once even when many request threads ask for it at the same moment: building takes a
    while, and each thread building its own would multiply that time and memory.
    """
    global _loaded
    fingerprint = (str(CONCEPTS_DIR), _fingerprint(CONCEPTS_DIR))
    loaded = _loaded
    if loaded is None or loaded[0] != fingerprint:
        with _loading:
            loaded = _loaded  # another thread may have built it while this one waited
            if loaded is None or loaded[0] != fingerprint:
                loaded = _loaded = (fingerprint, ConceptVocabulary.load(CONCEPTS_DIR))
    return loaded[1]
