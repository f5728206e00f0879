"""Stored matches are derived data with one owner: whatever a member changes through the web (an item,
its status, the organisation's country or kind), the stored matches are what ``matchmaker rematch``
would store from scratch."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select

from matchmaker import db as db_module
from matchmaker.models import BuyingRequest, Match, ProductProfile
from matchmaker.services import changes, index_store, jobs, matches

PASSWORD = "correct-horse-2026"  # the factory users' password (tests/conftest.py)
ITEM_TABLES = ("audit_event", "match", "product_profile", "buying_request", "catalogue_change", "derived_position", "matching_backlog")

PRODUCTS = [
    ("Kursi makan jati solid", "Kursi kayu jati untuk restoran dan hotel", "940161", "id"),
    ("Solid teak dining table", "Kiln-dried teak, SVLK certified", "940360", "en"),
    ("Rattan lounge chair", "Hand-woven rattan armchair for hotel terraces", "940152", "en"),
    ("Kain katun tenun", "Kain katun untuk seragam dan kemeja", "520812", "id"),
    ("Hijab voal premium", "Hijab segi empat bahan voal", "621420", "id"),
    ("Frozen yellowfin tuna loins", "Sashimi grade, vacuum packed", "030487", "en"),
    ("Udang vaname beku", "Udang kupas beku untuk ekspor", "030617", "id"),
    ("Говядина замороженная бескостная", "Блоки 25 кг, халал", "020230", "ru"),
    ("Сухое цельное молоко 26%", "Мешки по 25 кг", "040221", "ru"),
    ("Мұздатылған қой еті", "Ұшалар, халал", "020443", "kk"),
]
REQUESTS = [
    ("Teak dining chairs for a hotel", "120 rooms, DAP Almaty", "", "en"),
    ("Мебель из тикового дерева для гостиниц", "Поставка DAP Алматы", "", "ru"),
    ("Платки и хиджабы оптом", "Ткань вуаль", "", "ru"),
    ("Cotton poplin for shirts", "", "520812", "en"),
    ("Тунец замороженный", "Филе, вакуумная упаковка", "", "ru"),
    ("Daging sapi beku halal", "Tanpa tulang, untuk hotel", "", "id"),
    ("Susu bubuk full cream", "Untuk industri roti", "0402", "id"),
    ("Frozen shrimp", "Vannamei, peeled", "", "en"),
]
CERTIFICATES = ["halal", "vet", "eac", "svlk"]
# Who writes: (kind, country). The last two are there to be moved between countries and kinds.
ORGANISATIONS = [("exporter", "ID"), ("producer", "KZ"), ("buyer", "KZ"), ("importer", "ID"),
                 ("exporter", "ID"), ("buyer", "KZ")]
SUPPLY = {"exporter", "producer"}


def _item_form(kind: str, text: tuple, certificates: list[str], amount: int, publish: bool) -> dict:
    title, description, hs_code, language = text
    form = {"title": title, "description": description, "hs_code": hs_code, "language": language,
            "unit": "t", "incoterms": ["FOB"]}
    if kind == "product":
        form.update(certifications=certificates, moq=str(amount), capacity_per_month=str(amount * 10),
                    price_usd="1200")
        form["hs_code"] = hs_code or "940360"
    else:
        form.update(required_certifications=certificates, quantity=str(amount * 3), max_price_usd="9000")
    if publish:
        form["publish"] = "1"
    return form


# Mostly none, so that most pairs are eligible; mostly published, so that the lists fill.
certificates = st.one_of(st.just([]), st.lists(st.sampled_from(CERTIFICATES), max_size=2, unique=True))
publish = st.sampled_from([True, True, False])
new_item = st.tuples(st.just("new"), st.integers(0, len(ORGANISATIONS) - 1), st.integers(0, 99), certificates,
                     st.integers(1, 50), publish)
operation = st.one_of(
    new_item,
    st.tuples(st.just("edit"), st.integers(0, 99), st.integers(0, 99), certificates, st.integers(1, 50), publish),
    st.tuples(st.just("status"), st.integers(0, 99), st.sampled_from(["published", "archived", "draft"])),
    st.tuples(st.just("country"), st.integers(4, 5), st.sampled_from(["ID", "KZ", "MY"])),
    st.tuples(st.just("kind"), st.integers(4, 5), st.sampled_from(["exporter", "producer", "buyer", "importer"])),
    st.tuples(st.just("curate"), st.integers(0, 99)),
)


def _stored(db) -> dict:
    db.expire_all()
    return {(m.product_id, m.request_id): (m.status, m.rank_for_request, m.rank_for_product, m.score, m.explanation)
            for m in db.exec(select(Match)).all()}


def _clear(app) -> None:
    with app.extensions["db_engine"].begin() as connection:
        for table in ITEM_TABLES:
            connection.execute(text(f"DELETE FROM {table}"))
    # Rows deleted behind the change log's back: this process's warm indexes know nothing of it.
    index_store.forget(app.extensions["db_engine"])


def _save(client, url: str, form: dict):
    """Post an item form as its owner would: when the form comes back with the corridor's certificates
    ticked for the request's sector, the owner unticks them (as they may) and saves again."""
    response = client.post(url, data=form)
    if response.status_code == 200:
        tag = re.search(r'<input[^>]*name="corridor_checked"[^>]*>', response.get_data(as_text=True))
        sector = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
        if sector and sector.group(1):
            response = client.post(url, data={**form, "corridor_checked": sector.group(1)})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return response


class World:
    """Organisations with one signed-in member each, and the items they posted, as the web made them."""

    def __init__(self, app, make, db):
        self.app, self.db = app, db
        self.orgs = [make.organisation(kind=kind, country=country) for kind, country in ORGANISATIONS]
        self.clients = []
        for org in self.orgs:
            client = app.test_client()
            client.post("/login", data={"email": make.user(org).email, "password": PASSWORD})
            self.clients.append(client)
        self.items: list[tuple[str, int, int]] = []  # (kind, id, organisation index)

    def kind_of(self, index: int) -> str:
        self.db.expire_all()
        return "product" if self.db.get(type(self.orgs[index]), self.orgs[index].id).kind in SUPPLY else "request"

    def run(self, step: tuple) -> None:
        name, *args = step
        getattr(self, f"_{name}")(*args)

    def _new(self, org: int, text: int, certificates, amount: int, publish: bool) -> None:
        kind = self.kind_of(org)
        texts = PRODUCTS if kind == "product" else REQUESTS
        response = _save(self.clients[org], f"/{kind}s/new",
                         _item_form(kind, texts[text % len(texts)], certificates, amount, publish))
        self.items.append((kind, int(re.search(r"/(\d+)$", response.headers["Location"]).group(1)), org))

    def _edit(self, which: int, text: int, certificates, amount: int, publish: bool) -> None:
        if self.items:
            kind, item_id, org = self.items[which % len(self.items)]
            texts = PRODUCTS if kind == "product" else REQUESTS
            form = _item_form(kind, texts[text % len(texts)], certificates, amount, publish)
            self.db.expire_all()
            form["version"] = str(self.db.get(ProductProfile if kind == "product" else BuyingRequest, item_id).version)
            _save(self.clients[org], f"/{kind}s/{item_id}/edit", form)

    def _status(self, which: int, status: str) -> None:
        if self.items:
            kind, item_id, org = self.items[which % len(self.items)]
            assert self.clients[org].post(f"/{kind}s/{item_id}/status", data={"status": status}).status_code == 302

    def _country(self, org: int, country: str) -> None:
        self._edit_organisation(org, country=country)

    def _kind(self, org: int, kind: str) -> None:
        self._edit_organisation(org, kind=kind)

    def _edit_organisation(self, index: int, **change) -> None:
        self.db.expire_all()
        org = self.db.get(type(self.orgs[index]), self.orgs[index].id)
        form = {"name": org.name, "country": org.country, "kind": org.kind, "city": org.city,
                "version": str(org.version), **change}
        assert self.clients[index].post(f"/organisations/{org.id}/edit", data=form).status_code == 302

    def _curate(self, which: int) -> None:
        # A curator takes a proposal further; it then outlives any recompute.
        proposals = sorted(self.db.exec(select(Match).where(Match.status == "proposed")).all(), key=lambda m: m.id)
        if proposals:
            match = proposals[which % len(proposals)]
            match.status = "curated"
            self.db.add(match)
            self.db.commit()


@settings(max_examples=30, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(catalogue=st.lists(new_item, min_size=4, max_size=10), steps=st.lists(operation, max_size=12))
def test_incremental_refreshes_agree_with_a_full_rematch(app, make, db, catalogue, steps):
    _clear(app)
    app.config["MATCHES_PER_ITEM"] = 1  # one-item top lists: every change pushes others out
    world = World(app, make, db)
    for step in catalogue + steps:
        world.run(step)
    incremental = _stored(db)
    with app.app_context():
        matches.rematch_all(db)
    assert incremental == _stored(db)


def _ranks(stored: dict, owner: int, *, request_side: bool) -> dict[int, int]:
    """One list as stored: the other side's item -> its rank in ``owner``'s list."""
    if request_side:
        return {p: ranks[1] for (p, r), ranks in stored.items() if r == owner and ranks[1] is not None}
    return {r: ranks[2] for (p, r), ranks in stored.items() if p == owner and ranks[2] is not None}


def _fresh(app, db) -> tuple[dict, dict]:
    """Every list as the engine gives it now, from the process's current indexes."""
    with app.app_context(), matches._Catalogue.warm(db) as catalogue:
        k = app.config["MATCHES_PER_ITEM"]
        return (catalogue.lists_for_requests(matches._matchable_ids(db, "requests"), k),
                catalogue.lists_for_products(matches._matchable_ids(db, "products"), k))


@settings(max_examples=15, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(catalogue=st.lists(new_item, min_size=4, max_size=10), steps=st.lists(operation, max_size=10))
def test_a_large_catalogue_redoes_every_list_a_change_can_affect(app, make, db, catalogue, steps):
    """Above MATCH_REFRESH_ALL_UP_TO lists only the lists a change can affect are redone. Word weights
    are catalogue-wide, so the others' scores may drift (a tiny amount at scale, much more in a
    catalogue of ten); what must hold exactly after every save: the changed items' own lists are
    the engine's, and every other list holds a changed item exactly when the engine would put it
    there, at the engine's rank when nothing else in that list moved."""
    _clear(app)
    app.config.update(MATCHES_PER_ITEM=2, MATCH_REFRESH_ALL_UP_TO=0, MATCH_REFRESH_ALL_SHARE=float("inf"))
    world = World(app, make, db)
    for step in catalogue + steps:
        db.expire_all()
        before = changes.latest(db)
        world.run(step)
        db.expire_all()
        changed = changes.since(db, before)
        stored = _stored(db)
        fresh_requests, fresh_products = _fresh(app, db)
        for lists, mine, theirs, request_side in ((fresh_requests, changed.requests, changed.products, True),
                                                  (fresh_products, changed.products, changed.requests, False)):
            for owner, found in lists.items():
                engine = {int(m.product_id if request_side else m.demand_id): rank
                          for rank, m in enumerate(found, 1)}
                kept = _ranks(stored, owner, request_side=request_side)
                if owner in mine:
                    assert kept == engine, (step, owner)
                else:
                    assert {i for i in kept if i in theirs} == {i for i in engine if i in theirs}, (step, owner)


def test_an_import_redoes_every_list_of_the_other_side_instead_of_looking_for_entries(app, make, db,
                                                                                     monkeypatch):
    """An import logs many items at once. Past a tenth of the other side's lists, every list there is
    redone (one batch) rather than ranking the whole other side once per changed item to find the lists
    it can enter; the result is exactly a full rematch's."""
    _clear(app)
    app.config.update(MATCHES_PER_ITEM=2, MATCH_REFRESH_ALL_UP_TO=0)
    buyer = make.organisation(kind="buyer", country="KZ")
    for title, description, hs_code, language in REQUESTS:
        make.request(buyer, title=title, description=description, hs_code=hs_code, language=language)
    with app.app_context():
        matches.rematch_all(db)
    app.config["MATCHING_MODE"] = "worker"  # the job runs when the test says, after all of them
    jobs.init_app(app)
    make.schedules_matching = True  # the import's products wait for the matching job
    exporter = make.organisation(kind="exporter", country="ID")
    for title, description, hs_code, language in PRODUCTS:
        make.product(exporter, title=title, description=description, hs_code=hs_code, language=language,
                     certifications=[])
    monkeypatch.setattr(matches._Catalogue, "entering", lambda *_: pytest.fail("ranked per changed item"))
    # An import's ids are read in slices (100,000 ids would pass PostgreSQL's 65,535 parameters): with
    # slices of 3 here, every read of the ten products spans several statements.
    monkeypatch.setattr(db_module, "IN_CHUNK", 3)
    with app.app_context():
        assert jobs.run_matching(app.extensions["db_engine"]) == len(PRODUCTS)
    incremental = _stored(db)
    assert any(ranks[1] for ranks in incremental.values())  # the requests' lists hold the new products
    with app.app_context():
        matches.rematch_all(db)
    assert incremental == _stored(db)


def _import_with_a_backlog(app, make, db) -> list[int]:
    """Requests matched, then an import of products logged with the job not yet run; the products'
    own lists are more than MATCH_BACKLOG_FROM, so the job owes them to the backlog."""
    _clear(app)
    app.config.update(MATCHES_PER_ITEM=2, MATCH_REFRESH_ALL_UP_TO=0, MATCH_BACKLOG_FROM=len(REQUESTS),
                      MATCH_BACKLOG_SLICE=3, MATCH_BACKLOG_SLICE_S=0)
    buyer = make.organisation(kind="buyer", country="KZ")
    for title, description, hs_code, language in REQUESTS:
        make.request(buyer, title=title, description=description, hs_code=hs_code, language=language)
    with app.app_context():
        matches.rematch_all(db)
    app.config["MATCHING_MODE"] = "worker"  # the job runs when the test says
    jobs.init_app(app)
    make.schedules_matching = True
    exporter = make.organisation(kind="exporter", country="ID")
    return [make.product(exporter, title=title, description=description, hs_code=hs_code, language=language,
                         certifications=[]).id
            for title, description, hs_code, language in PRODUCTS]


@pytest.fixture
def slices(monkeypatch):
    """What the job did, in order: ("logged", items matched) and ("slice", lists redone)."""
    done: list[tuple[str, int]] = []
    work_backlog, match_logged = matches.work_backlog, jobs._match_logged

    def slice_(session, *, limit):
        done.append(("slice", work_backlog(session, limit=limit)))
        return done[-1][1]

    def logged(engine):
        done.append(("logged", match_logged(engine)))
        return done[-1][1]

    monkeypatch.setattr(matches, "work_backlog", slice_)
    monkeypatch.setattr(jobs, "_match_logged", logged)
    yield done
    jobs.stopping.clear()


def test_an_import_owes_its_lists_and_the_job_works_them_off_in_slices(app, make, db, slices):
    """Past MATCH_BACKLOG_FROM lists, an import's lists wait in the backlog (their items say "finding
    matches…") and the job redoes them a slice at a time; once the backlog is empty the stored
    matches are exactly a full rematch's."""
    products = _import_with_a_backlog(app, make, db)
    engine = app.extensions["db_engine"]
    with app.app_context():
        assert jobs.run_matching(engine) == len(PRODUCTS) + len(PRODUCTS)  # the log, then the owed lists
    assert slices[0] == ("logged", len(PRODUCTS))
    assert [n for what, n in slices if what == "slice"] == [3, 3, 3, 1, 0]
    db.expire_all()
    assert matches.backlog_waiting(db) == 0
    assert not any(jobs.pending(db, "products", i) for i in products)
    incremental = _stored(db)
    assert any(ranks[2] for ranks in incremental.values())  # the products' own lists are stored
    with app.app_context():
        matches.rematch_all(db)
    assert incremental == _stored(db)


def test_a_run_starts_working_the_backlog_at_the_pace_of_the_last_run(app, monkeypatch):
    """Slices follow the machine's pace across runs: a run that starts while the last one found
    slices slow does not take MATCH_BACKLOG_SLICE lists at once (a save would wait behind them)."""
    import time

    app.config.update(MATCH_BACKLOG_SLICE=128, MATCH_BACKLOG_SLICE_S=0.05)
    limits, owed = [], [2]

    def slow_slice(session, *, limit):  # 0.2 s a slice whatever its size: four times too slow
        limits.append(limit)
        time.sleep(0.2)
        owed[0] -= 1
        return limit if owed[0] >= 0 else 0

    monkeypatch.setattr(matches, "work_backlog", slow_slice)
    monkeypatch.setattr(matches, "backlog_waiting", lambda session: 1)
    monkeypatch.setattr(jobs, "_match_logged", lambda engine: 0)
    monkeypatch.setattr(jobs, "_slice_sizes", {})
    engine = app.extensions["db_engine"]
    with app.app_context():
        jobs.run_matching(engine)  # 128 lists in 0.2 s: the next slice is a quarter of it, or less
        first_run, owed[0] = list(limits), 1
        jobs.run_matching(engine)
    assert first_run[0] == 128 and first_run[1] <= 32
    assert limits[len(first_run)] == first_run[-1] <= 32  # the second run goes on at that pace


def test_a_save_during_an_import_is_matched_before_the_next_slice(app, make, db, slices):
    products = _import_with_a_backlog(app, make, db)
    engine = app.extensions["db_engine"]
    with app.app_context():
        jobs._match_logged(engine)
    db.expire_all()
    assert matches.backlog_waiting(db) == len(PRODUCTS)
    assert jobs.pending(db, "products", products[0]), "an owed list shows as finding matches"
    buyer = make.organisation(kind="buyer", country="KZ")
    saved: list[int] = []
    work_backlog = matches.work_backlog

    def save_during_the_first_slice(session, *, limit):
        done = work_backlog(session, limit=limit)
        if not saved:  # a buyer saves while the job works on the backlog
            saved.append(make.request(buyer, title="Frozen tuna loins", description="Sashimi grade",
                                      hs_code="030487", language="en").id)
        return done

    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(matches, "work_backlog", save_during_the_first_slice)
        jobs.run_matching(engine)
    slices_run = [entry for entry in slices if entry[0] == "slice" or entry[1]]
    # The save is matched before the second slice starts, not after the whole import.
    assert slices_run[1:4] == [("slice", 3), ("logged", 1), ("slice", 3)], slices
    db.expire_all()
    assert not jobs.pending(db, "requests", saved[0])
    with app.app_context():
        incremental = _stored(db)
        matches.rematch_all(db)
    assert incremental == _stored(db)


def test_a_save_stores_its_own_list_first_and_owes_many_others(app, make, db, slices):
    """A request that enters more than MATCH_REDO_AT_ONCE product lists stores its own list in the
    change log's run; the product lists follow in the backlog's slices, and the end is a rematch's."""
    _clear(app)
    app.config.update(MATCHES_PER_ITEM=2, MATCH_REDO_AT_ONCE=3, MATCH_BACKLOG_SLICE=4, MATCH_BACKLOG_SLICE_S=0)
    exporter = make.organisation(kind="exporter", country="ID")
    products = [make.product(exporter, title=title, description=description, hs_code=hs_code, language=language,
                             certifications=[]).id for title, description, hs_code, language in PRODUCTS]
    with app.app_context():
        matches.rematch_all(db)
    app.config["MATCHING_MODE"] = "worker"
    jobs.init_app(app)
    make.schedules_matching = True
    buyer = make.organisation(kind="buyer", country="KZ")
    request = make.request(buyer, title="Teak dining chairs for a hotel", description="Teak, 120 rooms",
                           language="en").id
    engine = app.extensions["db_engine"]
    with app.app_context():
        jobs._match_logged(engine)
    db.expire_all()
    assert _ranks(_stored(db), request, request_side=True), "the request's own list is stored at once"
    assert not jobs.pending(db, "requests", request)
    assert matches.backlog_waiting(db) == len(PRODUCTS)  # every product list may now hold it: owed
    assert jobs.pending(db, "products", products[0])
    with app.app_context():
        jobs.run_matching(engine)
        db.expire_all()
        assert matches.backlog_waiting(db) == 0
        incremental = _stored(db)
        matches.rematch_all(db)
    assert incremental == _stored(db)


def test_a_stop_request_ends_the_run_between_slices(app, make, db, slices):
    _import_with_a_backlog(app, make, db)
    engine = app.extensions["db_engine"]
    work_backlog = matches.work_backlog

    def asked_to_stop(session, *, limit):
        jobs.stopping.set()  # Ctrl-C during this slice
        return work_backlog(session, limit=limit)

    with app.app_context(), pytest.MonkeyPatch.context() as patch:
        patch.setattr(matches, "work_backlog", asked_to_stop)
        jobs.run_matching(engine)
    assert [n for what, n in slices if what == "slice"] == [3]
    db.expire_all()
    assert matches.backlog_waiting(db) == len(PRODUCTS) - 3
    jobs.stopping.clear()
    with app.app_context():
        matches.rematch_all(db)  # redoes every list: nothing is owed any more
    db.expire_all()
    assert matches.backlog_waiting(db) == 0


@pytest.fixture
def world(app, make, db):
    world = World(app, make, db)
    world.run(("new", 4, 1, ["svlk"], 5, True))   # an Indonesian teak table
    world.run(("new", 2, 0, [], 5, True))         # a Kazakh hotel's teak chairs
    return world


def _proposals(db) -> list[tuple[int, int]]:
    return list(_stored(db))


def test_a_country_change_withdraws_proposals_that_break_the_own_country_rule(world, db):
    assert _proposals(db)
    world.run(("country", 4, "KZ"))  # the exporter moves to Kazakhstan: no longer an import for the hotel
    assert _proposals(db) == []
    world.run(("country", 4, "ID"))
    assert _proposals(db)


def test_an_organisation_that_stops_supplying_has_no_products_proposed(world, db):
    product_id = world.items[0][1]
    world.run(("kind", 4, "buyer"))
    assert db.get(ProductProfile, product_id).status == "published"
    assert _proposals(db) == []
