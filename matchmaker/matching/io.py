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

__all__ = ["BadLine", "read_records", "match_rows", "write_jsonl"]

T = TypeVar("T")
_CSV_LIST_FIELDS = ("certifications", "required_certifications", "incoterms")


@dataclass(frozen=True)
class BadLine:
    path: str
    line: int
    reason: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reason}"


def _raw_rows(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, parsed row or the exception that parsing raised)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        if path.suffix.lower() == ".csv":
            reader = csv.DictReader(handle)
            for row in reader:
                # Empty CSV cells are unknown values, not empty strings; headers typed as "Title " still count.
                yield reader.line_num, {k.strip().lower(): v for k, v in row.items() if k and v not in (None, "")}
            return
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield number, json.loads(line)
            except json.JSONDecodeError as error:
                yield number, error


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
