"""The whole loop in the browser, in each of the four interface languages: a Kazakh buyer asks for an
introduction to a proposed Indonesian supplier, a chamber curator introduces them from the queue, both
accept (and only then see each other's contacts), they agree a meeting and download its invitation,
record a won deal, and the curator finds it on the programme dashboard.

Three people, three browser contexts (each its own session). Everything after the arrangement is clicks.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask_babel import force_locale, gettext, pgettext
from sqlmodel import select

from matchmaker.models import Match, User
from matchmaker.views.programme import usd

expect = pytest.importorskip("playwright.sync_api").expect

PASSWORD = "correct-horse-2026"
DEAL_USD = 125_000

# Read from the catalogues (matchmaker/translations/*/LC_MESSAGES/messages.po), written out so that a
# catalogue that stops being compiled or loaded fails here rather than silently showing English.
H1 = {
    "en": {"match": "Why this match", "queue": "Matches awaiting review", "notifications": "Notifications",
           "dashboard": "Programme dashboard", "diversification": "Diversification"},
    "id": {"match": "Alasan kecocokan", "queue": "Pasangan yang menunggu tinjauan",
           "notifications": "Notifikasi", "dashboard": "Dasbor program"},
    "ru": {"match": "Почему это совпадение", "queue": "Пары, ожидающие рассмотрения",
           "notifications": "Уведомления", "dashboard": "Панель программы"},
    "kk": {"match": "Сәйкестік себебі", "queue": "Қарауды күтіп тұрған жұптар",
           "notifications": "Хабарландырулар", "dashboard": "Бағдарлама тақтасы"},
}
WON = {"en": "Won", "id": "Berhasil", "ru": "Сделка заключена", "kk": "Мәміле жасалды"}

EXPLANATION = {"score": 0.97, "components": [
    {"name": "hs", "label": "HS code fit", "contribution": 0.5, "detail": "Same heading"},
    {"name": "concepts", "label": "Same products (across languages)", "contribution": 0.47, "detail": "Teak"},
]}


class Words:
    """The interface's words in the language under test (from the compiled catalogues)."""

    def __init__(self, app, lang):
        self.app, self.lang = app, lang

    def __call__(self, text, context=None):
        with self.app.test_request_context(), force_locale(self.lang):
            return pgettext(context, text) if context else gettext(text)

    def button(self, text, context=None):
        """The translated label, which for id/ru/kk must not be the English one."""
        words = self(text, context)
        if self.lang != "en":
            assert words != text, f"{text!r} is not translated to {self.lang}"
        return words


@pytest.fixture
def person(browser, live_server):
    """``person(email)``: a browser of this person's own (own cookies, own session), signed in; closed
    after the test, so none of its pages still asks the server anything."""
    contexts = []

    def sign_in(email):
        contexts.append(browser.new_context())
        return _signed_in(contexts[-1].new_page(), live_server, email)

    yield sign_in
    for context in contexts:
        context.close()


def _signed_in(page, live_server, email):
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


def click_button(page, scope, words):
    """Click the submit button of ``scope`` after checking its label is the translated one."""
    button = page.locator(f"{scope} button[type=submit]")
    assert button.inner_text().strip() == words
    button.click()


@pytest.mark.parametrize("lang", ["en", "id", "ru", "kk"])
def test_a_curator_runs_the_loop_from_proposal_to_won_deal(person, live_server, make, db, app, client, lang):
    w = Words(app, lang)
    exporter = make.organisation(kind="exporter", country="ID", name="PT Jepara Jati",
                                 contact_email="sales@jeparajati.example")
    make.product(exporter, title="Kursi dan meja makan jati solid", hs_code="940360", language="id",
                 description="Set meja makan kayu jati untuk hotel", certifications=["svlk", "eac"])
    buyer_org = make.organisation(kind="buyer", country="KZ", name="ТОО Астана Отель",
                                  contact_email="zakup@astanahotel.example")
    request = make.request(buyer_org, title="Мебель из тикового дерева для гостиниц", language="ru")
    supplier = make.user(exporter, locale=lang)
    buyer = make.user(buyer_org, locale=lang)
    # The curator's account says English; they switch the interface with the language selector.
    chamber = make.organisation(kind="chamber", country="KZ", name="Astana Chamber")
    curator = make.user(chamber, role="curator", locale="en")
    assert client.application.test_cli_runner().invoke(args=["rematch"]).exit_code == 0
    match = db.exec(select(Match).where(Match.request_id == request.id)).one()
    # A better-graded proposal nobody asked about: the asked one must still come first in the queue.
    other_product = make.product(make.organisation(kind="exporter", country="ID", name="CV Rotan Indah"),
                                 title="Rattan lounge chair")
    other_request = make.request(make.organisation(kind="buyer", country="KZ", name="Almaty Interiors"),
                                 title="Lounge chairs for a lobby")
    db.add(Match(product_id=other_product.id, request_id=other_request.id, score=0.97,
                 explanation=EXPLANATION))
    db.commit()
    day = (date.today() + timedelta(days=14)).isoformat()

    # --- The buyer reads the proposed supplier on its request and asks for an introduction (htmx). ---
    buyer_page = person(buyer.email)
    assert buyer_page.locator("html").get_attribute("lang") == lang  # the account's language, at login
    buyer_page.goto(f"{live_server}/requests/{request.id}")
    proposal = buyer_page.locator(".match-list li").first
    assert "Kursi dan meja makan jati solid" in proposal.inner_text()
    proposal.locator("a.why").click()
    buyer_page.wait_for_url(f"**/matches/{match.id}")
    assert buyer_page.locator("h1").inner_text() == H1[lang]["match"]
    buyer_page.evaluate("window.notReloaded = true")
    buyer_page.fill("#interest-note", "Samples to Astana before March, please")
    click_button(buyer_page, "form.move-interest", w.button("Request an introduction"))
    expect(buyer_page.locator("#match-panel .stage-requested")).to_have_text(w("Introduction requested"))
    expect(buyer_page.locator("#match-status")).to_have_text(
        w("Your request for an introduction was sent to the chamber."))
    assert buyer_page.evaluate("window.notReloaded") is True
    assert "sales@jeparajati.example" not in buyer_page.content()

    # --- The curator switches to the language, finds the asked-about match first and introduces it. ---
    curator_page = person(curator.email)
    curator_page.select_option("#locale", lang)
    with curator_page.expect_navigation():
        curator_page.click("form:has(#locale) button[type=submit]")
    curator_page.click("nav.mainnav a[href='/curation']")
    curator_page.wait_for_url(re.compile(r"/curation$"))
    assert curator_page.locator("h1").inner_text() == H1[lang]["queue"]
    first = curator_page.locator(".queue-row").first
    assert first.get_attribute("id") == f"queue-row-{match.id}"
    assert "stage-requested" in first.get_attribute("class")
    assert "Samples to Astana before March, please" in first.inner_text()
    assert curator_page.locator(".queue-row").count() == 2
    curator_page.evaluate("window.notReloaded = true")
    curator_page.check(f"#pick-{match.id}")
    curator_page.fill("#bulk-form textarea[name=note]", "Please meet at the Astana furniture fair")
    introduce = curator_page.locator("main button[name=action][value=introduce]")
    assert introduce.inner_text().strip() == w.button("Introduce selected", "queue")
    introduce.click()
    expect(curator_page.locator(f"#queue-row-{match.id}.moved")).to_be_visible()
    assert curator_page.evaluate("window.notReloaded") is True
    assert _locale_of(db, curator.id) == lang  # the selector saved the choice

    # --- The supplier is told, opens the match from the notification and accepts. ---
    supplier_page = person(supplier.email)
    supplier_page.click("nav.mainnav a[href='/notifications']")
    assert supplier_page.locator("h1").inner_text() == H1[lang]["notifications"]
    supplier_page.locator(f".notification-list a[href='/matches/{match.id}']").first.click()
    supplier_page.wait_for_url(f"**/matches/{match.id}")
    assert "Please meet at the Astana furniture fair" in supplier_page.inner_text(".history")
    click_button(supplier_page, "form.move-accept", w.button("Accept the introduction"))
    expect(supplier_page.locator("#match-status")).to_have_text(w("You accepted the introduction."))
    supplier_page.reload()
    assert "zakup@astanahotel.example" not in supplier_page.content()  # one acceptance is not enough
    buyer_page.reload()
    assert "sales@jeparajati.example" not in buyer_page.content()

    # --- The buyer accepts: now, and only now, each sees the other's contacts. ---
    click_button(buyer_page, "form.move-accept", w.button("Accept the introduction"))
    # The page reloads by itself to show what the acceptance opened: contacts and the meeting form.
    expect(buyer_page.locator(".contacts h2")).to_have_text(w("Contact details"))
    assert buyer_page.locator("#match-panel .stage-accepted").inner_text() == w("Both accepted")
    assert buyer_page.locator("#meetings").is_visible()
    assert buyer_page.locator(".flash").inner_text() == w("You accepted the introduction.")
    assert "sales@jeparajati.example" in buyer_page.inner_text(".contacts")
    supplier_page.reload()
    assert "zakup@astanahotel.example" in supplier_page.inner_text(".contacts")

    # --- A meeting: the supplier proposes a time in Jakarta, the buyer confirms and downloads the .ics. ---
    assert supplier_page.locator("#meeting-timezone").input_value() == "Asia/Jakarta"
    supplier_page.fill("#meeting-slot_1", f"{day}T10:00")  # 10:00 WIB = 03:00 UTC
    supplier_page.fill("#meeting-where", "Astana Expo, hall 2")
    click_button(supplier_page, "#meetings form.meeting-form", w.button("Propose the meeting"))
    supplier_page.wait_for_url(f"**/matches/{match.id}#meetings")
    buyer_page.reload()
    assert "08:00" in buyer_page.inner_text(".meeting-slots")  # the buyer reads it in Astana time (UTC+5)
    click_button(buyer_page, "#meetings .meeting form[action$='/confirm']", w.button("Confirm this time"))
    buyer_page.wait_for_url(f"**/matches/{match.id}#meetings")
    ics_link = buyer_page.locator("#meetings a[href$='.ics']")
    assert ics_link.inner_text().strip() == w.button("Add to calendar (.ics)")
    with buyer_page.expect_download() as download:
        ics_link.click()
    invitation = open(download.value.path(), encoding="utf-8").read()
    assert "BEGIN:VEVENT" in invitation
    assert f"DTSTART:{day.replace('-', '')}T030000Z" in invitation
    assert buyer_page.locator("#match-panel .stage-line .stage").inner_text() == w("Meeting")

    # --- The supplier records the won deal with its value and date. ---
    supplier_page.reload()
    stage_form = supplier_page.locator("form.move-stage")
    stage_form.locator("select[name=stage]").select_option("won")
    assert stage_form.locator("select[name=stage] option[value=won]").inner_text() == WON[lang]
    stage_form.locator("input[name=deal_value_usd]").fill(str(DEAL_USD))
    stage_form.locator("input[name=deal_date]").fill(date.today().isoformat())
    click_button(supplier_page, "form.move-stage", w.button("Record progress"))
    expect(supplier_page.locator("#match-panel .stage-won")).to_have_text(WON[lang])

    # --- The curator sees the deal on the dashboard; the diversification view answers. ---
    curator_page.click("nav.mainnav a[href='/curation']")
    curator_page.click(".owner-actions a[href='/curation/dashboard']")
    curator_page.wait_for_url(re.compile(r"/curation/dashboard$"))
    assert curator_page.locator("h1").inner_text() == H1[lang]["dashboard"]
    funnel = curator_page.locator("section[aria-labelledby=funnel-heading] table tbody tr").last
    assert funnel.locator("th").inner_text() == WON[lang]
    assert int(funnel.locator("td").first.inner_text()) >= 1
    with app.test_request_context(), force_locale(lang):
        value = usd(DEAL_USD)
    assert value in curator_page.inner_text("section[aria-labelledby=sector-heading] table")
    assert value in curator_page.locator("#target-chart desc").text_content()
    curator_page.click(".owner-actions a[href='/curation/diversification']")
    curator_page.wait_for_url(re.compile(r"/curation/diversification$"))
    assert curator_page.locator("h1").inner_text() == w("Diversification", "programme")
    # The teak demand from Kazakhstan shows under its HS heading, Indonesia → Kazakhstan.
    assert "9403" in curator_page.inner_text("section[aria-labelledby=dir-ID-KZ] table")

    for page in (buyer_page, curator_page, supplier_page):
        page.context.close()


def _locale_of(db, user_id):
    db.expire_all()
    return db.get(User, user_id).locale
