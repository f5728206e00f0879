"""``matchmaker match`` end to end on small files, through click's CliRunner."""

import json

import pytest
from click.testing import CliRunner

from matchmaker.commands.match import match_command
from matchmaker.matching.io import read_records
from matchmaker.matching import Product

PRODUCTS = [
    {"id": "teak", "title": "Kursi dan meja makan jati solid", "country": "ID", "hs_code": "9401.61",
     "certifications": ["svlk"]},
    {"id": "cotton", "title": "Kain katun tenun", "country": "ID", "hs_code": "5208"},
    {"id": "beef", "title": "Говядина замороженная без кости халяль", "country": "KZ",
     "certifications": "halal;vet", "hs_code": "020230"},
]
DEMANDS = [
    {"id": "hotel", "title": "мебель из тикового дерева для гостиниц", "country": "KZ"},
    {"id": "beef", "title": "halal frozen boneless beef", "country": "ID", "required_certifications": ["halal"]},
]


def write_jsonl(path, rows, extra_lines=()):
    lines = [json.dumps(r, ensure_ascii=False) for r in rows] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run(tmp_path, products, demands, top="2"):
    out = tmp_path / "matches.jsonl"
    result = CliRunner().invoke(match_command, ["--products", str(products), "--demands", str(demands),
                                                "--top", top, "--out", str(out)])
    rows = [json.loads(l) for l in out.read_text(encoding="utf-8").splitlines()] if out.exists() else []
    return result, rows


def test_writes_ranked_explained_matches(tmp_path):
    result, rows = run(tmp_path, write_jsonl(tmp_path / "p.jsonl", PRODUCTS),
                       write_jsonl(tmp_path / "d.jsonl", DEMANDS))
    assert result.exit_code == 0, result.output
    assert set(rows[0]) == {"demand_id", "product_id", "rank", "score", "explanation"}
    by_demand = {}
    for row in rows:
        by_demand.setdefault(row["demand_id"], []).append(row)
    # cotton cloth is no furniture: only products that agree with the request are proposed
    assert [(r["rank"], r["product_id"]) for r in by_demand["hotel"]] == [(1, "teak")]
    # only eligible products: the beef request requires halal, which only the beef product has
    assert [r["product_id"] for r in by_demand["beef"]] == ["beef"]
    assert by_demand["beef"][0]["score"] == by_demand["beef"][0]["explanation"]["score"]


def test_bad_lines_are_reported_and_skipped(tmp_path):
    products = write_jsonl(tmp_path / "p.jsonl", PRODUCTS, [
        "{not json", json.dumps({"id": "x", "title": "Chair", "incoterms": "FOBB"}),
        json.dumps({"title": "no id"})])
    result, rows = run(tmp_path, products, write_jsonl(tmp_path / "d.jsonl", DEMANDS))
    assert result.exit_code == 0
    assert f"{products}:4: not valid JSON" in result.output
    assert f"{products}:5: incoterms: unknown code 'FOBB'" in result.output
    assert f"{products}:6: id: is required" in result.output
    assert "3 bad line(s) skipped" in result.output
    assert {r["demand_id"] for r in rows} == {"hotel", "beef"}


def test_csv_input_with_semicolon_lists(tmp_path):
    products = tmp_path / "p.csv"
    products.write_text("id,title,country,certifications,moq\n"
                        "beef,Frozen boneless beef,KZ,halal;vet,5\n"
                        "shoe,Leather shoes,ID,,\n"
                        "bad,Beef,KZ,kosher,\n", encoding="utf-8")
    demands = write_jsonl(tmp_path / "d.jsonl", [DEMANDS[1]])
    result, rows = run(tmp_path, products, demands)
    assert result.exit_code == 0
    assert f"{products}:4: certifications: unknown code 'kosher'" in result.output
    assert [r["product_id"] for r in rows] == ["beef"]


def test_missing_file_is_a_clear_error(tmp_path):
    result, rows = run(tmp_path, tmp_path / "nope.jsonl", write_jsonl(tmp_path / "d.jsonl", DEMANDS))
    assert result.exit_code != 0
    assert "cannot read input" in result.output and "nope.jsonl" in result.output
    assert rows == []


def test_duplicate_ids_keep_the_first(tmp_path):
    path = write_jsonl(tmp_path / "p.jsonl", [PRODUCTS[0], {**PRODUCTS[1], "id": "teak"}])
    records, bad = read_records(path, Product.from_mapping)
    assert [r.title for r in records] == [PRODUCTS[0]["title"]]
    assert bad[0].line == 2 and "already used" in bad[0].reason


@pytest.mark.parametrize("top", ["0", "ten"])
def test_top_must_be_a_positive_number(tmp_path, top):
    result, _ = run(tmp_path, write_jsonl(tmp_path / "p.jsonl", PRODUCTS),
                    write_jsonl(tmp_path / "d.jsonl", DEMANDS), top=top)
    assert result.exit_code == 2


def test_csv_headers_are_read_whatever_their_case_and_spacing(tmp_path):
    from matchmaker.matching import Product
    from matchmaker.matching.io import read_records

    path = tmp_path / "products.csv"
    path.write_text("ID, Title ,Country\np1,Halal beef,kz\n", encoding="utf-8")
    records, bad = read_records(path, Product.from_mapping)
    assert bad == [] and records[0].title == "Halal beef" and records[0].country == "KZ"


def test_xlsx_input_reads_like_csv_with_codes_that_excel_made_numbers(tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["ID", "Title ", "country", "hs_code", "certifications", "moq"])
    sheet.append(["teak", "Kursi dan meja makan jati solid", "ID", 940161, "svlk", 200.0])
    sheet.append(["milk", "Сухое молоко цельное", "KZ", 402, None, None])  # 0402 typed into a number cell
    sheet.append([None, None, None, None, None, None])  # an empty row is no record
    sheet.append(["bad", "Chair", "ID", None, None, "many"])
    products_path = tmp_path / "p.xlsx"
    workbook.save(products_path)
    products, bad = read_records(products_path, Product.from_mapping)
    assert [(p.id, p.hs_code, p.moq) for p in products] == [("teak", "940161", 200.0), ("milk", "0402", None)]
    assert [(b.line, b.reason.split(":")[0]) for b in bad] == [(5, "moq")]
    result, rows = run(tmp_path, products_path, write_jsonl(tmp_path / "d.jsonl", DEMANDS))
    assert result.exit_code == 0 and any(r["product_id"] == "teak" for r in rows)


def test_a_broken_workbook_is_a_clear_error(tmp_path):
    broken = tmp_path / "p.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    result, _ = run(tmp_path, broken, write_jsonl(tmp_path / "d.jsonl", DEMANDS))
    assert result.exit_code != 0 and "cannot read input" in result.output
