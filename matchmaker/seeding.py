"""Load the demo data in ``seeds/``: organisations, users, product profiles, buying requests.

Keyed on organisation slug, user email and (organisation, title), so loading twice duplicates nothing.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import Session, func, select
from tqdm import tqdm
from werkzeug.security import generate_password_hash

from matchmaker import config
from matchmaker.config import PROJECT_ROOT
from matchmaker.db import transaction
from matchmaker.models import BuyingRequest, Organisation, ProductProfile, User, derive_sector
from matchmaker.schemas import ProductIn, RequestIn
from matchmaker.services import changes

SEEDS_DIR = PROJECT_ROOT / "seeds"
DEMO_PASSWORD = "demo-pass-2026"
DEMO_EMAIL_DOMAIN = "@demo.test"


def database_is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Organisation)).one() == 0


def demo_accounts(session: Session, *, limit: int = 3) -> list[str]:
    """Emails of demo accounts in the database (a few are enough to name in a message)."""
    emails = select(User.email).where(func.lower(User.email).endswith(DEMO_EMAIL_DOMAIN, autoescape=True))
    return list(session.exec(emails.order_by(User.email).limit(limit)).all())


def refuse_demo_accounts(engine: Engine) -> None:
    """Production must not run with the demo logins: their password is published in the README."""
    with Session(engine) as session:
        if not inspect(session.connection()).has_table(User.__tablename__):
            return  # a new database, before `matchmaker init` has migrated it
        found = demo_accounts(session)
    if found:
        raise config.ConfigurationError(
            f"MATCHMAKER_ENV=production, but the database holds demo accounts ({', '.join(found)}…), whose "
            f"password is public. Delete every user whose email ends in {DEMO_EMAIL_DOMAIN}, or point "
            "DATABASE_URL at the production database.")


def _read_json(path: Path) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def _read_csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _blank_to_none(row: dict) -> dict:
    return {key: (None if value == "" else value) for key, value in row.items()}


def load_demo_data(session: Session, *, seeds_dir: Path = SEEDS_DIR, progress: bool = False) -> dict[str, int]:
    """Insert or refresh the demo records in one transaction; returns how many of each the seeds hold."""
    organisations = _read_json(seeds_dir / "organisations.json")
    users = _read_json(seeds_dir / "users.json")
    products = _read_csv(seeds_dir / "products.csv")
    requests = _read_csv(seeds_dir / "requests.csv")
    password_hash = generate_password_hash(DEMO_PASSWORD)
    with transaction(session):
        orgs = {row["slug"]: _upsert_organisation(session, row) for row in organisations}
        session.flush()
        for row in users:
            _upsert_user(session, row, orgs, password_hash)
        bar = tqdm(total=len(products) + len(requests), desc="demo data", disable=not progress, unit="item")
        loaded = {}
        for side, kind, schema, rows in (("products", ProductProfile, ProductIn, products),
                                         ("requests", BuyingRequest, RequestIn, requests)):
            items = []
            for row in rows:
                items.append(_upsert_item(session, kind, schema, row, orgs))
                bar.update()
            session.flush()
            loaded[side] = [item.id for item in items]
        bar.close()
        # Logged like every other write path (a reload may have changed or withdrawn an item), so the
        # matching job, the shared indexes and their first snapshot see the demo catalogue as a save.
        changes.record(session, **loaded)
    return {"organisations": len(organisations), "users": len(users), "products": len(products),
            "requests": len(requests)}


def _upsert_organisation(session: Session, row: dict) -> Organisation:
    org = session.exec(select(Organisation).where(Organisation.slug == row["slug"])).first() or Organisation()
    for key, value in row.items():
        setattr(org, key, value)
    session.add(org)
    return org


def _upsert_user(session: Session, row: dict, orgs: dict[str, Organisation], password_hash: str) -> None:
    user = session.exec(select(User).where(User.email == row["email"])).first()
    if user is None:
        user = User(email=row["email"], password_hash=password_hash)
    user.name = row.get("name", "")
    user.role = row.get("role", "member")
    user.locale = row.get("locale", "en")
    user.organisation_id = orgs[row["organisation"]].id
    session.add(user)


def _upsert_item(session: Session, kind, schema, row: dict, orgs: dict[str, Organisation]):
    org = orgs[row["organisation"]]
    # The seeds pass through the same validation as a form, so demo data can never hold what a user could not type.
    data = schema.model_validate(_blank_to_none({k: v for k, v in row.items() if k not in ("organisation", "status")}))
    item = session.exec(
        select(kind).where(kind.organisation_id == org.id, kind.title == data.title)
    ).first() or kind(organisation_id=org.id)
    for key, value in data.model_dump().items():
        setattr(item, key, value)
    item.status = row.get("status") or "published"
    derive_sector(item)
    session.add(item)
    return item
