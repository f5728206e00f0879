"""The cross-lingual bridge: find the team's product concepts in English, Indonesian or Russian text.

The vocabulary lives in ``concepts/*.json`` (one file per sector, written and reviewed by the team).
Terms and texts go through the same stemming, so "тикового дерева" meets the term "тиковое дерево"
and "pakaian" meets "pakai". Beyond exact stems we accept, for a single word, Russian adjective and
fleeting-vowel forms ("хлопковая", "хлопка" for "хлопок"), a longer Latin word that starts with a
term ("cottonseed"), and a typo close to a term ("jatti" for "jati"); each such hit says how it matched.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping

from rapidfuzz import fuzz, process

from matchmaker.matching.normalise import STOPWORDS, detect_language, stem, tokens

__all__ = ["Concept", "ConceptHit", "ConceptVocabulary", "default_vocabulary", "CONCEPTS_DIR"]

CONCEPTS_DIR = Path(__file__).with_name("concepts")
LANGUAGES = ("en", "id", "ru")
_MAX_TERM_WORDS = 5
_TYPO_CUTOFF = 86
_RU_FLEETING = re.compile(r"(?<=[бвгджзклмнпрстфхцчшщ])[оеё](?=[кц]$)")
_RU_ADJECTIVE = re.compile(r"(?<=..[^аеиоуыэюя])(ов|ев|н)$")


@dataclass(frozen=True)
class Concept:
    """One product idea with its HS prefixes and its words in each language."""

    name: str
    sector: str
    hs: tuple[str, ...] = ()
    terms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class ConceptHit:
    """Where a concept was found: the words of the text, and how they matched (stem, prefix, typo)."""

    concept: str
    words: str
    how: str = "stem"


def _ru_key(word_stem: str) -> str:
    return _RU_FLEETING.sub("", word_stem)


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
                c = Concept(c.name, old.sector, tuple(dict.fromkeys(old.hs + c.hs)), terms)
            self.concepts[c.name] = c
        self._tables: dict[str, dict[tuple[str, ...], set[str]]] = {lang: {} for lang in LANGUAGES}
        for c in self.concepts.values():
            for lang in LANGUAGES:
                for term in c.terms.get(lang, ()):
                    key = tuple(_key(w, lang) for w in _content_words(term, lang))
                    if key:
                        self._tables[lang].setdefault(key, set()).add(c.name)
        self._singles = {lang: sorted(k[0] for k in table if len(k) == 1 and len(k[0]) >= 4)
                         for lang, table in self._tables.items()}
        self._starts = {lang: {k[0] for k in table} for lang, table in self._tables.items()}
        self._typo_cache: dict[tuple[str, str], str | None] = {}

    @classmethod
    def from_entries(cls, entries: Iterable[Mapping], *, sector: str = "other") -> "ConceptVocabulary":
        """Build from dicts shaped like the JSON files (``concept``, ``hs``, ``en``, ``id``, ``ru``)."""
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

    def tag(self, text: str | None) -> list[ConceptHit]:
        """Concepts mentioned in ``text``, each once, in order of first mention."""
        words = tokens(text)
        if not words:
            return []
        lang = detect_language(words)
        # Latin text is tried as both English and Indonesian: titles often mix them.
        languages = ("ru",) if lang == "ru" else ("en", "id")
        found: dict[str, ConceptHit] = {}
        for lang in languages:
            content = [w for w in words if w not in STOPWORDS[lang]]
            for hit in self._scan(content, lang):
                found.setdefault(hit.concept, hit)
        return list(found.values())

    def _scan(self, words: list[str], lang: str) -> Iterable[ConceptHit]:
        table, starts = self._tables[lang], self._starts[lang]
        keys = [_key(w, lang) for w in words]
        i = 0
        while i < len(keys):
            step, hits = 1, ()
            if keys[i] in starts:
                for n in range(min(_MAX_TERM_WORDS, len(keys) - i), 0, -1):
                    names = table.get(tuple(keys[i:i + n]))
                    if names:
                        step, hits = n, [ConceptHit(c, " ".join(words[i:i + n])) for c in sorted(names)]
                        break
            if not hits:
                hits = self._loose(words[i], keys[i], lang)
            yield from hits
            i += step

    def _loose(self, word: str, key: str, lang: str) -> list[ConceptHit]:
        table = self._tables[lang]
        if lang == "ru":
            reduced = _RU_ADJECTIVE.sub("", key)
            for candidate in (reduced, _ru_key(reduced)):
                if candidate != key and (candidate,) in table:
                    return [ConceptHit(c, word, "form") for c in sorted(table[(candidate,)])]
        # English compounds ("cottonseed" -> "cotton"); Russian endings are the stemmer's job, and a
        # prefix there misleads ("гостиниц" is not "гостин(ая)").
        for cut in range(len(key) - 1, max(4, len(key) - 4), -1) if lang != "ru" else ():
            if (key[:cut],) in table:
                return [ConceptHit(c, word, "prefix") for c in sorted(table[(key[:cut],)])]
        if len(word) >= 5 and not word.isdigit():
            near = self._typo(key, lang)
            if near:
                return [ConceptHit(c, word, f"typo of {near}") for c in sorted(table[(near,)])]
        return []

    def _typo(self, key: str, lang: str) -> str | None:
        if (key, lang) not in self._typo_cache:
            best = process.extractOne(key, self._singles[lang], scorer=fuzz.ratio,
                                      score_cutoff=_TYPO_CUTOFF)
            self._typo_cache[(key, lang)] = best[0] if best else None
        return self._typo_cache[(key, lang)]


def _concept(entry: Mapping, sector: str) -> Concept:
    terms = {lang: tuple(str(t).strip().lower() for t in entry.get(lang, ()) if str(t).strip())
             for lang in LANGUAGES}
    hs = tuple("".join(ch for ch in str(code) if ch.isdigit()) for code in entry.get("hs", ()))
    return Concept(str(entry["concept"]), sector, tuple(code for code in hs if code), terms)


def _fingerprint(directory: Path) -> tuple:
    if not directory.is_dir():
        return ()
    return tuple((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in sorted(directory.glob("*.json")))


@lru_cache(maxsize=4)
def _load_cached(directory: str, fingerprint: tuple) -> ConceptVocabulary:
    return ConceptVocabulary.load(directory)


def default_vocabulary() -> ConceptVocabulary:
    """The team's vocabulary from ``concepts/*.json``, re-read when a file changes."""
    return _load_cached(str(CONCEPTS_DIR), _fingerprint(CONCEPTS_DIR))
