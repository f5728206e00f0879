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
from typing import Iterable, Mapping

from rapidfuzz import fuzz, process

from matchmaker.matching.morphology import DICTIONARIES, known
from matchmaker.matching.normalise import CLAUSE, STOPWORDS, clause_tokens, detect_language, stem, tokens

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
_RUNS = re.compile(rb"[\x02\x04]|\x03(?:\x00*\x03)*")
_RUNS_KEPT = 200_000  # scans of runs of term words remembered per vocabulary
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
        self._runs: dict[tuple, tuple] = {}
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
        languages = {"ru": ("ru",), "kk": ("kk", "ru")}.get(lang, ("en", "id"))
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

    def _scan_text(self, words: list[str], lang: str, scanned: list, widest: dict[int, int]) -> None:
        """``_scan`` of a whole text's content words in ``lang``, done on the runs that can hold a
        term; appends ``(start, size, hit, exact)`` to ``scanned`` (positions in ``words``)
        and notes in ``widest`` the longest exact term covering each position.

        Most words of a listing are no term: one byte per word says what each is, and only runs of
        term words (stop words between them do not break a run, as the scan skips them) and words
        with loose hits are looked at. A run's scan depends on its words only (no term spans a word
        that is no term), so it is remembered."""
        state = self._state[lang]
        codes = list(map(state.get, words))
        if None in codes:
            codes = [self._word_state(w, lang) if c is None else c for w, c in zip(words, codes)]
        runs, linked, singles, append = self._runs, self._linked[lang], self._singles_scanned[lang], scanned.append
        for match in _RUNS.finditer(bytes(codes)):
            a, b = match.span()
            if b - a == 1:  # most runs are one word
                entries = singles.get(words[a])
                if entries is None:
                    entries = singles[words[a]] = tuple((hit, hit.how in _EXACT)
                                                        for _, _, hit in self._scan([words[a]], lang))
                for hit, exact in entries:
                    append((a, 1, hit, exact))
                    if exact and a not in widest:
                        widest[a] = 1
                continue
            # Cut the run where no term can span two neighbours (their keys are never neighbours
            # in a term, nor together in a term of free word order): the scan of each piece is
            # that of the run, and pieces repeat across texts far more than whole runs.
            positions = [i for i in range(a, b) if codes[i] == _TERM]
            keys = [_key(words[i], lang) for i in positions]
            cuts = [j for j in range(1, len(positions)) if (keys[j - 1], keys[j]) not in linked]
            pieces = [positions[i:j] for i, j in zip([0] + cuts, cuts + [len(positions)])]
            for positions in pieces:
                run = (lang, tuple(words[i] for i in positions))
                entries = runs.get(run)
                if entries is None:
                    if len(runs) > _RUNS_KEPT:
                        runs.clear()
                    entries = runs[run] = tuple((at, size, hit, hit.how in _EXACT)
                                                for at, size, hit in self._scan(list(run[1]), lang))
                for at, size, hit, exact in entries:
                    append((positions[at], size, hit, exact))
                    if exact:
                        for position in positions[at:at + size]:
                            if widest.get(position, 0) < size:
                                widest[position] = size

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
