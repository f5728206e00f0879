"""Explanations: every component's value, weight and contribution, adding up to the score shown.

The score shown is a grade (``grade.py``): the weighted sum of the components mapped onto a scale
where 85 is a perfect fit. Each component's contribution is its share of that grade, rounded to
whole points with the largest-remainder method, so the points a user reads add up exactly to the
grade they see next to them.

Each component's detail is kept twice: as English text (``detail``, for the CLI and logs) and as
``phrases``, English templates with their values, so the web interface can show it translated
without the engine knowing about translations. Concepts in a phrase are :class:`Term` values, named
in the reader's language by the concept vocabulary when the phrase is rendered.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Mapping, Sequence, Union

from matchmaker.vocabulary import N_

from matchmaker.matching.grade import MINIMUM_GRADE

__all__ = ["Phrase", "Term", "Component", "Explanation", "Match", "DECIMALS", "POINTS", "score_units",
           "render_detail"]

DECIMALS = 3          # of the raw weighted score, which ranks
_SCALE = 10 ** DECIMALS
POINTS = 100          # the grade and its parts are shown in whole points out of 100


def score_units(values_and_weights: Sequence[tuple[float, float]]) -> int:
    """The raw weighted score in thousandths; ranking uses this (then the id), and the grade shown
    is a monotone function of it, so shown grades never go up down a list."""
    return round(sum(value * weight * _SCALE for value, weight in values_and_weights))


def _identity(text: str) -> str:
    return text


def _plain_name(concept: str) -> str:
    return concept.replace("_", " ")


@dataclass(frozen=True)
class Term:
    """A concept of the vocabulary inside a phrase: stored by id, shown by name in the reader's
    language (``ConceptVocabulary.label``); without a namer, the id with spaces."""

    concept: str


@dataclass(frozen=True)
class Phrase:
    """A sentence template (an English msgid, marked with ``N_``) and the values to put in it.

    Values are strings and numbers (formatted as the template says, so ``{ratio:.0f}`` stays a
    rounded number in every language), nested phrases (translated too), concepts (:class:`Term`,
    named in the reader's language), or tuples of those, joined with ", " (lists work too, but are
    read back as tuples). Strings are data (codes, words, titles) and are never translated.

    >>> p = Phrase("shared: {items}; {rest}", {"items": ("a", "b"), "rest": Phrase("{x:.1f} left", {"x": 2})})
    >>> p.render()
    'shared: a, b; 2.0 left'
    >>> Phrase.from_dict(p.to_dict()) == p
    True
    >>> Phrase("Both are about {concepts}", {"concepts": (Term("dining_chair"),)}).render()
    'Both are about dining chair'
    """

    template: str
    # Left out of the hash: a dict cannot be hashed, and equal phrases still hash alike.
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # No validation or copying here on purpose: the engine builds phrases for every candidate
    # pair it scores, so a phrase must cost no more than the f-string it replaced.

    def render(self, translate: Callable[[str], str] = _identity,
               name: Callable[[str], str] = _plain_name) -> str:
        """The sentence, with this template and every nested one passed through ``translate`` and
        every concept through ``name``."""
        return translate(self.template).format(**{key: _rendered(v, translate, name)
                                                   for key, v in self.params.items()})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"template": str, "params": {name: value}}``, nested phrases as dicts,
        concepts as ``{"concept": id}``."""
        def plain(item: Any) -> Any:
            if isinstance(item, Phrase):
                return item.to_dict()
            if isinstance(item, Term):
                return {"concept": item.concept}
            if isinstance(item, (tuple, list)):
                return [plain(part) for part in item]
            return item
        return {"template": self.template, "params": {key: plain(v) for key, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Phrase":
        def parse(item: Any) -> Any:
            if isinstance(item, Mapping):
                return Term(item["concept"]) if "concept" in item else cls.from_dict(item)
            if isinstance(item, list):
                return tuple(parse(part) for part in item)
            return item
        return cls(data["template"], {key: parse(v) for key, v in data.get("params", {}).items()})


def _rendered(item: Any, translate: Callable[[str], str], name: Callable[[str], str]) -> Any:
    """A phrase's value as it goes into its template (see ``Phrase.render``)."""
    if isinstance(item, Phrase):
        return item.render(translate, name)
    if isinstance(item, Term):
        return name(item.concept)
    if isinstance(item, (tuple, list)):
        return ", ".join([str(_rendered(part, translate, name)) for part in item])
    return item


NONE = Phrase(N_("none"))  # an empty list in a detail ("shared words: none")
Detail = Union[str, Phrase, Sequence[Phrase]]  # what a component's detail is built from


def _phrases(detail: Detail) -> tuple[Phrase, ...]:
    if isinstance(detail, str):
        return ()
    return (detail,) if isinstance(detail, Phrase) else tuple(detail)


def render_detail(detail: Detail, translate: Callable[[str], str] = _identity,
                  name: Callable[[str], str] = _plain_name) -> str:
    """A detail as one sentence: its phrases rendered and joined with "; " (text as it is)."""
    if isinstance(detail, str):
        return detail
    return "; ".join(phrase.render(translate, name) for phrase in _phrases(detail))


@dataclass(frozen=True)
class Component:
    """One named part of a score: ``value * weight`` is its part of the raw score; ``contribution``
    is its share of the grade, in hundredths rounded to whole points so the parts add up."""

    name: str
    label: str
    value: float
    weight: float
    contribution: float
    detail: str  # in English
    phrases: tuple[Phrase, ...] = ()  # the same detail, translatable; empty when built from text

    def to_dict(self) -> dict[str, Any]:
        plain = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "phrases"}
        return {**plain, "phrases": [phrase.to_dict() for phrase in self.phrases]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Component":
        """Also reads dicts stored before phrases existed: those keep only their English detail."""
        plain = {key: value for key, value in data.items() if key != "phrases"}
        return cls(**plain, phrases=tuple(Phrase.from_dict(p) for p in data.get("phrases") or ()))


@dataclass(frozen=True)
class Explanation:
    """Why a product and a request match (or not).

    ``score`` is the grade (0..1, shown as points out of 100), ``raw`` the weighted sum it comes
    from; ``evidence`` names what shows the products agree (``concept``, ``hs``, ``text``) and
    ``excluded`` the hard constraints the pair breaks.

    >>> e = Explanation.from_parts([("text", "Text", 0.5, 0.5, "d"), ("fit", "Fit", 1 / 3, 0.5, "d")])
    >>> e.score, e.raw, [c.contribution for c in e.components]
    (0.42, 0.417, [0.25, 0.17])
    >>> Explanation.from_dict(e.to_dict()) == e
    True
    """

    score: float
    components: tuple[Component, ...]
    excluded: tuple[str, ...] = ()
    raw: float | None = None
    evidence: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        """No hard constraint is broken."""
        return not self.excluded

    @property
    def proposed(self) -> bool:
        """Eligible, the products agree, and the grade reaches the minimum: a pair worth showing."""
        return self.eligible and bool(self.evidence) and self.score >= MINIMUM_GRADE

    @classmethod
    def from_parts(cls, parts: Sequence[tuple[str, str, float, float, Detail]],
                   excluded: Sequence[str] = (), *, grade: Callable[[float], float] = _identity,
                   evidence: Sequence[str] = (), name: Callable[[str], str] = _plain_name) -> "Explanation":
        """Build from raw ``(name, label, value, weight, detail)``, the detail a phrase, a sequence
        of phrases or plain text. ``grade`` maps the raw weighted sum to the score shown; every part
        is scaled alike and rounded so the figures add up. ``name`` names concepts in ``detail``."""
        raw_units = score_units([(value, weight) for _, _, value, weight, _ in parts])
        raw = raw_units / _SCALE
        total = round(grade(raw) * POINTS)
        factor = total / (raw_units / _SCALE * POINTS) if raw_units else 0.0
        shares = [value * weight * POINTS * factor for _, _, value, weight, _ in parts]
        units = [math.floor(share + 1e-9) for share in shares]
        by_remainder = sorted(range(len(shares)), key=lambda i: (-(shares[i] - units[i]), i))
        for i in by_remainder[:max(0, total - sum(units))]:
            units[i] += 1
        components = tuple(
            Component(part, label, round(value, DECIMALS), weight, units[i] / POINTS,
                      render_detail(detail, name=name), _phrases(detail))
            for i, (part, label, value, weight, detail) in enumerate(parts))
        return cls(total / POINTS, components, tuple(excluded), raw, tuple(evidence))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"score", "raw", "eligible", "evidence", "excluded", "components": [{name,
        label, value, weight, contribution, detail, phrases: [{template, params}, ...]}, ...]}``."""
        return {"score": self.score, "raw": self.raw, "eligible": self.eligible,
                "evidence": list(self.evidence), "excluded": list(self.excluded),
                "components": [c.to_dict() for c in self.components]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Explanation":
        """Also reads explanations stored before grades (no ``raw``, no ``evidence``)."""
        return cls(float(data["score"]), tuple(Component.from_dict(c) for c in data["components"]),
                   tuple(data.get("excluded", ())), data.get("raw"), tuple(data.get("evidence", ())))

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)


@dataclass(frozen=True)
class Match:
    """One ranked result: ``score`` equals ``explanation.score``."""

    demand_id: str
    product_id: str
    score: float
    explanation: Explanation
