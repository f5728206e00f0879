"""The curation routes on a match (POST /matches/<id>/interest|dismiss|introduce|decline|accept|reject|stage):
who is refused how (404 stranger, 403 without the right, 409 wrong stage, 400 bad field at the field),
the answers with and without htmx, CSRF, and what the match page and the item lists show."""

from __future__ import annotations

import html as html_text
import re
from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from matchmaker import create_app
from matchmaker.models import AuditEvent, Match
from matchmaker.services import curation
from tests.curation_world import TO_ACCEPTED, WON, run, world  # noqa: F401 (fixture)

HTMX = {"HX-Request": "true"}
ROUTES = ["interest", "dismiss", "introduce", "decline", "accept", "reject", "stage"]
FIELDS = {"note": "n", "reason": "other", "stage": "meeting"}


def url(world, route, match="match") -> str:
    return f"/matches/{world[match].id}/{route}"


def as_user(auth, world, who):
    auth.logout()
    auth.login(world[who].email)


def stage(db, world, match="match") -> str:
    db.expire_all()
    introduction = curation.introduction_for(db, world[match].id)
    return introduction.stage if introduction else "proposed"


def events(db) -> int:
    return db.exec(select(func.count()).select_from(AuditEvent)).one()


# --- refusals ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("route", ROUTES)
def test_anonymous_is_sent_to_log_in(client, db, world, route):
    response = client.post(url(world, route), data=FIELDS)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert stage(db, world) == "proposed"


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("who", ["stranger", "turkish_member"])
def test_a_stranger_learns_nothing(client, auth, db, world, route, who):
    as_user(auth, world, who)
    assert client.post(url(world, route), data=FIELDS).status_code == 404
    assert client.post(url(world, route), data=FIELDS, headers=HTMX).status_code == 404
    assert client.post(f"/matches/{world['match'].id + 999}/{route}", data=FIELDS).status_code == 404
    assert client.get(f"/matches/{world['match'].id}").status_code == 404
    assert stage(db, world) == "proposed" and events(db) == 0


@pytest.mark.parametrize("route, who", [("introduce", "exporter_member"), ("decline", "buyer_member"),
                                        ("interest", "curator"), ("dismiss", "admin")])
def test_wrong_role_is_403(client, auth, db, world, route, who):
    as_user(auth, world, who)
    assert client.post(url(world, route), data=FIELDS).status_code == 403
    assert stage(db, world) == "proposed"


@pytest.mark.parametrize("route", ["accept", "reject"])
def test_a_curator_does_not_answer_for_a_party(client, auth, db, world, route):
    run(db, world, ("introduce", "curator"))
    as_user(auth, world, "curator")
    assert client.post(url(world, route)).status_code == 403
    response = client.post(url(world, route), headers=HTMX)
    assert response.status_code == 403 and "You may not do this on this match." in response.get_data(as_text=True)
    assert stage(db, world) == "introduced"


@pytest.mark.parametrize("route", ["introduce", "decline", "stage"])
def test_wrong_country_is_403_for_a_curator_who_may_read_but_not_curate(client, auth, db, world, route):
    as_user(auth, world, "curator")
    assert client.get(f"/matches/{world['far_match'].id}").status_code == 200
    assert client.post(url(world, route, "far_match"), data=FIELDS).status_code == 403
    assert stage(db, world, "far_match") == "proposed"


@pytest.mark.parametrize("route, who, data", [
    ("accept", "buyer_member", {}),                                       # accept before an introduction
    ("stage", "exporter_member", {"stage": "won", "deal_value_usd": "1000", "deal_date": "2026-11-03"}),
    ("stage", "curator", {"stage": "meeting"}),
])
def test_wrong_stage_is_409_with_a_clear_message(client, auth, db, world, route, who, data):
    as_user(auth, world, who)
    response = client.post(url(world, route), data=data)
    assert response.status_code == 409
    assert "This match is at the stage “Proposed”; that step is not possible from there." in \
        response.get_data(as_text=True)
    assert stage(db, world) == "proposed"


def test_double_accept_is_409(client, auth, db, world):
    run(db, world, ("introduce", "curator"))
    as_user(auth, world, "buyer_member")
    assert client.post(url(world, "accept")).status_code == 303
    response = client.post(url(world, "accept"), headers=HTMX)
    assert response.status_code == 409
    assert "You have already answered this introduction." in response.get_data(as_text=True)


def test_the_stage_route_moves_only_to_progress_stages(client, auth, db, world):
    as_user(auth, world, "buyer_member")
    for other in ("request", "dismiss", "introduce"):
        assert client.post(url(world, "stage"), data={"stage": other, "reason": "price"}).status_code in (400, 409)
    assert stage(db, world) == "proposed"


def test_won_from_introduced_is_409(client, auth, db, world):
    run(db, world, ("introduce", "curator"))
    as_user(auth, world, "curator")
    response = client.post(url(world, "stage"), data={"stage": "won", "deal_value_usd": "5", "deal_date": "2026-01-02"})
    assert response.status_code == 409 and stage(db, world) == "introduced"


def field_error(html: str, field_id: str) -> str:
    found = re.search(rf'<p class="error" id="{field_id}-error">([^<]*)</p>', html)
    return html_text.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize("route, who, data, field_id, message", [
    ("dismiss", "buyer_member", {"reason": ""}, "dismiss-reason", "Choose a reason."),
    ("dismiss", "buyer_member", {"reason": "bogus"}, "dismiss-reason", "Choose a reason."),
    ("decline", "curator", {}, "decline-reason", "Choose a reason."),
    ("interest", "buyer_member", {"note": "x" * 2001}, "interest-note", "Keep the note under 2000 characters."),
])
def test_bad_field_is_400_with_the_error_at_the_field(client, auth, db, world, route, who, data, field_id, message):
    as_user(auth, world, who)
    for headers in ({}, HTMX):
        response = client.post(url(world, route), data=data, headers=headers)
        assert response.status_code == 400
        html = response.get_data(as_text=True)
        assert field_error(html, field_id) == message
        assert f'aria-describedby="{field_id}-error"' in html
    assert stage(db, world) == "proposed" and events(db) == 0


TOMORROW = (date.today() + timedelta(days=1)).isoformat()


@pytest.mark.parametrize("data, field_id, message", [
    ({"stage": "won", "deal_value_usd": "", "deal_date": "2026-11-03"}, "stage-deal_value_usd",
     "Enter the deal's value in US dollars."),
    ({"stage": "won", "deal_value_usd": "lots", "deal_date": "2026-11-03"}, "stage-deal_value_usd",
     "Enter the deal's value in US dollars."),
    ({"stage": "won", "deal_value_usd": "-3", "deal_date": "2026-11-03"}, "stage-deal_value_usd",
     "Enter a deal value above zero and at most USD 10 billion."),
    ({"stage": "won", "deal_value_usd": "9" * 40, "deal_date": "2026-11-03"}, "stage-deal_value_usd",
     "Enter a deal value above zero and at most USD 10 billion."),
    ({"stage": "won", "deal_value_usd": "1000", "deal_date": ""}, "stage-deal_date", "Enter the date the deal was signed."),
    ({"stage": "won", "deal_value_usd": "1000", "deal_date": "03/11/2026"}, "stage-deal_date",
     "Enter the date the deal was signed."),
    ({"stage": "won", "deal_value_usd": "1000", "deal_date": TOMORROW}, "stage-deal_date",
     "A won deal's date cannot be in the future."),
    ({"stage": "lost", "reason": ""}, "stage-reason", "Choose a reason."),
    ({"stage": "signed"}, "stage-stage", "Choose meeting, negotiation, won or lost."),
    ({"stage": "request"}, "stage-stage", "Choose meeting, negotiation, won or lost."),
    ({"stage": "accept"}, "stage-stage", "Choose meeting, negotiation, won or lost."),
])
def test_bad_progress_is_400_with_the_error_at_the_field(client, auth, db, world, data, field_id, message):
    run(db, world, *TO_ACCEPTED, ("meeting", "curator"))
    as_user(auth, world, "exporter_member")
    response = client.post(url(world, "stage"), data=data)
    assert response.status_code == 400
    assert field_error(response.get_data(as_text=True), field_id) == message
    assert stage(db, world) == "meeting"


# --- success --------------------------------------------------------------------------------------

def test_the_whole_flow_through_the_routes(client, auth, db, world):
    as_user(auth, world, "buyer_member")
    response = client.post(url(world, "interest"), data={"note": "We need 120 sets by March"})
    assert response.status_code == 303 and response.headers["Location"] == f"/matches/{world['match'].id}"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your request for an introduction was sent to the chamber." in page
    assert "Waiting for the chamber to review the request for an introduction." in page

    as_user(auth, world, "curator")
    page = client.get(f"/matches/{world['match'].id}").get_data(as_text=True)
    assert "We need 120 sets by March" in page  # the curator reads the request note
    assert client.post(url(world, "introduce"), data={"note": "Meet at the fair"}).status_code == 303
    for who in ("exporter_member", "buyer_member"):
        as_user(auth, world, who)
        assert client.post(url(world, "accept")).status_code == 303
    assert stage(db, world) == "accepted"
    as_user(auth, world, "exporter_member")
    for data in ({"stage": "meeting"}, {"stage": "negotiation", "note": "Price agreed"},
                 {"stage": "won", "deal_value_usd": "1,250,000", "deal_date": "2026-11-03"}):
        assert client.post(url(world, "stage"), data=data).status_code == 303
    db.expire_all()
    introduction = curation.introduction_for(db, world["match"].id)
    assert (introduction.stage, introduction.deal_value_usd, introduction.deal_date) == \
        ("won", 1_250_000, date(2026, 11, 3))
    page = client.get(f"/matches/{world['match'].id}").get_data(as_text=True)
    assert "Closed: deal won, USD 1,250,000 on Nov 3, 2026." in page
    history = page[page.index('class="history-list"'):]
    assert [label for label in ("Recorded a won deal", "Recorded a negotiation", "Recorded a meeting",
                                "Accepted the introduction", "Introduced the parties", "Asked for an introduction")
            if label in history] == ["Recorded a won deal", "Recorded a negotiation", "Recorded a meeting",
                                     "Accepted the introduction", "Introduced the parties", "Asked for an introduction"]
    assert history.index("Recorded a won deal") < history.index("Asked for an introduction")  # newest first
    assert "Price agreed" in history and "Meet at the fair" in history
    assert "We need 120 sets by March" not in history  # the buyer's note to the chamber stays theirs


@pytest.mark.parametrize("route, who, data, after", [
    ("interest", "buyer_member", {"note": "hi"}, "requested"),
    ("dismiss", "exporter_member", {"reason": "volume"}, "dismissed"),
    ("introduce", "curator", {}, "introduced"),
    ("decline", "id_curator", {"reason": "not_verified"}, "declined"),
])
def test_each_first_move_with_htmx_answers_with_the_panel_and_a_status(client, auth, db, world, route, who,
                                                                      data, after):
    as_user(auth, world, who)
    response = client.post(url(world, route), data=data, headers=HTMX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and stage(db, world) == after
    assert "<html" not in html and f'class="stage stage-{after}"' in html
    assert re.search(r'<p id="match-status" hx-swap-oob="innerHTML"><span class="ok">[^<]+</span></p>', html)


def test_the_page_has_a_live_region_the_panel_fills(client, auth, world):
    as_user(auth, world, "buyer_member")
    page = client.get(f"/matches/{world['match'].id}").get_data(as_text=True)
    assert '<p id="match-status" class="status-message" role="status" aria-live="polite">' in page
    assert 'id="match-panel" data-swap-errors' in page


def test_reject_and_progress_with_htmx(client, auth, db, world):
    run(db, world, ("introduce", "curator"))
    as_user(auth, world, "exporter_member")
    response = client.post(url(world, "reject"), data={"note": "Too far"}, headers=HTMX)
    assert response.status_code == 200 and stage(db, world) == "rejected"
    assert "Closed: a party rejected the introduction." in response.get_data(as_text=True)


@pytest.mark.parametrize("who, offered, not_offered", [
    ("buyer_member", ["interest", "dismiss"], ["introduce", "decline", "accept", "stage"]),
    ("curator", ["introduce", "decline"], ["interest", "dismiss", "accept", "stage"]),
    ("admin", ["introduce", "decline"], ["interest", "accept"]),
])
def test_the_page_offers_exactly_the_available_moves(client, auth, world, who, offered, not_offered):
    as_user(auth, world, who)
    page = client.get(f"/matches/{world['match'].id}").get_data(as_text=True)
    for route in offered:
        assert f'action="/matches/{world["match"].id}/{route}"' in page
    for route in not_offered:
        assert f'action="/matches/{world["match"].id}/{route}"' not in page


def test_a_curator_of_another_country_reads_but_is_offered_nothing(client, auth, world):
    as_user(auth, world, "curator")
    page = client.get(f"/matches/{world['far_match'].id}").get_data(as_text=True)
    assert "Proposed by the engine; waiting for a party or the chamber." in page
    assert 'class="move' not in page


def test_the_page_says_whom_it_waits_for(client, auth, db, world):
    run(db, world, ("introduce", "curator"), ("accept", "buyer_member"))
    as_user(auth, world, "buyer_member")
    page = client.get(f"/matches/{world['match'].id}").get_data(as_text=True)
    assert "You accepted. Waiting for PT Jepara Teak Works to accept." in page
    assert f'action="/matches/{world["match"].id}/accept"' not in page
    as_user(auth, world, "exporter_member")
    page = client.get(f"/matches/{world['match'].id}").get_data(as_text=True)
    assert "The chamber introduced you to Astana Hotel Group." in page
    assert f'action="/matches/{world["match"].id}/accept"' in page
    as_user(auth, world, "curator")
    assert "Waiting for PT Jepara Teak Works to accept." in \
        client.get(f"/matches/{world['match'].id}").get_data(as_text=True)


def test_won_offers_value_and_date_and_reasons_have_labels(client, auth, db, world):
    run(db, world, *TO_ACCEPTED, ("meeting", "curator"))
    as_user(auth, world, "buyer_member")
    page = client.get(f"/matches/{world['match'].id}").get_data(as_text=True)
    assert 'name="deal_value_usd"' in page and 'type="date"' in page
    assert '<option value="no_response">No response</option>' in page
    stages = re.search(r'<select[^>]*name="stage"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert re.findall(r'value="(\w+)"', stages) == ["negotiation", "won", "lost"]


def test_the_frozen_explanation_is_shown_and_the_engines_change_said(client, auth, db, world):
    run(db, world, ("request", "buyer_member"))
    match = db.get(Match, world["match"].id)
    match.score, match.explanation = 0.61, {"score": 0.61, "components": []}
    db.add(match)
    db.commit()
    as_user(auth, world, "buyer_member")
    page = client.get(f"/matches/{world['match'].id}").get_data(as_text=True)
    assert '<span class="score big" title="Match grade out of 100">80</span>' in page
    assert "This is the explanation the chamber and the parties acted on" in page
    assert "The engine's current grade for this pair is 61." in html_text.unescape(page)
    assert page.count('class="breakdown-value"') == 2  # the frozen parts, not the engine's new (empty) list


def test_a_page_in_russian(client, auth, world):
    as_user(auth, world, "buyer_member")
    page = client.get(f"/matches/{world['match'].id}?lang=ru").get_data(as_text=True)
    assert "Попросить о знакомстве" in page and "История знакомства" in page


# --- the item pages' lists --------------------------------------------------------------------------

def test_the_request_page_lists_the_stage_and_quick_moves(client, auth, db, world):
    as_user(auth, world, "buyer_member")
    page = client.get(f"/requests/{world['request'].id}").get_data(as_text=True)
    row = page[page.index(f'id="match-row-{world["match"].id}"'):]
    assert '<span class="stage stage-proposed">Proposed</span>' in row
    assert "Request an introduction" in row and "Not relevant" in row
    assert f'id="m{world["match"].id}-dismiss-reason"' in row


def test_a_quick_move_from_the_list_with_htmx_answers_with_the_row(client, auth, db, world):
    as_user(auth, world, "exporter_member")
    response = client.post(url(world, "interest"), headers=HTMX,
                           data={"view": "row", "next": f"/products/{world['product'].id}"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and stage(db, world) == "requested"
    assert '<span class="stage stage-requested">Introduction requested</span>' in html
    assert "Request an introduction" not in html and 'hx-swap-oob="innerHTML"' in html


def test_a_quick_move_without_js_goes_back_to_the_list(client, auth, db, world):
    as_user(auth, world, "exporter_member")
    back = f"/products/{world['product'].id}"
    response = client.post(url(world, "dismiss"), data={"reason": "price", "next": back})
    assert response.status_code == 303 and response.headers["Location"] == back
    page = client.get(back).get_data(as_text=True)
    assert "Thank you: the proposal is marked as not relevant." in page
    assert '<span class="stage stage-dismissed">Not relevant</span>' in page
    response = client.post(url(world, "dismiss"), data={"reason": "price", "next": "//evil.example"})
    assert response.status_code == 409


def test_the_curator_sees_the_actions_on_an_item_page_too(client, auth, world):
    as_user(auth, world, "curator")
    page = client.get(f"/requests/{world['request'].id}").get_data(as_text=True)
    assert '<span class="stage stage-proposed">Proposed</span>' in page
    assert 'class="quick-move"' not in page  # quick moves are the parties'; the curator works on the match page


# --- CSRF --------------------------------------------------------------------------------------------

@pytest.fixture
def csrf_client(database_url, app):  # the ``app`` fixture empties the tables afterwards
    protected = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret"})
    assert protected.config["WTF_CSRF_ENABLED"] is True
    yield protected.test_client()
    protected.extensions["db_engine"].dispose()


def token_from(html: str) -> str:
    return re.search(r'<input[^>]*name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def csrf_login(client, email):
    token = token_from(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"email": email, "password": "correct-horse-2026",
                                       "csrf_token": token}).status_code == 302


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("token", [None, "forged-token"])
def test_a_move_without_a_token_is_refused(csrf_client, db, world, route, token):
    csrf_login(csrf_client, world["buyer_member"].email)
    data = dict(FIELDS, **({"csrf_token": token} if token else {}))
    assert csrf_client.post(url(world, route), data=data).status_code == 400
    assert stage(db, world) == "proposed" and events(db) == 0


def test_a_move_with_the_pages_token_or_header_works(csrf_client, db, world):
    csrf_login(csrf_client, world["buyer_member"].email)
    page = csrf_client.get(f"/matches/{world['match'].id}").get_data(as_text=True)
    assert csrf_client.post(url(world, "interest"), data={"csrf_token": token_from(page)}).status_code == 303
    assert stage(db, world) == "requested"
    header = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    response = csrf_client.post(url(world, "dismiss"), data={"reason": "price"},
                                headers={**HTMX, "X-CSRFToken": header})
    assert response.status_code == 200 and stage(db, world) == "dismissed"
