"""The warm per-side indexes: a snapshot file plus the change log's deltas, the same in every process."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from matchmaker import create_app
from matchmaker.matching import Demand, ProductIndex
from matchmaker.models import ProductProfile
from matchmaker.services import changes, index_store, search
from matchmaker.services.matches import to_engine_product

QUERIES = [Demand("q1", "Teak dining chairs for a hotel"), Demand("q2", "Мебель из тикового дерева"),
           Demand("q3", "Frozen tuna loins"), Demand("q4", "Kain katun untuk seragam")]
TITLES = ["Kursi makan jati solid", "Solid teak dining table", "Rattan lounge chair", "Kain katun tenun",
          "Frozen yellowfin tuna loins", "Udang vaname beku", "Teak garden bench", "Lemari pakaian jati"]


def _top(index) -> list:
    return [[(m.product_id, m.score) for m in index.top(q, k=10)] for q in QUERIES]


@pytest.fixture
def catalogue(make):
    org = make.organisation()
    return org, [make.product(org, title=title, description="") for title in TITLES]


def _store(app) -> index_store.Store:
    return index_store.store_for(app.extensions["db_engine"])


def test_a_snapshot_is_saved_and_loaded_instead_of_fitting_again(app, db, catalogue):
    version = index_store.rebuild(db, "products")
    files = _store(app).snapshots("products")
    assert [seq for seq, _ in files] == [version.applied]
    assert version.fingerprint in files[0][1].name
    fitted = _top(_store(app).sides["products"].index)

    index_store.forget(app.extensions["db_engine"])  # as a new process would start
    assert index_store.version(db, "products") == version  # same fitted index (its fitting time too)
    assert _top(_store(app).sides["products"].index) == fitted


def test_deltas_since_the_snapshot_rank_as_a_refit_on_the_catalogue(app, make, db, catalogue):
    org, items = catalogue
    index_store.rebuild(db, "products")
    index_store.forget(app.extensions["db_engine"])
    make.product(org, title="Teak dining chair with rattan seat", description="")
    items[1].title, items[1].description = "Solid teak dining chairs", "Kiln-dried"
    items[4].status = "archived"
    for item in (items[1], items[4]):
        db.add(item)
        changes.record(db, products=[item.id])
    db.commit()

    loaded = index_store.version(db, "products")
    assert loaded.applied == changes.latest(db) > loaded.snapshot
    records = [to_engine_product(p) for p in db.exec(
        __import__("sqlmodel").select(ProductProfile).where(ProductProfile.status == "published")).all()]
    assert _top(_store(app).sides["products"].index) == _top(ProductIndex(records))


def test_pruning_keeps_the_newest_snapshots_and_the_log_every_consumer_needs(app, make, db, catalogue):
    org, _ = catalogue
    last = changes.latest(db)  # the catalogue's eight rows end here
    for title in ("Teak bench", "Teak stool", "Teak shelf"):
        make.product(org, title=title)
        index_store.rebuild(db, "products")
        index_store.rebuild(db, "requests")
    store = _store(app)
    assert len(store.snapshots("products")) == 3
    store.prune(2)
    kept = [seq for seq, _ in store.snapshots("products")]
    assert len(kept) == 2
    assert kept == [last + 3, last + 2]
    # A consumer behind the kept snapshots (the matching job, here, has kept up with every save).
    changes.advance(db, "a-slow-consumer", last - 5)
    db.commit()
    assert index_store.prune_log(db, store) == 2  # the two rows before its position
    # Everything after the slowest consumer is still there for it.
    assert len(changes.since(db, last - 6).products) == 9
    changes.advance(db, "a-slow-consumer", last + 3)
    db.commit()
    assert index_store.prune_log(db, store) == 7  # now up to the oldest kept snapshot's own row
    assert len(changes.since(db, last - 6).products) == 2

    index_store.forget(app.extensions["db_engine"])
    assert index_store.version(db, "products").snapshot == kept[0]  # the newest file still loads


def test_two_web_processes_see_the_same_index_version_after_a_save(app, make, db, catalogue, client):
    other = create_app({**{key: app.config[key] for key in ("TESTING", "DATABASE_URL", "SECRET_KEY",
                                                            "WTF_CSRF_ENABLED", "INDEX_DIR")}})
    try:
        org, _ = catalogue
        index_store.rebuild(db, "products")  # the worker's (or `index rebuild`'s) snapshot
        first, second = app.extensions["db_engine"], other.extensions["db_engine"]
        assert index_store.store_for(first) is not index_store.store_for(second)
        make.product(org, title="Mahogany writing desk", description="")  # saved through the first
        with Session(first) as a, Session(second) as b:
            assert index_store.version(a, "products") == index_store.version(b, "products")
            assert index_store.version(b, "products").applied == changes.latest(b)
        for each in (app, other):
            with each.app_context(), Session(each.extensions["db_engine"]) as session:
                found = search.search(session, query="mahogany desk")
                assert [hit.item.title for hit in found.page.items][0] == "Mahogany writing desk"
    finally:
        other.extensions["db_engine"].dispose()


def test_a_web_process_that_may_not_fit_waits_for_a_snapshot(app, make, db, catalogue, client):
    web = create_app({**{key: app.config[key] for key in ("TESTING", "DATABASE_URL", "SECRET_KEY",
                                                          "WTF_CSRF_ENABLED", "INDEX_DIR")},
                      "INDEX_FIT_IN_WEB": False})
    try:
        with Session(web.extensions["db_engine"]) as session:
            with pytest.raises(index_store.IndexBeingPrepared):
                index_store.version(session, "products")
        page = web.test_client().get("/search/?q=teak")
        assert page.status_code == 200  # answers, without the engine's results, until a snapshot exists
        assert "search index is being prepared" in page.get_data(as_text=True)
        index_store.rebuild(db, "products")
        with Session(web.extensions["db_engine"]) as session:
            assert index_store.version(session, "products") == index_store.version(db, "products")
        with web.app_context(), Session(web.extensions["db_engine"]) as session:
            found = search.search(session, query="teak")
        assert "Solid teak dining table" in [hit.item.title for hit in found.page.items], found
        page = web.test_client().get("/search/?q=teak").get_data(as_text=True)
        assert "Solid <mark>teak</mark> dining table" in page
        assert "being prepared" not in page
    finally:
        web.extensions["db_engine"].dispose()


def test_a_web_process_warms_up_as_soon_as_the_snapshots_exist(app, db, catalogue):
    """At start (gunicorn.conf.py) a web process loads both indexes and reads every profile and word
    of the catalogue in the background, waiting for the worker's first snapshots if need be."""
    from matchmaker.matching.artefact import STORED

    web = create_app({**{key: app.config[key] for key in ("TESTING", "DATABASE_URL", "SECRET_KEY",
                                                          "WTF_CSRF_ENABLED", "INDEX_DIR")},
                      "INDEX_FIT_IN_WEB": False})
    try:
        engine = web.extensions["db_engine"]
        thread = index_store.warm_up(engine, retry_s=0.05)
        thread.join(0.3)
        assert thread.is_alive()  # no snapshot yet: it waits
        for side in index_store.SIDES:
            index_store.rebuild(db, side)
        thread.join(60)
        assert not thread.is_alive()
        warm = index_store.store_for(engine).sides["products"]
        assert len(warm.index) == len(TITLES)
        assert not any(profile is STORED for profile in warm.index._profiles)  # none left to read on use
        assert "rattan" in warm.terms
        page = web.test_client().get("/search/?q=teak").get_data(as_text=True)
        assert "Solid <mark>teak</mark> dining table" in page and "being prepared" not in page
    finally:
        web.extensions["db_engine"].dispose()


def test_index_rebuild_command_writes_both_snapshots(app, runner, catalogue):
    result = runner.invoke(args=["index", "rebuild"])
    assert result.exit_code == 0, result.output
    store = _store(app)
    assert len(store.snapshots("products")) == len(store.snapshots("requests")) == 1
    assert "Snapshots written" in result.output


def test_matching_fits_when_it_must_even_where_search_may_not(app, make, db, catalogue):
    """Until a worker runs beside it, a web process that may not fit still matches the saves it makes."""
    from matchmaker.services import matches

    web = create_app({**{key: app.config[key] for key in ("TESTING", "DATABASE_URL", "SECRET_KEY",
                                                          "WTF_CSRF_ENABLED", "INDEX_DIR")},
                      "INDEX_FIT_IN_WEB": False})
    try:
        request = make.request(make.organisation(kind="buyer", country="KZ"), title="Teak dining chairs")
        with web.app_context(), Session(web.extensions["db_engine"]) as session:
            matches.refresh(session, requests=[request.id])
            assert matches.for_item(session, "request", request)
    finally:
        web.extensions["db_engine"].dispose()


def test_a_rebuild_right_after_an_import_leaves_the_matching_job_its_rows(app, make, db):
    """The import's rows are still the matching job's to read when an index rebuild prunes the log,
    even before the job's first run has recorded where it is."""
    from matchmaker.models import DerivedPosition, Match
    from matchmaker.services import jobs
    from sqlmodel import select

    app.config["MATCHING_MODE"] = "worker"  # nothing matches until the worker runs, as in production
    jobs.init_app(app)
    make.schedules_matching = True
    exporter, buyer = make.organisation(), make.organisation(kind="buyer", country="KZ")
    products = [make.product(exporter, title=title, description="") for title in TITLES[:3]]
    make.request(buyer, title="Teak dining chairs for a hotel in Astana")
    assert db.get(DerivedPosition, "matching") is None

    for side in index_store.SIDES:
        index_store.rebuild(db, side)
    assert index_store.prune_log(db, _store(app)) == 0
    assert changes.since(db, 0).products == {p.id for p in products}

    with app.app_context():
        jobs.run_matching(app.extensions["db_engine"])
    db.expire_all()
    assert db.exec(select(Match)).all(), "the imported items were matched"


def test_a_process_idle_past_a_pruned_log_starts_again_from_the_newest_snapshot(app, make, db, catalogue):
    """A web process at an old position whose next deltas were pruned (two newer snapshots written
    meanwhile) must not miss those changes: it reloads the newest snapshot."""
    org, items = catalogue
    index_store.rebuild(db, "products")
    idle = index_store.Store(_store(app).directory)  # another process, at the first snapshot
    with Session(app.extensions["db_engine"]) as session:
        assert idle.current(session, "products").applied == changes.latest(db)
    make.product(org, title="Mahogany writing desk", description="")
    make.product(org, title="Walnut bookcase", description="")
    index_store.rebuild(db, "products")
    index_store.rebuild(db, "requests")
    make.product(org, title="Cedar chest", description="")
    index_store.rebuild(db, "products")
    _store(app).prune(2)  # the oldest kept snapshot is past the desk's row: the log loses it
    changes.advance(db, "matching", changes.latest(db))
    db.commit()
    assert index_store.prune_log(db, _store(app)) > 0
    with Session(app.extensions["db_engine"]) as session:
        state = idle.current(session, "products")
        assert state.applied == changes.latest(db)
        titles = {str(p.id): p.title for p in db.exec(__import__("sqlmodel").select(ProductProfile)).all()}
        found = [titles[m.product_id] for m in state.index.top(Demand("q", "mahogany desk"), k=3)]
    assert found[:1] == ["Mahogany writing desk"]


def test_the_matching_process_writes_a_snapshot_every_so_many_changes(app, make, db, catalogue):
    from matchmaker.services import jobs

    org, _ = catalogue
    app.config["INDEX_SNAPSHOT_EVERY"] = 3
    index_store.rebuild(db, "products")
    index_store.rebuild(db, "requests")
    first = [seq for seq, _ in _store(app).snapshots("products")]
    make.schedules_matching = True
    make.product(org, title="Teak bench", description="")
    make.product(org, title="Teak stool", description="")
    jobs.catch_up(app)
    assert [seq for seq, _ in _store(app).snapshots("products")] == first  # two changes: not yet due
    make.product(org, title="Teak shelf", description="")
    jobs.catch_up(app)
    assert changes.position(db, jobs.NAME) == changes.latest(db)
    files = _store(app).snapshots("products")
    assert [seq for seq, _ in files][0] == changes.latest(db) and len(files) <= index_store.KEEP_SNAPSHOTS
    index_store.forget(app.extensions["db_engine"])  # a process started now loads it: nothing to apply
    with Session(app.extensions["db_engine"]) as session:
        state = index_store.store_for(app.extensions["db_engine"]).current(session, "products")
        assert state.snapshot == state.applied == changes.latest(db)


def test_search_follows_the_active_weights_when_they_change_and_back(app, db, catalogue):
    """A search knows the active weights by their row: a new active version, or none again, is seen
    by the next search (the index refits with them), never a remembered older one."""
    from matchmaker.matching import DEFAULT_WEIGHTS
    from matchmaker.matching.scoring import resolve_weights
    from matchmaker.models import WeightVersion
    from matchmaker.services import search_index

    built_in = search_index.snapshot(db, "products")
    learnt = {**DEFAULT_WEIGHTS, "text": DEFAULT_WEIGHTS["text"] * 2}
    row = WeightVersion(name="w2", weights=learnt, active=True)
    db.add(row)
    db.commit()
    found = search_index.snapshot(db, "products")
    assert found.version != built_in.version
    assert found.index.weights == resolve_weights(learnt)
    row.active = False
    db.add(row)
    db.commit()
    again = search_index.snapshot(db, "products")
    assert again.index.weights == resolve_weights(None)
