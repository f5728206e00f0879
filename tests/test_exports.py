"""Exports of matches, the pipeline and deals: contents, the curator's scope, CSV formula guard, a real
XLSX workbook, bad parameters and refusals."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook

from matchmaker.models import Introduction, Match
from matchmaker.services.exports import guard

EVIL = '=HYPERLINK("http://evil.example","Click")'


@pytest.fixture
def scene(make, db):
    kz_chamber = make.organisation(kind="chamber", country="KZ", name="Atameken")
    curator = make.user(kz_chamber, role="curator", name="Aigerim")
    supplier = make.organisation(kind="exporter", country="ID", name=EVIL)
    buyer = make.organisation(kind="buyer", country="KZ", name="Astana Hotel Supply")
    product = make.product(supplier, title="Teak dining table")
    request = make.request(buyer, title="-Teak furniture for a hotel")
    restaurant = make.request(buyer, title="Teak chairs for a restaurant")
    outsider_supplier = make.organisation(kind="exporter", country="MY", name="Sdn Bhd Timber")
    outsider_buyer = make.organisation(kind="buyer", country="TR", name="Istanbul Mobilya")
    outsider_product = make.product(outsider_supplier, title="Meranti door")
    outsider_request = make.request(outsider_buyer, title="Doors for Istanbul")
    proposed = Match(product_id=product.id, request_id=request.id, score=88.44, explanation={})
    outside = Match(product_id=outsider_product.id, request_id=outsider_request.id, score=70.0, explanation={})
    won_match = Match(product_id=product.id, request_id=restaurant.id, score=61.0, explanation={},
                      status="curated")
    db.add_all([proposed, outside, won_match])
    db.commit()
    won = Introduction(match_id=won_match.id, product_id=product.id, request_id=restaurant.id,
                       stage="won", score=61.0, curator_id=curator.id,
                       introduced_at=datetime(2026, 10, 1, 8, 30, tzinfo=timezone.utc),
                       deal_value_usd=125000.0, deal_date=date(2026, 11, 20))
    db.add(won)
    db.commit()
    return {"curator": curator, "proposed": proposed, "outside": outside, "won": won_match}


def read_csv(response) -> list[list[str]]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_the_formula_guard():
    assert [guard(v) for v in ("=1", "+1", "-1", "@x", "\tx", "ok", 3, None)] == [
        "'=1", "'+1", "'-1", "'@x", "'\tx", "ok", 3, None]


def test_matches_as_csv_are_the_curators_proposed_pairs_with_a_formula_guard(client, auth, scene):
    auth.login(scene["curator"].email)
    response = client.get("/curation/export?format=csv&what=matches")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert 'attachment; filename="matches-kz-' in response.headers["Content-Disposition"]
    header, *rows = read_csv(response)
    assert header[:7] == ["Match", "Score", "Product", "Supplier", "Supplier country", "Buying request", "Buyer"]
    assert len(rows) == 1  # the curated pair is in the pipeline; the MY→TR pair is another chamber's
    row = rows[0]
    assert row[0] == str(scene["proposed"].id) and row[1] == "88.4"
    assert row[3] == "'" + EVIL and row[5] == "'-Teak furniture for a hotel"
    assert (row[4], row[7], row[8], row[9]) == ("ID", "KZ", "furniture", "940360")


def test_pipeline_and_deals_as_csv(client, auth, scene):
    auth.login(scene["curator"].email)
    header, *rows = read_csv(client.get("/curation/export?format=csv&what=pipeline"))
    assert header[1] == "Stage" and len(rows) == 1
    assert rows[0][1] == "Won" and rows[0][9] == "2026-10-01 08:30:00" and rows[0][-2:] == ["125000.0", "2026-11-20"]
    header, *rows = read_csv(client.get("/curation/export?format=csv&what=deals"))
    assert header[8:11] == ["Deal value (USD)", "Deal date", "Curator"]
    assert rows == [[str(scene["won"].id), "Teak dining table", "'" + EVIL, "ID", "Teak chairs for a restaurant",
                     "Astana Hotel Supply", "KZ", "furniture", "125000.0", "2026-11-20", "Aigerim",
                     "2026-10-01 08:30:00"]]


def test_deals_as_a_real_workbook(client, auth, scene):
    auth.login(scene["curator"].email)
    response = client.get("/curation/export?format=xlsx&what=deals")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    assert sheet.title == "deals"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][8:10] == ("Deal value (USD)", "Deal date")
    assert rows[1][8] == 125000 and rows[1][9] == datetime(2026, 11, 20)
    assert rows[1][2] == "'" + EVIL
    assert sheet.cell(row=2, column=3).data_type == "s"  # text, never a formula
    assert rows[1][11] == datetime(2026, 10, 1, 8, 30)


def test_matches_as_xlsx_read_back(client, auth, scene):
    auth.login(scene["curator"].email)
    sheet = load_workbook(io.BytesIO(client.get("/curation/export?format=xlsx&what=matches").get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == scene["proposed"].id and rows[1][1] == 88.4


def test_admins_export_every_match(client, auth, make, scene):
    auth.login(make.user(None, role="admin").email)
    header, *rows = read_csv(client.get("/curation/export?format=csv&what=matches"))
    assert {int(r[0]) for r in rows} == {scene["proposed"].id, scene["outside"].id}


def test_a_curator_of_another_country_sees_none_of_these(client, auth, make, scene):
    other = make.user(make.organisation(kind="chamber", country="UZ"), role="curator")
    auth.login(other.email)
    for what in ("matches", "pipeline", "deals"):
        header, *rows = read_csv(client.get(f"/curation/export?format=csv&what={what}"))
        assert rows == []


@pytest.mark.parametrize("query", ["format=pdf&what=matches", "format=csv&what=users", "format=csv",
                                   "what=deals", "format=&what="])
def test_bad_parameters_are_400_with_a_message(client, auth, scene, query):
    auth.login(scene["curator"].email)
    response = client.get(f"/curation/export?{query}")
    assert response.status_code == 400
    assert "Choose format=csv or xlsx and what=matches, pipeline or deals." in response.get_data(as_text=True)


def test_the_export_page_lists_the_exports(client, auth, scene):
    auth.login(scene["curator"].email)
    html = client.get("/curation/export").get_data(as_text=True)
    assert "/curation/export?what=deals&amp;format=xlsx" in html


def test_only_curators_export(client, auth, make, scene):
    assert client.get("/curation/export?format=csv&what=deals").status_code == 302
    auth.login(make.user(make.organisation()).email)
    assert client.get("/curation/export?format=csv&what=deals").status_code == 403
