"""Matching off the request path (services.jobs): a save logs its item and returns; the matching job
follows the change log, once per burst of saves, idempotently, and a run killed half-way stores
nothing. Modes: inline (the tests' default), a thread of the web process, RQ with a real Redis."""

from __future__ import annotations

import os
import queue as queues
import signal
import subprocess
import sys
import threading
import time
import uuid

import pytest
from sqlmodel import Session, select

from matchmaker.config import ConfigurationError
from matchmaker.models import Match
from matchmaker.schemas import ProductIn
from matchmaker.services import catalog, catalogue_import, changes, jobs, matches
from matchmaker.services.catalog import PRODUCTS

TEST_REDIS_URL = "redis://127.0.0.1:6379/15"


def wait_for(condition, timeout: float = 30.0, what: str = "the condition"):
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds (a bound, not an assertion)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout} s waiting for {what}")


@pytest.fixture(autouse=True)
def factory_items_are_pending(make):
    """Here the factory's items wait for the matching job as a real save's do."""
    make.schedules_matching = True


@pytest.fixture
def use_mode(app):
    """Switch the test's app to another matching mode; threads are stopped at the end, before the
    tables are cleared."""
    started = []

    def switch(mode: str, **config):
        app.config.update(MATCHING_MODE=mode, **config)
        jobs.init_app(app)
        scheduler = jobs.scheduler_of(app)
        if isinstance(scheduler, jobs.Background):
            started.append(scheduler)
        return scheduler

    yield switch
    for scheduler in started:
        scheduler.stop()


@pytest.fixture
def redis_url():
    url = os.environ.get("REDIS_URL") or TEST_REDIS_URL
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=1).ping()
    except RedisError as error:
        pytest.skip(f"these tests need a Redis server at {url} ({error}); .ci/run starts one")
    return url


@pytest.fixture
def rq_mode(use_mode, redis_url):
    """RQ mode on a queue of the test's own (removed afterwards, with its flag)."""
    name = f"test-matching-{uuid.uuid4().hex[:8]}"
    scheduler = use_mode("rq", REDIS_URL=redis_url, MATCHING_QUEUE=name)
    yield scheduler
    scheduler.queue.empty()
    scheduler.queue.delete(delete_jobs=True)
    scheduler.redis.delete(scheduler.flag)


@pytest.fixture
def pair(make):
    """An exporter's product and a buyer's request that match (teak furniture), logged, not yet matched
    when the mode is not inline."""
    exporter = make.organisation(kind="exporter", country="ID")
    buyer = make.organisation(kind="buyer", country="KZ")
    return exporter, make.product(exporter), buyer, make.request(buyer)


def stored(db) -> list[tuple]:
    db.expire_all()
    return [(m.product_id, m.request_id, round(m.score, 6), m.rank_for_request, m.rank_for_product, m.updated_at)
            for m in db.exec(select(Match).order_by(Match.product_id, Match.request_id))]


def position(db) -> int:
    db.expire_all()
    return changes.position(db, jobs.NAME)


def pending_now(app, side: str, item_id: int) -> bool:
    with Session(app.extensions["db_engine"]) as session:
        return jobs.pending(session, side, item_id)


def run(app) -> int:
    with app.app_context():
        return jobs.run_matching(app.extensions["db_engine"])


def product_data(**fields) -> ProductIn:
    values = dict(title="Teak dining chair", description="Solid teak, SVLK certified, for hotels.",
                  hs_code="940161", certifications=["svlk"], moq=20, unit="pcs", capacity_per_month=300,
                  price_usd=120.0, incoterms=["FOB"], language="en")
    values.update(fields)
    return ProductIn.model_validate(values)


# -- modes -----------------------------------------------------------------------------------------


def test_the_mode_follows_the_configuration():
    assert jobs.mode_of({"TESTING": True, "REDIS_URL": "redis://x"}) == "inline"
    assert jobs.mode_of({"REDIS_URL": "redis://x"}) == "rq"
    assert jobs.mode_of({}) == "thread"
    assert jobs.mode_of({"MATCHING_MODE": "Worker "}) == "worker"
    with pytest.raises(ConfigurationError, match="not one of"):
        jobs.mode_of({"MATCHING_MODE": "celery"})
    with pytest.raises(ConfigurationError, match="needs REDIS_URL"):
        jobs.mode_of({"MATCHING_MODE": "rq"})


def test_inline_mode_matches_before_the_save_returns(app, db, pair):
    _, product, _, request = pair
    assert [(m[0], m[1]) for m in stored(db)] == [(product.id, request.id)]
    assert position(db) == changes.latest(db)
    assert not jobs.pending(db, "products", product.id) and not jobs.pending(db, "requests", request.id)


# -- the job ---------------------------------------------------------------------------------------


def test_a_second_run_finds_nothing_to_do_and_changes_nothing(app, db, use_mode, make):
    use_mode("worker")
    exporter = make.organisation(kind="exporter", country="ID")
    buyer = make.organisation(kind="buyer", country="KZ")
    product, request = make.product(exporter), make.request(buyer)
    assert stored(db) == [] and jobs.pending(db, "products", product.id)

    assert run(app) == 2
    first, at = stored(db), position(db)
    assert [(m[0], m[1]) for m in first] == [(product.id, request.id)] and at == changes.latest(db)
    assert not jobs.pending(db, "products", product.id)

    assert run(app) == 0
    assert stored(db) == first and position(db) == at


def test_a_run_overtaken_by_another_stores_nothing_and_starts_again(app, db, use_mode, make, monkeypatch):
    """The position is claimed inside the write transaction: a run that finds it moved since it read it
    (another run, or a rematch, stored newer lists meanwhile) stores nothing, then redoes from there."""
    use_mode("worker")
    exporter, buyer = make.organisation(kind="exporter", country="ID"), make.organisation(kind="buyer", country="KZ")
    product, request = make.product(exporter), make.request(buyer)
    original, calls = matches.refresh, []

    def refresh_with_a_rematch_meanwhile(session, **kwargs):
        calls.append(sorted(kwargs["products"]))
        if len(calls) == 1:
            with Session(app.extensions["db_engine"]) as other:
                matches.rematch_all(other)  # moves the position past what this run read
        return original(session, **kwargs)

    monkeypatch.setattr(matches, "refresh", refresh_with_a_rematch_meanwhile)
    assert run(app) == 0  # the second attempt finds the rematch did everything
    assert calls == [[product.id]]
    assert [(m[0], m[1]) for m in stored(db)] == [(product.id, request.id)]
    assert position(db) == changes.latest(db)


def test_rematch_all_moves_the_position_to_the_newest_change(app, db, use_mode, make):
    use_mode("worker")
    product = make.product(make.organisation(kind="exporter", country="ID"))
    make.request(make.organisation(kind="buyer", country="KZ"))
    assert jobs.pending(db, "products", product.id)
    with app.app_context():
        matches.rematch_all(db)
    assert position(db) == changes.latest(db) and not jobs.pending(db, "products", product.id)
    assert run(app) == 0


def test_pending_refuses_an_unknown_side(db):
    with pytest.raises(ValueError):
        jobs.pending(db, "organisations", 1)


def test_the_worker_command_matches_what_is_pending_and_exits_in_burst_mode(app, db, use_mode, runner, make):
    use_mode("worker")
    product = make.product(make.organisation(kind="exporter", country="ID"))
    request = make.request(make.organisation(kind="buyer", country="KZ"))
    assert stored(db) == []
    # What the process had before (not always Python's default: a shell starts background jobs
    # with Ctrl-C ignored, and Python then keeps it ignored).
    before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    assert [(m[0], m[1]) for m in stored(db)] == [(product.id, request.id)]
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before  # handed back


# -- a killed worker loses nothing -----------------------------------------------------------------


def _stderr_lines(process) -> "queues.Queue[str]":
    lines: "queues.Queue[str]" = queues.Queue()

    def read():
        for line in process.stderr:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _wait_for_line(lines, marker: str, timeout: float) -> list[str]:
    seen, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queues.Empty:
            continue
        seen.append(line)
        if marker in line:
            return seen
    pytest.fail(f"no {marker!r} within {timeout} s; the worker said:\n{''.join(seen)}")


def spawn_worker(database_url: str, *args: str, **env) -> subprocess.Popen:
    """``matchmaker worker`` in a process of its own, on the test database (stderr readable)."""
    environment = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "MATCHING_MODE")}
    environment.update(DATABASE_URL=database_url, MATCHMAKER_ENV="development", SECRET_KEY="test", **env)
    return subprocess.Popen([sys.executable, "-c", "from matchmaker.cli import main; main()", "worker", *args],
                            env=environment, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)


@pytest.mark.parametrize("with_redis", [False, True], ids=["polling", "rq"])
def test_ctrl_c_stops_the_worker_cleanly(app, db, database_url, with_redis, request):
    env = {}
    if with_redis:
        env = {"REDIS_URL": request.getfixturevalue("redis_url"), "MATCHING_QUEUE": f"test-{uuid.uuid4().hex[:8]}"}
    worker = spawn_worker(database_url, "--interval", "1", **env)
    try:
        lines = _stderr_lines(worker)
        _wait_for_line(lines, "matching worker: ready", timeout=120)
        worker.send_signal(signal.SIGINT)
        assert worker.wait(60) == 0
        said = _wait_for_line(lines, "Matching worker stopped.", timeout=30)
        assert "Traceback" not in "".join(said)
    finally:
        if worker.poll() is None:
            worker.kill()


def test_the_worker_loads_the_indexes_before_it_says_ready(app, db, database_url, make):
    """The first save after a worker (re)starts does not wait for the indexes to load."""
    make.product(make.organisation(kind="exporter", country="ID"))
    make.request(make.organisation(kind="buyer", country="KZ"))
    worker = spawn_worker(database_url, "--interval", "1")
    try:
        said = _wait_for_line(_stderr_lines(worker), "matching worker: ready", timeout=120)
        assert any("matching worker: indexes loaded in" in line for line in said), "".join(said)
        worker.send_signal(signal.SIGINT)
        assert worker.wait(60) == 0
    finally:
        if worker.poll() is None:
            worker.kill()


def test_a_worker_killed_in_the_middle_of_a_run_loses_nothing(app, db, use_mode, make, database_url):
    use_mode("worker")
    exporter = make.organisation(kind="exporter", country="ID")
    buyer = make.organisation(kind="buyer", country="KZ")
    first, request = make.product(exporter), make.request(buyer)
    run(app)
    before, at = stored(db), position(db)
    assert [(m[0], m[1]) for m in before] == [(first.id, request.id)]
    # A better product for the hotel: its run would store a new pair and move the first one down.
    second = make.product(exporter, title="Teak furniture for hotels", hs_code="940161",
                          description="Teak furniture for a hotel in Astana, 120 rooms, DAP.")
    assert jobs.pending(db, "products", second.id)

    worker = spawn_worker(database_url, "--burst", **{jobs.PAUSE_ENV: "120"})
    try:
        _wait_for_line(_stderr_lines(worker), "inside the write transaction", timeout=120)
        worker.kill()  # SIGKILL: no handler, no rollback by the process itself
        worker.wait(30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL

    assert stored(db) == before, "the previous matches are intact"
    assert position(db) == at and jobs.pending(db, "products", second.id)

    assert run(app) == 1  # a new run does the job again, from the same position
    after = stored(db)
    assert {(m[0], m[1]) for m in after} == {(first.id, request.id), (second.id, request.id)}
    assert position(db) == changes.latest(db) and not jobs.pending(db, "products", second.id)


# -- the thread of the web process -----------------------------------------------------------------


@pytest.fixture
def gated_refresh(monkeypatch):
    """matches.refresh waits for the gate to open; counts its calls."""
    gate, entered, calls = threading.Event(), threading.Event(), []
    original = matches.refresh

    def gated(session, **kwargs):
        calls.append(kwargs)
        entered.set()
        assert gate.wait(60), "the test never opened the gate"
        return original(session, **kwargs)

    monkeypatch.setattr(matches, "refresh", gated)
    return gate, entered, calls


def test_thread_mode_a_save_returns_before_matching_and_saves_in_a_burst_make_one_more_run(
        app, db, client, auth, use_mode, make, gated_refresh):
    gate, entered, calls = gated_refresh
    scheduler = use_mode("thread", MATCHING_CATCH_UP_S=3600)  # no timed look: only wake-ups
    exporter = make.organisation(kind="exporter", country="ID")
    owner = make.user(exporter)
    buyer = make.organisation(kind="buyer", country="KZ")
    request = make.request(buyer)
    auth.login(owner.email)  # the first request starts the thread, which catches up on the request
    assert entered.wait(30), "the thread started and began matching"

    response = client.post("/products/new", data={
        "title": "Teak dining chair", "description": "Solid teak for hotels", "hs_code": "940161",
        "certifications": ["svlk"], "moq": "20", "unit": "pcs", "capacity_per_month": "300",
        "price_usd": "120", "incoterms": ["FOB"], "language": "en", "publish": "1"})
    assert response.status_code == 302  # answered while matching is held at the gate
    product_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert "Finding matches…" in page and 'hx-trigger="every 1s"' in page
    assert stored(db) == []

    product = catalog.get(db, PRODUCTS, product_id)
    for n in range(9):  # a burst of edits while the first run is held
        product = catalog.update(db, PRODUCTS, actor=owner, item=product, version=product.version,
                                 data=product_data(title=f"Teak dining chair {n}"), publish=True)
    gate.set()
    wait_for(lambda: not pending_now(app, "products", product_id),
             what="the thread to match the saved product")
    scheduler.stop()
    # One run for what was pending at start, one for the ten saves made during it.
    assert len(calls) == 2 and scheduler.runs == 2
    assert calls[1]["products"] == {product_id} and calls[0]["requests"] == {request.id}
    assert [(m[0], m[1]) for m in stored(db)] == [(product_id, request.id)]
    page = client.get(f"/products/{product_id}").get_data(as_text=True)
    assert "Finding matches…" not in page and "hx-trigger" not in page.split('id="item-matches"')[1][:300]


def test_thread_mode_survives_a_failed_run(app, db, use_mode, make, monkeypatch, caplog):
    scheduler = use_mode("thread", MATCHING_CATCH_UP_S=3600)
    failures = []
    original = matches.refresh

    def failing_once(session, **kwargs):
        if not failures:
            failures.append(True)
            raise RuntimeError("database hiccup")
        return original(session, **kwargs)

    monkeypatch.setattr(matches, "refresh", failing_once)
    exporter, buyer = make.organisation(kind="exporter", country="ID"), make.organisation(kind="buyer", country="KZ")
    product = make.product(exporter)
    scheduler.start()
    wait_for(lambda: failures and scheduler.runs >= 1, what="the first, failing run")
    request = make.request(buyer)  # the next wake-up retries everything pending
    wait_for(lambda: not pending_now(app, "requests", request.id),
             what="the retry")
    assert [(m[0], m[1]) for m in stored(db)] == [(product.id, request.id)]
    assert "database hiccup" in caplog.text


# -- RQ, with a real Redis -------------------------------------------------------------------------


def test_a_burst_of_saves_queues_one_rq_job_and_a_simple_worker_matches_them(app, db, rq_mode, make):
    scheduler = rq_mode
    exporter = make.organisation(kind="exporter", country="ID")
    owner = make.user(exporter)
    buyer = make.organisation(kind="buyer", country="KZ")
    request = make.request(buyer)
    with app.app_context():
        product = catalog.create(db, PRODUCTS, actor=owner, data=product_data(), publish=True)
        for n in range(9):
            product = catalog.update(db, PRODUCTS, actor=owner, item=product, version=product.version,
                                     data=product_data(title=f"Teak dining chair {n}"), publish=True)
    assert scheduler.queue.count == 1 and stored(db) == []

    runs = []  # (inside an RQ job?, items matched)
    original = jobs.run_matching

    def run_then_save_meanwhile(engine):
        from rq import get_current_job

        in_job = get_current_job() is not None
        count = original(engine)
        runs.append((in_job, count))
        if in_job and len([r for r in runs if r[0]]) == 1:
            # Saves after the job read the log but before it finished: exactly one follow-up is queued.
            make.request(buyer, title="Teak chairs for a restaurant")
            make.request(buyer, title="Teak tables for a restaurant")
            assert scheduler.queue.count == 1
        return count

    jobs.run_matching = run_then_save_meanwhile
    try:
        before = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
        jobs.work(app, burst=True)  # an RQ SimpleWorker in this process, until the queue is empty
    finally:
        jobs.run_matching = original
    # The worker's catch-up at start did the burst (the product and the request), so the queued job
    # found nothing; its follow-up matched the two requests saved during it; the last catch-up, nothing.
    assert runs == [(False, 2), (True, 0), (True, 2), (False, 0)]
    assert scheduler.queue.count == 0 and not scheduler.redis.exists(scheduler.flag)
    assert {(m[0], m[1]) for m in stored(db)} >= {(product.id, request.id)}
    assert position(db) == changes.latest(db) and not jobs.pending(db, "products", product.id)
    assert (signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)) == before  # handed back


def test_an_import_of_many_rows_queues_one_job(app, db, rq_mode, make):
    chamber = make.organisation(kind="chamber", country="ID")
    curator = make.user(chamber, role="curator")
    make.organisation(kind="exporter", country="ID", name="PT Jati Baru")
    rows = "\n".join(f"PT Jati Baru,product,Teak chair {n},Solid teak,940161,svlk,20,pcs,400,85,FOB,en"
                     for n in range(12))
    data = ("organisation,side,title,description,hs_code,certifications,moq,unit,capacity_per_month,price_usd,"
            "incoterms,language\n" + rows + "\n").encode()
    with app.app_context():
        result = catalogue_import.apply(db, user_id=curator.id, filename="members.csv", data=data)
    assert len(result.product_ids) == 12 and rq_mode.queue.count == 1
    assert all(pending_now(app, "products", i) for i in result.product_ids)


def test_a_save_while_redis_is_down_is_saved_and_the_worker_catches_up(app, db, use_mode, make, caplog):
    use_mode("rq", REDIS_URL="redis://127.0.0.1:1/0", MATCHING_QUEUE="unreachable")
    exporter, buyer = make.organisation(kind="exporter", country="ID"), make.organisation(kind="buyer", country="KZ")
    product, request = make.product(exporter), make.request(buyer)  # no error: the saves are stored
    assert "matching not queued" in caplog.text
    assert jobs.pending(db, "products", product.id)
    app.config["REDIS_URL"] = ""
    jobs.work(app, burst=True)  # the worker's catch-up (here its polling form)
    assert [(m[0], m[1]) for m in stored(db)] == [(product.id, request.id)]


# -- the page: "finding matches…" and its polling --------------------------------------------------


def test_the_matches_section_says_finding_and_polls_until_the_job_is_done(app, db, client, auth, use_mode, make):
    use_mode("worker")
    exporter = make.organisation(kind="exporter", country="ID")
    owner = make.user(exporter)
    make.request(make.organisation(kind="buyer", country="KZ"))
    product = make.product(exporter)
    auth.login(owner.email)
    url = f"/products/{product.id}/matches"

    page = client.get(f"/products/{product.id}").get_data(as_text=True)
    assert "Finding matches…" in page and f'hx-get="{url}"' in page and 'hx-trigger="every 1s"' in page
    assert 'role="status"' in page.split('id="finding-matches"')[1][:120]
    assert f'href="/products/{product.id}#item-matches">refresh</a>' in page  # without JavaScript
    assert "No matches yet" not in page

    poll = client.get(url, headers={"HX-Request": "true"})
    assert poll.status_code == 204 and poll.get_data() == b""  # still at work: nothing to swap
    assert "Finding matches…" in client.get(url).get_data(as_text=True)  # a plain GET gets the section

    run(app)
    poll = client.get(url, headers={"HX-Request": "true"})
    body = poll.get_data(as_text=True)
    assert poll.status_code == 200
    assert 'id="item-matches"' in body and "hx-trigger" not in body and "Finding matches…" not in body
    assert "Teak furniture for a hotel in Astana" in body  # the match, with its quick moves
    assert f'name="next" value="/products/{product.id}"' in body  # they come back to the item's page
    assert "<html" not in body


def test_the_finding_status_is_translated(app, db, client, auth, use_mode, make):
    use_mode("worker")
    exporter = make.organisation(kind="exporter", country="ID")
    owner = make.user(exporter, locale="ru")
    product = make.product(exporter)
    auth.login(owner.email)
    page = client.get(f"/products/{product.id}?lang=ru").get_data(as_text=True)
    assert "Finding matches…" not in page and "Ищем совпадения…" in page


def test_the_matches_section_is_refused_to_strangers(app, db, client, auth, make):
    exporter = make.organisation(kind="exporter", country="ID")
    product = make.product(exporter)
    draft = make.product(exporter, status="draft")
    stranger = make.user(make.organisation(kind="exporter", country="ID"))
    assert client.get(f"/products/{product.id}/matches").status_code == 404  # anonymous
    auth.login(stranger.email)
    assert client.get(f"/products/{product.id}/matches").status_code == 404
    assert client.get(f"/products/{draft.id}/matches").status_code == 404
    assert client.get("/products/999999/matches").status_code == 404
