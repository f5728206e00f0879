"""Database tables (SQLModel ``table=True``). Input validation lives in :mod:`matchmaker.schemas`.

Lists (languages, certifications, Incoterms) are JSON columns: they are always read and written whole,
and JSON works the same on SQLite and PostgreSQL.
"""



from datetime import date, datetime, timezone
from typing import Any, Optional

from flask_login import UserMixin
from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, Text, UniqueConstraint, text
from sqlalchemy.orm import declared_attr
from sqlmodel import Field, Relationship, SQLModel

from matchmaker.vocabulary import sector_for_hs


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _timestamp(**kwargs) -> Any:
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), **kwargs)


def _json_list() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def _version() -> Any:
    """How many times the record was saved. Edit forms send back the version they showed, and
    SQLAlchemy adds ``WHERE version = <the one read>`` to every UPDATE of the record (see
    ``_VERSION_CHECKED``), so a change made from an outdated copy fails instead of overwriting."""
    return Field(default=1, sa_column_kwargs={"server_default": text("1")})


_VERSION_CHECKED = declared_attr(lambda cls: {"version_id_col": cls.__table__.c.version})


class Organisation(SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=80, unique=True, index=True)
    name: str = Field(max_length=200)
    country: str = Field(max_length=2, index=True)
    city: str = Field(default="", max_length=120)
    kind: str = Field(max_length=20, index=True)
    description: str = Field(default="", sa_type=Text)
    website: str = Field(default="", max_length=300)
    languages: list[str] = _json_list()
    verified: bool = False
    # use_alter breaks the organisation ⇄ user foreign-key cycle when tables are created.
    verified_by_id: Optional[int] = Field(
        default=None,
        sa_column=Column(Integer, ForeignKey("user.id", use_alter=True, name="fk_organisation_verified_by")),
    )
    verified_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    # The evidence a curator checked: NIB (Indonesia, 13 digits) or BIN (Kazakhstan, 12 digits with a
    # control digit), and what they wrote about it (services/verification.py).
    registration_number: str = Field(default="", max_length=30, sa_column_kwargs={"server_default": ""})
    verification_note: str = Field(default="", sa_type=Text, sa_column_kwargs={"server_default": ""})
    # Private: shown only to members, curators and organisations introduced to this one.
    contact_person: str = Field(default="", max_length=200)
    contact_email: str = Field(default="", max_length=254)
    contact_phone: str = Field(default="", max_length=50)
    created_at: datetime = _timestamp()
    version: int = _version()

    __mapper_args__ = _VERSION_CHECKED

    products: list["ProductProfile"] = Relationship(back_populates="organisation")
    requests: list["BuyingRequest"] = Relationship(back_populates="organisation")


class User(UserMixin, SQLModel, table=True):
    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=300)
    role: str = Field(default="member", max_length=20)  # member, curator or admin
    organisation_id: Optional[int] = Field(default=None, foreign_key="organisation.id", index=True)
    locale: str = Field(default="en", max_length=5)
    # An IANA zone ("Asia/Jakarta"); None: the organisation's country's zone (services.meetings).
    timezone: Optional[str] = Field(default=None, max_length=40)
    active: bool = True
    created_at: datetime = _timestamp()

    # organisation.verified_by_id also points at users, so the join column is named.
    organisation: Optional["Organisation"] = Relationship(
        sa_relationship_kwargs={"foreign_keys": "[User.organisation_id]"})

    @property
    def is_active(self) -> bool:  # Flask-Login refuses logins of deactivated users
        return self.active

    @property
    def is_curator(self) -> bool:
        return self.role in ("curator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class ProductProfile(SQLModel, table=True):
    """The supply side: what an exporter or producer offers."""

    __tablename__ = "product_profile"
    __table_args__ = (  # /search: newest first, the catalogue version from the index alone; HS prefixes
        Index("ix_product_profile_status_updated_at", "status", "updated_at", "id"),
        Index("ix_product_profile_hs_code_prefix", "hs_code", postgresql_ops={"hs_code": "varchar_pattern_ops"}),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    hs_code: str = Field(default="", max_length=12)
    sector: str = Field(default="other", max_length=20, index=True)
    certifications: list[str] = _json_list()
    moq: Optional[float] = None
    unit: str = Field(default="kg", max_length=20)
    capacity_per_month: Optional[float] = None
    price_usd: Optional[float] = None
    incoterms: list[str] = _json_list()
    language: str = Field(default="en", max_length=5)
    status: str = Field(default="draft", max_length=20, index=True)  # draft, published, archived
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    version: int = _version()

    __mapper_args__ = _VERSION_CHECKED

    organisation: Organisation = Relationship(back_populates="products")

    @property
    def country(self) -> str:
        return self.organisation.country


class BuyingRequest(SQLModel, table=True):
    """The demand side: what a buyer or importer is looking for."""

    __tablename__ = "buying_request"
    __table_args__ = (
        Index("ix_buying_request_status_updated_at", "status", "updated_at", "id"),
        Index("ix_buying_request_hs_code_prefix", "hs_code", postgresql_ops={"hs_code": "varchar_pattern_ops"}),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    title: str = Field(max_length=200)
    description: str = Field(default="", sa_type=Text)
    hs_code: str = Field(default="", max_length=12)
    sector: str = Field(default="other", max_length=20, index=True)
    required_certifications: list[str] = _json_list()
    quantity: Optional[float] = None
    unit: str = Field(default="kg", max_length=20)
    max_price_usd: Optional[float] = None
    incoterms: list[str] = _json_list()
    language: str = Field(default="en", max_length=5)
    status: str = Field(default="draft", max_length=20, index=True)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    version: int = _version()

    __mapper_args__ = _VERSION_CHECKED

    organisation: Organisation = Relationship(back_populates="requests")

    @property
    def country(self) -> str:
        return self.organisation.country


UNRANKED_PROPOSAL = "status = 'proposed' AND rank_for_request IS NULL AND rank_for_product IS NULL"


class Match(SQLModel, table=True):
    """A proposed pairing of a product and a request; curators move it through its statuses."""

    __table_args__ = (
        UniqueConstraint("product_id", "request_id"),
        # Proposals stored before matches kept their ranks, which every refresh looks for first: an
        # index of those rows alone (none, once a rematch has run) answers at once, where the look
        # read the whole table (0.7 s of each save's matching at a million stored matches).
        Index("ix_match_unranked_proposal", "id", postgresql_where=text(UNRANKED_PROPOSAL),
              sqlite_where=text(UNRANKED_PROPOSAL)),
    )

    id: Optional[int] = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product_profile.id", index=True)
    request_id: int = Field(foreign_key="buying_request.id", index=True)
    score: float = 0.0
    explanation: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Why the engine keeps the pair: the product's place in the request's top list, the request's
    # place in the product's. Neither: only a curated match outlives both lists.
    rank_for_request: Optional[int] = None
    rank_for_product: Optional[int] = None
    # "proposed" while only the engine has seen it; "curated" once a person acted on it (the stage and
    # everything people did then live in its Introduction). A recompute never deletes a curated match.
    status: str = Field(default="proposed", max_length=20, index=True)
    # Which weights scored it: a WeightVersion's name, or "w1" for the engine's built-in weights.
    weights_version: Optional[str] = Field(default=None, max_length=40)
    # Which fitted index scored it (str of the engine's Fingerprint: engine version and a hash of the
    # weights, concept vocabulary and fitting time), so a score can be traced to the index behind it.
    fingerprint: Optional[str] = Field(default=None, max_length=60)
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()

    product: ProductProfile = Relationship()
    request: BuyingRequest = Relationship()


class Introduction(SQLModel, table=True):
    """People's work on one match: a party's request, the curator's introduction, both acceptances,
    the meetings and the outcome. Stages are :class:`matchmaker.stages.Stage`; the allowed moves are the
    table in :mod:`matchmaker.services.curation`, and every move is audited (the match's history).

    A recompute of the engine never changes this row: ``score`` and ``explanation`` are frozen copies of
    what the parties and the curator saw when the first of them acted, and the product and request ids
    are kept even if the engine later forgets the pair.
    """

    id: Optional[int] = Field(default=None, primary_key=True)
    match_id: int = Field(foreign_key="match.id", unique=True, index=True)
    product_id: int = Field(foreign_key="product_profile.id", index=True)
    request_id: int = Field(foreign_key="buying_request.id", index=True)
    stage: str = Field(default="proposed", max_length=20, index=True)
    score: float = 0.0
    explanation: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Which weights scored the frozen explanation (``matchmaker learn`` saves new versions).
    weights_version: Optional[str] = Field(default=None, max_length=40)
    proposed_at: datetime = _timestamp()          # when the engine proposed the pair
    # A party's own move: asking for an introduction, or "not relevant" with a reason.
    requested_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    requested_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    request_note: str = Field(default="", sa_type=Text)
    dismiss_reason: Optional[str] = Field(default=None, max_length=20)
    # The curator's move: an introduction with a note to both, or a decline with a reason.
    curator_id: Optional[int] = Field(default=None, foreign_key="user.id", index=True)
    curator_note: str = Field(default="", sa_type=Text)
    decline_reason: Optional[str] = Field(default=None, max_length=20)
    introduced_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    # Each party's answer to the introduction; contacts are shared once both have accepted.
    supplier_accepted_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    buyer_accepted_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    accepted_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    # The outcome: won with a value and a date, or lost with a reason.
    deal_value_usd: Optional[float] = None
    deal_date: Optional[date] = None
    lost_reason: Optional[str] = Field(default=None, max_length=20)
    closed_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()
    version: int = _version()

    __mapper_args__ = _VERSION_CHECKED

    match: Match = Relationship()
    product: ProductProfile = Relationship()
    request: BuyingRequest = Relationship()


class AuditEvent(SQLModel, table=True):
    """Who changed what and when, with the record before and after."""

    __tablename__ = "audit_event"

    id: Optional[int] = Field(default=None, primary_key=True)
    actor_id: Optional[int] = Field(default=None, foreign_key="user.id", index=True)
    action: str = Field(max_length=40)
    entity_type: str = Field(max_length=40, index=True)
    entity_id: Optional[int] = Field(default=None, index=True)
    before: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    after: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    # Why, when the platform itself did it: {"code": "identity_changed", "fields": ["name", ...]}.
    reason: Optional[dict] = Field(default=None, sa_column=Column(JSON))
    created_at: datetime = _timestamp()


def derive_sector(item: "ProductProfile | BuyingRequest") -> None:
    """File the item under the sector of its HS code, or, without one, of what its words are about
    (buyers often don't know the code: «Платки и хиджабы оптом» is still textiles)."""
    item.sector = sector_of(hs_code=item.hs_code, title=item.title, description=item.description)


def sector_of(*, hs_code: str | None, title: str | None, description: str | None) -> str:
    """The sector :func:`derive_sector` files an item under, from plain values (for bulk inserts)."""
    if hs_code:
        return sector_for_hs(hs_code)
    from matchmaker.matching import Demand, classify  # the engine loads its vocabulary on first use

    return classify(Demand(id="-", title=title or "", description=description or None)).sector


class WeightVersion(SQLModel, table=True):
    """A set of component weights for the engine, learnt by ``matchmaker learn`` from curators'
    decisions. The active row scores the web's matches; with none active the engine's built-in
    weights do, under the name "w1". A version is saved only when it beat the weights then in use on
    held-out decisions; ``metrics`` says by how much."""

    __tablename__ = "weight_version"

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=40, unique=True)
    weights: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    metrics: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    n_labels: int = 0
    active: bool = Field(default=False, index=True)
    created_at: datetime = _timestamp()


class Certificate(SQLModel, table=True):
    """A certificate an organisation holds (halal, EAC, SVLK… from ``vocabulary.CERTIFICATIONS``), added
    by its members and checked by a curator. It counts as verified only while a curator has verified it
    and it has not expired; ``expiry_recorded_at`` is when ``matchmaker certificates expire`` noticed the
    expiry (once), so its owner is told once."""

    id: Optional[int] = Field(default=None, primary_key=True)
    organisation_id: int = Field(foreign_key="organisation.id", index=True)
    kind: str = Field(max_length=20)
    issuer: str = Field(max_length=200)
    number: str = Field(max_length=100)
    expires_on: Optional[date] = None
    verified_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    verified_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    expiry_recorded_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _timestamp()

    organisation: Organisation = Relationship()


# --- Notifications, the email outbox and meetings (issue 8) -----------------------------------------

class Notification(SQLModel, table=True):
    """Something a user should know. Stored as a kind and plain parameters; the sentence is written at
    read time in the reader's current language (services.notifications.render)."""

    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user.id")
    kind: str = Field(max_length=40)
    match_id: Optional[int] = Field(default=None, foreign_key="match.id", index=True)
    organisation_id: Optional[int] = Field(default=None, foreign_key="organisation.id")
    params: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    read_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _timestamp()


class OutboxMessage(SQLModel, table=True):
    """An email written in the recipient's language in the transaction that caused it, sent after
    commit (services.outbox): the action never waits for, or fails because of, the mail server."""

    __tablename__ = "outbox_message"

    id: Optional[int] = Field(default=None, primary_key=True)
    to: str = Field(max_length=254)
    user_id: Optional[int] = Field(default=None, foreign_key="user.id", index=True)
    subject: str = Field(max_length=300)
    body_text: str = Field(sa_type=Text)
    body_html: Optional[str] = Field(default=None, sa_type=Text)
    locale: str = Field(default="en", max_length=5)
    status: str = Field(default="queued", max_length=10, index=True)  # queued, sent, failed
    attempts: int = 0
    last_error: str = Field(default="", sa_type=Text)
    next_attempt_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _timestamp()
    sent_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))


class Meeting(SQLModel, table=True):
    """A meeting of the two parties of an introduction: 1–3 proposed times (UTC), one confirmed."""

    id: Optional[int] = Field(default=None, primary_key=True)
    introduction_id: int = Field(foreign_key="introduction.id", index=True)
    proposed_by_id: int = Field(foreign_key="user.id")
    # The zone the proposer typed the times in, shown beside the reader's own.
    timezone: str = Field(default="UTC", max_length=40)
    duration_minutes: int = 60
    where: str = Field(default="", max_length=300)  # a video link or a place
    note: str = Field(default="", sa_type=Text)
    status: str = Field(default="proposed", max_length=10)  # proposed, confirmed, cancelled
    confirmed_slot_id: Optional[int] = None  # a MeetingSlot of this meeting (no FK: the two point at each other)
    confirmed_by_id: Optional[int] = Field(default=None, foreign_key="user.id")
    confirmed_at: Optional[datetime] = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = _timestamp()
    updated_at: datetime = _timestamp()

    introduction: Introduction = Relationship()
    slots: list["MeetingSlot"] = Relationship(
        sa_relationship_kwargs={"order_by": "MeetingSlot.starts_at", "lazy": "selectin"})


class MeetingSlot(SQLModel, table=True):
    __tablename__ = "meeting_slot"

    id: Optional[int] = Field(default=None, primary_key=True)
    meeting_id: int = Field(foreign_key="meeting.id", index=True)
    starts_at: datetime = Field(sa_type=DateTime(timezone=True))  # UTC


class CatalogueChange(SQLModel, table=True):
    """One published (or formerly published) item whose engine-read facts changed, in commit order.

    Derived data follows this log instead of being recomputed inside the save: the matching job and
    every process's search index read it from their own position (``seq``), so a save never waits
    for either, a job killed half-way starts again from where it was, and every process reaches the
    same version. Written only by :func:`matchmaker.services.changes.record`.
    """

    __tablename__ = "catalogue_change"
    __table_args__ = {"sqlite_autoincrement": True}  # positions are never handed out twice

    seq: Optional[int] = Field(default=None, primary_key=True)
    side: str = Field(max_length=10)  # "products" or "requests"
    item_id: int = Field(index=True)
    at: datetime = _timestamp()


class DerivedPosition(SQLModel, table=True):
    """How far one consumer of the catalogue change log has got (its name, the last ``seq`` it has
    applied). Advanced in the same transaction as the derived rows it wrote, so it never runs ahead."""

    __tablename__ = "derived_position"

    name: str = Field(primary_key=True, max_length=40)
    seq: int = 0
    updated_at: datetime = _timestamp()


class MatchingBacklog(SQLModel, table=True):
    """Lists the matching job owes, when one change asked for more than it redoes at once.

    An import of 100,000 products needs 100,000 product lists redone: a job that computed them all
    before storing any would hold every later save's matches back for an hour. They wait here
    instead, and the job works through them in short slices, matching newer saves before each slice
    (``matches.work_backlog``). An item here is "finding matches…" on its page until its list is done.
    """

    __tablename__ = "matching_backlog"

    side: str = Field(primary_key=True, max_length=10)  # whose list: "products" or "requests"
    item_id: int = Field(primary_key=True)
    at: datetime = _timestamp()

