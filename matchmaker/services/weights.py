"""Which component weights the web's matching uses: the active :class:`~matchmaker.models.WeightVersion`
(saved by ``matchmaker learn``), or the engine's built-in weights under the name "w1"."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from matchmaker.matching import DEFAULT_WEIGHTS
from matchmaker.matching.scoring import resolve_weights
from matchmaker.models import WeightVersion

BUILT_IN = "w1"


@dataclass(frozen=True)
class Weights:
    name: str
    weights: dict[str, float]


def active(session: Session) -> Weights:
    """The weights that score new matches now."""
    row = session.exec(select(WeightVersion).where(WeightVersion.active == True)  # noqa: E712
                       .order_by(WeightVersion.id.desc())).first()
    if row is None:
        return Weights(BUILT_IN, dict(DEFAULT_WEIGHTS))
    return Weights(row.name, resolve_weights(row.weights))
