"""The supplier directory (``/organisations/``): find organisations by name or by what they publish.

The box finds an organisation by its name, city or description (case-folded, so «Мебель» and
«мебель» are one), and, through the search engine's index, by its published products and requests
in any language ("мебель" finds the furniture exporters). Kind, country and verification are columns;
sector and certification ask whether the organisation publishes such an item. Each organisation on the
page comes with its counts of published products and requests and its latest few titles; contact
details are never part of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from sqlalchemy import String, and_, cast, exists, false, func, or_, true
from sqlmodel import Session, col, select

from matchmaker.models import BuyingRequest, Organisation, ProductProfile
from matchmaker.services import search_index
from matchmaker.services.catalog import Page
from matchmaker.services.search import choice
from matchmaker.vocabulary import CERTIFICATIONS, ORGANISATION_KINDS, SECTORS

PAGE_SIZE = 20
TITLES_SHOWN = 3
QUERY_MAX = 200


@dataclass(frozen=True)
class DirectoryFilters:
    kind: str = ""
    country: str = ""
    sector: str = ""
    certification: str = ""
    verified: bool = False

    @classmethod
    def parse(cls, args) -> "DirectoryFilters":
        def pick(name: str, known) -> str:
            return choice(args, name, known)
        country = (args.get("country") or "").strip().upper()
        return cls(kind=pick("kind", ORGANISATION_KINDS), country=country if len(country) == 2 and country.isalpha() else "",
                   sector=pick("sector", SECTORS), certification=pick("certification", CERTIFICATIONS),
                   verified=args.get("verified") in ("1", "on", "true"))

    def args(self) -> dict[str, str]:
        values = {"kind": self.kind, "country": self.country, "sector": self.sector,
                  "certification": self.certification, "verified": "1" if self.verified else ""}
        return {name: value for name, value in values.items() if value}


@dataclass
class Entry:
    organisation: Organisation
    products: int = 0
    requests: int = 0
    titles: list[tuple[str, int, str]] = field(default_factory=list)  # (kind, id, title), latest first


@dataclass
class Directory:
    query: str
    filters: DirectoryFilters
    page: Page
    facets: dict[str, list[tuple[str, int]]]


def _published(model, *conditions):
    return exists().where(model.organisation_id == Organisation.id, model.status == "published", *conditions)


def _matching(session: Session, text: str):
    """Organisations the box names, or whose published items the engine finds for it; and the former."""
    if not text:
        return true(), set()
    folded = text.casefold()
    named = {org_id for org_id, haystack in search_index.organisation_texts(session) if folded in haystack}
    ids = set(named)
    for side, model in search_index.MODELS.items():
        snap = search_index.snapshot(session, side)
        ranked = [r.item_id for r in snap.rank(text)]
        if ranked:
            owners = session.exec(select(model.organisation_id).where(col(model.id).in_(ranked)).distinct()).all()
            ids.update(owners)
    return (col(Organisation.id).in_(sorted(ids)) if ids else false()), named


def _conditions(matched, filters: DirectoryFilters, *, skip: str = "") -> list:
    found = [matched]
    if filters.kind and skip != "kind":
        found.append(Organisation.kind == filters.kind)
    if filters.country and skip != "country":
        found.append(Organisation.country == filters.country)
    if filters.verified and skip != "verified":
        found.append(Organisation.verified == true())
    if filters.sector:
        found.append(or_(_published(ProductProfile, ProductProfile.sector == filters.sector),
                         _published(BuyingRequest, BuyingRequest.sector == filters.sector)))
    if filters.certification:
        found.append(_published(ProductProfile, cast(ProductProfile.certifications, String)
                                .like(f'%"{filters.certification}"%')))
    return found


def find(session: Session, *, query: str = "", filters: DirectoryFilters = DirectoryFilters(), page: int = 1,
         page_size: int = PAGE_SIZE) -> Directory:
    """One page of the directory, organisations with published items first, then by name."""
    query = " ".join(query.split())[:QUERY_MAX]
    matched, named = _matching(session, query)
    where = _conditions(matched, filters)
    total = session.exec(select(func.count(Organisation.id)).where(*where)).one()
    page = max(1, min(page, max(1, math.ceil(total / page_size))))
    active = or_(_published(ProductProfile), _published(BuyingRequest))
    organisations = session.exec(select(Organisation).where(*where)
                                 .order_by(*([col(Organisation.id).in_(sorted(named)).desc()] if named else []),
                                           active.desc(), col(Organisation.verified).desc(), Organisation.name,
                                           Organisation.id)
                                 .offset((page - 1) * page_size).limit(page_size)).all()
    entries = _entries(session, organisations)
    facets = {name: _grouped(session, matched, filters, name, column)
              for name, column in (("kind", Organisation.kind), ("country", Organisation.country))}
    facets["verified"] = [("1", session.exec(select(func.count(Organisation.id)).where(
        *_conditions(matched, filters, skip="verified"), Organisation.verified == true())).one())]
    return Directory(query, filters, Page(entries, page, page_size, total), facets)


def _grouped(session: Session, matched, filters: DirectoryFilters, name: str, column) -> list[tuple[str, int]]:
    rows = session.exec(select(column, func.count(Organisation.id)).where(*_conditions(matched, filters, skip=name))
                        .group_by(column)).all()
    return sorted(((value, n) for value, n in rows if value), key=lambda pair: (-pair[1], pair[0]))


def _entries(session: Session, organisations) -> list[Entry]:
    """Counts and latest titles of each organisation's published items: two queries per side."""
    entries = {org.id: Entry(org) for org in organisations}
    if not entries:
        return []
    for kind, model in (("product", ProductProfile), ("request", BuyingRequest)):
        published = and_(col(model.organisation_id).in_(list(entries)), model.status == "published")
        for org_id, n in session.exec(select(model.organisation_id, func.count(model.id)).where(published)
                                      .group_by(model.organisation_id)).all():
            setattr(entries[org_id], f"{kind}s", n)
        place = func.row_number().over(partition_by=model.organisation_id,
                                       order_by=(col(model.updated_at).desc(), col(model.id).desc())).label("place")
        latest = select(model.organisation_id, model.id, model.title, place).where(published).subquery()
        for org_id, item_id, title in session.exec(
                select(latest.c.organisation_id, latest.c.id, latest.c.title).where(latest.c.place <= TITLES_SHOWN)
                .order_by(latest.c.organisation_id, latest.c.place)).all():
            entries[org_id].titles.append((kind, item_id, title))
    return list(entries.values())
