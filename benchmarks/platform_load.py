"""The platform under load: gunicorn on loopback, PostgreSQL and Redis, a catalogue of 100,000
imported products and 2,000 buying requests (issue 9, "Benchmarks", second bullet).

Steps: empty and migrate the database (DATABASE_URL; it is DROPPED, so give a benchmark database),
empty the Redis database (REDIS_URL), generate the catalogue (``benchmarks/catalogue.py``) and load it
with ``matchmaker import`` (timed), ``matchmaker index rebuild`` when the command exists, start
``gunicorn`` and ``matchmaker worker`` (when it exists), log in as a supplier, wait until the worker
has matched the imported catalogue (timed; ``--search-while-matching`` measures searches meanwhile,
on cores the worker shares), then measure:

  (a) ``/search`` latency, one client, over a fixed mix of queries (en/id/ru words, typos, HS codes,
      company names, facets), each asked once after a warm-up with other queries;
  (b) 16 concurrent clients for 60 s: requests, errors, throughput, latency;
  (c) saving a product (the new-product form, "Save and publish"): p50/p95 of the answer;
  (d) from the start of each save until its matches are stored (the "matching" position of the change
      log reaching the save's change, or else the product's first stored match): p50/p95/max;
  (e) resident memory (VmRSS) of each gunicorn worker and of the worker process.

Parts whose pieces are not on this branch (``index rebuild``, ``worker``) are skipped with a note.

    .venv/bin/python benchmarks/platform_load.py               # 100,000 products, 2,000 requests
    .venv/bin/python benchmarks/platform_load.py --products 10000 --demands 500 --duration 20 --saves 10
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import random
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

import catalogue  # noqa: E402  (the generator of the import's input)

BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgresql://postgres@127.0.0.1:5432/wt_platform"
DEFAULT_REDIS = "redis://127.0.0.1:6379/7"
PASSWORD = "benchmark-pass-2026"
EMAIL = "supplier@benchmark.test"
SKIPPED: list[str] = []


# ---------------------------------------------------------------- preparing the platform

def cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(command: list[str], env: dict, *, label: str) -> tuple[float, float]:
    """Run a ``matchmaker`` command; return (wall, CPU) seconds. Stops the benchmark when it fails."""
    started, cpu = time.perf_counter(), cpu_children()
    done = subprocess.run(command, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    wall, used = time.perf_counter() - started, cpu_children() - cpu
    print(f"  {label}: {wall:.1f} s wall, {used:.1f} s CPU")
    for line in done.stdout.strip().splitlines():
        print(f"    {line}")
    if done.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({done.returncode})")
    return wall, used


def has_command(env: dict, *words: str) -> bool:
    done = subprocess.run([str(BIN / "matchmaker"), *words, "--help"], env=env, cwd=ROOT,
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return done.returncode == 0


def empty_database(url: str) -> None:
    from sqlalchemy import create_engine, text

    from matchmaker.config import normalise_database_url

    url = normalise_database_url(url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        return
    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def empty_redis(url: str) -> None:
    """FLUSHDB on the benchmark's Redis database, spoken in RESP (no client library needed)."""
    parts = urllib.parse.urlsplit(url)
    db = (parts.path or "/0").strip("/") or "0"
    try:
        with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379), timeout=3) as s:
            s.sendall(f"*2\r\n$6\r\nSELECT\r\n${len(db)}\r\n{db}\r\n*1\r\n$7\r\nFLUSHDB\r\n".encode())
            answer = s.recv(100).decode()
        print(f"  Redis {url}: emptied ({answer.split()[-1] if answer else '?'})")
    except OSError as error:
        SKIPPED.append(f"Redis at {url} not reachable ({error}): jobs cannot use RQ")


def make_supplier(url: str) -> tuple[int, str]:
    """A member of the largest imported Indonesian supplier, who logs in and saves products."""
    from sqlmodel import Session, func, select
    from werkzeug.security import generate_password_hash

    from matchmaker.config import normalise_database_url
    from matchmaker.db import make_engine
    from matchmaker.models import Organisation, ProductProfile, User

    engine = make_engine(normalise_database_url(url))
    with Session(engine) as session:
        org = session.exec(select(Organisation).join(ProductProfile)
                           .where(Organisation.country == "ID", Organisation.kind.in_(("exporter", "producer")))
                           .group_by(Organisation.id).order_by(func.count(ProductProfile.id).desc())).first()
        session.add(User(email=EMAIL, name="Benchmark supplier", password_hash=generate_password_hash(PASSWORD),
                         organisation_id=org.id))
        session.commit()
        found = org.id, org.name
    engine.dispose()
    return found


# ---------------------------------------------------------------- HTTP clients

class Client:
    """One user's browser: cookies, CSRF tokens read from the forms (standard library only)."""

    def __init__(self, base: str, timeout: float = 60):
        self.base, self.timeout = base, timeout
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()),
                                                  _NoRedirect())

    def get(self, path: str) -> tuple[int, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, fields: list[tuple[str, str]]) -> tuple[int, str, str]:
        request = urllib.request.Request(self.base + path, data=urllib.parse.urlencode(fields).encode())
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.headers.get("Location", ""), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.headers.get("Location", ""), error.read().decode(errors="replace")
        except OSError as error:  # no answer within the timeout, connection reset…
            return type(error).__name__, "", ""

    def _open(self, request) -> tuple[int, str]:
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def form_fields(self, path: str) -> list[tuple[str, str]]:
        """The hidden inputs of the page's form (csrf_token, version…)."""
        status, body = self.get(path)
        if status != 200:
            raise RuntimeError(f"GET {path}: {status}")
        fields = []
        for tag in re.findall(r"<input[^>]*type=\"hidden\"[^>]*>", body):
            name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
            if name:
                fields.append((name.group(1), value.group(1) if value else ""))
        return fields

    def login(self, email: str, password: str) -> None:
        fields = self.form_fields("/login") + [("email", email), ("password", password)]
        status, location, _ = self.post("/login", fields)
        if status != 302:
            raise RuntimeError(f"login failed ({status})")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # a save answers 302: time the save, not the next page
        return None


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wait_for(base: str, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


def wait_for_line(path: Path, marker: str, seconds: float) -> bool:
    deadline = time.time() + seconds
    while time.time() < deadline:
        if path.exists() and marker in path.read_text(errors="replace"):
            return True
        time.sleep(0.5)
    return False


# ---------------------------------------------------------------- the query mix

def query_mix(rng: random.Random, products_path: Path, n: int) -> list[str]:
    """``n`` /search query strings: words in en/id/ru, typos, HS codes, company names, facets."""
    import json

    from speed import _typo, term_pool

    pool = term_pool()
    companies, codes = set(), set()
    with products_path.open(encoding="utf-8") as handle:
        for i, line in enumerate(handle):
            if i >= 5000:
                break
            row = json.loads(line)
            companies.add(row["organisation"])
            codes.add(row["hs_code"])
    companies, codes = sorted(companies), sorted(codes)
    facets = [{}, {"sector": "furniture"}, {"country": "ID"}, {"certification": "halal"}, {"incoterm": "FOB"},
              {"moq_max": "100"}, {"sector": "fisheries", "country": "ID"}, {"verified": "1"}, {"chapter": "03"},
              {"sort": "newest"}, {"sort": "moq"}, {"page": "2"}, {"side": "requests"}]
    queries = []
    for i in range(n):
        kind = i % 6
        if kind in (0, 1, 2):
            lang = ("en", "id", "ru")[kind]
            q = " ".join(rng.choice(pool[lang])[0] for _ in range(rng.randint(1, 2)))
        elif kind == 3:
            q = " ".join(_typo(w, rng) for w in rng.choice(pool[rng.choice(("en", "id"))])[0].split())
        elif kind == 4:
            code = rng.choice(codes)
            q = code[:rng.choice((4, 6))]
        else:
            q = rng.choice(companies)
        args = {"q": q, **rng.choice(facets)} if rng.random() < 0.5 else {"q": q}
        queries.append("/search/?" + urllib.parse.urlencode(args))
    return queries


def one_client(base: str, queries: list[str]) -> dict:
    client, latencies, errors = Client(base), [], 0
    for path in queries:
        started = time.perf_counter()
        status, _ = client.get(path)
        latencies.append((time.perf_counter() - started) * 1000)
        errors += status != 200
    return {"latencies": latencies, "errors": errors}


def warm_up(base: str, queries: list[str], *, limit_s: float) -> float:
    """Ask until every worker answers quickly (each process builds or loads its indexes on its first
    search of each side): 4 clients, until 12 answers in a row under a second, or ``limit_s``."""
    started, fast, lock, stop = time.perf_counter(), [0], threading.Lock(), threading.Event()

    def loop(offset: int) -> None:
        client = Client(base, timeout=limit_s)
        i = offset
        while not stop.is_set() and time.perf_counter() - started < limit_s:
            path = queries[i % len(queries)]
            t = time.perf_counter()
            status, _ = client.get(path)
            with lock:
                fast[0] = fast[0] + 1 if status == 200 and time.perf_counter() - t < 1 else 0
                if fast[0] >= 12:
                    stop.set()
            i += 4

    threads = [threading.Thread(target=loop, args=(k,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def concurrent(base: str, queries: list[str], *, clients: int, seconds: float) -> dict:
    latencies, errors, kinds = [], [0], {}
    lock, deadline = threading.Lock(), time.perf_counter() + seconds

    def loop(offset: int) -> None:
        client, i, mine = Client(base, timeout=seconds), offset, []
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status, _ = client.get(queries[i % len(queries)])
            except OSError as error:
                status = type(error).__name__
            mine.append((time.perf_counter() - started) * 1000)
            if status != 200:
                with lock:
                    errors[0] += 1
                    kinds[status] = kinds.get(status, 0) + 1
            i += 7
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(k * 11,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"requests": len(latencies), "errors": errors[0], "kinds": kinds, "latencies": latencies,
            "seconds": time.perf_counter() - started}


# ---------------------------------------------------------------- saves and their matches

def saves(base: str, url: str, *, count: int, seed: int, wait_s: float, inline: bool) -> dict:
    """Save and publish ``count`` products through the form; time each answer and the time until its
    matches are stored."""
    from matchmaker.config import normalise_database_url
    from matchmaker.db import make_engine

    rng = random.Random(seed + 1)
    rows = catalogue.product_rows(count, rng, catalogue.term_pool(), {c: ["-"] for c in ("ID", "KZ", "MY")})
    client = Client(base, timeout=wait_s)
    client.login(EMAIL, PASSWORD)
    engine = make_engine(normalise_database_url(url))
    answered, matched, failed, unmatched = [], [], [], 0
    for row in rows:
        fields = client.form_fields("/products/new") + [
            ("title", row["title"]), ("description", row["description"]), ("hs_code", row["hs_code"]),
            ("unit", row["unit"]), ("language", row.get("language", "en")), ("moq", str(row["moq"])),
            ("capacity_per_month", str(row["capacity_per_month"])), ("price_usd", str(row["price_usd"])),
            ("publish", "1")] + [("certifications", c) for c in row["certifications"]] + [
            ("incoterms", c) for c in row["incoterms"]]
        started = time.perf_counter()
        status, location, _ = client.post("/products/new", fields)
        answered.append((time.perf_counter() - started) * 1000)
        found = re.search(r"/products/(\d+)", location)
        if status != 302 or not found:
            failed.append(status)
            continue
        seconds = _matches_stored(engine, int(found.group(1)), started, wait_s, inline=inline)
        if seconds is None:
            unmatched += 1
        else:
            matched.append(seconds)
    engine.dispose()
    return {"answered": answered, "matched": matched, "failed": failed, "unmatched": unmatched}


def _matches_stored(engine, product_id: int, started: float, wait_s: float, *, inline: bool) -> float | None:
    """Seconds from ``started`` until the product's matches are stored: the "matching" consumer of the
    change log has passed the product's change. ``inline``: there is no matching job (the save itself
    refreshes the matches before it answers), so they are stored now. None when not within ``wait_s``."""
    if inline:
        return time.perf_counter() - started
    while time.perf_counter() - started < wait_s:
        if matching_position(engine) >= _change_of(engine, product_id):
            return time.perf_counter() - started
        time.sleep(0.05)
    return None


def _change_of(engine, product_id: int) -> int:
    from sqlalchemy import text

    with engine.connect() as connection:
        return connection.execute(text("SELECT coalesce(max(seq), 0) FROM catalogue_change "
                                       "WHERE side = 'products' AND item_id = :id"), {"id": product_id}).scalar()


def matching_position(engine) -> int:
    """How far the matching job has got in the change log (-1 before its first run)."""
    from sqlalchemy import text

    with engine.connect() as connection:
        found = connection.execute(text("SELECT seq FROM derived_position WHERE name = 'matching'")).scalar()
    return -1 if found is None else found


def wait_for_matching(url: str, wait_s: float) -> float | None:
    """Seconds until the matching job has caught up with the whole change log (the import's job)."""
    from sqlalchemy import text

    from matchmaker.config import normalise_database_url
    from matchmaker.db import make_engine

    engine = make_engine(normalise_database_url(url))
    with engine.connect() as connection:
        latest = connection.execute(text("SELECT coalesce(max(seq), 0) FROM catalogue_change")).scalar()
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < wait_s:
            if matching_position(engine) >= latest:
                return time.perf_counter() - started
            time.sleep(1)
        return None
    finally:
        engine.dispose()


def wait_import_matching(url: str, wait_s: float) -> None:
    waited = wait_for_matching(url, wait_s)
    print("matching of the imported catalogue's change log by the worker: " + (
        f"{waited:.1f} s" if waited is not None else f"not done within {wait_s:.0f} s"))
    report_backlog(url, sample_s=20)


def backlog_left(url: str) -> int | None:
    """Lists the matching backlog still owes (None where the branch has no backlog)."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    from matchmaker.config import normalise_database_url
    from matchmaker.db import make_engine

    engine = make_engine(normalise_database_url(url))
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT count(*) FROM matching_backlog")).scalar()
    except SQLAlchemyError:
        return None
    finally:
        engine.dispose()


def wait_backlog(url: str, wait_s: float) -> None:
    started = time.perf_counter()
    while time.perf_counter() - started < wait_s and (backlog_left(url) or 0) > 0:
        time.sleep(5)
    left = backlog_left(url)
    print(f"matching backlog: {left} lists owed after waiting {time.perf_counter() - started:.0f} s")


def report_backlog(url: str, *, sample_s: float = 0) -> None:
    """The import's own lists the worker still owes (worked off in slices between saves), and its pace."""
    before = backlog_left(url)
    if before is None:
        return
    if sample_s and before:
        time.sleep(sample_s)
        after = backlog_left(url)
        print(f"matching backlog: {after} lists owed; {(before - after) / sample_s:.1f} lists/s over {sample_s:.0f} s")
    else:
        print(f"matching backlog: {before} lists owed")


# ---------------------------------------------------------------- memory

def children_of(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def _proc_mb(pid: int, file: str, field: str) -> float:
    """A memory figure (kB in /proc) in MB; NaN once the process has gone."""
    try:
        for line in Path(f"/proc/{pid}/{file}").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def rss_mb(pid: int) -> float:
    return _proc_mb(pid, "status", "VmRSS:")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (their own, not their children's)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def pss_mb(pid: int) -> float:
    """Proportional set size: the pages a process shares with others (a forked worker and its master)
    counted by their share, so the processes' figures add up to the memory they use together."""
    return _proc_mb(pid, "smaps_rollup", "Pss:")


def report_memory(gunicorn: subprocess.Popen, worker: subprocess.Popen | None) -> None:
    print(f"(e) memory (VmRSS / PSS): gunicorn master {rss_mb(gunicorn.pid):.0f} / {pss_mb(gunicorn.pid):.0f} MB; "
          + ", ".join(f"worker {pid} {rss_mb(pid):.0f} / {pss_mb(pid):.0f} MB" for pid in children_of(gunicorn.pid)))
    if worker is not None:
        pids = [worker.pid] + children_of(worker.pid)
        print("    matching worker: " + ", ".join(f"{pid} {rss_mb(pid):.0f} MB" for pid in pids))


# ---------------------------------------------------------------- main

def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--timeout", type=int, default=30, help="gunicorn's worker timeout (its default: 30 s)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--queries", type=int, default=120, help="queries of the one-client mix")
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--match-wait", type=float, default=120,
                        help="seconds to wait for a save's answer, and then for its matches")
    parser.add_argument("--import-matching-wait", type=float, default=1800,
                        help="seconds to wait for the worker to match the imported catalogue before the saves")
    parser.add_argument("--search-while-matching", action="store_true",
                        help="measure /search while the worker still matches the import (before: the "
                             "measurements start once it has, as on a platform in use)")
    parser.add_argument("--wait-backlog", type=float, default=0,
                        help="after the import's change log, also wait up to this many seconds for the worker "
                             "to work off the import's backlog of lists (the measurements then find it idle)")
    parser.add_argument("--rematch", action="store_true",
                        help="without a worker: run `matchmaker rematch` after the import (slow at 100,000)")
    parser.add_argument("--warm-up", type=float, default=600, help="at most this long for the first searches")
    parser.add_argument("--keep-data", action="store_true", help="reuse the database as it is (no reset, no import)")
    parser.add_argument("--keep-snapshots", action="store_true",
                        help="with --keep-data: no `index rebuild` (the snapshots in instance/index are current)")
    args = parser.parse_args()
    sys.stdout.reconfigure(line_buffering=True)  # progress shows when the output is piped to a file
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped: still stop gunicorn and the worker

    load = os.getloadavg()
    print(f"platform benchmark: {args.products} products, {args.demands} requests; {args.database_url}; "
          f"{args.redis_url}; gunicorn -w {args.workers} --threads {args.threads}; {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    env = {**os.environ, "DATABASE_URL": args.database_url, "REDIS_URL": args.redis_url,
           "MATCHMAKER_ENV": "development", "SECRET_KEY": "platform-benchmark-secret", "PYTHONUNBUFFERED": "1"}
    matchmaker = str(BIN / "matchmaker")
    data = ROOT / "instance" / "benchmark" / f"{args.products}-{args.demands}-{args.seed}"
    products, demands = data / "products.jsonl", data / "demands.jsonl"

    print("prepare")
    if not products.exists() or not demands.exists():
        started = time.perf_counter()
        catalogue.generate(data, products=args.products, demands=args.demands, seed=args.seed)
        print(f"  generate {products.parent}: {time.perf_counter() - started:.1f} s")
    empty_redis(args.redis_url)
    if not args.keep_data:
        empty_database(args.database_url)
        run([matchmaker, "db", "upgrade"], env, label="migrate")
        run([matchmaker, "import", "--products", str(products), "--demands", str(demands)], env,
            label=f"import {args.products} products + {args.demands} requests")
        if args.rematch:
            run([matchmaker, "rematch"], env, label="rematch (all stored matches)")
        org_id, org_name = make_supplier(args.database_url)
        print(f"  supplier user {EMAIL} in {org_name} (organisation {org_id})")
    if args.keep_data and args.keep_snapshots:
        print("  index rebuild: skipped (--keep-snapshots)")
    elif has_command(env, "index", "rebuild"):
        run([matchmaker, "index", "rebuild"], env, label="index rebuild")
    else:
        SKIPPED.append("`matchmaker index rebuild` is not on this branch: each web process builds its own "
                       "search index on its first search (timed as the warm-up)")

    base = f"http://127.0.0.1:{args.port}"
    started = time.perf_counter()
    gunicorn = subprocess.Popen([str(BIN / "gunicorn"), "-w", str(args.workers), "--threads", str(args.threads),
                                 "-b", f"127.0.0.1:{args.port}", "--timeout", str(args.timeout),
                                 "matchmaker:create_app()"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=open(data / "gunicorn.log", "w"))
    worker = None
    if has_command(env, "worker"):
        worker = subprocess.Popen([matchmaker, "worker"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                  stderr=open(data / "worker.log", "w"))
    else:
        SKIPPED.append("`matchmaker worker` is not on this branch: each save refreshes its matches before it "
                       "answers, so (d) equals (c); the imported catalogue is matched only with --rematch; "
                       "(e) has no worker process")
    try:
        # The master may load and read the indexes before it forks the workers (gunicorn.conf.py).
        if not wait_for(base, args.warm_up):
            sys.exit(f"gunicorn did not answer at {base} (see {data / 'gunicorn.log'})")
        print(f"gunicorn's first answer: {time.perf_counter() - started:.1f} s after its start")
        if worker is not None:  # it loads its indexes before it takes jobs: not while searches are timed
            ready = wait_for_line(data / "worker.log", "matching worker: ready", args.warm_up)
            print(f"matching worker ready: {time.perf_counter() - started:.1f} s after the start"
                  if ready else f"matching worker not ready within {args.warm_up:.0f} s")
        if worker is not None and not args.search_while_matching:
            wait_import_matching(args.database_url, args.import_matching_wait)
            if args.wait_backlog:
                wait_backlog(args.database_url, args.wait_backlog)
        rng = random.Random(args.seed)
        mix = query_mix(rng, products, args.queries)
        warm = query_mix(random.Random(args.seed + 100), products, 60)
        print(f"warm-up (first searches of each process): {warm_up(base, warm, limit_s=args.warm_up):.1f} s")
        report_memory(gunicorn, worker)

        web = children_of(gunicorn.pid)
        cpu = cpu_seconds(web)
        single = one_client(base, mix)
        lat = single["latencies"]
        print(f"(a) /search, one client, {len(lat)} queries: p50 {percentile(lat, 50):.0f} ms, "
              f"p95 {percentile(lat, 95):.0f} ms, max {max(lat):.0f} ms, errors {single['errors']}; "
              f"gunicorn workers' CPU {(cpu_seconds(web) - cpu) * 1000 / len(lat):.0f} ms per search; "
              f"load average {os.getloadavg()[0]:.2f}")

        many = concurrent(base, mix, clients=args.clients, seconds=args.duration)
        lat = many["latencies"]
        print(f"(b) {args.clients} clients for {many['seconds']:.0f} s: {many['requests']} requests, "
              f"{many['errors']} errors{' ' + str(many['kinds']) if many['kinds'] else ''}, "
              f"{many['requests'] / many['seconds']:.1f} requests/s; p50 {percentile(lat, 50):.0f} ms, "
              f"p95 {percentile(lat, 95):.0f} ms")

        if worker is not None and args.search_while_matching:
            wait_import_matching(args.database_url, args.import_matching_wait)
        saved = saves(base, args.database_url, count=args.saves, seed=args.seed, wait_s=args.match_wait,
                      inline=worker is None)
        ans, got = saved["answered"], saved["matched"]
        print(f"(c) product save (form, publish), {len(ans)} saves: p50 {percentile(ans, 50):.0f} ms, "
              f"p95 {percentile(ans, 95):.0f} ms, max {max(ans):.0f} ms; failed: {saved['failed'] or 'none'}")
        print(f"(d) from save to stored matches, {len(got)} of {len(ans) - len(saved['failed'])} saves: "
              f"p50 {percentile(got, 50):.2f} s, p95 {percentile(got, 95):.2f} s, max {max(got, default=0):.2f} s; "
              f"not within {args.match_wait:.0f} s: {saved['unmatched']}")
        report_memory(gunicorn, worker)
        report_backlog(args.database_url)
    finally:
        for process in (worker, gunicorn):
            if process is not None:
                process.send_signal(signal.SIGTERM)
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
    load = os.getloadavg()
    print(f"load average at the end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    for note in SKIPPED:
        print(f"skipped: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
