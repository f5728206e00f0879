"""The chamber's programme dashboard: funnel, deals by sector and corridor, median time to introduction,
target progress; who may see it and which matches each curator's figures cover."""

from __future__ import annotations

import html
from datetime import date, datetime, timedelta, timezone

import pytest

from matchmaker.models import AuditEvent, Introduction, Match
from matchmaker.services import curation, programme

T0 = datetime(2026, 10, 1, 9, 0, tzinfo=timezone.utc)


def _match(db, product, request, *, score=0.8) -> Match:
    match = Match(product_id=product.id, request_id=request.id, score=score, explanation={"score": score},
                  created_at=T0, status="proposed")
    db.add(match)
    db.commit()
    return match


def _introduction(db, match, stage, *, requested=None, introduced=None, accepted=False, value=None,
                  met=False) -> Introduction:
    intro = Introduction(match_id=match.id, product_id=match.product_id, request_id=match.request_id,
                         stage=stage, score=match.score, explanation={}, proposed_at=T0,
                         requested_at=T0 + timedelta(days=requested) if requested is not None else None,
                         introduced_at=T0 + timedelta(days=introduced) if introduced is not None else None,
                         accepted_at=T0 + timedelta(days=20) if accepted else None,
                         deal_value_usd=value, deal_date=date(2026, 11, 1) if value else None)
    match.status = "curated"
    db.add_all([intro, match])
    db.commit()
    if met:
        db.add(AuditEvent(action="meeting", entity_type="introduction", entity_id=intro.id))
        db.commit()
    return intro


@pytest.fixture
def programme_data(db, make):
    """Seven matches at known stages; one (m7) involves no Kazakh member."""
    exporter = make.organisation(kind="exporter", country="ID")
    producer = make.organisation(kind="producer", country="KZ")
    kz_buyer = make.organisation(kind="buyer", country="KZ")
    id_importer = make.organisation(kind="importer", country="ID")
    my_buyer = make.organisation(kind="buyer", country="MY")
    table = make.product(exporter)                                     # furniture, ID → KZ
    beef = make.product(producer, title="Frozen beef", hs_code="020230", certifications=["halal"])
    requests = [make.request(kz_buyer, title=f"Teak furniture {i}") for i in range(6)]
    beef_request = make.request(id_importer, title="Halal beef", hs_code="0202")
    my_request = make.request(my_buyer, title="Teak tables for Kuala Lumpur")
    m = [_match(db, table, r) for r in requests] + [_match(db, beef, beef_request), _match(db, table, my_request)]
    _introduction(db, m[1], "requested", requested=1)
    _introduction(db, m[2], "introduced", requested=1, introduced=2)
    _introduction(db, m[3], "won", requested=1, introduced=4, accepted=True, value=250_000, met=True)
    _introduction(db, m[4], "dismissed")
    _introduction(db, m[6], "won", introduced=6, accepted=True, value=1_000_000)   # KZ → ID, no request
    _introduction(db, m[7], "introduced", introduced=10)                           # ID → MY
    # m[0] and m[5] have no introduction: proposed only.
    kz_chamber = make.organisation(kind="chamber", country="KZ")
    id_chamber = make.organisation(kind="chamber", country="ID")
    return {
        "kz_curator": make.user(kz_chamber, role="curator"),
        "id_curator": make.user(id_chamber, role="curator"),
        "admin": make.user(None, role="admin"),
        "member": make.user(exporter),
        "matches": m,
    }


def _reached(figures):
    return {step.stage: step.reached for step in figures.funnel}


def test_funnel_counts_every_step_a_match_reached(app, db, programme_data):
    with app.app_context():
        figures = programme.dashboard(db, country=None)
    assert _reached(figures) == {"proposed": 8, "requested": 5, "introduced": 4, "accepted": 2, "meeting": 2,
                                 "won": 2}
    assert figures.stages_now["proposed"] == 2 and figures.stages_now["won"] == 2
    assert figures.stages_now["dismissed"] == 1 and figures.stages_now["lost"] == 0
    assert sum(figures.stages_now.values()) == 8


def test_deals_value_median_and_target(app, db, programme_data):
    with app.app_context():
        figures = programme.dashboard(db, country=None)
    by_sector = {row.key: (row.deals, row.value_usd) for row in figures.by_sector}
    assert by_sector["furniture"] == (1, 250_000) and by_sector["meat"] == (1, 1_000_000)
    assert by_sector["textiles"] == (0, 0)
    assert {row.key: (row.deals, row.value_usd) for row in figures.by_corridor} == {
        "ID-KZ": (1, 250_000), "KZ-ID": (1, 1_000_000)}
    assert figures.won_value_usd == 1_250_000
    assert figures.target_share == pytest.approx(0.00125)
    # Introduced after 2, 4, 6 and 10 days.
    assert (figures.median_days_to_introduction, figures.introduced) == (5.0, 4)


def test_a_curator_sees_the_matches_of_their_country(app, db, programme_data):
    with app.app_context():
        kz = programme.dashboard(db, country="KZ")
        id_ = programme.dashboard(db, country="ID")
        nobody = programme.dashboard(db, country="")
    assert _reached(kz) == {"proposed": 7, "requested": 4, "introduced": 3, "accepted": 2, "meeting": 2, "won": 2}
    assert (kz.median_days_to_introduction, kz.introduced) == (4.0, 3)   # 2, 4 and 6 days
    assert _reached(id_)["proposed"] == 8   # every match here involves an Indonesian member
    assert _reached(nobody)["proposed"] == 0 and nobody.median_days_to_introduction is None


def test_no_match_gives_empty_figures(app, db):
    with app.app_context():
        figures = programme.dashboard(db, country=None)
    assert _reached(figures)["proposed"] == 0 and figures.won_value_usd == 0
    assert figures.median_days_to_introduction is None


def test_dashboard_page_links_each_number_to_its_list(client, auth, programme_data):
    auth.login(programme_data["kz_curator"].email)
    response = client.get("/curation/dashboard")
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert 'href="/curation?stage=requested"' in page
    assert 'href="/curation?stage=won&sector=furniture"' in page
    assert 'href="/curation?stage=won&sector=meat"' in page
    assert 'href="/curation?stage=won&corridor=ID-KZ"' in page
    assert 'href="/curation?stage=won&corridor=KZ-ID"' in page
    assert "$1,250,000" in page and "$250,000" in page
    # Accessible charts: a title and a description saying the numbers.
    assert '<title id="funnel-chart-title">' in page and '<desc id="funnel-chart-desc">' in page
    assert "Proposed: 7" in page   # the KZ curator's figures (m7 is not theirs)


def test_a_deal_outside_the_two_corridors_is_counted_but_not_linked(client, auth, db, programme_data):
    intro = db.exec(Introduction.__table__.select().where(Introduction.match_id == programme_data["matches"][7].id)).one()
    row = db.get(Introduction, intro.id)
    row.stage, row.deal_value_usd = "won", 40_000
    db.add(row)
    db.commit()
    auth.login(programme_data["admin"].email)
    page = html.unescape(client.get("/curation/dashboard").get_data(as_text=True))
    assert "$1,290,000" in page and "corridor=other" not in page


def test_dashboard_numbers_follow_the_locale(client, auth, programme_data):
    auth.login(programme_data["admin"].email)
    page = client.get("/curation/dashboard?lang=ru").get_data(as_text=True)
    assert "1\xa0250\xa0000\xa0$" in page
    assert "Воронка" in page or "Панель программы" in page


@pytest.mark.parametrize("path", ["/curation/dashboard", "/curation/diversification",
                                  "/curation/diversification?format=csv"])
def test_members_are_refused_and_strangers_sent_to_login(client, auth, programme_data, path):
    assert client.get(path).status_code == 302
    auth.login(programme_data["member"].email)
    assert client.get(path).status_code == 403


def test_a_deal_won_through_the_curation_service_appears_on_the_dashboard(app, db, make):
    exporter, buyer = make.organisation(kind="exporter", country="ID"), make.organisation(kind="buyer", country="KZ")
    match = _match(db, make.product(exporter), make.request(buyer))
    seller, purchaser = make.user(exporter), make.user(buyer)
    curator = make.user(make.organisation(kind="chamber", country="KZ"), role="curator")
    with app.app_context():
        curation.request_introduction(db, match_id=match.id, user_id=purchaser.id)
        curation.introduce(db, match_id=match.id, user_id=curator.id)
        curation.accept(db, match_id=match.id, user_id=seller.id)
        curation.accept(db, match_id=match.id, user_id=purchaser.id)
        curation.record_progress(db, match_id=match.id, user_id=curator.id, stage="meeting")
        curation.record_progress(db, match_id=match.id, user_id=seller.id, stage="won", deal_value_usd=80_000,
                                 deal_date=date(2026, 11, 20))
        figures = programme.dashboard(db, country="KZ")
    assert _reached(figures) == {"proposed": 1, "requested": 1, "introduced": 1, "accepted": 1, "meeting": 1,
                                 "won": 1}
    assert figures.won_value_usd == 80_000 and figures.introduced == 1


@pytest.mark.parametrize("locale, title", [("id", "Dasbor program"), ("ru", "Панель программы"),
                                           ("kk", "Бағдарлама тақтасы"), ("en", "Programme dashboard")])
def test_dashboard_and_diversification_in_each_language(client, auth, programme_data, locale, title):
    auth.login(programme_data["id_curator"].email)
    page = client.get(f"/curation/dashboard?lang={locale}").get_data(as_text=True)
    assert f"<h1>{title}</h1>" in page
    assert client.get(f"/curation/diversification?lang={locale}").status_code == 200


def test_a_curator_without_a_chamber_sees_no_matches(client, auth, make, programme_data):
    auth.login(make.user(None, role="curator").email)
    page = client.get("/curation/dashboard").get_data(as_text=True)
    assert "no matches are yours to curate" in page and "Proposed: 0" in page
