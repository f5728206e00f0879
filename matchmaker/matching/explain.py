"""Explanations: every component's value, weight and contribution, adding up to the score shown.

Contributions are rounded with the largest-remainder method, so the rounded contributions a user
reads add up exactly to the rounded score they see next to them.

Each component's detail is kept twice: as English text (``detail``, for the CLI and logs) and as
``phrases``, English templates with their values, so the web interface can show it translated
without the engine knowing about translations.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Mapping, Sequence, Union

from matchmaker.vocabulary import N_

__all__ = ["Phrase", "Component", "Explanation", "Match", "DECIMALS", "score_units", "render_detail"]

DECIMALS = 3
_SCALE = 10 ** DECIMALS


def score_units(values_and_weights: Sequence[tuple[float, float]]) -> int:
    """The score shown, in thousandths; ranking uses this so equal shown scores tie, then by id."""
    return round(sum(value * weight * _SCALE for value, weight in values_and_weights))


def _identity(text: str) -> str:
    return text


@dataclass(frozen=True)
class Phrase:
    """A sentence template (an English msgid, marked with ``N_``) and the values to put in it.

    Values are strings and numbers (formatted as the template says, so ``{ratio:.0f}`` stays a
    rounded number in every language), nested phrases (translated too), or tuples of those, joined
    with ", " (lists work too, but are read back as tuples). Strings are data (codes, words,
    titles) and are never translated.

    >>> p = Phrase("shared: {items}; {rest}", {"items": ("a", "b"), "rest": Phrase("{x:.1f} left", {"x": 2})})
    >>> p.render()
    'shared: a, b; 2.0 left'
    >>> Phrase.from_dict(p.to_dict()) == p
    True
    """

    template: str
    # Left out of the hash: a dict cannot be hashed, and equal phrases still hash alike.
    params: Mapping[str, Any] = field(default_factory=dict, hash=False)
    # No validation or copying here on purpose: the engine builds phrases for every candidate
    # pair it scores, so a phrase must cost no more than the f-string it replaced.

    def render(self, translate: Callable[[str], str] = _identity) -> str:
        """The sentence, with this template and every nested one passed through ``translate``."""
        def value(item: Any) -> Any:
            if isinstance(item, Phrase):
                return item.render(translate)
            if isinstance(item, (tuple, list)):
                return ", ".join(str(value(part)) for part in item)
            return item
        return translate(self.template).format(**{key: value(v) for key, v in self.params.items()})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"template": str, "params": {name: value}}``, nested phrases as dicts."""
        def plain(item: Any) -> Any:
            if isinstance(item, Phrase):
                return item.to_dict()
            if isinstance(item, (tuple, list)):
                return [plain(part) for part in item]
            return item
        return {"template": self.template, "params": {key: plain(v) for key, v in self.params.items()}}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Phrase":
        def parse(item: Any) -> Any:
            if isinstance(item, Mapping):
                return cls.from_dict(item)
            if isinstance(item, list):
                return tuple(parse(part) for part in item)
            return item
        return cls(data["template"], {key: parse(v) for key, v in data.get("params", {}).items()})


NONE = Phrase(N_("none"))  # an empty list in a detail ("shared words: none")
Detail = Union[str, Phrase, Sequence[Phrase]]  # what a component's detail is built from


def _phrases(detail: Detail) -> tuple[Phrase, ...]:
    if isinstance(detail, str):
        return ()
    return (detail,) if isinstance(detail, Phrase) else tuple(detail)


def render_detail(detail: Detail, translate: Callable[[str], str] = _identity) -> str:
    """A detail as one sentence: its phrases rendered and joined with "; " (text as it is)."""
    if isinstance(detail, str):
        return detail
    return "; ".join(phrase.render(translate) for phrase in _phrases(detail))


@dataclass(frozen=True)
class Component:
    """One named part of a score: ``contribution`` is ``value * weight``, rounded to add up."""

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

    >>> e = Explanation.from_parts([("text", "Text", 0.5, 0.5, "d"), ("fit", "Fit", 1 / 3, 0.5, "d")])
    >>> e.score, [c.contribution for c in e.components]
    (0.417, [0.25, 0.167])
    >>> Explanation.from_dict(e.to_dict()) == e
    True
    """

    score: float
    components: tuple[Component, ...]
    excluded: tuple[str, ...] = ()

    @property
    def eligible(self) -> bool:
        return not self.excluded

    @classmethod
    def from_parts(cls, parts: Sequence[tuple[str, str, float, float, Detail]],
                   excluded: Sequence[str] = ()) -> "Explanation":
        """Build from raw ``(name, label, value, weight, detail)``, the detail a phrase, a sequence
        of phrases or plain text; rounds so the figures add up."""
        scale = _SCALE
        raw = [value * weight * scale for _, _, value, weight, _ in parts]
        total = score_units([(value, weight) for _, _, value, weight, _ in parts])
        units = [math.floor(r + 1e-9) for r in raw]
        by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - units[i]), i))
        for i in by_remainder[:max(0, total - sum(units))]:
            units[i] += 1
        components = tuple(
            Component(name, label, round(value, DECIMALS), weight, units[i] / scale,
                      render_detail(detail), _phrases(detail))
            for i, (name, label, value, weight, detail) in enumerate(parts))
        return cls(total / scale, components, tuple(excluded))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"score", "eligible", "excluded", "components": [{name, label, value,
        weight, contribution, detail, phrases: [{template, params}, ...]}, ...]}``."""
        return {"score": self.score, "eligible": self.eligible, "excluded": list(self.excluded),
                "components": [c.to_dict() for c in self.components]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Explanation":
        return cls(float(data["score"]), tuple(Component.from_dict(c) for c in data["components"]),
                   tuple(data.get("excluded", ())))

    def component(self, name: str) -> Component:
        return next(c for c in self.components if c.name == name)


@dataclass(frozen=True)
class Match:
    """One ranked result: ``score`` equals ``explanation.score``."""

    demand_id: str
    product_id: str
    score: float
    explanation: Explanation
