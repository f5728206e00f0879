"""Many records read at once: the profiles ``profile.build_profile`` gives, for a fraction of the work.

Reading records one by one repeats the same steps for every occurrence of a word: its language
clues, whether it is a stop word, its stem, what the concept scan makes of it. Here a batch's texts
are split into words together (``normalise.clause_tokens_many``), each distinct word of the batch is
looked at once, each distinct piece of a run of term words is scanned once
(``ConceptVocabulary.tag_many``), and the rest is numpy over arrays of word numbers. An index needs
only the counts of each text's stems and spelled words, so ``read_slim`` hands those over as arrays
(``Tokens``) instead of building a tuple of strings per text.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from matchmaker.matching.concepts import ConceptVocabulary
from matchmaker.matching.normalise import Words, clause_tokens_many, detect_languages, stem
from matchmaker.matching.profile import _STOP, _STOP_RU, Profile, Record, _profile, build_profile

__all__ = ["Tokens", "read_profiles", "read_slim"]


@dataclass(frozen=True)
class Tokens:
    """The tokens of many texts, one after the other: each is ``names[ids[i]]`` and belongs to text
    ``text_at[i]`` (``text_at`` ascending)."""

    ids: np.ndarray
    names: list[str]
    text_at: np.ndarray
    texts: int

    def per_text(self) -> list[tuple[str, ...]]:
        """Each text's tokens as a tuple of strings."""
        values = [self.names[i] for i in self.ids.tolist()]
        bounds = [0] + np.cumsum(np.bincount(self.text_at, minlength=self.texts)).tolist()
        return [tuple(values[a:b]) for a, b in zip(bounds, bounds[1:])]

    def with_texts(self, replaced: dict[int, tuple[str, ...]]) -> "Tokens":
        """The same tokens, but text ``i``'s are ``replaced[i]``."""
        if not replaced:
            return self
        names = {name: i for i, name in enumerate(self.names)}
        for tokens in replaced.values():
            for token in tokens:
                names.setdefault(token, len(names))
        kept = ~np.isin(self.text_at, list(replaced))
        ids = np.concatenate([self.ids[kept], [names[t] for texts in replaced.values() for t in texts]])
        text_at = np.concatenate([self.text_at[kept], [i for i, texts in replaced.items() for _ in texts]])
        order = np.argsort(text_at, kind="stable")
        return Tokens(ids[order].astype(np.int64), list(names), text_at[order].astype(np.int64), self.texts)


def read_profiles(records: Sequence[Record], vocabulary: ConceptVocabulary) -> list[Profile]:
    """``build_profile`` of each record, read as one batch.

    >>> from matchmaker.matching.records import Product
    >>> records = [Product("p", "Frozen shrimps, 20 kg"), Product("q", "Креветки с/м", language="ru")]
    >>> read_profiles(records, ConceptVocabulary([])) == [build_profile(r, ConceptVocabulary([])) for r in records]
    True
    """
    profiles, stems, spelled = _read(records, vocabulary, keep_tokens=True)
    return profiles


def read_slim(records: Sequence[Record], vocabulary: ConceptVocabulary) -> tuple[list[Profile], Tokens, Tokens]:
    """The records' profiles without their words and spelled words (``words`` and ``spelled`` are
    empty), and those as ``Tokens``: what an index keeps of a catalogue and what it counts.

    >>> from matchmaker.matching.records import Product
    >>> profiles, stems, spelled = read_slim([Product("p", "Frozen shrimps, 20 kg")], ConceptVocabulary([]))
    >>> profiles[0].words, stems.per_text(), spelled.per_text()
    ((), [('frozen', 'shrimp', '20', 'kg')], [('frozen', 'shrimps', 'kg')])
    """
    return _read(records, vocabulary, keep_tokens=False)


def _read(records: Sequence[Record], vocabulary: ConceptVocabulary, *,
          keep_tokens: bool) -> tuple[list[Profile], Tokens, Tokens]:
    texts = [f"{r.title}; {r.description or ''}" for r in records]
    batch = clause_tokens_many(texts)
    detected = detect_languages(batch)
    languages = [r.language or d for r, d in zip(records, detected)]
    stems, spelled = _tokens_many(batch, languages)
    # A text with a Greek capital sigma has other words as a whole than as clauses (see
    # profile._text_words): such a rare record is read on its own.
    alone = {i: build_profile(records[i], vocabulary) for i, text in enumerate(texts) if "Σ" in text}
    if alone:
        stems = stems.with_texts({i: p.words for i, p in alone.items()})
        spelled = spelled.with_texts({i: p.spelled for i, p in alone.items()})
    per_text = (stems.per_text(), spelled.per_text()) if keep_tokens else ([()] * len(records),) * 2
    profiles = [_profile(record, language, words, spelling, tuple(hits), vocabulary) for record, language, words,
                spelling, hits in zip(records, languages, *per_text, vocabulary.tag_many(batch, detected))]
    for i, profile in alone.items():
        profiles[i] = profile if keep_tokens else replace(profile, words=(), spelled=())
    return profiles, stems, spelled


def _tokens_many(batch: Words, languages: list[str]) -> tuple[Tokens, Tokens]:
    """``profile._tokens`` of each text of a batch in its language, as ``Tokens``: the stems of its
    content words, and those words without the figures. Stop words and stems are looked up once per
    distinct word and language."""
    text_at = batch.text_of()
    stem_at = np.zeros(len(batch.words), dtype=np.int64)
    content = np.zeros(len(batch.words), dtype=bool)
    stems: dict[str, int] = {}
    codes = {language: i for i, language in enumerate(dict.fromkeys(languages))}
    language_at = np.array([codes[language] for language in languages], dtype=np.int64)[text_at]
    for language, code in codes.items():
        at = np.flatnonzero(language_at == code)
        stop = _STOP.get(language, _STOP_RU)
        kept = [i for i in np.unique(batch.ids[at]).tolist() if batch.distinct[i] not in stop]
        stem_of = np.full(len(batch.distinct), -1, dtype=np.int64)
        stem_of[kept] = [stems.setdefault(stem(batch.distinct[i], language), len(stems)) for i in kept]
        stem_at[at] = stem_of[batch.ids[at]]
        content[at] = stem_of[batch.ids[at]] >= 0
    spelled = content & ~np.array([w.isdigit() for w in batch.distinct], dtype=bool)[batch.ids]
    return Tokens(stem_at[content], list(stems), text_at[content], len(batch)), \
        Tokens(batch.ids[spelled], batch.distinct, text_at[spelled], len(batch))
