"""The diversification view: open demand by HS heading against suppliers matching it well, both
directions, the recruiting and promotion lists, and the CSV export."""

from __future__ import annotations

import csv
import io

import pytest

from matchmaker.models import Match
from matchmaker.services import diversification


@pytest.fixture
def market(db, make):
    exporter = make.organisation(kind="exporter", country="ID")
    other_exporter = make.organisation(kind="exporter", country="ID")
    producer = make.organisation(kind="producer", country="KZ")
    kz_buyer = make.organisation(kind="buyer", country="KZ")
    id_importer = make.organisation(kind="importer", country="ID")
    table = make.product(exporter)                                                     # 9403
    other_table = make.product(other_exporter, title="Teak coffee table")             # 9403
    tshirt = make.product(other_exporter, title="Cotton T-shirts", hs_code="610910", certifications=[])
    tuna = make.product(exporter, title="Frozen tuna loins", hs_code="030487", certifications=["haccp"])
    beef = make.product(producer, title="Frozen beef", hs_code="020230", certifications=["halal"])
    make.product(producer, title="Milk powder", hs_code="040221", certifications=["halal"])
    make.product(producer, title="Draft cheese", hs_code="040690", status="draft")    # not on offer
    hotel = make.request(kz_buyer, hs_code="9403")
    shirts = make.request(kz_buyer, title="T-shirts for a retail chain", hs_code="6109")
    make.request(kz_buyer, title="Frozen vannamei shrimp", description="", hs_code="")  # read as 0306
    make.request(kz_buyer, title="Old request", hs_code="0302", status="archived")    # not open
    halal_beef = make.request(id_importer, title="Halal beef", hs_code="0202")
    for product, request, score in ((table, hotel, 0.91), (other_table, hotel, 0.70), (tshirt, shirts, 0.55),
                                    (beef, halal_beef, 0.88), (tuna, hotel, 0.5)):
        db.add(Match(product_id=product.id, request_id=request.id, score=score, explanation={}))
    db.commit()
    curator = make.user(make.organisation(kind="chamber", country="KZ"), role="curator")
    return {"curator": curator, "member": make.user(kz_buyer)}


def _by_code(direction):
    return {h.code: h for h in direction.headings}


def test_headings_lists_and_good_suppliers(app, db, market):
    with app.app_context():
        id_kz, kz_id = diversification.lists(db)
    assert (id_kz.key, id_kz.demand_country, id_kz.supply_country) == ("ID-KZ", "KZ", "ID")
    headings = _by_code(id_kz)
    # Two suppliers match the hotel request well (0.91 and 0.70); the tuna's weak match does not count.
    assert (headings["9403"].requests, headings["9403"].suppliers, headings["9403"].good_suppliers) == (1, 2, 2)
    assert headings["9403"].list == "covered"
    # T-shirts: a supplier, but only a weak match: still to recruit. Shrimp: read from the words.
    assert [h.code for h in id_kz.recruiting] == ["0306", "6109"]
    assert headings["6109"].suppliers == 1 and headings["6109"].good_suppliers == 0
    assert "Crustaceans" in headings["0306"].name
    # Tuna is on offer and nobody asks for it; the archived 0302 request is no demand.
    assert [h.code for h in id_kz.promotion] == ["0304"]
    assert "0302" not in headings
    other = _by_code(kz_id)
    assert other["0202"].list == "covered" and other["0202"].good_suppliers == 1
    assert [h.code for h in kz_id.promotion] == ["0402"]   # the draft cheese is not on offer
    assert kz_id.recruiting == []


def test_good_grade_is_between_plausible_and_perfect():
    assert 0.5 < diversification.GOOD_GRADE < 0.85


def test_page_shows_both_directions(client, auth, market):
    auth.login(market["curator"].email)
    page = client.get("/curation/diversification").get_data(as_text=True)
    assert "Recruiting list" in page and "Promotion list" in page
    assert "Indonesia → Kazakhstan" in page and "Kazakhstan → Indonesia" in page
    assert "0306" in page and "0402" in page


def test_csv_export(client, auth, market):
    auth.login(market["curator"].email)
    response = client.get("/curation/diversification?format=csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert list(rows[0]) == list(diversification.CSV_COLUMNS)
    found = {(r["direction"], r["heading"]): r for r in rows}
    assert found[("ID-KZ", "6109")]["list"] == "recruiting"
    assert found[("ID-KZ", "9403")] | {} == {
        "direction": "ID-KZ", "list": "covered", "heading": "9403", "name": found[("ID-KZ", "9403")]["name"],
        "open_requests": "1", "buyers": "1", "products": "2", "suppliers": "2", "good_suppliers": "2"}
    assert found[("KZ-ID", "0402")]["list"] == "promotion"
    assert len(rows) == 6


def test_xlsx_export_has_the_csv_rows(client, auth, market):
    openpyxl = pytest.importorskip("openpyxl")
    auth.login(market["curator"].email)
    page = client.get("/curation/diversification").get_data(as_text=True)
    assert "format=xlsx" in page
    response = client.get("/curation/diversification?format=xlsx")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == diversification.CSV_COLUMNS
    assert ("ID-KZ", "recruiting", "6109") == values[1 + [r[2] for r in values[1:]].index("6109")][:3]
    assert len(values) == 7


def test_xlsx_without_openpyxl_is_not_offered(client, auth, market, monkeypatch):
    monkeypatch.setattr(diversification, "xlsx_available", lambda: False)
    auth.login(market["curator"].email)
    assert "format=xlsx" not in client.get("/curation/diversification").get_data(as_text=True)
    assert client.get("/curation/diversification?format=xlsx").status_code == 404
