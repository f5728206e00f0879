"""A chamber imports a member catalogue: dry run with each row's errors, all-or-nothing apply, one matching
refresh for all new items, upload limits, and who may do it."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from sqlmodel import func, select

from matchmaker.models import AuditEvent, BuyingRequest, Match, Organisation, ProductProfile
from matchmaker.services import catalogue_import, matches

HEADER = "organisation,side,title,description,hs_code,certifications,moq,unit,capacity_per_month,price_usd,incoterms,language"
GOOD_ROWS = [
    "PT Jati Baru,product,Teak dining chair,Kiln-dried teak,940161,svlk;fsc,200,pieces,5 000,85,FOB,english",
    "jati-baru,product,Teak coffee table,,940360,svlk,20,pcs,400,310,FOB CIF,id",
    "CV Rotan Indah,product,Rattan lounge chair,Hand-woven rattan,940159,,100,pcs,800,120,FOB,en",
]


def csv_file(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode("utf-8")


def upload(client, data: bytes, name: str = "members.csv", action: str = "check", **fields):
    return client.post("/curation/import", data={"file": (io.BytesIO(data), name), "action": action, **fields},
                       content_type="multipart/form-data")


@pytest.fixture
def stash(app, tmp_path):
    app.config["IMPORT_STASH_DIR"] = str(tmp_path)
    return tmp_path


@pytest.fixture
def scene(make, auth, stash):
    chamber = make.organisation(kind="chamber", country="ID", name="KADIN Indonesia")
    curator = make.user(chamber, role="curator")
    jati = make.organisation(kind="exporter", country="ID", name="PT Jati Baru")
    jati.slug = "jati-baru"
    make.session.add(jati)
    make.session.commit()
    buyer = make.organisation(kind="buyer", country="KZ", name="Astana Hotel Supply")
    make.request(buyer, title="Teak chairs and tables for a hotel", hs_code="9401")
    make.organisation(kind="exporter", country="KZ", name="Kazakh Leather")
    auth.login(curator.email)
    return {"curator": curator, "jati": jati, "buyer": buyer}


@pytest.fixture
def refresh_calls(monkeypatch):
    calls = []
    original = matches.refresh

    def counting(session, *, products=(), requests=(), also=None):
        calls.append((sorted(products), sorted(requests)))
        return original(session, products=products, requests=requests, also=also)

    monkeypatch.setattr(matches, "refresh", counting)
    return calls


def counts(db) -> tuple[int, int, int]:
    db.expire_all()
    return (db.exec(select(func.count()).select_from(ProductProfile)).one(),
            db.exec(select(func.count()).select_from(BuyingRequest)).one(),
            db.exec(select(func.count()).select_from(Organisation)).one())


def test_a_dry_run_lists_what_would_be_created_and_stores_nothing(client, db, scene, refresh_calls):
    before = counts(db)
    response = upload(client, csv_file(*GOOD_ROWS))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "members.csv is ready to import" in html
    assert "3 rows would be stored" in html and "with 1 new member organisation" in html
    assert "Rattan lounge chair" in html and "new member" in html
    assert re.search(r'name="upload" value="[A-Za-z0-9_-]{22}"', html)
    assert counts(db) == before and refresh_calls == []


BAD_ROWS = [
    ("PT Jati Baru,product,Teak bench,,999999,svlk,10,pcs,100,50,FOB,en", "hs_code", "Unknown HS code"),
    ("PT Jati Baru,product,Teak stool,,940161,kosher,10,pcs,100,50,FOB,en", "certifications", "Unknown value"),
    ("PT Jati Baru,product,Teak bed,,940350,,lots,pcs,100,50,FOB,en", "moq", "Enter a number."),
    ("PT Jati Baru,product,,,940161,,10,pcs,100,50,FOB,en", "title", "This field is required."),
    ("PT Jati Baru,product,Teak shelf,,940360,,500,pcs,100,50,FOB,en", "capacity_per_month",
     "Monthly capacity cannot be below the minimum order."),
    ("Kazakh Leather,product,Leather bag,,420221,,10,pcs,100,50,FOB,en", "organisation",
     "is not a member in your chamber"),
    ("Astana Hotel Supply,product,Sofa,,940161,,10,pcs,100,50,FOB,en", "organisation", "not a member"),
    ("CV Baru,product,Bamboo chair,,940161,,10,pcs,100,50,FOB,en,KZ", "country",
     "A new member must be in your chamber"),
    ("PT Jati Baru,product,<b>Teak</b> chair,,940161,,10,pcs,100,50,FOB,en", "title", "Plain text only"),
    ("PT Jati Baru,furniture,Teak lamp,,940161,,10,pcs,100,50,FOB,en", "side", "Write product or request."),
]


@pytest.mark.parametrize("row, field, message", BAD_ROWS)
def test_a_dry_run_names_each_bad_row_field_and_reason(client, db, scene, row, field, message):
    header = HEADER + (",country" if row.count(",") > HEADER.count(",") else "")
    response = upload(client, csv_file(GOOD_ROWS[0], row, header=header))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    errors = re.findall(r'<tr><td data-label="Row">(\d+)</td><td data-label="Field"><code>(\w+)</code></td>'
                        r'<td class="whole">([^<]*)</td></tr>', html)
    assert ("3", field) in [(r, f) for r, f, _ in errors], errors
    assert any(message in m.replace("&#39;", "'") for _, f, m in errors if f == field), errors
    assert 'name="upload"' not in html  # nothing to apply


def test_unknown_columns_and_duplicate_rows_are_errors(client, db, scene):
    response = upload(client, csv_file(GOOD_ROWS[0] + ",x", GOOD_ROWS[0] + ",y", header=HEADER + ",colour"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "<code>colour</code>" in html and "Row 2 already has this title" in html


def test_an_existing_title_is_not_imported_twice(client, db, scene, make):
    make.product(scene["jati"], title="Teak dining chair")
    html = upload(client, csv_file(GOOD_ROWS[0])).get_data(as_text=True)
    assert "PT Jati Baru already has an item with this title." in html


def test_applying_a_file_with_one_bad_row_stores_nothing(client, db, scene, refresh_calls):
    before = counts(db)
    bad = "PT Jati Baru,product,Teak bench,,999999,svlk,10,pcs,100,50,FOB,en"
    response = upload(client, csv_file(*GOOD_ROWS, bad), action="apply")
    assert response.status_code == 400
    assert "Nothing was stored" in response.get_data(as_text=True)
    assert counts(db) == before
    assert refresh_calls == []
    assert db.exec(select(AuditEvent)).all() == []


def test_a_good_file_stores_everything_and_matches_once(client, db, scene, refresh_calls):
    before = counts(db)
    response = upload(client, csv_file(*GOOD_ROWS), action="apply")
    assert response.status_code == 302
    assert counts(db) == (before[0] + 3, before[1], before[2] + 1)
    products = db.exec(select(ProductProfile).order_by(ProductProfile.id)).all()
    assert [(p.title, p.unit, p.language, p.moq, p.capacity_per_month, p.certifications) for p in products] == [
        ("Teak dining chair", "pcs", "en", 200, 5000, ["fsc", "svlk"]),
        ("Teak coffee table", "pcs", "id", 20, 400, ["svlk"]),
        ("Rattan lounge chair", "pcs", "en", 100, 800, [])]
    assert all(p.status == "published" and p.sector == "furniture" for p in products)
    new = db.exec(select(Organisation).where(Organisation.name == "CV Rotan Indah")).one()
    assert (new.country, new.kind, new.slug) == ("ID", "exporter", "cv-rotan-indah")
    assert products[2].organisation_id == new.id and products[0].organisation_id == scene["jati"].id

    assert refresh_calls == [(sorted(p.id for p in products), [])]  # one refresh for all new items
    stored = db.exec(select(Match).where(Match.product_id.in_([p.id for p in products]))).all()
    assert stored, "the new products are matched with the hotel's request"
    events = db.exec(select(AuditEvent).where(AuditEvent.entity_type == "product_profile")).all()
    assert {(e.action, e.actor_id, e.reason["code"]) for e in events} == {
        ("create", scene["curator"].id, "catalogue_import")}
    assert sorted(e.reason["row"] for e in events) == [2, 3, 4]
    page = client.get("/curation/import").get_data(as_text=True)
    assert "Imported 3 products and 0 buying requests (1 new members)" in page


def test_requests_and_drafts_import_too(client, db, scene, refresh_calls):
    header = "organisation,side,organisation_kind,status,title,hs_code,required_certifications,quantity,unit,max_price_usd"
    rows = ["PT Pangan Nusantara,request,importer,published,Halal beef,020130,halal;vet,20,t,6500",
            "PT Pangan Nusantara,request,importer,draft,Milk powder,0402,halal,5,tonnes,"]
    assert upload(client, csv_file(*rows, header=header), action="apply").status_code == 302
    requests = db.exec(select(BuyingRequest).where(BuyingRequest.title.in_(["Halal beef", "Milk powder"]))
                       .order_by(BuyingRequest.id)).all()
    assert [(r.status, r.hs_code, r.unit, r.required_certifications) for r in requests] == [
        ("published", "020130", "t", ["halal", "vet"]), ("draft", "0402", "t", ["halal"])]
    assert refresh_calls == [([], [requests[0].id])]  # a draft changes no match


def test_an_xlsx_catalogue_reads_like_the_csv(client, db, scene, refresh_calls):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Organisation", "Title", "HS_code", "moq", "unit", "capacity_per_month", "price_usd",
                  "certifications", "country"])
    sheet.append(["PT Jati Baru", "Teak dining chair", 940161, 200.0, "pcs", 5000, 85.5, "svlk", "Indonesia"])
    sheet.append(["PT Laut Biru", "Frozen skipjack", 30249, 1000, "kg", 50000, None, "haccp;msc", None])
    buffer = io.BytesIO()
    workbook.save(buffer)
    response = upload(client, buffer.getvalue(), name="members.xlsx", action="apply")
    assert response.status_code == 302, response.get_data(as_text=True)
    products = db.exec(select(ProductProfile).order_by(ProductProfile.id)).all()
    assert [(p.hs_code, p.moq, p.price_usd, p.sector) for p in products] == [
        ("940161", 200, 85.5, "furniture"), ("030249", 1000, None, "fisheries")]
    assert len(refresh_calls) == 1


def test_check_then_apply_the_kept_file(client, db, scene, stash, refresh_calls):
    html = upload(client, csv_file(*GOOD_ROWS)).get_data(as_text=True)
    token = re.search(r'name="upload" value="([A-Za-z0-9_-]{22})"', html).group(1)
    assert len(list(stash.iterdir())) == 1
    response = client.post("/curation/import", data={"upload": token, "action": "apply"})
    assert response.status_code == 302
    assert counts(db)[0] == 3 and len(refresh_calls) == 1
    assert list(stash.iterdir()) == []  # applied once, then gone
    again = client.post("/curation/import", data={"upload": token, "action": "apply"})
    assert again.status_code == 400 and counts(db)[0] == 3


@pytest.mark.parametrize("name, data, message", [
    ("members.txt", b"title\nchair\n", "Upload a .csv or .xlsx file."),
    ("members.xlsx", b"PK\x03\x04 not really a workbook", "cannot be read as a table"),
    ("members.csv", "title\nчай\n".encode("cp1251"), "not in UTF-8"),
    ("members.csv", HEADER.encode() + b"\n", "no rows"),
])
def test_unreadable_files_get_a_message(client, db, scene, name, data, message):
    response = upload(client, data, name=name)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_a_file_over_the_size_limit_gets_a_clear_message(client, db, scene):
    big = csv_file(*GOOD_ROWS) + b"#" * (1024 * 1024 + 1)
    response = upload(client, big)
    assert response.status_code == 413
    assert "The file is larger than 1 MB" in response.get_data(as_text=True)
    assert counts(db)[0] == 0


def test_too_many_rows_are_refused(client, db, scene, monkeypatch):
    monkeypatch.setattr(catalogue_import, "MAX_ROWS", 2)
    response = upload(client, csv_file(*GOOD_ROWS))
    assert response.status_code == 400 and "At most 2 rows" in response.get_data(as_text=True)


def test_only_curators_import(client, auth, make, db, stash):
    member = make.user(make.organisation())
    assert client.get("/curation/import").status_code == 302  # to the login page
    auth.login(member.email)
    assert client.get("/curation/import").status_code == 403
    assert upload(client, csv_file(*GOOD_ROWS), action="apply").status_code == 403
    assert counts(db)[0] == 0


def test_an_admin_imports_new_members_of_any_country_named_in_the_file(client, auth, make, db, stash):
    admin = make.user(None, role="admin")
    auth.login(admin.email)
    header = "organisation,country,title,hs_code,moq,unit"
    assert upload(client, csv_file("Kazakh Meat,Қазақстан,Beef,020130,10,t", header=header),
                  action="apply").status_code == 302
    assert db.exec(select(Organisation).where(Organisation.name == "Kazakh Meat")).one().country == "KZ"
    html = upload(client, csv_file("Another,,Beef,020130,10,t", header=header)).get_data(as_text=True)
    assert "Give the new member&#39;s country." in html


def test_the_template_imports_as_it_is(client, db, scene, refresh_calls):
    template = client.get("/curation/import/template.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    response = upload(client, template.get_data(), name="catalogue-template.csv", action="apply")
    assert response.status_code == 302, response.get_data(as_text=True)
    db.expire_all()
    assert {o.name for o in db.exec(select(Organisation).where(Organisation.name.like("PT Contoh%")))} == {
        "PT Contoh Mebel", "PT Contoh Pangan"}
    assert len(refresh_calls) == 1


def test_the_dry_run_speaks_the_curators_language(client, db, scene):
    rows = ["PT Jati Baru,product,Teak bench,,999999,svlk,lots,pcs,100,50,FOB,en"]
    html = client.post("/curation/import?lang=ru", data={"file": (io.BytesIO(csv_file(*rows)), "m.csv"),
                                                         "action": "check"},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "Строка" in html and "Введите число." in html
    rows = ["PT Jati Baru,product,Teak bench,,999999,svlk,10,pcs,100,50,FOB,en"]
    html = client.post("/curation/import?lang=kk", data={"file": (io.BytesIO(csv_file(*rows)), "m.csv"),
                                                         "action": "check"},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "Жол" in html and "999999" in html and "Unknown HS code" not in html
