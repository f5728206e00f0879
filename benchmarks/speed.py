"""Speed and memory of the engine and of a plain TF-IDF baseline on a synthetic catalogue.

Texts are generated from a seeded RNG out of the team's concept terms (en/id/ru) plus filler words,
so they look like multilingual listings. Figures: index build, one batch of requests, one request's
top 10 (p50/p95), each of the first products' top 10 requests (``--product-lists``, 0 skips it), and
index memory (RSS growth while building, plus tracemalloc's peak).

    .venv/bin/python benchmarks/speed.py [--products 100000] [--demands 2000] [--product-lists 10000] \
        [--seed 7]
"""

from __future__ import annotations

import argparse
import inspect
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from tqdm import tqdm

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from matchmaker.matching import Demand, DemandIndex, Product, ProductIndex, default_vocabulary  # noqa: E402

FILLER = {
    "en": "premium quality export grade new fresh size pack carton bulk wholesale natural custom".split(),
    "id": "kualitas ekspor premium baru segar ukuran kemasan grosir alami murah asli lokal".split(),
    "ru": "качество экспорт премиум новый свежий размер упаковка оптом натуральный партия".split(),
}
FALLBACK_TERMS = {"en": ["teak chair", "cotton fabric", "frozen shrimp", "beef", "milk powder"],
                  "id": ["kursi jati", "kain katun", "udang beku", "daging sapi", "susu bubuk"],
                  "ru": ["стул из тика", "ткань хлопковая", "креветки", "говядина", "сухое молоко"]}


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * 4096 / 2 ** 20


def term_pool() -> dict[str, list[tuple[str, str]]]:
    vocabulary = default_vocabulary()
    pool = {lang: [(t, c.hs[0] if c.hs else "") for c in vocabulary.concepts.values() for t in c.terms.get(lang, ())]
            for lang in FILLER}
    return {lang: terms or [(t, "") for t in FALLBACK_TERMS[lang]] for lang, terms in pool.items()}


SPECS = ("500 gr", "1 kg", "25 kg/bag", "40/50", "size XL", "grade A", "A-grade", "20ft", "40' HC", "MOQ 1x20",
         "12 pcs/ctn", "100%", "ISO 9001", "HACCP", "halal MUI", "FOB Surabaya", "CIF Almaty", "2024")
PUNCTUATION = (",", " -", ";", " /", "!", ".", ":")


def _typo(word: str, rng: random.Random) -> str:
    """One edit, as hurried sellers type: a letter dropped, doubled, swapped or replaced."""
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    if kind == 2:
        return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]
    return word[:i] + rng.choice("aeiounrstkl") + word[i + 1:]


def _noisy(words: list[str], rng: random.Random) -> str:
    out = []
    for word in words:
        word = " ".join(_typo(w, rng) if rng.random() < 0.04 else w for w in word.split())
        if rng.random() < 0.05:
            word = word.upper()
        elif rng.random() < 0.1:
            word = word.capitalize()
        out.append(word + (rng.choice(PUNCTUATION) if rng.random() < 0.12 else ""))
    return " ".join(out)


def synthetic(n: int, kind: str, rng: random.Random, pool) -> list:
    """Listings in en/id/ru: a title of 4-8 words and a description of 200-400 characters made of
    1-3 product terms, filler, specifications, a brand code, 4 % of words mistyped, some shouting."""
    records = []
    for i in range(n):
        lang = rng.choice(("en", "id", "ru"))
        terms = [rng.choice(pool[lang]) for _ in range(rng.randint(1, 3))]
        brand = f"{rng.choice('ABCDEFGHKMPRSTXZ')}{rng.choice('ABCDEFGHKMPRSTXZ')}-{rng.randint(10, 9999)}"
        head = [t for t, _ in terms] + rng.sample(FILLER[lang], 3) + [str(rng.randint(1, 500))]
        rng.shuffle(head)
        title = _noisy(head[:rng.randint(4, 8)], rng)
        target = rng.randint(200, 400)
        words = head + [brand]
        while sum(len(w) + 1 for w in words) < target:
            roll = rng.random()
            words.append(rng.choice(FILLER[lang]) if roll < 0.6 else rng.choice(SPECS) if roll < 0.8
                         else rng.choice(pool[lang])[0] if roll < 0.9 else rng.choice(FILLER["en"]))
        rng.shuffle(words)
        description = _noisy(words, rng)[:target]
        country = rng.choice(("ID", "KZ", "MY"))
        if kind == "product":
            records.append(Product(f"p{i:06d}", title, description=description, country=country,
                                   hs_code=terms[0][1] or None, moq=rng.randint(1, 500), unit="pcs",
                                   certifications=tuple(rng.sample(("halal", "eac", "svlk", "haccp"), 2))))
        else:
            records.append(Demand(f"d{i:05d}", title, description=description[:rng.randint(0, 200)] or None,
                                  country=country, quantity=rng.randint(1, 5000), unit="pcs",
                                  required_certifications=("halal",) if rng.random() < 0.1 else ()))
    return records


def baseline_index(products):
    vectoriser = TfidfVectorizer(dtype=np.float32)
    matrix = vectoriser.fit_transform([f"{p.title} {p.description}" for p in products])
    return vectoriser, matrix.T.tocsr()


def baseline_top(vectoriser, matrix_t, demands, k=10):
    query = vectoriser.transform([d.title for d in demands])
    scores = (query @ matrix_t).toarray()
    return np.argpartition(-scores, k, axis=1)[:, :k]


def timed(label: str, fn):
    """Wall clock and this process's CPU time (the CPU figure is steadier on a shared machine; with
    worker processes it also counts their time, through ``resource``)."""
    started, cpu = time.perf_counter(), _cpu()
    result = fn()
    print(f"  {label}: {time.perf_counter() - started:.2f}s wall, {_cpu() - cpu:.2f}s CPU")
    return result


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def product_lists(products_index, products, demands) -> None:
    """Each product's top 10 requests, as the platform computes them after an import: the requests'
    index ranks every product, reading it from the products' index when it can."""
    requests_index = timed(f"requests index build ({len(demands)})", lambda: DemandIndex(demands))
    # An engine without ``profiled`` reads every product again: the same script times both.
    reuse = "profiled" in inspect.signature(requests_index.top_many).parameters
    options = {"profiled": products_index} if reuse else {}
    with tqdm(total=len(products), unit="product", file=sys.stderr) as bar:
        lists = lambda: requests_index.top_many(products, k=10, progress=bar.update, **options)  # noqa: E731
        pairs = timed(f"product lists: top-10 requests of {len(products)} products",
                      lambda: sum(len(m) for _, m in lists()))
    print(f"  {pairs} pairs; readings {'taken from the products index' if reuse else 'read again'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--demands", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--product-lists", type=int, default=10_000,
                        help="products whose own top 10 requests are timed (what matching an import "
                             "computes); 0 skips it")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    pool = term_pool()
    print(f"synthetic: {args.products} products x {args.demands} requests "
          f"(terms: {', '.join(f'{l} {len(t)}' for l, t in pool.items())}); seed {args.seed}")
    products = synthetic(args.products, "product", rng, pool)
    demands = synthetic(args.demands, "demand", rng, pool)
    singles = demands[:200]

    print("engine")
    before = rss_mb()
    index = timed("index build", lambda: ProductIndex(products))
    print(f"  index memory (RSS growth): {rss_mb() - before:.0f} MB")
    with tqdm(total=len(demands), unit="request", file=sys.stderr) as bar:
        batch = timed(f"batch top-10 for {len(demands)} requests",
                      lambda: sum(len(m) for _, m in index.top_many(demands, k=10, progress=bar.update)))
    latencies = []
    for demand in singles:
        started = time.perf_counter()
        index.top(demand, k=10)
        latencies.append((time.perf_counter() - started) * 1000)
    print(f"  {batch} matches; one request top-10: p50 {np.percentile(latencies, 50):.1f} ms, "
          f"p95 {np.percentile(latencies, 95):.1f} ms")
    if hasattr(index, "save"):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "products.idx"
            timed("save", lambda: index.save(path))
            print(f"  file: {path.stat().st_size / 2 ** 20:.0f} MB")
            loaded = timed("load", lambda: ProductIndex.load(path))
            same = all([m.product_id for m in loaded.top(d)] == [m.product_id for m in index.top(d)]
                       for d in singles[:50])
            print(f"  loaded index gives the same top 10: {same}")
            del loaded
    if args.product_lists:
        product_lists(index, products[:args.product_lists], demands)
    print(f"  peak memory of the process so far: {peak_mb():.0f} MB")

    print("baseline (word TF-IDF cosine)")
    before = rss_mb()
    vectoriser, matrix_t = timed("index build", lambda: baseline_index(products))
    print(f"  index memory (RSS growth): {rss_mb() - before:.0f} MB")
    timed(f"batch top-10 for {len(demands)} requests",
          lambda: [baseline_top(vectoriser, matrix_t, demands[i:i + 64]) for i in range(0, len(demands), 64)])
    latencies = []
    for demand in singles:
        started = time.perf_counter()
        baseline_top(vectoriser, matrix_t, [demand])
        latencies.append((time.perf_counter() - started) * 1000)
    print(f"  one request top-10: p50 {np.percentile(latencies, 50):.1f} ms, "
          f"p95 {np.percentile(latencies, 95):.1f} ms")

    if args.products <= 20_000:  # tracemalloc slows allocation several times: only on small runs
        tracemalloc.start()
        ProductIndex(products)
        print(f"engine index, tracemalloc peak: {tracemalloc.get_traced_memory()[1] / 2 ** 20:.0f} MB")
        tracemalloc.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
