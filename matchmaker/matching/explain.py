"""Explanations: every component's value, weight and contribution, adding up to the score shown.

Contributions are rounded with the largest-remainder method, so the rounded contributions a user
reads add up exactly to the rounded score they see next to them.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping, Sequence

__all__ = ["Component", "Explanation", "Match", "DECIMALS", "score_units"]

DECIMALS = 3
_SCALE = 10 ** DECIMALS


def score_units(values_and_weights: Sequence[tuple[float, float]]) -> int:
    """The score shown, in thousandths; ranking uses this so equal shown scores tie, then by id."""
    return round(sum(value * weight * _SCALE for value, weight in values_and_weights))


@dataclass(frozen=True)
class Component:
    """One named part of a score: ``contribution`` is ``value * weight``, rounded to add up."""

    name: str
    label: str
    value: float
    weight: float
    contribution: float
    detail: str


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
    def from_parts(cls, parts: Sequence[tuple[str, str, float, float, str]],
                   excluded: Sequence[str] = ()) -> "Explanation":
        """Build from raw ``(name, label, value, weight, detail)``; rounds so the figures add up."""
        scale = _SCALE
        raw = [value * weight * scale for _, _, value, weight, _ in parts]
        total = score_units([(value, weight) for _, _, value, weight, _ in parts])
        units = [math.floor(r + 1e-9) for r in raw]
        by_remainder = sorted(range(len(raw)), key=lambda i: (-(raw[i] - units[i]), i))
        for i in by_remainder[:max(0, total - sum(units))]:
            units[i] += 1
        components = tuple(
            Component(name, label, round(value, DECIMALS), weight, units[i] / scale, detail)
            for i, (name, label, value, weight, detail) in enumerate(parts))
        return cls(total / scale, components, tuple(excluded))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"score", "eligible", "excluded", "components": [{name, label, value,
        weight, contribution, detail}, ...]}``."""
        return {"score": self.score, "eligible": self.eligible, "excluded": list(self.excluded),
                "components": [asdict(c) for c in self.components]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Explanation":
        return cls(float(data["score"]), tuple(Component(**c) for c in data["components"]),
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
