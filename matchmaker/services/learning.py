"""Learning the engine's component weights from what people decided (``matchmaker learn``).

Every Introduction is a labelled pair: the frozen explanation's component values (text, concepts, hs,
fuzzy, fit; each in [0, 1]) are the features, and what people did with the pair is the label.

- **Positive**: a party asked for an introduction, or a curator introduced them, and everything after
  (requested, introduced, accepted, meeting, negotiation, won), and **lost**: a lost deal passed a
  party's or a curator's judgement and both parties' acceptance, and the reasons deals are lost (price,
  payment, logistics, no response) are commercial, not a sign that the products did not match. Counting
  it as negative would teach the engine to avoid the pairs that got furthest.
- **Negative**: a party said "not relevant" (dismissed), a curator declined, a party rejected the
  introduction; except a decline because a party is not verified yet, which says nothing of the pair.

A regularised (L2) logistic regression with balanced class weights is fitted on the features. Its
coefficients, clipped at zero and rescaled to add up to 1, are candidate weights for the engine's
weighted sum. The candidate and the weights in use now are compared on decisions the fit did not see:
the latest quarter when there are enough labels for both classes in it (a time-ordered split: the test
is the future), else stratified cross-validation. The measure is ROC AUC of the weighted sum (the engine
only ranks, so how well the sum orders good pairs above bad ones is what matters). A new version is
saved, and made active, only when the candidate beats the current weights by at least ``min_gain``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Optional

import numpy as np
from sqlmodel import Session, col, func, select

from matchmaker.db import transaction
from matchmaker.matching import DEFAULT_WEIGHTS
from matchmaker.models import Introduction, WeightVersion
from matchmaker.services import weights as weight_versions
from matchmaker.stages import DeclineReason, Stage

COMPONENTS = tuple(DEFAULT_WEIGHTS)
POSITIVE = frozenset({Stage.REQUESTED, Stage.INTRODUCED, Stage.ACCEPTED, Stage.MEETING, Stage.NEGOTIATION,
                      Stage.WON, Stage.LOST})
NEGATIVE = frozenset({Stage.DISMISSED, Stage.DECLINED, Stage.REJECTED})
NOT_ABOUT_THE_PAIR = frozenset({DeclineReason.NOT_VERIFIED.value})

MIN_LABELS = 30           # fewer decisions than this say more about chance than about the weights
MIN_PER_CLASS = 5         # of each label, or the comparison has nothing to compare
TIME_SPLIT_FROM = 100     # from this many labels, hold out the latest quarter; below, cross-validate
HELD_OUT_SHARE = 0.25
MIN_GAIN = 0.01           # AUC points the candidate must gain over the current weights
REGULARISATION_C = 1.0


class TooFewLabels(Exception):
    """Not enough labelled decisions to learn from; the message says what is missing."""


@dataclass(frozen=True)
class Labels:
    features: np.ndarray        # one row per decision, one column per component (COMPONENTS order)
    labels: np.ndarray          # 1 positive, 0 negative; rows in the order the decisions were made
    skipped: int = 0            # introductions whose explanation lacks a component


@dataclass
class Outcome:
    saved: Optional[WeightVersion]
    reason: str
    current: str
    candidate: dict[str, float] = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


def label_for(stage: str, decline_reason: Optional[str]) -> Optional[int]:
    """1, 0, or None when the introduction says nothing about the pair.

    >>> label_for("won", None), label_for("lost", None), label_for("dismissed", None)
    (1, 1, 0)
    >>> label_for("declined", "not_verified") is None, label_for("proposed", None) is None
    (True, True)
    """
    if stage in POSITIVE:
        return 1
    if stage in NEGATIVE and not (stage == Stage.DECLINED and decline_reason in NOT_ABOUT_THE_PAIR):
        return 0
    return None


def features_of(explanation: dict) -> Optional[list[float]]:
    """The components' values, or None when the explanation lacks one (stored before it existed)."""
    values = {c.get("name"): c.get("value") for c in (explanation or {}).get("components", [])}
    if not all(isinstance(values.get(name), (int, float)) for name in COMPONENTS):
        return None
    return [float(values[name]) for name in COMPONENTS]


def labelled_pairs(session: Session) -> Labels:
    """Every introduction that says something about its pair, oldest decision first."""
    stages = [s.value for s in POSITIVE | NEGATIVE]
    statement = (select(Introduction.stage, Introduction.decline_reason, Introduction.explanation)
                 .where(col(Introduction.stage).in_(stages)).order_by(Introduction.updated_at, Introduction.id))
    rows, labels, skipped = [], [], 0
    for stage, reason, explanation in session.exec(statement).all():
        label = label_for(stage, reason)
        values = features_of(explanation)
        if label is None:
            continue
        if values is None:
            skipped += 1
            continue
        rows.append(values)
        labels.append(label)
    return Labels(np.array(rows, dtype=float).reshape(-1, len(COMPONENTS)), np.array(labels, dtype=int), skipped)


def check_enough(labels: Labels) -> None:
    n, positives = len(labels.labels), int(labels.labels.sum()) if len(labels.labels) else 0
    negatives = n - positives
    if n < MIN_LABELS:
        raise TooFewLabels(f"only {n} labelled decisions ({positives} positive, {negatives} negative); "
                           f"at least {MIN_LABELS} are needed")
    if min(positives, negatives) < MIN_PER_CLASS:
        raise TooFewLabels(f"{positives} positive and {negatives} negative decisions; at least "
                           f"{MIN_PER_CLASS} of each are needed to tell good pairs from bad ones")


def _fit(x: np.ndarray, y: np.ndarray):
    from sklearn.linear_model import LogisticRegression  # heavy: imported only when learning

    return LogisticRegression(C=REGULARISATION_C, class_weight="balanced", max_iter=1000).fit(x, y)


def weights_from(model) -> Optional[dict[str, float]]:
    """Non-negative weights adding up to 1 from the model's coefficients; None when no component has a
    positive coefficient (nothing the engine could weigh up)."""
    coefficients = np.clip(model.coef_[0], 0.0, None)
    total = coefficients.sum()
    if total <= 0:
        return None
    weights = {name: round(float(c / total), 4) for name, c in zip(COMPONENTS, coefficients)}
    largest = max(weights, key=weights.get)
    weights[largest] = round(weights[largest] + 1.0 - sum(weights.values()), 4)  # rounding: add up to 1
    return weights


def _scores(x: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    return x @ np.array([weights.get(name, 0.0) for name in COMPONENTS])


def _time_split(y: np.ndarray) -> Optional[int]:
    """Where the held-out latest quarter starts, if both parts have enough of each label."""
    if len(y) < TIME_SPLIT_FROM:
        return None
    cut = int(round(len(y) * (1 - HELD_OUT_SHARE)))
    for part in (y[:cut], y[cut:]):
        if min(int(part.sum()), len(part) - int(part.sum())) < MIN_PER_CLASS:
            return None
    return cut


def evaluate(x: np.ndarray, y: np.ndarray, current: dict[str, float], *, seed: int = 0) -> dict:
    """Held-out ROC AUC of the candidate's and the current weights' sums (and the model's log loss)."""
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.model_selection import StratifiedKFold

    cut = _time_split(y)
    if cut is not None:
        model = _fit(x[:cut], y[:cut])
        candidate = weights_from(model)
        test_x, test_y = x[cut:], y[cut:]
        candidate_scores = _scores(test_x, candidate) if candidate else np.zeros(len(test_y))
        probabilities = model.predict_proba(test_x)[:, 1]
        method = {"method": "time", "n_train": cut, "n_test": len(test_y)}
    else:
        folds = min(5, int(y.sum()), len(y) - int(y.sum()))
        candidate_scores, probabilities = np.zeros(len(y)), np.zeros(len(y))
        splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
        for train, test in splitter.split(x, y):
            model = _fit(x[train], y[train])
            fold_weights = weights_from(model)
            candidate_scores[test] = _scores(x[test], fold_weights) if fold_weights else 0.0
            probabilities[test] = model.predict_proba(x[test])[:, 1]
        test_x, test_y = x, y
        method = {"method": "cross-validation", "folds": folds}
    return {**method,
            "auc_current": round(float(roc_auc_score(test_y, _scores(test_x, current))), 4),
            "auc_candidate": round(float(roc_auc_score(test_y, candidate_scores)), 4),
            "log_loss_model": round(float(log_loss(test_y, probabilities, labels=[0, 1])), 4)}


def _next_name(session: Session, today: date) -> str:
    n = session.exec(select(func.count(WeightVersion.id))).one() + 2   # "w1" is the built-in weights
    return f"w{n}-{today:%Y%m%d}"


def learn(session: Session, *, min_gain: float = MIN_GAIN, today: Optional[date] = None,
          save: bool = True, seed: int = 0) -> Outcome:
    """Fit, compare on held-out decisions, and save a new active version only when it is better.

    Raises :class:`TooFewLabels` when there is too little to learn from."""
    labels = labelled_pairs(session)
    check_enough(labels)
    x, y = labels.features, labels.labels
    current = weight_versions.active(session)
    metrics = evaluate(x, y, current.weights, seed=seed)
    final = weights_from(_fit(x, y))
    metrics.update({"n_labels": len(y), "positives": int(y.sum()), "negatives": int(len(y) - y.sum()),
                    "skipped": labels.skipped, "compared_with": current.name, "min_gain": min_gain})
    outcome = Outcome(None, "", current.name, final or {}, metrics)
    gain = metrics["auc_candidate"] - metrics["auc_current"]
    if final is None:
        outcome.reason = "no component has a positive coefficient: nothing to weigh"
    elif gain < min_gain:
        outcome.reason = (f"the learnt weights do not beat {current.name} on held-out decisions: AUC "
                          f"{metrics['auc_candidate']:.3f} against {metrics['auc_current']:.3f} (a gain of "
                          f"at least {min_gain:.3f} is needed)")
    elif not save:
        outcome.reason = "better, but not saved (dry run)"
    else:
        with transaction(session):
            for row in session.exec(select(WeightVersion).where(WeightVersion.active == True)).all():  # noqa: E712
                row.active = False
                session.add(row)
            version = WeightVersion(name=_next_name(session, today or date.today()), weights=final,
                                    metrics=metrics, n_labels=len(y), active=True)
            session.add(version)
        outcome.saved = version
        outcome.reason = (f"AUC {metrics['auc_candidate']:.3f} against {metrics['auc_current']:.3f} for "
                          f"{current.name} on held-out decisions")
    return outcome
