"""Readers for the public HS nomenclatures in ../shared/data (benchmarks only, never shipped).

Each reader yields ``(hs6, full text)``: fragment lines ("- - прочие") get their meaning back by
prepending the heading and the preceding lines with fewer dashes, as SOURCE.txt advises.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Iterator

_DASHES = re.compile(r"^[\s\-\u00a0\u2013]*")


def _depth_and_text(line: str) -> tuple[int, str]:
    prefix = _DASHES.match(line).group(0)
    return prefix.count("-") + prefix.count("\u2013"), line[len(prefix):].strip().rstrip(":").strip()


class _Chain:
    """Texts of the open ancestors, keyed by dash depth."""

    def __init__(self, heading: str):
        self.heading, self.levels = heading, {}

    def text(self, line: str) -> str:
        depth, text = _depth_and_text(line)
        self.levels = {d: t for d, t in self.levels.items() if d < depth}
        self.levels[depth] = text
        return "; ".join([self.heading] + [self.levels[d] for d in sorted(self.levels)])


def hs_english(data: Path) -> Iterator[tuple[str, str]]:
    """HS 2022 subheadings in English, with their heading text in front."""
    with (data / "hs2022_harmonized-system.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    headings = {r["hscode"]: r["description"] for r in rows if r["level"] == "4"}
    for r in rows:
        if r["level"] == "6":
            yield r["hscode"], f"{headings.get(r['hscode'][:4], '')}; {r['description']}"


def btki(data: Path, column: str) -> Iterator[tuple[str, str]]:
    """BTKI lines (``description_id`` or ``description_en``), first line per HS6."""
    seen, chain = set(), None
    with (data / "btki2022_id_en.csv").open(encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            digits = r["hs_code"].replace(".", "")
            if r["hs_level"] == "4":
                chain = _Chain(r[column].strip().rstrip("."))
                continue
            if chain is None:
                continue
            text = chain.text(r[column])
            if len(digits) >= 6 and digits[:6] not in seen:
                seen.add(digits[:6])
                yield digits[:6], text


def tnved_russian(data: Path) -> Iterator[tuple[str, str]]:
    """TN VED lines in Russian, first line per HS6, heading text in front."""
    seen = set()
    for section in json.loads((data / "tnved_eaeu2022_ru.json").read_text(encoding="utf-8")):
        for group in section.get("groups") or []:
            for goods in group.get("goods") or []:
                chain = _Chain(goods["naim"].strip().capitalize())
                for sub in goods.get("subs") or []:
                    text = chain.text(sub["naim"])
                    if sub["code"][:6] not in seen:
                        seen.add(sub["code"][:6])
                        yield sub["code"][:6], text
