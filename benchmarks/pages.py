"""Page render times on the demo data, through the WSGI app (no network), as a new user would click.

    .venv/bin/python benchmarks/pages.py [--repeat 30]

Builds a fresh SQLite database in a temporary folder, migrates it, loads the demo data and computes
the matches (timed too), then renders each page REPEAT times for an anonymous visitor and prints
median and 95th percentile, and the time to recompute one request's matches after a save. Last,
the item pages as their owners see them (with the "what keeps partners away" hints, computed on
each view against the other side's catalogue).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from matchmaker import create_app, migrate
from matchmaker.db import get_session
from matchmaker.models import BuyingRequest, Match, Organisation, ProductProfile, User
from matchmaker.seeding import DEMO_PASSWORD, load_demo_data
from matchmaker.services import matches
from sqlmodel import select


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'pages.db'}"
        started = time.perf_counter()
        migrate.upgrade(url)
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False})
        with app.app_context():
            session = get_session()
            load_demo_data(session)
            seeded = time.perf_counter()
            counts = matches.rematch_all(session)
            matched = time.perf_counter()
            product = session.exec(select(ProductProfile).where(ProductProfile.status == "published")).first()
            request = session.exec(select(BuyingRequest).where(BuyingRequest.status == "published")).first()
            org = session.exec(select(Organisation)).first()
            match = session.exec(select(Match)).first()
            owned = {}
            for kind, model, email in (("product", ProductProfile, "fisheries@demo.test"),
                                       ("request", BuyingRequest, "importer@demo.test")):
                user = session.exec(select(User).where(User.email == email)).one()
                item = session.exec(select(model).where(model.organisation_id == user.organisation_id,
                                                        model.status == "published")).first()
                owned[kind] = (email, f"/{kind}s/{item.id}")
        print(f"migrate + demo data: {seeded - started:.2f} s; all matches ({counts['matches']}): "
              f"{matched - seeded:.2f} s")
        pages = {
            "home": "/", "login": "/login", "register": "/register",
            "products": "/products/", "products?sector=furniture": "/products/?sector=furniture",
            "requests": "/requests/", "product page": f"/products/{product.id}",
            "request page": f"/requests/{request.id}", "organisation": f"/organisations/{org.id}",
            "why this match": f"/matches/{match.id}", "hs picker (words)": "/hs/search?q=frozen shrimp",
            "hs picker (Indonesian)": "/hs/search?q=udang beku", "healthz": "/healthz",
        }
        client = app.test_client()
        # A match page is for the parties and curators: measured as a curator sees it.
        curator = app.test_client()
        curator.post("/login", data={"email": "curator@demo.test", "password": DEMO_PASSWORD})
        print(f"{'page':28} {'median ms':>10} {'p95 ms':>8}")
        for name, path in pages.items():
            viewer = curator if name == "why this match" else client
            viewer.get(path)  # first render compiles the templates
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                response = viewer.get(path)
                times.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200, (path, response.status_code)
            print(f"{name:28} {statistics.median(times):10.1f} {percentile(times, 0.95):8.1f}")
        for kind, (email, path) in owned.items():
            owner = app.test_client()
            owner.post("/login", data={"email": email, "password": DEMO_PASSWORD})
            owner.get(path)
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                assert owner.get(path).status_code == 200
                times.append((time.perf_counter() - t) * 1000)
            print(f"{kind + ' page (its owner)':28} {statistics.median(times):10.1f} {percentile(times, 0.95):8.1f}")
        for kind, item_id in (("products", product.id), ("requests", request.id)):
            with app.app_context():
                t = time.perf_counter()
                matches.refresh(get_session(), **{kind: [item_id]})
            print(f"incremental refresh after one {kind[:-1]} changed: {(time.perf_counter() - t) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
