"""``matchmaker import``: a catalogue loaded from JSON Lines or CSV in one transaction, all or nothing,
logged for matching in that transaction (one commit, one announcement)."""

from __future__ import annotations

import csv
import json

import pytest
from sqlmodel import func, select

from matchmaker.models import AuditEvent, BuyingRequest, CatalogueChange, Organisation, ProductProfile
from matchmaker.services import changes

PRODUCTS = [
    {"id": "p1", "title": "Kursi makan jati", "description": "Kayu jati solid untuk hotel", "hs_code": "940161",
     "country": "ID", "organisation": "CV Jepara Teak", "certifications": ["svlk"], "moq": 20, "unit": "pcs",
     "capacity_per_month": 300, "price_usd": 120, "incoterms": ["FOB"], "language": "id"},
    {"id": "p2", "title": "Frozen vannamei shrimp", "hs_code": "030617", "country": "ID", "moq": "1 000",
     "unit": "kgs", "certifications": "haccp; halal"},
    {"id": "p3", "title": "Говядина замороженная", "hs_code": "0202.30", "country": "Kazakhstan",
     "unit": "t", "language": "ru"},
]
DEMANDS = [
    {"id": "d1", "title": "Мебель из тика для гостиницы", "country": "KZ", "organisation": "ТОО Астана Отель",
     "quantity": 120, "unit": "sets", "incoterms": "DAP"},
    {"id": "d2", "title": "Daging sapi beku halal", "country": "ID", "required_certifications": ["halal"]},
]


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def _csv(path, rows):
    columns = sorted({key for row in rows for key in row})
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ";".join(v) if isinstance(v, list) else v for k, v in row.items()})
    return str(path)


def _count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


@pytest.fixture
def heard():
    """Every announcement of a committed catalogue change."""
    heard = []
    changes.catalogue_changed.connect(heard.append, weak=False)
    yield heard
    changes.catalogue_changed.disconnect(heard.append)


@pytest.mark.parametrize("write", [_jsonl, _csv], ids=["jsonl", "csv"])
def test_import_loads_published_items_with_their_organisations(runner, db, tmp_path, write):
    products = write(tmp_path / f"products.{'jsonl' if write is _jsonl else 'csv'}", PRODUCTS)
    demands = write(tmp_path / f"demands.{'jsonl' if write is _jsonl else 'csv'}", DEMANDS)
    result = runner.invoke(args=["import", "--products", products, "--demands", demands])
    assert result.exit_code == 0, result.output
    assert "Imported 3 products and 2 buying requests" in result.output
    items = {p.title: p for p in db.exec(select(ProductProfile))}
    assert set(items) == {"Kursi makan jati", "Frozen vannamei shrimp", "Говядина замороженная"}
    assert all(p.status == "published" for p in items.values())
    shrimp = items["Frozen vannamei shrimp"]  # read as the engine reads: "1 000", "kgs", "haccp; halal"
    assert (shrimp.moq, shrimp.unit, sorted(shrimp.certifications), shrimp.sector) == \
        (1000, "kg", ["haccp", "halal"], "fisheries")
    assert items["Говядина замороженная"].hs_code == "020230" and items["Говядина замороженная"].sector == "meat"
    assert items["Kursi makan jati"].sector == "furniture"
    requests = {r.title: r for r in db.exec(select(BuyingRequest))}
    assert requests["Мебель из тика для гостиницы"].sector == "furniture"  # no HS code: read from the words
    owners = {o.name: (o.country, o.kind) for o in db.exec(select(Organisation))}
    assert owners == {"CV Jepara Teak": ("ID", "exporter"), "Imported suppliers (ID)": ("ID", "exporter"),
                      "Imported suppliers (KZ)": ("KZ", "exporter"), "ТОО Астана Отель": ("KZ", "buyer"),
                      "Imported buyers (ID)": ("ID", "buyer")}
    assert shrimp.organisation.name == "Imported suppliers (ID)"
    assert "5 organisations created" in result.output


def test_rows_go_to_existing_organisations_by_name_whatever_the_case(runner, db, make, tmp_path):
    teak = make.organisation(name="CV Jepara Teak", kind="producer", country="ID")
    imported = make.organisation(name="Imported suppliers (ID)", kind="exporter", country="ID")
    rows = [dict(PRODUCTS[0], organisation="cv JEPARA teak"), PRODUCTS[1]]
    result = runner.invoke(args=["import", "--products", _jsonl(tmp_path / "p.jsonl", rows)])
    assert result.exit_code == 0, result.output
    assert _count(db, Organisation) == 2
    owners = {p.title: p.organisation_id for p in db.exec(select(ProductProfile))}
    assert owners == {"Kursi makan jati": teak.id, "Frozen vannamei shrimp": imported.id}
    assert "0 organisations created" in result.output


def test_one_bad_row_stores_nothing_and_names_its_line_and_field(runner, db, tmp_path):
    rows = PRODUCTS + [dict(PRODUCTS[0], id="p4", moq="plenty"), dict(PRODUCTS[1], id="p5", hs_code="999999")]
    path = _jsonl(tmp_path / "products.jsonl", rows)
    result = runner.invoke(args=["import", "--products", path, "--demands", _jsonl(tmp_path / "d.jsonl", DEMANDS)])
    assert result.exit_code == 1
    assert f"{path}:4: moq: Enter a number." in result.output
    assert f"{path}:5: hs_code: Unknown HS code “999999”" in result.output
    assert "Nothing imported: 2 errors" in result.output
    for model in (ProductProfile, BuyingRequest, Organisation, CatalogueChange, AuditEvent):
        assert _count(db, model) == 0, model


@pytest.mark.parametrize("row, field", [
    ({"title": "Teak chair", "hs_code": "940161"}, "country"),  # no organisation and no country
    ({"title": "Teak chair", "hs_code": "940161", "country": "ID", "colour": "brown"}, "colour"),
    ({"title": "Teak chair", "hs_code": "940161", "country": "ID", "organisation": "Hotel Astana",
      "organisation_kind": "buyer"}, "organisation_kind"),
    ({"hs_code": "940161", "country": "ID"}, "title"),
])
def test_rows_the_import_refuses(runner, db, tmp_path, row, field):
    path = _jsonl(tmp_path / "p.jsonl", [PRODUCTS[1], row])
    result = runner.invoke(args=["import", "--products", path])
    assert result.exit_code == 1
    assert f"{path}:2: {field}: " in result.output
    assert _count(db, ProductProfile) == 0


def test_an_existing_organisation_of_the_other_side_or_country_is_refused(runner, db, make, tmp_path):
    make.organisation(name="Hotel Astana", kind="buyer", country="KZ")
    path = _jsonl(tmp_path / "p.jsonl", [dict(PRODUCTS[0], organisation="Hotel Astana", country="KZ"),
                                         dict(PRODUCTS[0], id="p9", organisation="hotel astana", country="ID")])
    result = runner.invoke(args=["import", "--products", path])
    assert result.exit_code == 1
    assert f"{path}:1: organisation: Hotel Astana cannot offer products." in result.output
    assert f"{path}:2: country: Hotel Astana is registered in KZ." in result.output


def test_many_errors_are_summed_up_after_the_first_twenty(runner, db, tmp_path):
    path = _jsonl(tmp_path / "p.jsonl", [dict(PRODUCTS[1], moq="x") for _ in range(30)])
    result = runner.invoke(args=["import", "--products", path])
    assert result.exit_code == 1
    assert f"{path}:20: moq" in result.output and f"{path}:21: moq" not in result.output
    assert "and 10 more errors" in result.output


def test_items_are_logged_for_matching_in_the_one_transaction(runner, db, tmp_path, heard):
    result = runner.invoke(args=["import", "--products", _jsonl(tmp_path / "p.jsonl", PRODUCTS),
                                 "--demands", _jsonl(tmp_path / "d.jsonl", DEMANDS + [
                                     dict(DEMANDS[0], id="d3", title="Draft request", status="draft")])])
    assert result.exit_code == 0, result.output
    assert len(heard) == 1  # one commit, one announcement: one matching job for the whole import
    logged = db.exec(select(CatalogueChange.side, CatalogueChange.item_id)).all()
    products = {p.id for p in db.exec(select(ProductProfile))}
    published = {r.id for r in db.exec(select(BuyingRequest).where(BuyingRequest.status == "published"))}
    assert sorted(logged) == sorted([("products", i) for i in products] + [("requests", i) for i in published])
    assert len(published) == 2
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "import")).all()
    assert len(events) == 1  # one event for the items, not one per row
    assert events[0].after["products"] == 3 and events[0].after["requests"] == 3


def test_demands_alone(runner, db, tmp_path, heard):
    result = runner.invoke(args=["import", "--demands", _jsonl(tmp_path / "d.jsonl", DEMANDS)])
    assert result.exit_code == 0, result.output
    assert (_count(db, BuyingRequest), _count(db, ProductProfile)) == (2, 0)
    assert len(heard) == 1


@pytest.mark.parametrize("name", ["products.txt", "products.xlsx", "products"])
def test_an_unknown_file_extension_is_refused(runner, db, tmp_path, name):
    path = tmp_path / name
    path.write_text(json.dumps(PRODUCTS[0]) + "\n", encoding="utf-8")
    result = runner.invoke(args=["import", "--products", str(path)])
    assert result.exit_code == 1
    assert "give a JSON Lines (.jsonl) or CSV (.csv) file" in result.output
    assert _count(db, ProductProfile) == 0


def test_no_file_is_a_usage_error(runner):
    result = runner.invoke(args=["import"])
    assert result.exit_code == 2
    assert "--products FILE and/or --demands FILE" in result.output


def test_a_line_that_is_not_json(runner, db, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text(json.dumps(PRODUCTS[1]) + "\n{broken\n", encoding="utf-8")
    result = runner.invoke(args=["import", "--products", str(path)])
    assert result.exit_code == 1
    assert f"{path}:2: line: not valid JSON" in result.output


def test_a_missing_file_is_named(runner, tmp_path):
    result = runner.invoke(args=["import", "--products", str(tmp_path / "gone.jsonl")])
    assert result.exit_code == 1
    assert f"{tmp_path / 'gone.jsonl'}: cannot be read" in result.output


def test_a_failure_while_storing_leaves_nothing(runner, db, tmp_path, monkeypatch, heard):
    def broken(session, **_):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(changes, "record", broken)  # after the items and organisations were inserted
    result = runner.invoke(args=["import", "--products", _jsonl(tmp_path / "p.jsonl", PRODUCTS)])
    assert result.exit_code != 0
    for model in (ProductProfile, Organisation, AuditEvent):
        assert _count(db, model) == 0, model
    assert heard == []
