"""The curation loop's service: every transition, every refused one, the audit trail, the signal, and
an introduction that no recompute of the engine changes."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta

import pytest
from sqlmodel import Session, func, select

from matchmaker.models import AuditEvent, Introduction, Match
from matchmaker.services import curation, match_history, matches
from matchmaker.services.curation import Refused
from matchmaker.signals import introduction_moved
from matchmaker.stages import CLOSED, Stage
from tests.curation_world import EXPLANATION, TO_ACCEPTED, WON, run, world  # noqa: F401 (fixture)


def stage(db, world, match="match") -> str:
    db.expire_all()
    introduction = curation.introduction_for(db, world[match].id)
    return introduction.stage if introduction else "proposed"


def refused(db, world, action, who, *, code, field=None, match="match", **extra) -> Refused:
    events = db.exec(select(func.count()).select_from(AuditEvent)).one()
    before = stage(db, world, match)
    with pytest.raises(Refused) as caught:
        curation.move(db, match_id=world[match].id, user_id=world[who].id, action=action, **extra)
    assert (caught.value.code, caught.value.field) == (code, field)
    assert stage(db, world, match) == before  # nothing changed…
    assert db.exec(select(func.count()).select_from(AuditEvent)).one() == events  # …nor was audited
    return caught.value


# --- each transition ------------------------------------------------------------------------------

def test_a_party_asks_for_an_introduction(db, world):
    introduction = curation.request_introduction(db, match_id=world["match"].id,
                                                 user_id=world["buyer_member"].id, note="  Samples first?  ")
    assert introduction.stage == "requested"
    assert introduction.requested_by_id == world["buyer_member"].id and introduction.requested_at
    assert introduction.request_note == "Samples first?"
    assert db.get(Match, world["match"].id).status == "curated"


@pytest.mark.parametrize("reason", ["wrong_product", "certificate", "volume", "price", "other"])
def test_a_party_dismisses_with_each_reason(db, world, reason):
    introduction = curation.dismiss(db, match_id=world["match"].id, user_id=world["exporter_member"].id,
                                    reason=reason, note="not for us")
    assert (introduction.stage, introduction.dismiss_reason) == ("dismissed", reason)
    assert introduction.closed_at is not None


def test_a_party_may_dismiss_after_asking(db, world):
    run(db, world, ("request", "buyer_member"), ("dismiss", "buyer_member", {"reason": "price"}))
    assert stage(db, world) == "dismissed"


@pytest.mark.parametrize("first", [[], [("request", "exporter_member")]])
def test_the_curator_introduces_from_proposed_or_requested(db, world, first):
    introduction = run(db, world, *first, ("introduce", "curator", {"note": "Meet at the Astana fair"}))
    assert introduction.stage == "introduced" and introduction.curator_id == world["curator"].id
    assert introduction.curator_note == "Meet at the Astana fair" and introduction.introduced_at


@pytest.mark.parametrize("reason", ["not_relevant", "certificate", "volume", "price", "not_verified", "other"])
def test_the_curator_declines_with_each_reason(db, world, reason):
    introduction = run(db, world, ("request", "buyer_member"), ("decline", "curator", {"reason": reason}))
    assert (introduction.stage, introduction.decline_reason) == ("declined", reason)


def test_both_parties_accept_in_either_order(db, world):
    run(db, world, ("introduce", "curator"))
    first = run(db, world, ("accept", "buyer_member"))
    assert first.stage == "introduced" and first.buyer_accepted_at and first.supplier_accepted_at is None
    both = run(db, world, ("accept", "exporter_member"))
    assert both.stage == "accepted" and both.accepted_at and both.supplier_accepted_at


def test_a_colleague_of_a_party_that_accepted_may_not_accept_again(db, world):
    run(db, world, ("introduce", "curator"), ("accept", "exporter_member"))
    error = refused(db, world, "accept", "exporter_colleague", code="stage")
    assert "already answered" in str(error.message)


def test_a_party_rejects_the_introduction(db, world):
    introduction = run(db, world, ("introduce", "curator"), ("reject", "buyer_member", {"note": "Too far"}))
    assert introduction.stage == "rejected" and introduction.closed_at


def test_the_whole_road_to_a_won_deal(db, world):
    run(db, world, *TO_ACCEPTED, ("meeting", "exporter_member"), ("negotiation", "curator"))
    introduction = curation.record_progress(db, match_id=world["match"].id, user_id=world["buyer_member"].id,
                                            stage="won", **WON)
    assert introduction.stage == "won" and introduction.closed_at
    assert (introduction.deal_value_usd, introduction.deal_date) == (1_250_000, date(2026, 11, 3))


@pytest.mark.parametrize("path", [["lost"], ["meeting", "lost"], ["negotiation", "lost"],
                                  ["meeting", "negotiation", "lost"], ["negotiation", "won"]])
def test_progress_stages_that_may_follow_each_other(db, world, path):
    run(db, world, *TO_ACCEPTED)
    for step in path:
        extra = {"reason": "logistics"} if step == "lost" else WON if step == "won" else {}
        run(db, world, (step, "curator", extra))
    assert stage(db, world) == path[-1]
    if path[-1] == "lost":
        assert curation.introduction_for(db, world["match"].id).lost_reason == "logistics"


def test_the_admin_curates_anywhere(db, world):
    run(db, world, ("introduce", "admin"), match="far_match")
    assert stage(db, world, "far_match") == "introduced"


def test_a_curator_of_either_partys_country_curates_the_match(db, world):
    run(db, world, ("introduce", "id_curator"))
    assert stage(db, world) == "introduced"


# --- refused moves ----------------------------------------------------------------------------------

@pytest.mark.parametrize("action, who", [
    ("introduce", "exporter_member"), ("decline", "buyer_member"),   # a member is not a curator
    ("request", "curator"), ("dismiss", "curator"),                  # a curator is not a party
    ("request", "stranger"), ("introduce", "stranger"),              # nor is anyone else
])
def test_wrong_role_at_the_start(db, world, action, who):
    refused(db, world, action, who, code="forbidden", reason="other")


@pytest.mark.parametrize("action, who", [("accept", "curator"), ("reject", "curator"), ("accept", "admin"),
                                         ("accept", "stranger")])
def test_only_the_parties_answer_an_introduction(db, world, action, who):
    run(db, world, ("introduce", "curator"))
    refused(db, world, action, who, code="forbidden")


@pytest.mark.parametrize("action", ["introduce", "decline", "meeting"])
def test_wrong_country_a_kazakh_curator_does_not_curate_a_turkish_malaysian_match(db, world, action):
    refused(db, world, action, "curator", code="forbidden", match="far_match", reason="other")
    refused(db, world, action, "id_curator", code="forbidden", match="far_match", reason="other")


@pytest.mark.parametrize("action, who", [
    ("accept", "buyer_member"), ("reject", "buyer_member"),            # accept before any introduction
    ("meeting", "exporter_member"), ("negotiation", "curator"),        # progress before an introduction
    ("won", "curator"), ("lost", "buyer_member"),                      # a deal without an introduction
])
def test_skipped_stages_from_proposed(db, world, action, who):
    refused(db, world, action, who, code="stage", reason="price", **WON)


@pytest.mark.parametrize("action", ["won", "meeting", "negotiation", "lost"])
def test_no_progress_before_both_accept(db, world, action):
    run(db, world, ("introduce", "curator"), ("accept", "buyer_member"))
    refused(db, world, action, "curator", code="stage", reason="price", **WON)


def test_won_from_introduced_or_accepted_is_a_skipped_stage(db, world):
    run(db, world, ("introduce", "curator"))
    refused(db, world, "won", "exporter_member", code="stage", **WON)
    run(db, world, ("accept", "exporter_member"), ("accept", "buyer_member"))
    refused(db, world, "won", "exporter_member", code="stage", **WON)  # a deal needs a meeting first


def test_double_accept_is_refused(db, world):
    run(db, world, ("introduce", "curator"), ("accept", "buyer_member"))
    refused(db, world, "accept", "buyer_member", code="stage")
    run(db, world, ("accept", "exporter_member"))
    refused(db, world, "accept", "exporter_member", code="stage")


def test_introducing_twice_is_refused(db, world):
    run(db, world, ("introduce", "curator"))
    refused(db, world, "introduce", "id_curator", code="stage")


@pytest.mark.parametrize("action", ["dismiss", "decline"])
@pytest.mark.parametrize("reason", [None, "", "nonsense", "WRONG_PRODUCT"])
def test_bad_reason(db, world, action, reason):
    who = "buyer_member" if action == "dismiss" else "curator"
    refused(db, world, action, who, code="invalid", field="reason", reason=reason)
    assert curation.introduction_for(db, world["match"].id) is None  # not even opened


@pytest.mark.parametrize("reason", [None, "", "price_too_high"])
def test_lost_needs_a_known_reason(db, world, reason):
    run(db, world, *TO_ACCEPTED)
    refused(db, world, "lost", "curator", code="invalid", field="reason", reason=reason)


@pytest.mark.parametrize("value", [None, "", "abc", 0, -5, float("nan"), float("inf"), 2e10])
def test_bad_deal_value(db, world, value):
    run(db, world, *TO_ACCEPTED, ("meeting", "curator"))
    refused(db, world, "won", "curator", code="invalid", field="deal_value_usd", deal_value_usd=value,
            deal_date=date(2026, 11, 3))


@pytest.mark.parametrize("day", [None, "2026-11-03", date.today() + timedelta(days=1)])
def test_bad_deal_date(db, world, day):
    run(db, world, *TO_ACCEPTED, ("meeting", "curator"))
    refused(db, world, "won", "curator", code="invalid", field="deal_date", deal_value_usd=1000, deal_date=day)


def test_a_note_too_long_is_refused(db, world):
    refused(db, world, "request", "buyer_member", code="invalid", field="note", note="x" * 2001)


def test_an_unknown_progress_stage_is_refused(db, world):
    run(db, world, *TO_ACCEPTED)
    with pytest.raises(Refused) as caught:
        curation.record_progress(db, match_id=world["match"].id, user_id=world["curator"].id, stage="accepted")
    assert (caught.value.code, caught.value.field) == ("invalid", "stage")


CLOSING = {
    "dismissed": [("dismiss", "buyer_member", {"reason": "price"})],
    "declined": [("decline", "curator", {"reason": "volume"})],
    "rejected": [("introduce", "curator"), ("reject", "exporter_member")],
    "won": [*TO_ACCEPTED, ("meeting", "curator"), ("won", "curator", WON)],
    "lost": [*TO_ACCEPTED, ("lost", "curator", {"reason": "payment"})],
}


@pytest.mark.parametrize("closed", sorted(CLOSING))
def test_closed_stages_are_final(db, world, closed):
    assert Stage(closed) in CLOSED
    run(db, world, *CLOSING[closed])
    user = {"buyer_member": world["buyer_member"], "curator": world["curator"]}
    for action in curation.TRANSITIONS:
        for who in user:
            assert action not in curation.available_actions(user[who], world["match"],
                                                             curation.introduction_for(db, world["match"].id))
            with pytest.raises(Refused) as caught:
                run(db, world, (action, who, {"reason": "other", **WON}))
            assert caught.value.code in ("stage", "forbidden")
    assert stage(db, world) == closed


# --- audit, signal, history ------------------------------------------------------------------------

def test_every_move_is_audited_with_the_stage_before_and_after(db, world):
    introduction = run(db, world, ("request", "buyer_member", {"note": "Please"}), ("introduce", "curator"),
                       ("accept", "exporter_member"), ("accept", "buyer_member"),
                       ("lost", "curator", {"reason": "price", "note": "Freight too dear"}))
    events = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "introduction",
                                              AuditEvent.entity_id == introduction.id)
                     .order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == ["request", "introduce", "accept", "accept", "lost"]
    assert [(e.before or {}).get("stage") for e in events] == ["proposed", "requested", "introduced",
                                                                "introduced", "accepted"]
    assert [e.after["stage"] for e in events] == ["requested", "introduced", "introduced", "accepted", "lost"]
    assert [e.actor_id for e in events] == [world[w].id for w in ("buyer_member", "curator", "exporter_member",
                                                                  "buyer_member", "curator")]
    assert events[0].reason == {"note": "Please"}
    assert events[-1].reason == {"code": "price", "note": "Freight too dear"}


def test_the_history_reads_newest_first_and_keeps_party_notes_private(db, world):
    introduction = run(db, world, ("request", "buyer_member", {"note": "Buyer's private word"}),
                       ("introduce", "curator", {"note": "Dear both"}))
    for reader, sees_buyer_note in (("buyer_member", True), ("curator", True), ("exporter_member", False)):
        entries = match_history.history(db, introduction_id=introduction.id, reader=world[reader])
        assert [e.action for e in entries] == ["introduce", "request"]
        assert entries[0].note == "Dear both"  # the curator's note is addressed to both
        assert (entries[1].note == "Buyer's private word") is sees_buyer_note
        assert (entries[0].before, entries[0].after) == (Stage.REQUESTED, Stage.INTRODUCED)


def test_the_signal_is_sent_inside_the_move(db, world):
    heard = []

    def listener(sender, **kwargs):
        heard.append((kwargs["action"], kwargs["before"], kwargs["introduction"].stage, kwargs["actor_id"]))

    with introduction_moved.connected_to(listener):
        run(db, world, ("request", "buyer_member"), ("introduce", "curator"))
        with pytest.raises(Refused):
            run(db, world, ("introduce", "curator"))  # a refused move says nothing
    assert heard == [("request", "proposed", "requested", world["buyer_member"].id),
                     ("introduce", "requested", "introduced", world["curator"].id)]


def test_a_failing_listener_rolls_the_move_back(db, world):
    def broken(sender, **kwargs):
        raise RuntimeError("listener failed")

    with introduction_moved.connected_to(broken), pytest.raises(RuntimeError):
        run(db, world, ("request", "buyer_member"))
    assert stage(db, world) == "proposed"
    assert db.exec(select(func.count()).select_from(Introduction)).one() == 0


# --- the engine never changes people's work --------------------------------------------------------

@pytest.mark.parametrize("recompute", ["rematch_all", "refresh", "archive"])
def test_a_recompute_keeps_the_match_and_the_frozen_explanation(app, db, world, recompute):
    run(db, world, ("request", "buyer_member"), ("introduce", "curator"))
    frozen = curation.introduction_for(db, world["match"].id)
    frozen_copy = (frozen.score, dict(frozen.explanation))
    assert frozen_copy == (0.8, EXPLANATION)
    with app.app_context():
        if recompute == "rematch_all":
            matches.rematch_all(db)
        elif recompute == "refresh":
            matches.refresh(db, products=[world["product"].id], requests=[world["request"].id])
        else:  # the product leaves the catalogue: the engine forgets the pair, people do not
            world["product"].status = "archived"
            db.add(world["product"])
            db.commit()
            matches.rematch_all(db)
    db.expire_all()
    match = db.get(Match, world["match"].id)
    assert match is not None and match.status == "curated"
    if recompute != "archive":
        assert match.explanation != EXPLANATION  # the engine did recompute the pair…
    introduction = curation.introduction_for(db, world["match"].id)
    assert (introduction.score, introduction.explanation) == frozen_copy  # …and left the people's copy
    assert introduction.stage == "introduced"


def test_the_frozen_copy_is_what_the_first_actor_saw(db, world):
    match = world["match"]
    run(db, world, ("request", "buyer_member"))
    match = db.get(Match, match.id)
    match.score, match.explanation = 0.55, {"score": 0.55, "components": []}
    db.add(match)
    db.commit()
    introduction = run(db, world, ("introduce", "curator"))
    assert (introduction.score, introduction.explanation) == (0.8, EXPLANATION)


def test_available_actions_follow_the_table(db, world):
    m = world["match"]
    assert curation.available_actions(world["buyer_member"], m, None) == {"request", "dismiss"}
    assert curation.available_actions(world["curator"], m, None) == {"introduce", "decline"}
    assert curation.available_actions(world["stranger"], m, None) == set()
    assert curation.available_actions(world["curator"], world["far_match"], None) == set()
    introduction = run(db, world, *TO_ACCEPTED)
    assert curation.available_actions(world["exporter_member"], m, introduction) == {"meeting", "negotiation",
                                                                                      "lost"}


# --- at the same moment --------------------------------------------------------------------------------

def _at_once(app, world, *moves) -> list:
    """Run the moves in threads that start together, each in its own session; what each returned or raised."""
    start = threading.Barrier(len(moves), timeout=10)

    def job(move):
        action, who = move
        with app.app_context(), Session(app.extensions["db_engine"], expire_on_commit=False) as session:
            start.wait()
            try:
                return curation.move(session, match_id=world["match"].id, user_id=world[who].id, action=action,
                                     reason="other").stage
            except Refused as refusal:
                return refusal.code

    with ThreadPoolExecutor(len(moves)) as pool:
        return list(pool.map(job, moves))


def test_both_parties_accepting_at_the_same_moment_both_count(app, db, world, eager_thread_switching):
    run(db, world, ("introduce", "curator"))
    answers = _at_once(app, world, ("accept", "exporter_member"), ("accept", "buyer_member"))
    assert sorted(answers) == ["accepted", "introduced"]  # one after the other, the second completes it
    introduction = curation.introduction_for(db, world["match"].id)
    db.refresh(introduction)
    assert introduction.stage == "accepted"
    assert introduction.supplier_accepted_at and introduction.buyer_accepted_at


def test_first_moves_at_the_same_moment_open_one_introduction(app, db, world, eager_thread_switching):
    answers = _at_once(app, world, ("request", "buyer_member"), ("introduce", "curator"),
                       ("dismiss", "exporter_member"))
    db.expire_all()
    assert db.exec(select(func.count()).select_from(Introduction)).one() == 1
    moved = [a for a in answers if a not in ("stage", "forbidden", "invalid")]
    assert moved and set(answers) - set(moved) <= {"stage"}  # the losers are told the stage moved on
    assert db.exec(select(func.count()).select_from(AuditEvent)).one() == len(moved)


def test_a_job_outside_any_request_is_refused_cleanly(app, db, world):
    """A job has the app but no request (hence no reader's locale): the refusal is raised, not a crash,
    and its message is translated only when someone shows it."""
    with app.app_context():
        for action, who, code in (("accept", "buyer_member", "stage"), ("introduce", "stranger", "forbidden"),
                                  ("dismiss", "buyer_member", "invalid")):
            with pytest.raises(Refused) as caught:
                run(db, world, (action, who, {"reason": "nonsense"}))
            assert caught.value.code == code
    with app.test_request_context("/?lang=ru"):
        assert str(caught.value) == "Выберите причину."
