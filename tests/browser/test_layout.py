"""Every page fits a phone (390 px wide) without sideways scrolling, and one long word breaks no page.

The pages are filled with the worst text the forms accept: a 200-character title without a space, an
organisation name and a website of one long word. Each role visits the pages it can open.
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from matchmaker.models import Match
from matchmaker.services import matches
from matchmaker.vocabulary import TITLE_MAX

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}
PASSWORD = "correct-horse-2026"  # the factory's password (tests/conftest.py)
LONG_WORD = ("Kayujatisolidtanpasambungan" * 10)[:TITLE_MAX]


@pytest.fixture
def site(app, make, db):
    exporter = make.organisation(kind="exporter", country="ID", name=("PTMebelJatiNusantara" * 10)[:200],
                                 website="https://" + "jepara" * 40 + ".example")
    buyer = make.organisation(kind="buyer", country="KZ", name="ТОО Астана Отель Снаб")
    chamber = make.organisation(kind="chamber", country="ID", name="Dewan Bisnis Indonesia–Kazakhstan")
    long_product = make.product(exporter, title=LONG_WORD, description=f"{LONG_WORD} {LONG_WORD}")
    make.product(exporter, title="Solid teak dining set for hotels", description="Kiln-dried teak, SVLK.")
    request = make.request(buyer, title="Teak dining furniture for a hotel in Astana",
                           description=f"120 rooms. {LONG_WORD}")
    with app.app_context():
        matches.refresh(db, requests=[request.id])
    match = db.exec(select(Match).where(Match.request_id == request.id).order_by(Match.score.desc())).first()
    assert match is not None, "the layout of the match page needs a match"
    people = {
        "exporter": make.user(exporter, email="exporter@layout.example"),
        "buyer": make.user(buyer, email="buyer@layout.example"),
        "curator": make.user(chamber, role="curator", email="curator@layout.example"),
        "admin": make.user(None, role="admin", email="admin@layout.example"),
    }
    return {"exporter": exporter.id, "buyer": buyer.id, "product": long_product.id, "request": request.id,
            "match": match.id, "people": people}


def visits(site, role):
    """The pages a role opens, each with the elements that must be on screen with a real size."""
    product, request, match = site["product"], site["request"], site["match"]
    exporter, buyer = site["exporter"], site["buyer"]
    return {
        None: [
            ("/", ["main h1", "table.figures"]),
            ("/login", ["#email", "#password", "main button[type=submit]"]),
            ("/register", ["#name", "#kind", "#website", "main button[type=submit]"]),
            ("/products/", [".card-title", ".filters button"]),
            ("/requests/", [".card-title", ".filters button"]),
            (f"/products/{product}", ["main h1", ".description", ".facts dd"]),
            (f"/requests/{request}", ["main h1", ".description", ".facts dd"]),
            (f"/organisations/{exporter}", ["main h1", ".facts a"]),
            ("/no-such-page", ["main h1"]),
        ],
        "exporter": [
            ("/products/new", ["#title", "#hs_code", "#moq", "#unit", "button[name=publish]"]),
            (f"/products/{product}/edit", ["#title", "#price_usd", "button[name=publish]"]),
            (f"/products/{product}", ["main h1", ".owner-actions .button"]),
            (f"/matches/{match}", ["main h1", ".score.big", ".breakdown-track", ".breakdown-why li"]),
            (f"/organisations/{exporter}", ["main h1", ".contacts dd"]),
            (f"/organisations/{exporter}/edit", ["#name", "#website", "main button[type=submit]"]),
        ],
        "buyer": [
            ("/requests/new", ["#title", "#quantity", "#unit", "button[name=publish]"]),
            (f"/requests/{request}/edit", ["#title", "#max_price_usd", "button[name=publish]"]),
            (f"/organisations/{buyer}", ["main h1", ".contacts dd"]),
            # Proposed partners are shown to the parties only (and to curators and admins).
            (f"/requests/{request}", ["main h1", ".match-list .why"]),
            (f"/matches/{match}", ["main h1", ".score.big", ".breakdown-track", ".breakdown-why li"]),
        ],
        "curator": [
            (f"/organisations/{exporter}", ["main h1", "#evidence button", "#registration_number"]),
            (f"/matches/{match}", [".breakdown-track", ".breakdown-why li"]),
            ("/curation", [".filters button", ".bulk-actions button[value=introduce]"]),
            ("/curation/import", ["main h1", "#file", "main button[type=submit]"]),
            ("/curation/export", ["main h1", "main table a"]),
        ],
        "admin": [
            ("/curation", [".filters button", ".bulk-actions button[value=decline]"]),
            ("/admin/users", ["main tbody td:not(:empty)", "main table select", "main table button"]),
        ],
    }[role]


def log_in(page, live_server, email):
    page.goto(f"{live_server}/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def overflow(page):
    """How far the page is wider than the window, with the elements that stick out (for the message)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const out = [...document.querySelectorAll("body *")]
            .filter(el => el.getBoundingClientRect().right > width + 0.5)
            .map(el => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
        return {scroll: document.documentElement.scrollWidth, width, out: out.slice(0, 8)};
    }""")


def assert_fits(page, path, selectors):
    measured = overflow(page)
    assert measured["scroll"] <= measured["width"], (path, measured)
    for selector in selectors:
        elements = page.locator(selector).all()
        assert elements, (path, selector, "not on the page")
        for element in elements:
            box = element.bounding_box()
            assert box and box["width"] > 0 and box["height"] > 0, (path, selector, box)
            assert box["x"] >= 0 and box["x"] + box["width"] <= measured["width"] + 0.5, (path, selector, box)


@pytest.fixture
def phone(browser, request):
    locale = getattr(request, "param", "en")
    context = browser.new_context(viewport=PHONE, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.mark.parametrize("phone", ["en", "id", "ru", "kk"], indirect=True)
def test_public_pages_fit_a_phone_in_every_language(phone, live_server, site):
    for path, selectors in visits(site, None):
        phone.goto(f"{live_server}{path}")
        assert_fits(phone, path, selectors)


@pytest.mark.parametrize("role", ["exporter", "buyer", "curator", "admin"])
def test_members_pages_fit_a_phone(phone, live_server, site, role):
    log_in(phone, live_server, site["people"][role].email)
    # /login and /register send a signed-in user on to their organisation.
    public = [(path, selectors) for path, selectors in visits(site, None)
              if path not in ("/login", "/register")]
    for path, selectors in visits(site, role) + public:
        phone.goto(f"{live_server}{path}")
        assert_fits(phone, path, selectors)


def test_why_this_match_keeps_its_chart_on_a_phone(phone, live_server, site):
    log_in(phone, live_server, site["people"]["buyer"].email)  # a match page is for the parties
    phone.goto(f"{live_server}/matches/{site['match']}")
    tracks = phone.locator(".breakdown-track").all()
    # One bar per part plus the total.
    assert len(tracks) == len(phone.locator(".breakdown-row").all()) + 1
    # A bar a thumb can't see is no chart: every track keeps a readable share of the screen.
    assert min(track.bounding_box()["width"] for track in tracks) >= 40


def test_admin_role_selects_show_their_choice_on_a_phone(phone, live_server, site):
    log_in(phone, live_server, site["people"]["admin"].email)
    phone.goto(f"{live_server}/admin/users")
    selects = phone.locator("main table select").all()
    assert len(selects) == 4
    for select in selects:
        # At least as wide as the select sized to its own options, so the chosen role is readable.
        shown, natural = select.evaluate("""el => {
            const shown = el.getBoundingClientRect().width;
            const before = el.style.width;
            el.style.width = "auto";
            const natural = el.getBoundingClientRect().width;
            el.style.width = before;
            return [shown, natural];
        }""")
        assert shown + 0.5 >= natural, (shown, natural)


@pytest.mark.parametrize("path", ["/products/", "/products/{product}", "/organisations/{exporter}",
                                  "/requests/{request}"])
def test_a_long_word_does_not_widen_pages_on_a_desktop(browser, live_server, site, path):
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        page.goto(live_server + path.format(**site))
        assert LONG_WORD in page.content()
        measured = overflow(page)
        assert measured["scroll"] <= DESKTOP["width"], measured
    finally:
        context.close()
