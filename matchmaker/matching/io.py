"""Reading records from JSON Lines or CSV and writing matches as JSON Lines: pure functions.

A bad line never stops a batch: it becomes a :class:`BadLine` (file, line number, reason) that the
caller reports, and the good lines go on.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, IO, Iterable, Iterator, TypeVar

from matchmaker.matching.explain import Match
from matchmaker.matching.records import InputError

__all__ = ["BadLine", "read_records", "file_rows", "match_rows", "write_jsonl", "table_row", "csv_rows", "xlsx_rows"]

T = TypeVar("T")


@dataclass(frozen=True)
class BadLine:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def table_row(row: dict) -> dict:
    """One spreadsheet row as a record's mapping: headers typed as "Title " still count, and empty
    cells are unknown values, not empty strings (the same for CSV and XLSX)."""
    return {str(k).strip().lower(): v for k, v in row.items()
            if k is not None and str(k).strip() and v is not None and not (isinstance(v, str) and not v.strip())}


def csv_rows(handle: IO[str]) -> Iterator[tuple[int, dict]]:
    """(line number, row) of a CSV file with a header line; list fields are separated by ";"."""
    reader = csv.DictReader(handle)
    for row in reader:
        yield reader.line_num, table_row(row)


def xlsx_rows(handle: IO[bytes]) -> Iterator[tuple[int, dict]]:
    """(row number, row) of the first sheet of an XLSX workbook whose first row holds the headers.

    Spreadsheets turn codes into numbers: an HS code typed as 0402 arrives as 402, so a number in the
    ``hs_code`` column gets its leading zero back (HS codes have an even number of digits), and whole
    numbers lose the ".0" a float cell gives them. Raises ``ValueError`` for a file that is no workbook.
    """
    from openpyxl import load_workbook  # only batch runs and imports that read XLSX pay for it

    try:
        sheet = load_workbook(handle, read_only=True, data_only=True).worksheets[0]
    except Exception as error:  # zipfile.BadZipFile, KeyError, InvalidFileException…
        raise ValueError(f"not an XLSX workbook ({error.__class__.__name__})") from None
    rows = sheet.iter_rows(values_only=True)
    headers = [str(h).strip().lower() if h is not None else None for h in next(rows, ())]
    for number, values in enumerate(rows, start=2):
        row = {}
        for header, value in zip(headers, values):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            if header == "hs_code" and isinstance(value, int):
                digits = str(value)
                value = digits.zfill(len(digits) + len(digits) % 2)
            row[header] = value
        row = table_row(row)
        if row:
            yield number, row


def _raw_rows(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, parsed row or the exception that parsing raised)."""
    if path.suffix.lower() == ".xlsx":
        with path.open("rb") as handle:
            yield from xlsx_rows(handle)
        return
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if path.suffix.lower() == ".csv":
            yield from csv_rows(handle)
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                yield number, error


def file_rows(path: str | Path) -> Iterator[tuple[int, object]]:
    """(line number, row) of a JSON Lines, CSV or XLSX file, read as :func:`read_records` reads it (by
    extension; anything else is JSON Lines); a line that is not JSON gives its ``JSONDecodeError``."""
    return _raw_rows(Path(path))


def read_records(path: str | Path, build: Callable[[dict], T]) -> tuple[list[T], list[BadLine]]:
    """Records built with ``build`` (e.g. ``Product.from_mapping``) and the lines that failed.

    Raises ``OSError`` only when the file itself cannot be opened or read. Duplicate ids keep the
    first line and report the later ones.
    """
    path = Path(path)
    records: list[T] = []
    bad: list[BadLine] = []
    seen: set[str] = set()
    for number, row in _raw_rows(path):
        if isinstance(row, Exception):
            bad.append(BadLine(str(path), number, f"not valid JSON ({row.msg})"))
            continue
        try:
            record = build(row)
        except InputError as error:
            bad.append(BadLine(str(path), number, str(error)))
            continue
        if record.id in seen:
            bad.append(BadLine(str(path), number, f"id: {record.id!r} already used on an earlier line"))
            continue
        seen.add(record.id)
        records.append(record)
    return records, bad


def match_rows(results: Iterable[tuple[object, list[Match]]]) -> Iterator[dict]:
    """Output rows ``{demand_id, product_id, rank, score, explanation}``, best first per request."""
    for _, matches in results:
        for rank, match in enumerate(matches, start=1):
            yield {"demand_id": match.demand_id, "product_id": match.product_id, "rank": rank,
                   "score": match.score, "explanation": match.explanation.to_dict()}


def write_jsonl(rows: Iterable[dict], handle: IO[str]) -> int:
    """Write one JSON object per line; return how many."""
    count = 0
    for row in rows:
        handle.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count
