"""The curator's queue (/curation) and its bulk actions (/curation/bulk)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlmodel import func, select

from matchmaker.models import AuditEvent, Introduction, Match, utcnow
from matchmaker.services import curation, queue

EXPLANATION = {"score": 0.8, "components": [
    {"name": "text", "label": "Same words", "contribution": 0.1,
     "phrases": [{"template": "Words in common: {words}", "params": {"words": ["teak"]}}]},
    {"name": "hs", "label": "HS code fit", "contribution": 0.4, "detail": "Same heading"},
    {"name": "concepts", "label": "Same products (across languages)", "contribution": 0.3,
     "detail": "Both are about teak"},
]}


def make_match(db, product, request, score, *, age_days=0) -> Match:
    match = Match(product_id=product.id, request_id=request.id, score=score, explanation=EXPLANATION,
                  created_at=utcnow() - timedelta(days=age_days))
    db.add(match)
    db.commit()
    return match


@pytest.fixture
def world(db, make):
    """Two chambers, their curators, parties in four countries and five matches:

    teak (ID→KZ, .90), beef (KZ→ID, .80), cotton (TR→MY, .70: neither ID nor KZ), lamb (KZ→MY, .60),
    batik (ID→KZ, .80, older than beef).
    """
    w = type("World", (), {})()
    w.kz_chamber = make.organisation(kind="chamber", country="KZ", name="Astana Business Council")
    w.id_chamber = make.organisation(kind="chamber", country="ID", name="Kamar Dagang Demo")
    w.kz_curator = make.user(w.kz_chamber, role="curator", email="kz.curator@example.com")
    w.id_curator = make.user(w.id_chamber, role="curator", email="id.curator@example.com")
    w.admin = make.user(w.kz_chamber, role="admin", email="admin@example.com")
    w.exporter = make.organisation(kind="exporter", country="ID", name="PT Jati Makmur")
    w.kz_buyer = make.organisation(kind="buyer", country="KZ", name="Astana Hotel Supply")
    w.producer = make.organisation(kind="producer", country="KZ", name="Kostanay Meat")
    w.importer = make.organisation(kind="importer", country="ID", name="PT Pangan Halal")
    w.turk = make.organisation(kind="exporter", country="TR", name="Bursa Tekstil")
    w.malay = make.organisation(kind="buyer", country="MY", name="Kuala Trading")
    w.member = make.user(w.exporter, email="member@example.com")
    w.importer_member = make.user(w.importer, email="importer@example.com")
    teak = make.product(w.exporter, title="Teak dining table")
    batik = make.product(w.exporter, title="Batik cotton shirt", hs_code="620520")
    beef = make.product(w.producer, title="Frozen boneless beef", hs_code="020230")
    lamb = make.product(w.producer, title="Frozen lamb carcasses", hs_code="020430")
    cotton = make.product(w.turk, title="Cotton sheeting", hs_code="520812")
    hotel = make.request(w.kz_buyer, title="Teak furniture for a hotel")
    shirts = make.request(w.kz_buyer, title="Batik shirts for a gift shop", hs_code="620520")
    daging = make.request(w.importer, title="Daging sapi beku halal", hs_code="020230")
    mutton = make.request(w.malay, title="Lamb for Malaysia", hs_code="020430")
    sheets = make.request(w.malay, title="Sheeting for hotels", hs_code="520812")
    w.teak = make_match(db, teak, hotel, 0.90, age_days=1)
    w.beef = make_match(db, beef, daging, 0.80, age_days=1)
    w.cotton = make_match(db, cotton, sheets, 0.70, age_days=1)
    w.lamb = make_match(db, lamb, mutton, 0.60, age_days=1)
    w.batik = make_match(db, batik, shirts, 0.80, age_days=5)
    return w


def listed(client, url="/curation", **headers) -> list[int]:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return [int(i) for i in re.findall(r'id="queue-row-(\d+)"', response.get_data(as_text=True))]


# --- who may see the queue -------------------------------------------------------------------------

def test_anonymous_visitors_are_sent_to_log_in(client, world):
    response = client.get("/curation")
    assert response.status_code == 302 and "/login" in response.location
    response = client.post("/curation/bulk", data={"action": "introduce", "match_id": world.teak.id})
    assert response.status_code == 302 and "/login" in response.location


def test_members_are_refused(client, auth, db, world):
    auth.login(world.member.email)
    assert client.get("/curation").status_code == 403
    response = client.post("/curation/bulk", data={"action": "introduce", "match_id": world.teak.id})
    assert response.status_code == 403
    assert db.exec(select(func.count()).select_from(Introduction)).one() == 0


@pytest.mark.parametrize(("who", "expected"), [
    ("kz_curator", {"teak", "beef", "lamb", "batik"}),   # every match with a Kazakh party
    ("id_curator", {"teak", "beef", "batik"}),           # every match with an Indonesian party
    ("admin", {"teak", "beef", "cotton", "lamb", "batik"}),
])
def test_a_curator_sees_the_matches_of_their_country(client, auth, world, who, expected):
    auth.login(getattr(world, who).email)
    assert set(listed(client)) == {getattr(world, name).id for name in expected}


def test_a_kazakh_curator_never_sees_a_pair_without_a_kazakh_party(client, auth, world):
    auth.login(world.kz_curator.email)
    assert world.cotton.id not in listed(client, "/curation?country=TR")
    assert world.cotton.id not in listed(client, "/curation?q=Bursa")
    page = client.get("/curation").get_data(as_text=True)
    assert "Bursa Tekstil" not in page and "Cotton sheeting" not in page


def test_the_nav_offers_the_queue_to_curators_only(client, auth, world):
    auth.login(world.member.email)
    assert 'href="/curation"' not in client.get("/").get_data(as_text=True)
    auth.logout()
    auth.login(world.kz_curator.email)
    assert 'href="/curation"' in client.get("/").get_data(as_text=True)


# --- order, filters, pages -------------------------------------------------------------------------

def test_requested_first_then_score_then_oldest(client, auth, db, world):
    curation.request_introduction(db, match_id=world.beef.id, user_id=world.importer_member.id,
                                  note="Kami butuh 20 ton per bulan")
    auth.login(world.admin.email)
    # beef was asked about; then teak .90; batik and beef would tie at .80, batik is older; then cotton, lamb.
    assert listed(client) == [world.beef.id, world.teak.id, world.batik.id, world.cotton.id, world.lamb.id]
    page = client.get("/curation").get_data(as_text=True)
    assert "Kami butuh 20 ton per bulan" in page


def test_each_row_shows_both_parties_the_why_and_a_link(client, auth, world):
    auth.login(world.kz_curator.email)
    page = client.get("/curation?q=teak").get_data(as_text=True)
    for text in ("PT Jati Makmur", "Astana Hotel Supply", "Teak dining table", "Teak furniture for a hotel",
                 "🇮🇩 ID", "🇰🇿 KZ", f'href="/matches/{world.teak.id}"', "90"):
        assert text in page, text
    # The two biggest parts of the explanation, biggest first; the smallest is left out.
    why = re.search(r'class="queue-why">(.*?)</p>', page, re.S).group(1)
    assert why.index("HS code fit +40") < why.index("Same products (across languages) +30")
    assert "Same words" not in why


@pytest.mark.parametrize(("query", "expected"), [
    ("sector=meat", {"beef", "lamb"}),
    ("sector=furniture", {"teak"}),
    ("corridor=ID-KZ", {"teak", "batik"}),
    ("corridor=KZ-ID", {"beef"}),
    ("country=MY", {"cotton", "lamb"}),
    ("country=TR", {"cotton"}),
    ("q=jati+makmur", {"teak", "batik"}),           # organisation name, any case
    ("q=LAMB", {"lamb"}),                           # product or request title
    ("q=daging", {"beef"}),
    ("q=100%25", set()),                            # "%" is searched for, not a wildcard
    ("stage=introduced", set()),
    ("sector=nonsense&corridor=XX-YY", {"teak", "beef", "cotton", "lamb", "batik"}),  # junk is ignored
])
def test_filters(client, auth, world, query, expected):
    auth.login(world.admin.email)
    assert set(listed(client, f"/curation?{query}")) == {getattr(world, name).id for name in expected}


def test_stage_filter_shows_any_stage(client, auth, db, world):
    curation.introduce(db, match_id=world.teak.id, user_id=world.kz_curator.id, note="Meet each other")
    auth.login(world.kz_curator.email)
    assert world.teak.id not in listed(client)  # no longer awaiting review
    assert listed(client, "/curation?stage=introduced") == [world.teak.id]
    assert listed(client, "/curation?stage=requested") == []


def test_pages_of_25(client, auth, db, make, world):
    products = [make.product(world.exporter, title=f"Teak chair model {n}") for n in range(6)]
    requests = [make.request(world.kz_buyer, title=f"Chairs for hotel {n}") for n in range(5)]
    for p in products:
        for r in requests:
            make_match(db, p, r, 0.55)
    auth.login(world.id_curator.email)
    first, second = listed(client), listed(client, "/curation?page=2")
    assert len(first) == 25 and len(second) == 33 - 25 and not set(first) & set(second)
    page = client.get("/curation?page=2&sector=furniture").get_data(as_text=True)
    assert "Page 2 of 2" in page and 'href="/curation?page=1&amp;sector=furniture"' in page
    assert listed(client, "/curation?page=999") == second  # past the end: the last page


def test_the_service_pages_in_sql(db, world):
    page = queue.list_queue(db, countries=None, filters=queue.Filters(), page=2, page_size=2)
    assert (page.total, page.pages, len(page.items)) == (5, 3, 2)
    assert queue.list_queue(db, countries=frozenset(), filters=queue.Filters()).total == 0


# --- htmx ------------------------------------------------------------------------------------------

def test_htmx_filters_get_only_the_rows(client, auth, world):
    auth.login(world.admin.email)
    partial = client.get("/curation?sector=meat", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in partial and 'id="queue-row-' in partial and 'id="bulk-form"' not in partial
    full = client.get("/curation?sector=meat").get_data(as_text=True)
    assert "<html" in full and 'id="bulk-form"' in full and 'aria-live="polite"' in full
    assert 'hx-push-url="true"' in full and 'hx-indicator=' in full and "delay:300ms" in full
    response = client.get("/curation?q=&stage=&sector=meat&corridor=&country=", headers={"HX-Request": "true"})
    assert response.headers["HX-Push-Url"] == "/curation?sector=meat"


@pytest.mark.parametrize(("locale", "heading"), [("en", "Matches awaiting review"),
                                                 ("id", "Pasangan yang menunggu tinjauan"),
                                                 ("ru", "Пары, ожидающие рассмотрения"),
                                                 ("kk", "Қарауды күтіп тұрған жұптар")])
def test_the_queue_speaks_four_languages(client, auth, world, locale, heading):
    auth.login(world.kz_curator.email)
    page = client.get(f"/curation?lang={locale}").get_data(as_text=True)
    assert heading in page and 'href="/curation"' in page


# --- bulk actions ----------------------------------------------------------------------------------

def snapshot(db) -> dict:
    db.expire_all()
    return {
        "matches": {m.id: (m.status, m.score) for m in db.exec(select(Match)).all()},
        "introductions": {i.match_id: (i.stage, i.version) for i in db.exec(select(Introduction)).all()},
        "events": db.exec(select(func.count()).select_from(AuditEvent)).one(),
    }


def test_bulk_introduce_with_refusals(client, auth, db, world):
    curation.introduce(db, match_id=world.batik.id, user_id=world.id_curator.id)
    before = snapshot(db)
    auth.login(world.kz_curator.email)
    ids = [world.teak.id, world.beef.id, world.batik.id, world.cotton.id]
    response = client.post("/curation/bulk", headers={"HX-Request": "true"},
                           data={"action": "introduce", "match_id": ids, "note": "Please talk"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    status = re.search(r'hx-swap-oob="innerHTML:#bulk-status">(.*?)</div>', html, re.S).group(1)
    assert status.startswith("2 introduced, 2 refused:")
    assert "Batik cotton shirt ⇄ Batik shirts for a gift shop" in status  # already introduced
    assert f"#{world.cotton.id}:" in status and "Cotton sheeting" not in html  # not this curator's
    # The rows touched are swapped in place; the one the curator may not see is not sent.
    swapped = [int(i) for i in re.findall(r'id="queue-row-(\d+)" hx-swap-oob="true"', html)]
    assert swapped == [world.teak.id, world.beef.id, world.batik.id]
    after = snapshot(db)
    for match_id in (world.teak.id, world.beef.id):
        intro = curation.introduction_for(db, match_id)
        assert (intro.stage, intro.curator_id, intro.curator_note) == ("introduced", world.kz_curator.id,
                                                                      "Please talk")
    assert after["introductions"][world.batik.id] == before["introductions"][world.batik.id]
    assert world.cotton.id not in after["introductions"] and world.lamb.id not in after["introductions"]
    assert after["events"] == before["events"] + 2
    assert {k: v for k, v in after["matches"].items() if k not in (world.teak.id, world.beef.id)} == \
        {k: v for k, v in before["matches"].items() if k not in (world.teak.id, world.beef.id)}


def test_bulk_decline_needs_a_reason(client, auth, db, world):
    auth.login(world.id_curator.email)
    before = snapshot(db)
    response = client.post("/curation/bulk", headers={"HX-Request": "true"},
                           data={"action": "decline", "match_id": [world.teak.id]})
    assert "Choose a reason for declining." in response.get_data(as_text=True)
    assert snapshot(db) == before
    response = client.post("/curation/bulk", headers={"HX-Request": "true"},
                           data={"action": "decline", "reason": "price", "match_id": [world.teak.id, world.beef.id]})
    assert "2 declined" in response.get_data(as_text=True)
    for match_id in (world.teak.id, world.beef.id):
        intro = curation.introduction_for(db, match_id)
        assert (intro.stage, intro.decline_reason) == ("declined", "price")


@pytest.mark.parametrize("data", [
    {"action": "introduce"},                                      # nothing ticked
    {"action": "delete", "match_id": "1"},                        # not an action of the queue
    {"action": "accept", "match_id": "1"},
    {"action": "introduce", "match_id": ["x", "0", "99999999999"]},
])
def test_bulk_bad_input_changes_nothing(client, auth, db, world, data):
    auth.login(world.admin.email)
    before = snapshot(db)
    response = client.post("/curation/bulk", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert snapshot(db) == before


def test_bulk_without_javascript_redirects_back_with_a_flash(client, auth, db, world):
    auth.login(world.kz_curator.email)
    response = client.post("/curation/bulk", data={"action": "introduce", "match_id": [world.teak.id],
                                                   "next": "/curation?sector=furniture"})
    assert response.status_code == 302 and response.location == "/curation?sector=furniture"
    assert "1 introduced" in client.get(response.location).get_data(as_text=True)
    response = client.post("/curation/bulk", data={"action": "introduce", "match_id": [world.teak.id],
                                                   "next": "https://evil.example/"})
    assert response.location == "/curation"


def test_bulk_needs_the_csrf_token(database_url, app, db, world):
    from matchmaker import create_app

    protected = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret"})
    client = protected.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": world.admin.email, "password": "correct-horse-2026", "csrf_token": token})
    response = client.post("/curation/bulk", data={"action": "introduce", "match_id": [world.teak.id]})
    assert response.status_code == 400
    assert curation.introduction_for(db, world.teak.id) is None
    page = client.get("/curation").get_data(as_text=True)
    token = re.search(r'id="bulk-form".*?name="csrf_token" value="([^"]+)"', page, re.S).group(1)
    response = client.post("/curation/bulk", data={"action": "introduce", "match_id": [world.teak.id],
                                                   "csrf_token": token})
    assert response.status_code == 302
    assert curation.introduction_for(db, world.teak.id).stage == "introduced"
    protected.extensions["db_engine"].dispose()
