"""Form input: bad input is refused at the field, the rest of the input kept; good input is saved intact."""

from __future__ import annotations

import re

import pytest
from sqlmodel import func, select

from matchmaker.models import AuditEvent, BuyingRequest, Organisation, ProductProfile, User

MODELS = {"product": ProductProfile, "request": BuyingRequest}
QTY = {"product": "moq", "request": "quantity"}
PRICE = {"product": "price_usd", "request": "max_price_usd"}
CERTS = {"product": "certifications", "request": "required_certifications"}

TITLE = "Distinctive teak table title"
DESCRIPTION = "Distinctive description: kiln-dried teak from Jepara workshops."


def valid(kind: str, **overrides) -> dict:
    if kind == "product":
        data = {"title": TITLE, "description": DESCRIPTION, "language": "en", "hs_code": "940360",
                "certifications": ["svlk"], "moq": "20", "unit": "pcs", "capacity_per_month": "400",
                "price_usd": "350", "incoterms": ["FOB"], "publish": "1"}
    else:
        data = {"title": TITLE, "description": DESCRIPTION, "language": "en", "hs_code": "",
                "required_certifications": ["eac"], "quantity": "120", "unit": "sets", "max_price_usd": "900",
                "incoterms": ["DAP"], "publish": "1"}
    data.update(overrides)
    return data


def count(db, model) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


def error_at(html: str, field: str) -> bool:
    """Whether the page shows an error message at the given field (text inputs or checkbox groups)."""
    if re.search(rf'<p class="error" id="{field}-error">\s*\S', html):
        return True
    for fieldset in re.findall(r'<fieldset class="field checkboxes has-error">.*?</fieldset>', html, re.S):
        if f'name="{field}"' in fieldset and '<p class="error">' in fieldset:
            return True
    return False


@pytest.fixture
def owners(make):
    exporter, buyer = make.organisation(kind="exporter"), make.organisation(kind="buyer", country="KZ")
    return {"product": make.user(exporter), "request": make.user(buyer),
            "product_item": make.product(exporter, title="Original product title"),
            "request_item": make.request(buyer, title="Original request title")}


def sign_in(auth, owners, kind):
    assert auth.login(owners[kind].email).status_code == 302


# (case id, field or {kind: field}, bad value, kinds it applies to)
BAD_INPUT = [
    ("empty title", "title", "", ("product", "request")),
    ("blank title", "title", "   ", ("product", "request")),
    ("title over 200", "title", "x" * 201, ("product", "request")),
    ("hs 3 digits", "hs_code", "123", ("product", "request")),
    ("hs chapter 99", "hs_code", "999999", ("product", "request")),
    ("hs letters", "hs_code", "abcdef", ("product", "request")),
    ("hs heading only", "hs_code", "9403", ("product",)),  # a request may name a heading
    ("hs unknown heading", "hs_code", "0199", ("product", "request")),
    ("hs 7 digits", "hs_code", "9403601", ("product", "request")),
    ("negative quantity", QTY, "-5", ("product", "request")),
    ("zero quantity", QTY, "0", ("product", "request")),
    ("absurd quantity", QTY, "1e15", ("product", "request")),
    ("price not a number", PRICE, "abc", ("product", "request")),
    ("price nan", PRICE, "nan", ("product", "request")),
    ("price infinite", PRICE, "inf", ("product", "request")),
    ("absurd price", PRICE, "5e12", ("product", "request")),
    ("unknown certification", CERTS, "bogus", ("product", "request")),
    ("unknown incoterm", "incoterms", "XYZ", ("product", "request")),
    ("unknown unit", "unit", "barrels", ("product", "request")),
    ("unknown language", "language", "fr", ("product", "request")),
    ("script in title", "title", "<script>alert(1)</script>", ("product", "request")),
    ("script in description", "description", "<script>alert(1)</script>", ("product", "request")),
    ("link in description", "description", 'Call us <a href="https://evil.example">here</a>',
     ("product", "request")),
    ("description too long", "description", "x" * 5001, ("product", "request")),
    ("capacity below moq", "capacity_per_month", "10", ("product",)),
    ("product without hs code", "hs_code", "", ("product",)),
]
BAD_CASES = [
    pytest.param(kind, field if isinstance(field, str) else field[kind], value, id=f"{kind}-{name}")
    for name, field, value, kinds in BAD_INPUT for kind in kinds
]


def assert_refused(response, field: str, value: str, db, kind: str, rows_before: int):
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert error_at(html, field), f"no message at {field}"
    # The rest of what the user typed is still there…
    if field == "title":
        assert DESCRIPTION in html
    else:
        assert f'value="{TITLE}"' in html
    assert "<script>alert(1)</script>" not in html  # …and nothing typed is echoed unescaped.
    assert count(db, MODELS[kind]) == rows_before


@pytest.mark.parametrize(("kind", "field", "value"), BAD_CASES)
def test_bad_input_on_new_form(client, auth, db, owners, kind, field, value):
    sign_in(auth, owners, kind)
    rows = count(db, MODELS[kind])
    response = client.post(f"/{kind}s/new", data=valid(kind, **{field: value}))
    assert_refused(response, field, value, db, kind, rows)


@pytest.mark.parametrize(("kind", "field", "value"), BAD_CASES)
def test_bad_input_on_edit_form(client, auth, db, owners, kind, field, value):
    sign_in(auth, owners, kind)
    item = owners[f"{kind}_item"]
    rows = count(db, MODELS[kind])
    response = client.post(f"/{kind}s/{item.id}/edit", data=valid(kind, **{field: value}))
    assert_refused(response, field, value, db, kind, rows)
    db.expire_all()
    stored = db.get(MODELS[kind], item.id)
    assert stored.title == item.title and stored.updated_at == item.updated_at


def test_several_errors_are_shown_together(client, auth, db, owners):
    sign_in(auth, owners, "product")
    response = client.post("/products/new", data=valid("product", title="", hs_code="123", moq="-1",
                                                       price_usd="abc"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert all(error_at(html, name) for name in ("title", "hs_code", "moq", "price_usd"))


def test_refused_numbers_are_kept_as_typed(client, auth, owners):
    sign_in(auth, owners, "product")
    html = client.post("/products/new", data=valid("product", title="", moq="20 000",
                                                  price_usd="5,5")).get_data(as_text=True)
    assert 'value="20 000"' in html and 'value="5,5"' in html


# ----- good input ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["product", "request"])
@pytest.mark.parametrize(("title", "description", "language"), [
    ("«Мебель из тика для гостиниц»", "Массив тика, сушка до 10–12 %, поставка DAP Алматы.", "ru"),
    ("Kursi makan jati solid, finishing natural", "Kayu jati grade A, bersertifikat SVLK.", "id"),
    ('Teak chairs "Jepara" & tables <2 m', "Seats 5 < 6 persons & more", "en"),
])
def test_text_in_every_language_is_saved_intact_and_shown_escaped(client, auth, db, owners, kind, title,
                                                                   description, language):
    sign_in(auth, owners, kind)
    response = client.post(f"/{kind}s/new", data=valid(kind, title=title, description=description,
                                                       language=language))
    assert response.status_code == 302
    item = db.exec(select(MODELS[kind]).where(MODELS[kind].title == title)).one()
    assert (item.description, item.language) == (description, language)
    html = client.get(f"/{kind}s/{item.id}").get_data(as_text=True)
    escaped = title.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&#34;")
    assert escaped in html
    assert description.replace("&", "&amp;").replace("<", "&lt;") in html
    listing = client.get(f"/{kind}s/").get_data(as_text=True)
    assert escaped in listing


@pytest.mark.parametrize(("typed", "stored", "sector"), [
    ("940360", "940360", "furniture"),
    ("94036010", "94036010", "furniture"),
    ("0202300000", "0202300000", "meat"),
    ("9403.60", "940360", "furniture"),
    (" 0306 17 ", "030617", "fisheries"),
    ("040210", "040210", "dairy"),
    ("520812", "520812", "textiles"),
])
@pytest.mark.parametrize("kind", ["product", "request"])
def test_hs_codes_accepted(client, auth, db, owners, kind, typed, stored, sector):
    sign_in(auth, owners, kind)
    # corridor_checked: the buyer has already seen the corridor's defaults for this sector ticked
    response = client.post(f"/{kind}s/new", data=valid(kind, hs_code=typed, corridor_checked=sector))
    assert response.status_code == 302
    item = db.exec(select(MODELS[kind]).where(MODELS[kind].title == TITLE)).one()
    assert (item.hs_code, item.sector) == (stored, sector)


@pytest.mark.parametrize(("typed", "value"), [
    ("20 000", 20000), ("20\u00a0000", 20000), ("5,5", 5.5), ("1.5", 1.5), ("350", 350), ("  42 ", 42),
])
@pytest.mark.parametrize("kind", ["product", "request"])
def test_number_formats_accepted(client, auth, db, owners, kind, typed, value):
    sign_in(auth, owners, kind)
    data = valid(kind, **{QTY[kind]: typed, PRICE[kind]: typed})
    if kind == "product":
        data["capacity_per_month"] = ""
    assert client.post(f"/{kind}s/new", data=data).status_code == 302
    item = db.exec(select(MODELS[kind]).where(MODELS[kind].title == TITLE)).one()
    assert getattr(item, QTY[kind]) == value
    assert getattr(item, PRICE[kind]) == value


@pytest.mark.parametrize("kind", ["product", "request"])
def test_optional_numbers_may_be_left_empty(client, auth, db, owners, kind):
    sign_in(auth, owners, kind)
    data = valid(kind, **{QTY[kind]: "", PRICE[kind]: ""})
    if kind == "product":
        data["capacity_per_month"] = ""
    assert client.post(f"/{kind}s/new", data=data).status_code == 302
    item = db.exec(select(MODELS[kind]).where(MODELS[kind].title == TITLE)).one()
    assert getattr(item, QTY[kind]) is None and getattr(item, PRICE[kind]) is None


@pytest.mark.parametrize("kind", ["product", "request"])
@pytest.mark.parametrize(("button", "status", "listed"), [("publish", "published", True),
                                                          ("draft", "draft", False)])
def test_publish_or_save_as_draft(client, auth, db, owners, kind, button, status, listed):
    sign_in(auth, owners, kind)
    data = valid(kind)
    data.pop("publish")
    data[button] = "1"
    response = client.post(f"/{kind}s/new", data=data)
    assert response.status_code == 302
    item = db.exec(select(MODELS[kind]).where(MODELS[kind].title == TITLE)).one()
    assert item.status == status
    assert item.organisation_id == owners[kind].organisation_id
    assert response.headers["Location"].endswith(f"/{kind}s/{item.id}")
    auth.logout()
    assert (TITLE in client.get(f"/{kind}s/").get_data(as_text=True)) is listed


def test_stored_lists_and_fields(client, auth, db, owners):
    sign_in(auth, owners, "product")
    client.post("/products/new", data=valid("product", certifications=["svlk", "fsc"],
                                            incoterms=["FOB", "CIF"], unit="sets"))
    item = db.exec(select(ProductProfile).where(ProductProfile.title == TITLE)).one()
    assert (item.certifications, item.incoterms, item.unit) == (["svlk", "fsc"], ["FOB", "CIF"], "sets")
    assert (item.moq, item.capacity_per_month, item.price_usd) == (20, 400, 350)


def test_request_without_hs_code_is_accepted(client, auth, db, owners):
    sign_in(auth, owners, "request")
    assert client.post("/requests/new", data=valid("request", hs_code="")).status_code == 302
    item = db.exec(select(BuyingRequest).where(BuyingRequest.title == TITLE)).one()
    assert item.hs_code == ""


def test_product_without_hs_code_is_refused(client, auth, db, owners):
    sign_in(auth, owners, "product")
    response = client.post("/products/new", data=valid("product", hs_code=""))
    assert response.status_code == 400
    assert error_at(response.get_data(as_text=True), "hs_code")
    assert count(db, ProductProfile) == 1  # only the fixture's


@pytest.mark.parametrize("kind", ["product", "request"])
def test_edit_saves_changes_and_keeps_status(client, auth, db, owners, kind):
    sign_in(auth, owners, kind)
    item = owners[f"{kind}_item"]
    data = valid(kind, title="Changed title", hs_code="0202300000", corridor_checked="meat")
    data.pop("publish")
    data["draft"] = "1"
    data["version"] = "1"
    assert client.post(f"/{kind}s/{item.id}/edit", data=data).status_code == 302
    db.expire_all()
    stored = db.get(MODELS[kind], item.id)
    assert (stored.title, stored.hs_code, stored.sector, stored.status) == (
        "Changed title", "0202300000", "meat", "published")
    assert count(db, MODELS[kind]) == 1


@pytest.mark.parametrize("kind", ["product", "request"])
def test_edit_form_shows_stored_numbers_readably(client, auth, make, owners, kind):
    sign_in(auth, owners, kind)
    org_id = owners[kind].organisation_id
    org = make.session.get(Organisation, org_id)
    if kind == "product":
        item = make.product(org, moq=20000.0, price_usd=5.5, capacity_per_month=40000.0)
    else:
        item = make.request(org, quantity=20000.0, max_price_usd=5.5)
    html = client.get(f"/{kind}s/{item.id}/edit").get_data(as_text=True)
    assert 'value="20000"' in html and 'value="5.5"' in html


def test_save_and_publish_on_edit_publishes_a_draft(client, auth, db, make, owners):
    sign_in(auth, owners, "product")
    draft = make.product(make.session.get(Organisation, owners["product"].organisation_id), status="draft")
    assert client.post(f"/products/{draft.id}/edit", data=valid("product", version="1")).status_code == 302
    db.expire_all()
    assert db.get(ProductProfile, draft.id).status == "published"


# ----- registration ----------------------------------------------------------------------------------------

def registration(**overrides) -> dict:
    data = {"name": "PT Batik Pekalongan Jaya", "kind": "exporter", "country": "ID", "city": "Pekalongan",
            "description": "Hand-drawn batik since 1978.", "website": "https://batik.example",
            "languages": ["id"], "contact_person": "Ibu Sari", "contact_email": "sari@batik.example",
            "contact_phone": "+62 285 555 0101", "person_name": "Sari", "email": "sari@batik.example",
            "password": "a-long-password-2026", "confirm": "a-long-password-2026"}
    data.update(overrides)
    return data


@pytest.mark.parametrize(("field", "overrides"), [
    ("country", {"country": "XX"}),
    ("country", {"country": "Indonesia"}),
    ("country", {"country": ""}),
    ("kind", {"kind": "smuggler"}),
    ("name", {"name": ""}),
    ("name", {"name": "<script>alert(1)</script>"}),
    ("website", {"website": "batik dot example"}),
    ("website", {"website": "javascript:alert(1)"}),
    ("website", {"website": "ftp://batik.example"}),
    ("website", {"website": "https://batik.example@evil.example/"}),
    ("website", {"website": "https://[::1"}),
    ("website", {"website": "https://localhost/batik.html"}),
    ("website", {"website": "https://batik.example/" + "a" * 300}),
    ("password", {"password": "short", "confirm": "short"}),
    ("confirm", {"confirm": "a-different-password"}),
    ("email", {"email": "not-an-email"}),
    ("email", {"email": ""}),
    ("contact_email", {"contact_email": "not-an-email"}),
    ("contact_phone", {"contact_phone": "call me maybe"}),
    ("languages", {"languages": ["fr"]}),
])
def test_register_bad_input(client, db, field, overrides):
    before = (count(db, Organisation), count(db, User), count(db, AuditEvent))
    response = client.post("/register", data=registration(**overrides))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert error_at(html, field), f"no message at {field}"
    assert "<script>alert(1)</script>" not in html
    if field != "city":
        assert 'value="Pekalongan"' in html  # the rest of the input is kept
    assert (count(db, Organisation), count(db, User), count(db, AuditEvent)) == before
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_register_never_echoes_the_password(client):
    html = client.post("/register", data=registration(country="XX")).get_data(as_text=True)
    assert "a-long-password-2026" not in html


def test_kazakh_fish_request_gets_the_veterinary_certificate_ticked_and_may_untick_it(client, auth, db, owners):
    sign_in(auth, owners, "request")
    data = valid("request", title="Тунец мороженый, лоины", hs_code="", required_certifications=["haccp"])
    first = client.post("/requests/new", data=data)
    html = first.get_data(as_text=True)
    assert first.status_code == 200 and count(db, BuyingRequest) == 1  # only the fixture's request
    assert re.search(r'<input[^>]*checked[^>]*value="vet"|<input[^>]*value="vet"[^>]*checked', html)
    assert "EAEU veterinary control" in html
    assert 'name="corridor_checked" type="hidden" value="fisheries"' in html
    # The owner unticks it and saves: the choice is kept.
    client.post("/requests/new", data={**data, "corridor_checked": "fisheries"})
    saved = db.exec(select(BuyingRequest).where(BuyingRequest.title == "Тунец мороженый, лоины")).one()
    assert saved.required_certifications == ["haccp"]


def test_indonesian_dairy_request_gets_halal_ticked_as_the_law_requires(client, auth, db, make):
    importer = make.user(make.organisation(kind="importer", country="ID"))
    assert auth.login(importer.email).status_code == 302
    html = client.post("/requests/new", data=valid("request", title="Susu bubuk full cream 26%",
                                                   required_certifications=[])).get_data(as_text=True)
    assert re.search(r'<input[^>]*checked[^>]*value="halal"|<input[^>]*value="halal"[^>]*checked', html)
    assert "Law 33/2014" in html


def test_a_blank_request_form_explains_the_corridor_rules(client, auth, owners):
    sign_in(auth, owners, "request")
    assert "EAEU veterinary control" in client.get("/requests/new").get_data(as_text=True)
