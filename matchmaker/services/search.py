"""Search the published catalogue: one box, facets with counts, pages and three orders.

Relevance is the matching engine's (``search_index``): the words of the box become a request (to
search products) or a product (to search requests), so a search finds what matching would propose,
across languages and spellings. A code in the box ("9403", "0306") also finds items by HS prefix, and
a company's name its items. Everything else happens in the database: the facets are WHERE clauses on
the set the query matched (at most ``DEPTH`` engine results plus the HS and name matches), their
counts are GROUP BY queries over it, and the relevance order is the engine's ranks (an array position
on PostgreSQL, a CASE on SQLite), so no page loads more rows than it shows.
"""

from __future__ import annotations

import json
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import ARRAY, Integer, String, and_, any_, case, cast, false, literal, or_, true, union_all
from sqlalchemy.orm import contains_eager
from sqlmodel import Session, col, func, select

from matchmaker.matching.normalise import STOPWORDS, detect_language, normalise, stem
from matchmaker.models import Organisation
from matchmaker.services import search_index
from matchmaker.services.catalog import Page
from matchmaker.services.search_index import MODELS, Snapshot
from matchmaker.vocabulary import CERTIFICATIONS, INCOTERMS, SECTORS

SIDES = ("products", "requests")
SORTS = ("relevance", "newest", "moq")
PAGE_SIZE = 20
QUERY_MAX = 600  # a whole request pasted in; 600 Cyrillic letters are 3,600 bytes of URL, under
                 # gunicorn's 4,094-byte request line
_HS_TOKEN = re.compile(r"^\d{2}(?:[\d.]{0,10})$")
_WORD = re.compile(r"\w+")
_FUZZY_HIGHLIGHT = 85   # rapidfuzz ratio from which a word of an item counts as the query's, misspelt
_SUGGESTION_CUTOFF = 75  # rapidfuzz ratio for "did you mean"
_MAX_BRIDGES = 3
NARROW_BELOW = PAGE_SIZE  # fewer of the engine's results pass the facets: rank among the allowed items


@dataclass(frozen=True)
class Filters:
    """The facets a searcher picked; empty values mean "any". ``moq_max`` applies to products."""

    sector: str = ""
    chapter: str = ""
    country: str = ""
    certification: str = ""
    incoterm: str = ""
    verified: bool = False
    moq_max: float | None = None

    @classmethod
    def parse(cls, args) -> "Filters":
        """Read the facets from a query string (anything unknown is ignored, never an error)."""
        def pick(name: str, known) -> str:
            return choice(args, name, known)
        chapter = (args.get("chapter") or "").strip()
        country = (args.get("country") or "").strip().upper()
        try:
            moq = float((args.get("moq_max") or "").replace(",", ".").strip())
            moq = moq if math.isfinite(moq) and moq >= 0 else None
        except ValueError:
            moq = None
        return cls(sector=pick("sector", SECTORS), chapter=chapter if re.fullmatch(r"\d\d", chapter) else "",
                   country=country if re.fullmatch(r"[A-Z]{2}", country) else "",
                   certification=pick("certification", CERTIFICATIONS), incoterm=pick("incoterm", INCOTERMS),
                   verified=args.get("verified") in ("1", "on", "true"), moq_max=moq)

    def args(self) -> dict[str, Any]:
        """The non-empty facets as query-string arguments (for links that keep them)."""
        values = {"sector": self.sector, "chapter": self.chapter, "country": self.country,
                  "certification": self.certification, "incoterm": self.incoterm,
                  "verified": "1" if self.verified else "", "moq_max": f"{self.moq_max:g}" if self.moq_max is not None else ""}
        return {name: value for name, value in values.items() if value}


def choice(args, name: str, known) -> str:
    """A query argument if it is one of the ``known`` codes, else "" (junk is "any", not an error)."""
    value = (args.get(name) or "").strip()
    return value if value in known else ""


@dataclass
class Hit:
    """One result: the item, its engine score (None when found by code or name only), its title and
    summary as (text, matched) segments, and the cross-language bridges that found it."""

    item: Any
    score: float | None
    title: list[tuple[str, bool]]
    summary: list[tuple[str, bool]]
    bridges: list[tuple[str, ...]] = field(default_factory=list)


@dataclass
class Results:
    query: str
    side: str
    sort: str
    filters: Filters
    page: Page
    facets: dict[str, list[tuple[str, int]]]
    sides: dict[str, int]
    suggestion: str | None = None
    preparing: bool = False  # the engine's index of this side is not loaded yet: words find nothing


@dataclass(frozen=True)
class _Query:
    """What the box matched on one side: a SQL condition and the engine's ranking behind it."""

    text: str
    condition: Any
    ranked: dict[int, Any]        # item id -> search_index.Ranked
    organisations: frozenset[int]  # organisations whose name the box names
    snapshot: Snapshot | None


def search(session: Session, *, query: str = "", side: str = "products", filters: Filters = Filters(),
           sort: str = "relevance", page: int = 1, page_size: int = PAGE_SIZE) -> Results:
    """One page of published items matching the box and the facets, with the facets' counts."""
    side = side if side in SIDES else "products"
    sort = sort if sort in SORTS else "relevance"
    query = " ".join(query.split())[:QUERY_MAX]
    # The box's matches on each side, and what they hold (one GROUP BY, remembered per catalogue
    # version): the facets' counts and the totals of both sides come from it.
    catalogue = search_index.Catalogue.read(session)
    matched = {s: _match(session, s, query, catalogue) for s in SIDES}
    tallies = _tallies_of(session, matched, filters, catalogue)
    here = _narrow(session, side, matched[side], filters, tallies[side], catalogue)
    model = MODELS[side]
    total = tallies[side].total(filters) if here is matched[side] else _count(session, side, here, filters)
    page = max(1, min(page, max(1, math.ceil(total / page_size))))
    statement = (select(model).join(Organisation).options(contains_eager(model.organisation))
                 .where(*_conditions(side, here, filters))
                 .order_by(*_order(side, here, sort, session.get_bind().dialect.name))
                 .offset((page - 1) * page_size).limit(page_size))
    items = session.exec(statement).all()
    hits = _hits(items, here)
    sides = {s: total if s == side else tallies[s].total(_for_side(s, filters)) for s in SIDES}
    results = Results(query, side, sort, filters, Page(hits, page, page_size, total),
                      tallies[side].facets(filters), sides,
                      preparing=here.snapshot is not None and here.snapshot.store is None)
    if total == 0 and query and here.snapshot is not None:
        results.suggestion = suggest(here.snapshot, query)
    return results


def _for_side(side: str, filters: Filters) -> Filters:
    return filters if side == "products" else replace(filters, moq_max=None)


# -- what the box matches -------------------------------------------------------------------------
def _match(session: Session, side: str, text: str, catalogue: search_index.Catalogue) -> _Query:
    if not text:
        return _Query(text, true(), {}, frozenset(), None)
    snap = search_index.snapshot(session, side, catalogue)
    ranked = {r.item_id: r for r in snap.rank(text)} if _has_words(text) else {}
    folded = text.casefold()
    organisations = frozenset(org for org, name in snap.organisations if len(folded) >= 3 and folded in name)
    condition = _found(side, text, ranked, organisations, session.get_bind().dialect.name)
    return _Query(text, condition, ranked, organisations, snap)


def _narrow(session: Session, side: str, matched: _Query, filters: Filters, tally: "_Tally",
            catalogue: search_index.Catalogue) -> _Query:
    """The box's matches ranked again among the items the facets allow (their ids from the database,
    a mask on the engine's index), when a facet is chosen and fewer than ``NARROW_BELOW`` of the
    engine's results pass it: a narrow facet still gets the best of its own items, while a broad one
    keeps the engine's results that pass (the count its value showed) without a second ranking."""
    if not matched.ranked or not filters.args() or tally.total(filters) >= NARROW_BELOW:
        return matched
    allowed = _allowed(session, side, filters, catalogue)
    ranked = {r.item_id: r for r in matched.snapshot.rank(matched.text, allowed=allowed)}
    condition = _found(side, matched.text, ranked, matched.organisations, session.get_bind().dialect.name)
    return replace(matched, condition=condition, ranked=ranked)


_ALLOWED_KEPT = 16  # a broad facet allows most of the catalogue: tens of thousands of ids each
_allowed_ids: OrderedDict = OrderedDict()


def _allowed(session: Session, side: str, filters: Filters, catalogue: search_index.Catalogue) -> frozenset[str]:
    """The published items the facets allow, as the engine's ids, remembered per catalogue version:
    reading them took most of a narrowed search (a country facet allows half the catalogue). The
    same set each time, so the engine finds its rows in its own memory too."""
    key = (str(session.get_bind().url), side, search_index.version(session, side, catalogue), filters)
    with _tallies_lock:
        if key in _allowed_ids:
            _allowed_ids.move_to_end(key)
            return _allowed_ids[key]
    model = MODELS[side]
    found = frozenset(map(str, session.exec(select(model.id).join(Organisation).where(
        *_conditions(side, _ANY, filters))).all()))
    with _tallies_lock:
        _allowed_ids[key] = found
        while len(_allowed_ids) > _ALLOWED_KEPT:
            _allowed_ids.popitem(last=False)
    return found


def _found(side: str, text: str, ranked: dict, organisations: frozenset[int], dialect: str):
    """Ranked by the engine, or an HS code by prefix, or an organisation by name."""
    model = MODELS[side]
    found = [_among(col(model.id), list(ranked), dialect)] if ranked else []
    found += [col(model.hs_code).startswith(prefix, autoescape=True) for prefix in hs_prefixes(text)]
    if organisations:
        found.append(col(model.organisation_id).in_(sorted(organisations)))
    return or_(*found) if found else false()


def _among(column, ids: list[int], dialect: str):
    """``column`` is one of the engine's ``ids``. PostgreSQL gets them as one array parameter: a
    hundred bound parameters made a statement psycopg converted afresh at every search (too long for
    its cache of converted queries), and SQLAlchemy built a hundred bind objects for it."""
    if dialect == "postgresql":
        return column == any_(literal(ids, ARRAY(Integer)))
    return column.in_(ids)


_ANY = _Query("", true(), {}, frozenset(), None)  # the facets alone, whatever the box says


def _has_words(text: str) -> bool:
    return any(not word.isdigit() for word in normalise(text).split())


def hs_prefixes(text: str) -> list[str]:
    """HS codes typed in the box, as digit prefixes: "9403", "0306.17", "61 09" (two chapters). Two
    digits among words are a figure, not a chapter ("container 20 feet" is not about chapter 20)."""
    words = text.split()
    codes = [token.replace(".", "") for token in words if _HS_TOKEN.match(token)
             and len(token.replace(".", "")) <= 10]
    return sorted({code for code in codes if len(code) >= 4 or len(codes) == len(words)})


# -- the facets as SQL ----------------------------------------------------------------------------
def _conditions(side: str, matched: _Query, filters: Filters, *, skip: str = "") -> list:
    model = MODELS[side]
    found = [model.status == "published", matched.condition]
    if filters.sector and skip != "sector":
        found.append(model.sector == filters.sector)
    if filters.chapter and skip != "chapter":
        found.append(col(model.hs_code).startswith(filters.chapter))
    if filters.country and skip != "country":
        found.append(Organisation.country == filters.country)
    if filters.certification and skip != "certification":
        found.append(_contains(_certifications(side), filters.certification))
    if filters.incoterm and skip != "incoterm":
        found.append(_contains(model.incoterms, filters.incoterm))
    if filters.verified and skip != "verified":
        found.append(Organisation.verified == true())
    if filters.moq_max is not None and side == "products" and skip != "moq_max":
        found.append(and_(col(model.moq).is_not(None), model.moq <= filters.moq_max))
    return found


def _certifications(side: str):
    model = MODELS[side]
    return model.certifications if side == "products" else model.required_certifications


def _contains(json_list, code: str):
    """A JSON list column holds this vocabulary code: the same text test on SQLite and PostgreSQL
    (codes are plain words from the vocabulary, never user text)."""
    return cast(json_list, String).like(f'%"{code}"%')


def _count(session: Session, side: str, matched: _Query, filters: Filters) -> int:
    model = MODELS[side]
    statement = select(func.count(model.id)).select_from(model).join(Organisation) \
        .where(*_conditions(side, matched, filters))
    return session.exec(statement).one()


class _Tally:
    """What a set of results holds, as (sector, chapter, country, verified, certifications,
    incoterms, MOQ within the limit, how many) rows: one GROUP BY over the set, however many facets.

    A catalogue holds few distinct combinations, so every facet's counts (each leaving its own
    choice aside) and the total for any choice of facets are sums over these rows in Python, and
    the rows of one query are remembered per catalogue version: without words in the box, the
    whole catalogue's rows answer every facet click until the catalogue changes.
    """

    def __init__(self, rows):
        codes: dict[str | None, frozenset[str]] = {}  # a few distinct lists recur in every row

        def read(text: str | None) -> frozenset[str]:
            found = codes.get(text)
            if found is None:
                found = codes[text] = frozenset(json.loads(text or "[]"))
            return found

        self.rows = [(sector, chapter, country, bool(verified), read(certs), read(incoterms), bool(moq_ok), n)
                     for sector, chapter, country, verified, certs, incoterms, moq_ok, n in rows]

    @staticmethod
    def _passes(row, filters: Filters, skip: str = "") -> bool:
        sector, chapter, country, verified, certs, incoterms, moq_ok, _ = row
        return ((not filters.sector or skip == "sector" or sector == filters.sector)
                and (not filters.chapter or skip == "chapter" or chapter == filters.chapter)
                and (not filters.country or skip == "country" or country == filters.country)
                and (not filters.certification or skip == "certification" or filters.certification in certs)
                and (not filters.incoterm or skip == "incoterm" or filters.incoterm in incoterms)
                and (not filters.verified or skip == "verified" or verified)
                and (filters.moq_max is None or skip == "moq_max" or moq_ok))

    def total(self, filters: Filters) -> int:
        return sum(row[-1] for row in self.rows if self._passes(row, filters))

    def facets(self, filters: Filters) -> dict[str, list[tuple[str, int]]]:
        """Each facet's values with how many results each would leave (the facet's own choice aside)."""
        def counted(name: str, values) -> dict[str, int]:
            counts: dict[str, int] = {}
            for row in self.rows:
                if self._passes(row, filters, skip=name):
                    for value in values(row):
                        counts[value] = counts.get(value, 0) + row[-1]
            return counts

        def grouped(name: str, position: int) -> list[tuple[str, int]]:
            counts = counted(name, lambda row: [row[position]] if row[position] else [])
            return sorted(((str(v), n) for v, n in counts.items()), key=lambda pair: (-pair[1], pair[0]))

        def listed(name: str, position: int, codes) -> list[tuple[str, int]]:
            counts = counted(name, lambda row: row[position])
            return [(code, counts[code]) for code in codes if counts.get(code)]

        verified = counted("verified", lambda row: ["1"] if row[3] else [])
        return {
            "sector": grouped("sector", 0),
            "chapter": [(c, n) for c, n in grouped("chapter", 1) if len(c) == 2],
            "country": grouped("country", 2),
            "certification": listed("certification", 4, list(CERTIFICATIONS)),
            "incoterm": listed("incoterm", 5, list(INCOTERMS)),
            "verified": [("1", verified.get("1", 0))],
        }


_TALLIES_KEPT = 512
_tallies: OrderedDict = OrderedDict()
_tallies_lock = threading.Lock()


def _tallies_of(session: Session, matched: dict[str, _Query], filters: Filters,
             catalogue: search_index.Catalogue) -> dict[str, _Tally]:
    """The tally of what the box matched on each side, from memory when this catalogue version has
    been asked the same (the snapshot's version with words in the box, else the catalogue's); the
    sides not remembered are counted in one statement (one GROUP BY each, glued by UNION ALL)."""
    found, missing = {}, {}
    for side, query in matched.items():
        version = query.snapshot.version if query.snapshot is not None else \
            search_index.version(session, side, catalogue)
        key = (str(session.get_bind().url), side, version, query.text, _for_side(side, filters).moq_max)
        with _tallies_lock:
            if key in _tallies:
                _tallies.move_to_end(key)
                found[side] = _tallies[key]
                continue
        missing[side] = key
    if not missing:
        return found
    statements = [_tally_statement(side, matched[side], key[-1]) for side, key in missing.items()]
    rows: dict[str, list] = {side: [] for side in missing}
    for side, *row in session.execute(union_all(*statements) if len(statements) > 1 else statements[0]):
        rows[side].append(row)
    with _tallies_lock:
        for side, key in missing.items():
            found[side] = _tallies[key] = _Tally(rows[side])
        while len(_tallies) > _TALLIES_KEPT:
            _tallies.popitem(last=False)
    return found


def _tally_statement(side: str, matched: _Query, moq_max: float | None):
    model = MODELS[side]
    moq_ok = and_(col(model.moq).is_not(None), model.moq <= moq_max) if moq_max is not None else false()
    columns = [model.sector, func.substr(model.hs_code, 1, 2), Organisation.country, Organisation.verified,
               cast(_certifications(side), String), cast(model.incoterms, String),
               case((moq_ok, 1), else_=0)]
    return (select(literal(side).label("side"), *columns, func.count(model.id)).select_from(model)
            .join(Organisation).where(model.status == "published", matched.condition).group_by(*columns))


def forget_tallies() -> None:
    """Empty the memory of tallies (tests, benchmarks timing a cold search)."""
    with _tallies_lock:
        _tallies.clear()
        _allowed_ids.clear()


def _order(side: str, matched: _Query, sort: str, dialect: str) -> list:
    model = MODELS[side]
    newest = [col(model.updated_at).desc(), col(model.id).desc()]
    if sort == "moq":
        amount = model.moq if side == "products" else model.quantity
        return [col(amount).is_(None), amount] + newest
    if sort == "newest" or not matched.text:
        return newest
    order = []
    if matched.organisations:  # a company's name typed in full: its items first
        order.append(case((col(model.organisation_id).in_(sorted(matched.organisations)), 0), else_=1))
    if matched.ranked:  # the engine's order (score, then its tie-break), then the items it did not rank
        best_first = list(matched.ranked)
        if dialect == "postgresql":
            order.append(func.array_position(literal(best_first, ARRAY(Integer)), model.id).asc().nulls_last())
        else:
            order.append(case({item_id: place for place, item_id in enumerate(best_first)}, value=model.id,
                              else_=len(best_first)))
    return order + newest


# -- why each result was found ----------------------------------------------------------------------
@dataclass
class _Reading:
    """The query read once per request: its content words and their stems, its language, the
    concepts it names (with the words that named them), and what it decided about each distinct word
    of the page's titles and summaries."""

    words: list[str]
    language: str
    stop: frozenset[str]
    asked: dict[str, str]
    _stems: dict[str, set[str]] = field(default_factory=dict)
    _verdicts: dict[str, dict[str, bool | str]] = field(default_factory=dict)

    @classmethod
    def of(cls, text: str, vocabulary) -> "_Reading":
        words = normalise(text).split()
        language = detect_language(words)
        stop = STOPWORDS.get(language, frozenset()) | STOPWORDS["ru"]
        asked: dict[str, str] = {}
        for hit in vocabulary.tag(text) if vocabulary is not None else ():
            asked.setdefault(hit.concept, hit.words)
        return cls([w for w in words if w not in stop], language, frozenset(stop), asked)

    def stems(self, language: str) -> set[str]:
        """The query's words as keys of an item in ``language`` (and of the query's own language)."""
        if language not in self._stems:
            self._stems[language] = {stem(w, lang) for w in self.words for lang in {self.language, language}}
        return self._stems[language]

    def verdicts(self, language: str) -> dict[str, bool | str]:
        """What this request decided about the words of items in ``language`` (filled by :meth:`judge`)."""
        return self._verdicts.setdefault(language, {})

    def judge(self, token: str, language: str) -> bool | str:
        """A word of an item in ``language``: True when the query asked for it (the same word, the same
        key, a close spelling of a long query word), False when it never counts (a stopword), else its
        normalised form, which counts only if it names a concept the query and the item share."""
        word = normalise(token)
        if not word or word in self.stop or word in STOPWORDS.get(language, ()):
            return False
        if word in self.words or stem(word, language) in self.stems(language):
            return True
        if len(word) >= 5 and any(fuzz.ratio(word, q) >= _FUZZY_HIGHLIGHT for q in self.words
                                  if len(q) >= 5 and not q.isdigit()):
            return True
        return word


def _hits(items, matched: _Query) -> list[Hit]:
    if not matched.text:
        return [Hit(item, None, [(item.title, False)], [(_summary(item), False)]) for item in items]
    snap = matched.snapshot
    reading = _Reading.of(matched.text, snap.index.vocabulary if snap else None)
    profiles = snap.profiles_of([item.id for item in items]) if snap else {}
    hits = []
    for item in items:
        ranked = matched.ranked.get(item.id)
        profile = profiles.get(item.id)
        language = profile.language if profile is not None else item.language
        shared = [hit for hit in profile.hits if hit.concept in reading.asked] if profile is not None else []
        words = {word for hit in shared for word in normalise(hit.words).split()}
        is_match = _matcher(reading, words, language)
        bridges = _bridges(reading, shared, snap.index.vocabulary) if shared and language != reading.language else []
        hits.append(Hit(item, ranked.score if ranked else None, segments(item.title, is_match),
                        segments(_summary(item), is_match), bridges))
    return hits


def _summary(item) -> str:
    return (item.description or "")[:240]


def _bridges(reading: _Reading, shared, vocabulary) -> list[tuple[str, ...]]:
    """«мебель» ≈ furniture ≈ mebel: for each concept the query and the item share, the query's words,
    the concept's English name and the item's words (repeats left out)."""
    bridges, seen = [], set()
    for hit in shared:
        if hit.concept in seen or len(bridges) == _MAX_BRIDGES:
            continue
        seen.add(hit.concept)
        chain: list[str] = []
        for term in (reading.asked[hit.concept], vocabulary.label(hit.concept, "en"), hit.words):
            if term and term.casefold() not in {t.casefold() for t in chain}:
                chain.append(term)
        if len(chain) > 1:
            bridges.append(tuple(chain))
    return bridges


def _matcher(reading: _Reading, concept_words: set[str], language: str):
    """Whether a word of an item is one the query asked for: the same word, the same key (stem,
    lemma), a word naming a concept the query names, or a close spelling of a long query word. Each
    distinct word is read once per request (the same words recur from hit to hit)."""
    verdicts = reading.verdicts(language)

    def is_match(token: str) -> bool:
        verdict = verdicts.get(token)
        if verdict is None:
            verdict = verdicts[token] = reading.judge(token, language)
        return verdict if verdict.__class__ is bool else verdict in concept_words
    return is_match


def segments(text: str, is_match) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, matched) runs; the template wraps matched pieces in <mark> and
    escapes every piece, so a title can never inject markup.

    >>> segments("Teak table, teak chair", lambda w: w.lower() == "teak")
    [('Teak', True), (' table, ', False), ('teak', True), (' chair', False)]
    """
    pieces: list[tuple[str, bool]] = []
    last = 0
    for found in _WORD.finditer(text):
        if is_match(found.group()):
            if found.start() > last:
                pieces.append((text[last:found.start()], False))
            pieces.append((found.group(), True))
            last = found.end()
    if last < len(text):
        pieces.append((text[last:], False))
    return pieces


def suggest(snap: Snapshot, text: str) -> str | None:
    """ "furnitre" → "furniture": each word the catalogue does not know, replaced by its closest
    word of the catalogue (rapidfuzz), when one is close enough."""
    known = snap.known
    words, changed = normalise(text).split(), False
    for i, word in enumerate(words):
        if len(word) < 4 or word in known or word.isdigit():
            continue
        best = snap.closest(word, _SUGGESTION_CUTOFF)
        if best is not None:
            words[i], changed = best, True
    return " ".join(words) if changed else None
