"""Meetings: times typed in the proposer's zone, shown in each party's, confirmed by the other side,
moved to the "meeting" stage, and an .ics whose times in UTC are what the proposer meant."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar
from sqlmodel import select

from matchmaker.models import Meeting, Notification, User
from matchmaker.services import curation
from matchmaker.stages import Stage

DAY = (date.today() + timedelta(days=30)).isoformat()


def slot_form(*times, zone="Asia/Jakarta", **extra):
    form = {"timezone": zone, "duration_minutes": "60", "where": "https://meet.example/abc", "note": "Samples"}
    form.update({f"slot_{i}": t for i, t in enumerate(times, 1)})
    form.update(extra)
    return form


@pytest.fixture
def accepted(pair, db):
    pair.introduce(db)
    pair.accept_both(db)
    return pair


def propose(client, auth, pair, user, *times, **extra):
    auth.login(user.email)
    return client.post(f"/matches/{pair.match.id}/meetings?lang=en", data=slot_form(*times, **extra))


def only_meeting(db) -> Meeting:
    db.expire_all()
    meeting, = db.exec(select(Meeting)).all()
    return meeting


def test_wib_times_are_stored_in_utc_and_shown_in_astana_to_the_other_party(accepted, db, client, auth):
    response = propose(client, auth, accepted, accepted.seller, f"{DAY}T10:00", f"{DAY}T14:30")
    assert response.status_code == 302 and response.location.endswith(f"/matches/{accepted.match.id}#meetings")
    meeting = only_meeting(db)
    assert meeting.timezone == "Asia/Jakarta"
    assert [s.starts_at.replace(tzinfo=None).strftime("%H:%M") for s in meeting.slots] == ["03:00", "07:30"]
    auth.logout()
    auth.login(accepted.purchaser.email)  # in Kazakhstan: UTC+5, no daylight saving time
    page = client.get(f"/matches/{accepted.match.id}?lang=en").get_data(as_text=True)
    assert "08:00 Astana (UTC+5)" in page and "10:00 WIB (UTC+7)" in page
    assert "12:30 Astana (UTC+5)" in page
    assert page.index("08:00 Astana") < page.index("10:00 WIB")  # the reader's own zone first
    assert "Confirm this time" in page


def test_the_other_party_confirms_and_the_introduction_moves_to_meeting(accepted, db, client, auth):
    propose(client, auth, accepted, accepted.seller, f"{DAY}T10:00", f"{DAY}T14:30")
    meeting = only_meeting(db)
    # The proposer cannot confirm their own proposal, nor can a colleague.
    assert client.post(f"/meetings/{meeting.id}/confirm", data={"slot_id": meeting.slots[0].id}).status_code == 403
    auth.logout()
    auth.login(accepted.purchaser.email)
    response = client.post(f"/meetings/{meeting.id}/confirm", data={"slot_id": meeting.slots[1].id})
    assert response.status_code == 302
    meeting = only_meeting(db)
    assert meeting.status == "confirmed" and meeting.confirmed_slot_id == meeting.slots[1].id
    assert curation.introduction_for(db, accepted.match.id).stage == Stage.MEETING.value
    told = db.exec(select(Notification).where(Notification.user_id == accepted.seller.id,
                                              Notification.kind == "meeting_confirmed")).one()
    assert told.params["when"].startswith(f"{DAY}T07:30")
    again = client.post(f"/meetings/{meeting.id}/confirm", data={"slot_id": meeting.slots[0].id})
    assert again.status_code == 409


def test_ics_times_are_utc_and_name_both_companies(accepted, db, client, auth):
    propose(client, auth, accepted, accepted.seller, f"{DAY}T10:00")
    meeting = only_meeting(db)
    assert client.get(f"/meetings/{meeting.id}.ics").status_code == 409  # not confirmed yet
    auth.logout()
    auth.login(accepted.purchaser.email)
    client.post(f"/meetings/{meeting.id}/confirm", data={"slot_id": meeting.slots[0].id})
    response = client.get(f"/meetings/{meeting.id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    event, = Calendar.from_ical(response.data).walk("VEVENT")
    starts = event.decoded("dtstart")
    assert starts == datetime.fromisoformat(f"{DAY}T03:00").replace(tzinfo=timezone.utc)
    assert starts.utcoffset() == timedelta(0) and b"DTSTART:" in response.data and b"Z\r\n" in response.data
    assert event.decoded("dtend") - starts == timedelta(minutes=60)
    assert "Jepara Teak Works" in str(event["summary"]) and "Astana Hotel Supply" in str(event["summary"])
    assert f"/matches/{accepted.match.id}" in str(event["description"])
    assert str(event["organizer"]).lower() == f"mailto:{accepted.supplier.contact_email}".lower()
    attendees = {str(a).lower() for a in event["attendee"]}
    assert f"mailto:{accepted.buyer.contact_email}".lower() in attendees
    uid = str(event["uid"])
    auth.logout()
    auth.login(accepted.seller.email)
    other = Calendar.from_ical(client.get(f"/meetings/{meeting.id}.ics").data).walk("VEVENT")[0]
    assert str(other["uid"]) == uid  # stable: the same event in both calendars


def test_a_stranger_gets_404_everywhere(accepted, db, client, auth):
    propose(client, auth, accepted, accepted.seller, f"{DAY}T10:00")
    meeting = only_meeting(db)
    auth.logout()
    auth.login(accepted.stranger.email)
    assert client.post(f"/matches/{accepted.match.id}/meetings", data=slot_form(f"{DAY}T10:00")).status_code == 404
    assert client.post(f"/meetings/{meeting.id}/confirm", data={"slot_id": meeting.slots[0].id}).status_code == 404
    assert client.post(f"/meetings/{meeting.id}/cancel").status_code == 404
    assert client.get(f"/meetings/{meeting.id}.ics").status_code == 404
    assert client.get("/meetings/999999.ics").status_code == 404


def test_a_party_cannot_propose_before_both_accepted(pair, db, client, auth):
    pair.introduce(db)
    response = propose(client, auth, pair, pair.seller, f"{DAY}T10:00")
    assert response.status_code == 409
    assert "once both parties have accepted" in response.get_data(as_text=True)
    assert db.exec(select(Meeting)).all() == []


def test_a_curator_may_propose_and_either_party_confirms(accepted, db, client, auth):
    assert propose(client, auth, accepted, accepted.curator_kz, f"{DAY}T09:00", zone="Asia/Almaty").status_code == 302
    meeting = only_meeting(db)
    assert meeting.slots[0].starts_at.replace(tzinfo=None).hour == 4
    auth.logout()
    auth.login(accepted.seller.email)
    assert client.post(f"/meetings/{meeting.id}/confirm", data={"slot_id": meeting.slots[0].id}).status_code == 302


def test_cancel(accepted, db, client, auth):
    propose(client, auth, accepted, accepted.seller, f"{DAY}T10:00")
    meeting = only_meeting(db)
    auth.logout()
    auth.login(accepted.purchaser.email)
    assert client.post(f"/meetings/{meeting.id}/cancel").status_code == 302
    assert only_meeting(db).status == "cancelled"
    assert client.post(f"/meetings/{meeting.id}/cancel").status_code == 409


@pytest.mark.parametrize("times, extra, field, message", [
    (["2020-01-01T10:00"], {}, "slot_1", "already passed"),
    ([f"{DAY}T10:00", f"{DAY}T11:00", f"{DAY}T12:00", f"{DAY}T13:00"], {}, "slot_1", "at most three"),
    (["tomorrow at ten"], {}, "slot_1", "such as 2027-03-10"),
    ([f"{DAY}T10:00", "31/12 10am"], {}, "slot_2", "such as 2027-03-10"),
    ([], {}, "slot_1", "at least one"),
    ([f"{DAY}T10:00", f"{DAY}T10:00"], {}, "slot_2", "must be different"),
    ([f"{DAY}T10:00"], {"timezone": "Europe/Moscow"}, "timezone", "time zone from the list"),
    ([f"{DAY}T10:00"], {"duration_minutes": "abc"}, "duration_minutes", "how long"),
    ([f"{DAY}T10:00"], {"where": "x" * 301}, "where", "under 300"),
])
def test_bad_slots_are_form_errors(accepted, db, client, auth, times, extra, field, message):
    response = propose(client, auth, accepted, accepted.seller, *times, **extra)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page
    if field.startswith("slot_"):
        assert f'id="meeting-{field}-error"' in page
    assert db.exec(select(Meeting)).all() == []


def test_timezone_zones_have_no_daylight_saving():
    from matchmaker import timezones

    for key in ("Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura", "Asia/Almaty"):
        offsets = {datetime(2027, month, 15, 12, tzinfo=timezone.utc).astimezone(timezones.zone(key)).utcoffset()
                   for month in range(1, 13)}
        assert len(offsets) == 1, key
    assert timezones.offset_label("Asia/Almaty") == "UTC+5"  # one zone for Kazakhstan since March 2024
    assert timezones.offset_label("Asia/Makassar") == "UTC+8" and timezones.offset_label("Asia/Jayapura") == "UTC+9"


def test_user_sets_their_own_time_zone(accepted, db, client, auth):
    auth.login(accepted.seller.email)
    page = client.get(f"/organisations/{accepted.supplier.id}").get_data(as_text=True)
    assert 'name="timezone"' in page
    assert client.post("/account/timezone", data={"timezone": "Asia/Makassar"}).status_code == 302
    db.expire_all()
    assert db.get(User, accepted.seller.id).timezone == "Asia/Makassar"
    assert client.post("/account/timezone", data={"timezone": "Mars/Olympus"}).status_code == 400
    propose(client, auth, accepted, accepted.seller, f"{DAY}T10:00", zone="Asia/Makassar")
    assert only_meeting(db).slots[0].starts_at.replace(tzinfo=None).hour == 2
    page = client.get(f"/matches/{accepted.match.id}?lang=en").get_data(as_text=True)
    assert re.search(r"10:00 WITA \(UTC\+8\)", page)


def test_confirming_a_slot_of_another_meeting_is_a_form_error(accepted, db, client, auth):
    propose(client, auth, accepted, accepted.seller, f"{DAY}T10:00")
    meeting = only_meeting(db)
    auth.logout()
    auth.login(accepted.purchaser.email)
    response = client.post(f"/meetings/{meeting.id}/confirm?lang=en", data={"slot_id": "999999"})
    assert response.status_code == 400 and "Choose one of the proposed times." in response.get_data(as_text=True)
    assert only_meeting(db).status == "proposed"


def test_the_proposal_email_lists_the_times_in_the_recipients_zone_and_language(accepted, db, client, auth):
    from matchmaker.models import OutboxMessage

    propose(client, auth, accepted, accepted.seller, f"{DAY}T10:00")
    db.expire_all()
    mail = db.exec(select(OutboxMessage).where(OutboxMessage.user_id == accepted.purchaser.id)
                   .order_by(OutboxMessage.id.desc())).first()
    assert mail.locale == "ru" and "предлагает встречу" in mail.body_text
    assert "08:00 Астана (UTC+5)" in mail.body_text


def test_two_answers_at_once_confirm_one_time_only(accepted, db, client, auth, app, make, eager_thread_switching):
    import threading

    from sqlmodel import Session

    from matchmaker.services import meetings

    colleague = make.user(accepted.buyer, email="second@astana.example")
    accepted.move(db, "negotiation", accepted.seller)  # no stage move on confirming: only the lock decides
    propose(client, auth, accepted, accepted.seller, f"{DAY}T10:00", f"{DAY}T11:00")
    meeting = only_meeting(db)
    barrier, outcomes = threading.Barrier(2), []

    def answer(user, slot):
        with app.app_context(), Session(app.extensions["db_engine"], expire_on_commit=False) as session:
            barrier.wait()
            try:
                meetings.confirm(session, meeting_id=meeting.id, user_id=user.id, slot_id=slot.id)
                outcomes.append("confirmed")
            except curation.Refused as refused:
                outcomes.append(refused.code)

    threads = [threading.Thread(target=answer, args=(user, slot))
               for user, slot in ((accepted.purchaser, meeting.slots[0]), (colleague, meeting.slots[1]))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["confirmed", "stage"]
    assert only_meeting(db).status == "confirmed"
