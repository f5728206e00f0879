"""How long a product save takes to answer, and how long until its matches are stored, on the demo data.

    .venv/bin/python benchmarks/save_latency.py [--repeat 10] [--database-url postgresql://…/empty_db]

Builds a fresh SQLite database in a temporary folder (or uses the given empty database) with the demo
data and its matches, then has the
owner of a published product save an edit through the WSGI app (no network) REPEAT times, in each
matching mode: ``inline`` (the engine runs inside the save, as before the matching job existed) and
``thread`` (the default without Redis: the save answers, a background thread matches). Prints the
median and 95th percentile of the save's answer (wall and this process's CPU time, which includes the
thread's work when it overlaps) and, for the thread, the time until the matches were stored.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlmodel import Session, select

from matchmaker import create_app, migrate
from matchmaker.config import normalise_database_url
from matchmaker.db import get_session
from matchmaker.models import ProductProfile, User
from matchmaker.seeding import DEMO_PASSWORD, load_demo_data
from matchmaker.services import jobs, matches

OWNER = "exporter@demo.test"


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def form_of(item: ProductProfile, n: int) -> dict:
    return {"title": f"{item.title.split(' #')[0]} #{n}", "description": item.description or "",
            "hs_code": item.hs_code or "", "certifications": list(item.certifications), "moq": f"{item.moq:g}",
            "unit": item.unit, "capacity_per_month": f"{item.capacity_per_month:g}",
            "price_usd": f"{item.price_usd:g}" if item.price_usd else "", "incoterms": list(item.incoterms),
            "language": item.language, "version": str(item.version), "publish": "1"}


def measure(url: str, mode: str, repeat: int) -> None:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                      "MATCHING_MODE": mode, "MATCHING_CATCH_UP_S": 3600})
    engine = app.extensions["db_engine"]
    client = app.test_client()
    client.post("/login", data={"email": OWNER, "password": DEMO_PASSWORD})
    with Session(engine) as session:
        owner = session.exec(select(User).where(User.email == OWNER)).one()
        item_id = session.exec(select(ProductProfile.id).where(
            ProductProfile.organisation_id == owner.organisation_id, ProductProfile.status == "published")).first()
    walls, cpus, matched_after = [], [], []
    for n in range(repeat):
        with Session(engine) as session:
            data = form_of(session.get(ProductProfile, item_id), n)
        cpu, wall = time.process_time(), time.perf_counter()
        response = client.post(f"/products/{item_id}/edit", data=data)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        assert response.status_code == 302, response.status_code
        while True:
            with Session(engine) as session:
                if not jobs.pending(session, "products", item_id):
                    break
            time.sleep(0.005)
        matched_after.append(time.perf_counter() - wall)
    scheduler = jobs.scheduler_of(app)
    if isinstance(scheduler, jobs.Background):
        scheduler.stop()
    ms = lambda values, share: percentile(values, share) * 1000  # noqa: E731
    print(f"{mode:>6}: save answers in {ms(walls, .5):.0f} ms median, {ms(walls, .95):.0f} ms p95 "
          f"(CPU {ms(cpus, .5):.0f} ms median); matches stored {ms(matched_after, .5):.0f} ms median, "
          f"{ms(matched_after, .95):.0f} ms p95 after the save began")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--database-url", help="an EMPTY database to fill (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = normalise_database_url(args.database_url) if args.database_url else f"sqlite:///{Path(folder) / 'save.db'}"
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "MATCHING_MODE": "worker"})
        with app.app_context():
            load_demo_data(get_session())
            counts = matches.rematch_all(get_session())
        print(f"demo data: {counts['products']} products, {counts['requests']} requests, "
              f"{counts['matches']} matches; load average {os.getloadavg()[0]:.1f}")
        for mode in ("inline", "thread"):
            measure(url, mode, args.repeat)


if __name__ == "__main__":
    main()
