"""Two introduced parties arrange a meeting: times typed in Jakarta, read in Astana, confirmed, .ics."""

from __future__ import annotations

from datetime import date, timedelta

from icalendar import Calendar

from matchmaker.models import Match
from matchmaker.services import curation


def login(page, live_server, email):
    page.goto(f"{live_server}/login?lang=en")
    page.fill("#email", email)
    page.fill("#password", "correct-horse-2026")
    page.click("main button[type=submit]")


def test_a_meeting_is_proposed_in_wib_confirmed_in_astana_and_downloaded(page, browser, live_server, make, db, app):
    supplier = make.organisation(kind="exporter", country="ID", name="PT Jepara Jati")
    buyer = make.organisation(kind="buyer", country="KZ", name="ТОО Астана Отель")
    seller, purchaser = make.user(supplier, locale="en"), make.user(buyer, locale="en")
    curator = make.user(make.organisation(kind="chamber", country="KZ"), role="curator")
    match = Match(product_id=make.product(supplier).id, request_id=make.request(buyer).id, score=0.8,
                  explanation={"score": 0.8, "components": []})
    db.add(match)
    db.commit()
    with app.app_context():
        curation.introduce(db, match_id=match.id, user_id=curator.id)
        curation.accept(db, match_id=match.id, user_id=seller.id)
        curation.accept(db, match_id=match.id, user_id=purchaser.id)
    day = (date.today() + timedelta(days=20)).isoformat()

    login(page, live_server, seller.email)
    page.goto(f"{live_server}/matches/{match.id}")
    assert page.locator("#meeting-timezone").input_value() == "Asia/Jakarta"
    page.fill("#meeting-slot_1", f"{day}T10:00")
    page.fill("#meeting-slot_2", f"{day}T15:00")
    page.click("#meetings form.meeting-form button[type=submit]")
    page.wait_for_url(f"**/matches/{match.id}#meetings")

    other = browser.new_context().new_page()
    login(other, live_server, purchaser.email)
    other.goto(f"{live_server}/matches/{match.id}")
    table = other.locator(".meeting-slots").inner_text()
    assert "08:00 Astana (UTC+5)" in table and "10:00 WIB (UTC+7)" in table
    other.check("input[name=slot_id] >> nth=1")
    other.click("#meetings .meeting button[type=submit]:has-text('Confirm')")
    other.wait_for_url(f"**/matches/{match.id}#meetings")
    with other.expect_download() as download:
        other.click("text=Add to calendar (.ics)")
    event = Calendar.from_ical(open(download.value.path(), "rb").read()).walk("VEVENT")[0]
    assert event.decoded("dtstart").strftime("%H:%M %Z") == "08:00 UTC"  # 15:00 WIB
    other.context.close()
