"""``matchmaker learn``: labels from introductions, a version saved only when it beats the current weights
on held-out decisions, refusals with too few labels; matches record the weights that scored them."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import numpy as np
import pytest

from matchmaker.matching import DEFAULT_WEIGHTS, Demand, Product, explain
from matchmaker.models import BuyingRequest, Introduction, Match, WeightVersion
from matchmaker.services import learning, matches, weights

T0 = datetime(2026, 9, 1, tzinfo=timezone.utc)
COMPONENTS = list(DEFAULT_WEIGHTS)


def _explanation(values: dict) -> dict:
    return {"score": 0.7, "components": [{"name": n, "value": v, "weight": DEFAULT_WEIGHTS[n]}
                                         for n, v in values.items()]}


def _decisions(db, make, rows: list[tuple[dict, str]], *, decline_reason=None):
    """One introduction per (component values, stage), decided an hour apart in this order."""
    product = make.product(make.organisation(kind="exporter", country="ID"))
    buyer = make.organisation(kind="buyer", country="KZ")
    requests = [BuyingRequest(organisation_id=buyer.id, title=f"Solid teak dining table, lot {i}", hs_code="9403",
                              description="Kiln-dried teak for hotels.", sector="furniture",
                              status="published") for i in range(len(rows))]
    db.add_all(requests)
    db.commit()
    found = [Match(product_id=product.id, request_id=r.id, score=0.7, explanation=_explanation(values),
                   status="curated") for r, (values, _) in zip(requests, rows)]
    db.add_all(found)
    db.commit()
    db.add_all([Introduction(match_id=m.id, product_id=m.product_id, request_id=m.request_id, stage=stage,
                             explanation=m.explanation, updated_at=T0 + timedelta(hours=i),
                             decline_reason=decline_reason if stage == "declined" else None)
                for i, (m, (_, stage)) in enumerate(zip(found, rows))])
    db.commit()


def _random_rows(n: int, label, seed=1) -> list[tuple[dict, str]]:
    rng = np.random.default_rng(seed)
    rows = []
    for i, v in enumerate(rng.uniform(0, 1, size=(n, len(COMPONENTS)))):
        values = dict(zip(COMPONENTS, (round(float(x), 3) for x in v)))
        positive = label(values)
        rows.append((values, ("requested", "won", "introduced")[i % 3] if positive
                     else ("dismissed", "declined", "rejected")[i % 3]))
    return rows


def _fuzzy_decides(values):  # the component the current weights weigh least decides everything
    return values["fuzzy"] > 0.5


def _current_sum(values):
    return sum(DEFAULT_WEIGHTS[n] * values[n] for n in COMPONENTS)


@pytest.mark.parametrize("n, method", [(120, "time"), (60, "cross-validation")])
def test_saves_a_version_that_beats_the_current_weights(app, db, make, n, method):
    _decisions(db, make, _random_rows(n, _fuzzy_decides))
    with app.app_context():
        outcome = learning.learn(db, today=date(2026, 12, 2))
        active = weights.active(db)
    assert outcome.saved is not None, outcome.reason
    assert outcome.metrics["method"] == method
    assert outcome.metrics["auc_candidate"] > outcome.metrics["auc_current"] + 0.2
    saved = db.get(WeightVersion, outcome.saved.id)
    assert saved.name == "w2-20261202" and saved.active and saved.n_labels == n
    assert saved.metrics["compared_with"] == "w1"
    assert abs(sum(saved.weights.values()) - 1.0) < 1e-9 and min(saved.weights.values()) >= 0
    assert max(saved.weights, key=saved.weights.get) == "fuzzy"
    assert active.name == "w2-20261202" and active.weights["fuzzy"] == pytest.approx(saved.weights["fuzzy"])


def test_saves_nothing_when_the_current_weights_are_as_good(app, db, make):
    rows = _random_rows(80, lambda values: False)
    median = np.median([_current_sum(values) for values, _ in rows])
    rows = _random_rows(80, lambda values: _current_sum(values) > median)   # the current sum decides
    _decisions(db, make, rows)
    with app.app_context():
        outcome = learning.learn(db)
    assert outcome.saved is None
    assert outcome.metrics["auc_current"] == 1.0
    assert "do not beat w1" in outcome.reason
    assert db.exec(WeightVersion.__table__.select()).first() is None


def test_the_next_version_is_compared_with_the_active_one(app, db, make):
    _decisions(db, make, _random_rows(60, _fuzzy_decides))
    with app.app_context():
        first = learning.learn(db, today=date(2026, 12, 2))
        second = learning.learn(db, today=date(2026, 12, 3))
    assert first.saved.name == "w2-20261202"
    assert second.current == "w2-20261202" and second.saved is None   # no better than itself


@pytest.mark.parametrize("rows, message", [
    ([({n: 0.5 for n in COMPONENTS}, "requested")] * 10 + [({n: 0.1 for n in COMPONENTS}, "dismissed")] * 10,
     "only 20 labelled decisions"),
    ([({n: 0.5 for n in COMPONENTS}, "won")] * 40, "40 positive and 0 negative"),
])
def test_refuses_with_too_few_labels(app, db, make, rows, message):
    _decisions(db, make, rows)
    with app.app_context(), pytest.raises(learning.TooFewLabels, match=message):
        learning.learn(db)


def test_labels_lost_counts_positive_and_a_decline_for_verification_is_ignored(app, db, make):
    values = {n: 0.5 for n in COMPONENTS}
    _decisions(db, make, [(values, "lost"), (values, "dismissed"), (values, "proposed")])
    _decisions(db, make, [(values, "declined")], decline_reason="not_verified")
    _decisions(db, make, [(values, "declined")], decline_reason="price")
    labels = learning.labelled_pairs(db)
    assert labels.labels.tolist() == [1, 0, 0]


def test_cli_learn_saves_and_refuses(app, db, make, runner):
    result = runner.invoke(args=["learn"])
    assert result.exit_code == 1 and "Nothing learnt: only 0 labelled decisions" in result.output
    _decisions(db, make, _random_rows(60, _fuzzy_decides))
    result = runner.invoke(args=["learn", "--dry-run"])
    assert result.exit_code == 0 and "not saved (dry run)" in result.output
    result = runner.invoke(args=["learn", "--no-rematch"])
    assert result.exit_code == 0, result.output
    assert "Saved w2-" in result.output and "matchmaker rematch" in result.output
    result = runner.invoke(args=["learn", "--no-rematch"])
    assert "Nothing saved: the learnt weights do not beat w2-" in result.output


def test_matches_record_the_weight_version_that_scored_them(app, db, make):
    product = make.product(make.organisation(kind="exporter", country="ID"))
    request = make.request(make.organisation(kind="buyer", country="KZ"), hs_code="9403")
    with app.app_context():
        matches.refresh(db, products=[product.id])
        stored = db.exec(Match.__table__.select()).all()
        assert [row.weights_version for row in stored] == ["w1"]
        learnt = {"text": 0.4, "concepts": 0.3, "hs": 0.2, "fuzzy": 0.0, "fit": 0.1}
        db.add(WeightVersion(name="w2-20261202", weights=learnt, active=True))
        db.commit()
        matches.rematch_all(db)
    match = db.exec(Match.__table__.select()).one()
    assert match.weights_version == "w2-20261202"
    assert {c["name"]: c["weight"] for c in match.explanation["components"]} == learnt
    assert match.request_id == request.id


def test_an_introduction_freezes_the_version_of_its_match(app, db, make):
    exporter, buyer = make.organisation(kind="exporter", country="ID"), make.organisation(kind="buyer", country="KZ")
    match = Match(product_id=make.product(exporter).id, request_id=make.request(buyer).id, score=0.8,
                  explanation={}, weights_version="w3-20261202")
    db.add(match)
    db.commit()
    from matchmaker.services import curation

    with app.app_context():
        introduction = curation.request_introduction(db, match_id=match.id, user_id=make.user(buyer).id)
    assert introduction.weights_version == "w3-20261202"


def test_the_engine_scores_with_the_given_weights():
    product = Product("p1", "Solid teak dining table", hs_code="940360", country="ID", moq=10, unit="pcs")
    demand = Demand("d1", "Teak dining tables for hotels", country="KZ", quantity=20, unit="pcs")
    given = {"text": 0.1, "concepts": 0.1, "hs": 0.1, "fuzzy": 0.6, "fit": 0.1}
    default, learnt = explain(product, demand), explain(product, demand, weights=given)
    assert {c.name: c.weight for c in learnt.components} == given
    assert learnt.raw == pytest.approx(sum(c.value * c.weight for c in learnt.components), abs=1e-3)
    assert {c.name: c.value for c in learnt.components} == {c.name: c.value for c in default.components}
    assert learnt.raw != default.raw


def test_cli_learn_rescores_the_stored_matches_with_the_saved_version(app, db, make, runner):
    _decisions(db, make, _random_rows(45, _fuzzy_decides))
    result = runner.invoke(args=["learn"])
    assert result.exit_code == 0, result.output
    name = db.exec(WeightVersion.__table__.select()).one().name
    versions = {row.weights_version for row in db.exec(Match.__table__.select()).all()}
    assert versions == {name}, result.output
