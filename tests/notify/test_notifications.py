"""Who is told what when an introduction moves, in whose language, and the bell that lists it."""

from __future__ import annotations

import re

from sqlmodel import select

from matchmaker.models import Notification, OutboxMessage
from matchmaker.services import curation


def kinds(db, user):
    db.expire_all()
    return [n.kind for n in db.exec(select(Notification).where(Notification.user_id == user.id)
                                    .order_by(Notification.id))]


def mails(db, user):
    db.expire_all()
    return list(db.exec(select(OutboxMessage).where(OutboxMessage.user_id == user.id).order_by(OutboxMessage.id)))


def test_a_request_tells_the_curators_of_both_countries_only(pair, db):
    pair.request(db)
    assert kinds(db, pair.curator_id_) == ["requested"]
    assert kinds(db, pair.curator_kz) == ["requested"]
    assert kinds(db, pair.purchaser) == [] and kinds(db, pair.seller) == [] and kinds(db, pair.stranger) == []


def test_the_whole_loop_tells_the_right_people(pair, db):
    pair.request(db)
    pair.introduce(db)
    assert kinds(db, pair.seller) == ["introduced"] and kinds(db, pair.purchaser) == ["introduced"]
    pair.move(db, "accept", pair.seller)
    assert kinds(db, pair.purchaser)[-1] == "accepted_by_other"
    assert kinds(db, pair.seller) == ["introduced"]  # the actor is not told what they did
    pair.move(db, "accept", pair.purchaser)
    assert kinds(db, pair.seller)[-1] == "accepted_both" and kinds(db, pair.purchaser)[-1] == "accepted_both"
    pair.move(db, "negotiation", pair.seller)
    assert kinds(db, pair.purchaser)[-1] == "stage" and kinds(db, pair.curator_kz)[-1] == "stage"
    assert kinds(db, pair.stranger) == []


def test_decline_tells_both_parties_with_the_reason_in_their_language(pair, db, client, auth):
    pair.request(db)
    pair.move(db, "decline", pair.curator_kz, reason="volume")
    assert kinds(db, pair.purchaser) == ["declined"] and kinds(db, pair.seller) == ["declined"]
    auth.login(pair.purchaser.email)
    assert "Volume does not fit" in client.get("/notifications?lang=en").get_data(as_text=True)
    assert "Объём не подходит" in client.get("/notifications?lang=ru").get_data(as_text=True)


def test_reject_tells_the_other_party_and_the_curator(pair, db):
    pair.introduce(db)
    pair.move(db, "reject", pair.seller)
    assert kinds(db, pair.purchaser)[-1] == "rejected"
    assert kinds(db, pair.curator_kz)[-1] == "rejected"


def test_a_refused_move_leaves_no_notification_or_mail(pair, db):
    try:
        pair.move(db, "accept", pair.seller)  # nothing to accept yet
    except curation.Refused:
        pass
    assert db.exec(select(Notification)).all() == [] and db.exec(select(OutboxMessage)).all() == []


def test_email_is_written_in_the_recipients_language_with_profile_and_explanation(pair, db):
    pair.introduce(db)
    russian, = mails(db, pair.purchaser)
    assert russian.locale == "ru" and russian.to == "buyer@astana.example"
    assert "представил" in russian.body_text.lower() or "представил" in russian.subject.lower()
    assert "Jepara Teak Works" in russian.body_text           # the other's profile
    assert "+62" in russian.body_text                         # the explanation's points
    assert f"/matches/{pair.match.id}" in russian.body_text
    assert "private" not in russian.body_text                  # no contacts before both accept
    indonesian, = mails(db, pair.seller)
    assert indonesian.locale == "id" and "Astana Hotel Supply" in indonesian.body_text
    assert "memperkenalkan" in indonesian.body_text.lower()


def test_contacts_are_in_the_mail_once_both_accepted(pair, db):
    pair.introduce(db)
    pair.accept_both(db)
    last = mails(db, pair.purchaser)[-1]
    assert pair.supplier.contact_email in last.body_text


def test_the_bell_reads_in_the_current_language_newest_first(pair, db, client, auth):
    pair.introduce(db)
    pair.move(db, "accept", pair.seller)
    auth.login(pair.purchaser.email)
    page = client.get("/notifications?lang=en").get_data(as_text=True)
    assert page.index("accepted the introduction") < page.index("introduced you to Jepara Teak Works")
    assert f'href="/matches/{pair.match.id}"' in page
    russian = client.get("/notifications?lang=ru").get_data(as_text=True)
    assert "Jepara Teak Works" in russian and "introduced you" not in russian
    assert 'class="badge">2' in client.get("/notifications?lang=en").get_data(as_text=True)


def test_mark_one_and_all_read(pair, db, client, auth):
    pair.introduce(db)
    pair.move(db, "accept", pair.seller)
    auth.login(pair.purchaser.email)
    first = db.exec(select(Notification).where(Notification.user_id == pair.purchaser.id)).first()
    assert client.post("/notifications/read", data={"id": first.id}).status_code == 302
    assert 'class="badge">1' in client.get("/notifications").get_data(as_text=True)
    client.post("/notifications/read")
    assert 'class="badge"' not in client.get("/notifications").get_data(as_text=True)


def test_someone_elses_notification_cannot_be_marked(pair, db, client, auth):
    pair.introduce(db)
    theirs = db.exec(select(Notification).where(Notification.user_id == pair.seller.id)).first()
    auth.login(pair.stranger.email)
    assert client.post("/notifications/read", data={"id": theirs.id}).status_code == 404
    assert client.post("/notifications/read", data={"id": "x"}).status_code == 404
    db.refresh(theirs)
    assert theirs.read_at is None


def test_notifications_need_a_login(client):
    assert client.get("/notifications").status_code == 302
    assert client.post("/notifications/read").status_code == 302


def test_verification_tells_the_members(pair, db):
    from matchmaker.signals import verification_changed

    verification_changed.send(db, organisation_id=pair.supplier.id, what="certificate", event="expired",
                              actor_id=None, detail={"name": "SVLK", "number": "V-1"})
    db.commit()
    notification, = db.exec(select(Notification).where(Notification.user_id == pair.seller.id)).all()
    assert notification.kind == "certificate_expired" and notification.params["name"] == "SVLK V-1"


def test_marking_read_needs_the_csrf_token(pair, db, database_url, app):
    from matchmaker import create_app

    pair.introduce(db)
    protected = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret"})
    client = protected.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"email": pair.seller.email, "password": "correct-horse-2026", "csrf_token": token})
    assert client.post("/notifications/read").status_code == 400
    assert kinds_unread(db, pair.seller) == 1
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/notifications").get_data(as_text=True)).group(1)
    assert client.post("/notifications/read", data={"csrf_token": token}).status_code == 302
    assert kinds_unread(db, pair.seller) == 0
    protected.extensions["db_engine"].dispose()


def kinds_unread(db, user):
    db.expire_all()
    return len(db.exec(select(Notification).where(Notification.user_id == user.id,
                                                  Notification.read_at.is_(None))).all())


def test_the_list_pages_by_fifty(pair, db, client, auth):
    for n in range(55):
        db.add(Notification(user_id=pair.seller.id, kind="stage",
                            params={"product": f"P{n}", "request": "R", "stage": "meeting"}))
    db.commit()
    auth.login(pair.seller.email)
    first = client.get("/notifications?lang=en").get_data(as_text=True)
    assert first.count('class="notification') == 50 and "Older notifications" in first
    second = client.get("/notifications?lang=en&page=2").get_data(as_text=True)
    assert second.count('class="notification') == 5 and "Newer notifications" in second
    assert 'class="badge">55' in second
