"""Product profiles (supply) and buying requests (demand): the same life cycle, so one set of functions.

draft → published → archived (and back to draft); only published items are public.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Generic, TypeVar

from sqlmodel import Session, SQLModel, func, select

from matchmaker.db import transaction
from matchmaker.matching import Classification, classify
from matchmaker.models import BuyingRequest, Organisation, ProductProfile, User, derive_sector, utcnow
from matchmaker.schemas import ProductIn, RequestIn
from matchmaker.services import audit, changes, matches
from matchmaker.services.editing import edit

STATUSES = ("draft", "published", "archived")
T = TypeVar("T")


@dataclass(frozen=True)
class ItemKind:
    model: type
    schema: type[SQLModel]
    name: str


PRODUCTS = ItemKind(ProductProfile, ProductIn, "product")
REQUESTS = ItemKind(BuyingRequest, RequestIn, "request")


@dataclass
class Page(Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.page_size))

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def has_prev(self) -> bool:
        return self.page > 1


def list_published(session: Session, kind: ItemKind, *, sector: str = "", country: str = "", query: str = "",
                   page: int = 1, page_size: int = 20) -> Page:
    model = kind.model
    statement = select(model).join(Organisation).where(model.status == "published")
    if sector:
        statement = statement.where(model.sector == sector)
    if country:
        statement = statement.where(Organisation.country == country.upper())
    if query:
        # autoescape: "%" and "_" typed in the search box are searched for, not wildcards (ESCAPE '/').
        statement = statement.where(model.title.icontains(query, autoescape=True)
                                    | model.description.icontains(query, autoescape=True))
    total = session.exec(select(func.count()).select_from(statement.subquery())).one()
    page = max(1, min(page, max(1, math.ceil(total / page_size))))
    rows = session.exec(
        statement.order_by(model.updated_at.desc(), model.id.desc()).offset((page - 1) * page_size).limit(page_size)
    ).all()
    return Page(list(rows), page, page_size, total)


def list_for_organisation(session: Session, kind: ItemKind, organisation_id: int, *,
                          include_unpublished: bool) -> list:
    model = kind.model
    statement = select(model).where(model.organisation_id == organisation_id)
    if not include_unpublished:
        statement = statement.where(model.status == "published")
    return list(session.exec(statement.order_by(model.status.desc(), model.title)).all())


def get(session: Session, kind: ItemKind, item_id: int):
    return session.get(kind.model, item_id)


def create(session: Session, kind: ItemKind, *, actor: User, data: SQLModel, publish: bool = False):
    item = kind.model(**data.model_dump(), organisation_id=actor.organisation_id,
                      status="published" if publish else "draft")
    derive_sector(item)
    with transaction(session):
        session.add(item)
        audit.record(session, actor=actor, action="create", entity=item)
        _log_change(session, kind, item, was_published=False)
    return item


def update(session: Session, kind: ItemKind, *, actor: User, item, version: int, data: SQLModel,
           publish: bool = False):
    """Save an owner's edit made in a form that showed ``version`` of the item.

    Raises :class:`~matchmaker.services.editing.StaleEdit`, saving nothing, when someone else
    changed the item since.
    """
    with edit(session, item, version=version) as before:
        for key, value in data.model_dump().items():
            setattr(item, key, value)
        if publish:
            item.status = "published"
        derive_sector(item)
        item.updated_at = utcnow()
        session.add(item)
        audit.record(session, actor=actor, action="update", entity=item, before=before)
        _log_change(session, kind, item, was_published=before["status"] == "published")
    return item


def reading(item: BuyingRequest) -> Classification:
    """What the engine reads in a request that gives no HS code: the heading and sector it matches by."""
    return classify(matches.to_engine_demand(item))


def correct_hs_code(session: Session, *, actor: User, item: BuyingRequest, version: int,
                    hs_code: str) -> BuyingRequest:
    """Keep the owner's HS code for a request the engine read wrongly (or confirm its reading): from now
    on it is the request's own code, so its sector, the listings and the matches follow it."""
    current = {name: getattr(item, name) for name in REQUESTS.schema.model_fields}
    data = REQUESTS.schema.model_validate({**current, "hs_code": hs_code})
    return update(session, REQUESTS, actor=actor, item=item, version=version, data=data)


def set_status(session: Session, *, actor: User, item, status: str):
    if status not in STATUSES:
        raise ValueError(status)
    with edit(session, item) as before:
        item.status = status
        item.updated_at = utcnow()
        session.add(item)
        audit.record(session, actor=actor, action=status, entity=item, before=before)
        _log_change(session, PRODUCTS if isinstance(item, ProductProfile) else REQUESTS, item,
                    was_published=before["status"] == "published")
    return item


def _log_change(session: Session, kind: ItemKind, item, *, was_published: bool) -> None:
    """A draft that stays a draft changes nothing derived; anything else the engine reads may. The
    log is all a save does for matching: the matching job (services.jobs) follows it after commit."""
    if was_published or item.status == "published":
        session.flush()
        changes.record(session, **{f"{kind.name}s": [item.id]})


def corridor_figures(session: Session) -> list[dict]:
    """Published supply and demand per sector, for the home page."""
    figures = []
    for sector_model, label in ((ProductProfile, "products"), (BuyingRequest, "requests")):
        rows = session.exec(
            select(sector_model.sector, Organisation.country, func.count())
            .join(Organisation).where(sector_model.status == "published")
            .group_by(sector_model.sector, Organisation.country)
        ).all()
        figures.extend({"side": label, "sector": s, "country": c, "count": n} for s, c, n in rows)
    return figures
