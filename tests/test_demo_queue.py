"""The demo queue (seeds/curation.json, matchmaker/seeding_curation.py): after `matchmaker init` a
newcomer sees every stage of the curation loop, with history, ages and won deals."""

from __future__ import annotations

import importlib.util
import json
import shutil
from statistics import median

import pytest
from sqlmodel import func, select

from matchmaker.models import AuditEvent, Introduction, Notification, Organisation, User
from matchmaker.seeding_curation import load_demo_queue
from matchmaker.stages import Stage


def counts(db) -> tuple[int, int]:
    return (db.exec(select(func.count()).select_from(Introduction)).one(),
            db.exec(select(func.count()).select_from(AuditEvent)
                    .where(AuditEvent.entity_type == "introduction")).one())


def test_init_loads_a_queue_with_every_stage_once(runner, client, auth, db, seeds_dir):
    result = runner.invoke(args=["init"])
    assert result.exit_code == 0, result.output
    assert "Demo queue: 19 introductions, 0 already there, 0 pairs not found" in result.output
    stages = dict(db.exec(select(Introduction.stage, func.count()).group_by(Introduction.stage)).all())
    assert set(stages) == {s.value for s in Stage} - {"proposed"}
    assert stages["requested"] >= 3 and stages["won"] >= 3

    # Every introduction has its history, backdated: the first event when the first step happened.
    for introduction in db.exec(select(Introduction)).all():
        events = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "introduction",
                                                  AuditEvent.entity_id == introduction.id)
                         .order_by(AuditEvent.id)).all()
        assert events and events[-1].after["stage"] == introduction.stage
        times = [e.created_at for e in events]
        assert times == sorted(times)
        assert introduction.proposed_at <= times[0]
    # The parties' notifications carry the day each step happened, weeks apart, not the loading time.
    told = [n.created_at for n in db.exec(select(Notification)).all()]
    assert told and (max(told) - min(told)).days >= 14 and len({t.date() for t in told}) >= 5
    # Deals: realistic values, dates spread over months; time to introduction varies.
    won = db.exec(select(Introduction).where(Introduction.stage == "won")).all()
    assert all(1_000 <= w.deal_value_usd <= 1_000_000 for w in won)
    assert (max(w.deal_date for w in won) - min(w.deal_date for w in won)).days >= 60
    waits = [(i.introduced_at - i.proposed_at).days for i in db.exec(
        select(Introduction).where(Introduction.introduced_at.is_not(None))).all()]
    assert len(set(waits)) >= 4 and 3 <= median(waits) <= 30

    # Loading again (`matchmaker seed`, or the loader alone) duplicates nothing.
    before = counts(db)
    assert load_demo_queue(db).kept == 19
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    assert "Demo queue: 0 introductions, 19 already there" in result.output
    assert counts(db) == before

    # A curator in each country; each sees its country's requests waiting at the top of the queue.
    chambers = {o.country for o in db.exec(select(Organisation).join(User, User.organisation_id == Organisation.id)
                                           .where(User.role == "curator")).all()}
    assert chambers == {"ID", "KZ"}
    for email in ("curator@demo.test", "curator.kz@demo.test"):
        auth.login(email, "demo-pass-2026")
        page = client.get("/curation").get_data(as_text=True)
        assert page.count("queue-row stage-requested") >= 2, email
        assert client.get("/curation?stage=won").get_data(as_text=True).count("stage-won") >= 3
        auth.logout()


@pytest.fixture
def check_seeds(seeds_dir, tmp_path):
    """The seed checker run on a copy of the seeds, so a test may spoil curation.json."""
    for path in seeds_dir.iterdir():
        if path.is_file():
            shutil.copy(path, tmp_path / path.name)
    spec = importlib.util.spec_from_file_location("check_seeds_copy", tmp_path / "check_seeds.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module, tmp_path


def test_the_seed_checker_passes(check_seeds):
    module, _ = check_seeds
    assert module.main() == 0, module.problems


@pytest.mark.parametrize(("spoil", "complaint"), [
    (lambda e: e[0].update(product="No such product"), "not a published item"),
    (lambda e: e[6]["steps"].insert(0, {"action": "accept", "by": "exporter@demo.test", "days_ago": 30}),
     "not possible from stage proposed"),
    (lambda e: e[5]["steps"][1].update(by="exporter@demo.test"), "may not do this"),
    (lambda e: e[16]["steps"][0].update(reason="because"), "reason 'because'"),
    (lambda e: e[5]["steps"][2].update(days_ago=40), "back in time"),
])
def test_the_seed_checker_finds_a_spoiled_queue(check_seeds, spoil, complaint):
    module, folder = check_seeds
    data = json.loads((folder / "curation.json").read_text(encoding="utf-8"))
    spoil(data["introductions"])
    (folder / "curation.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    assert module.main() == 1
    assert any(complaint in p for p in module.problems), module.problems
