"""Search and territory-import figures at seed scale.

``python -m benchmarks.search [--dataset benchmarks/out/data-seed/dataset.nq.gz]``

1. **Index build**: the seed dataset (benchmarks/seed.py: all of France, 1.38 M resources,
   1 M posts) is streamed from its N-Quads file into a fresh FTS5 index with the same code
   a rebuild uses (``store.search.documents_from_dump``), in a temporary directory.
2. **Queries**: a fixed, seeded mix of what people type (one or two words, common and rare,
   prefixes, names, postal codes), half of them inside a perimeter (commune, EPCI,
   département, région), some with themes or types, some with filters only; p50/p95/p99 of
   ``SearchIndex.search`` and of the whole ``GET /search`` page (HTML, and JSON) through
   the Flask app.
3. **Territories** (``--territories``): ``import-territories --scope france`` on a fresh
   on-disk store, the old path (rdflib graphs + ``bulk_load``) then the fast one
   (store/territories_import.py), each run twice (the second run is the idempotent one).

Prints one JSON object. Generate the dataset first with ``python -m benchmarks.seed``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from store.search import (
    SearchIndex,
    build_index,
    documents_from_dump,
    territories_from_rows,
)
from store.territories import FRANCE_PATH, read_territories

HERE = Path(__file__).resolve().parent
DEFAULT_DATASET = HERE / "out" / "data-seed" / "dataset.nq.gz"
WORDS = ["fête", "atelier", "jardin partagé", "réunion publique", "vélo", "marché",
         "concert", "bénévoles", "chorale", "randonnée", "compost", "ludothèque", "fablab",
         "recycl", "fest", "martin", "payet", "boulangerie", "mairie", "tiers-lieu",
         "santé", "football", "plein air", "covoiturage", "saint", "lyon", "marseille",
         "budget participatif", "noël", "sondage horaires", "75011", "97400"]
THEMES = ["culture", "sport", "environnement", "social", "economie", "transport"]
TYPES = ["events", "organizations", "posts", "projects", "persons"]


def _chunks(path: Path, size: int = 4 << 20) -> Iterator[bytes]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as source:
        while chunk := source.read(size):
            yield chunk


def build(dataset: Path, target: Path, base: str) -> dict:
    began = time.perf_counter()
    territories = territories_from_rows(base, read_territories(FRANCE_PATH))
    count = build_index(target, documents_from_dump(_chunks(dataset)), territories)
    seconds = time.perf_counter() - began
    return {"documents": count, "seconds": round(seconds, 1),
            "documents_per_second": round(count / seconds),
            "index_bytes": target.stat().st_size}


def query_mix(base: str, n: int, seed: int = 974) -> list[dict]:
    rng = random.Random(seed)
    rows = read_territories(FRANCE_PATH)
    communes = sorted((t for t in rows if t.kind in ("commune", "arrondissement")),
                      key=lambda t: -(t.population or 0))
    big = communes[:2000]
    by_kind = {kind: [t for t in rows if t.kind == kind] for kind in ("epci", "departement",
                                                                     "region")}
    mix = []
    for _ in range(n):
        query: dict = {}
        roll = rng.random()
        if roll < 0.85:
            query["words"] = rng.choice(WORDS)
        place = rng.random()
        if place < 0.25:
            query["perimeter"] = rng.choice(big).iri(base)
        elif place < 0.35:
            query["perimeter"] = rng.choice(communes).iri(base)
        elif place < 0.45:
            query["perimeter"] = rng.choice(by_kind["epci"]).iri(base)
        elif place < 0.6:
            query["perimeter"] = rng.choice(by_kind["departement"]).iri(base)
        elif place < 0.7:
            query["perimeter"] = rng.choice(by_kind["region"]).iri(base)
        if rng.random() < 0.2 or "words" not in query:
            query["themes"] = rng.sample(THEMES, rng.randint(1, 2))
        if rng.random() < 0.15:
            query["types"] = [rng.choice(TYPES)]
        mix.append(query)
    return mix


def _percentiles(samples: list[float]) -> dict:
    ordered = sorted(samples)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)

    return {"n": len(ordered), "p50_ms": at(0.5), "p95_ms": at(0.95), "p99_ms": at(0.99),
            "max_ms": round(ordered[-1] * 1000, 1),
            "mean_ms": round(statistics.fmean(ordered) * 1000, 1)}


def measure_index(index: SearchIndex, mix: list[dict]) -> dict:
    for query in mix[:20]:  # warm the page cache
        index.search(**query)
    samples, totals = [], []
    for query in mix:
        began = time.perf_counter()
        found = index.search(**query)
        samples.append(time.perf_counter() - began)
        totals.append(found.total)
    slowest = sorted(zip(samples, mix, strict=True), key=lambda pair: -pair[0])[:3]
    return {**_percentiles(samples), "empty_results": sum(1 for t in totals if t == 0),
            "slowest": [{"ms": round(s * 1000, 1), **q} for s, q in slowest]}


def measure_pages(index_path: Path, mix: list[dict], base: str) -> dict:
    """GET /search through the Flask app (HTML and JSON), on the built index."""
    from urllib.parse import urlencode

    from store.private import PrivateStore
    from web.app import create_app
    from web.settings import Settings
    from web.ui.search import service

    data = index_path.parent
    app = create_app(Settings(base_url=base, data_dir=data, store="memory"),
                     private=PrivateStore(None))
    searcher = service(app)
    searcher._checked = time.monotonic() + 1e9  # the memory store is empty: never compare
    client = app.test_client()
    results = {}
    for media in ("text/html", "application/json"):
        samples = []
        for query in mix:
            params = {"q": query.get("words", ""), "themes": ",".join(query.get("themes", [])),
                      "types": ",".join(query.get("types", []))}
            if "perimeter" in query:
                params["territory"] = query["perimeter"].rsplit("/", 1)[-1]
            url = "/search?" + urlencode({k: v for k, v in params.items() if v})
            began = time.perf_counter()
            response = client.get(url, headers={"Accept": media})
            samples.append(time.perf_counter() - began)
            assert response.status_code == 200, (url, response.status_code)
        results[media] = _percentiles(samples)
    return results


def measure_territories(workdir: Path) -> dict:
    """import-territories --scope france: old path vs fast path, fresh and again."""
    from store import open_store
    from store.territories import territory_graphs
    from store.territories_import import load_territories

    base = "http://127.0.0.1:8000"
    figures = {}
    old_dir = workdir / "old"
    store = open_store("oxigraph", old_dir)
    territories = read_territories(FRANCE_PATH)
    for run in ("fresh", "again"):
        began = time.perf_counter()
        graphs = ((iri, graph.serialize(format="nt"))
                  for iri, graph in territory_graphs(base, territories))
        store.bulk_load(graphs)
        figures[f"old_{run}_seconds"] = round(time.perf_counter() - began, 1)
    store.close()
    shutil.rmtree(old_dir)
    store = open_store("oxigraph", workdir / "fast")
    for run in ("fresh", "again"):
        began = time.perf_counter()
        written = load_territories(store, base, territories)
        figures[f"fast_{run}_seconds"] = round(time.perf_counter() - began, 1)
        figures[f"fast_{run}_written"] = written
        figures[f"fast_{run}_quads"] = store.stats()["triples"]
    figures["idempotent"] = (figures["fast_again_written"] == 0
                             and figures["fast_again_quads"] == figures["fast_fresh_quads"])
    store.close()
    figures["territories"] = len(territories)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--keep", type=Path, help="keep the index in this directory")
    parser.add_argument("--index", type=Path, help="use an index built before (skip build)")
    parser.add_argument("--territories", action="store_true",
                        help="also time import-territories --scope france (old vs fast)")
    args = parser.parse_args(argv)
    manifest = json.loads(Path(str(args.dataset) + ".json").read_text())
    base = manifest["base_url"]
    report: dict = {"dataset": {k: manifest[k] for k in ("scale", "counts", "quads")},
                    "load_average": os.getloadavg()[0]}
    workdir = Path(tempfile.mkdtemp(prefix="search-bench-"))
    try:
        if args.index:
            index_path = args.index
        else:
            index_path = (args.keep or workdir) / "search.sqlite3"
            index_path.parent.mkdir(parents=True, exist_ok=True)
            print("building the index…", file=sys.stderr)
            report["build"] = build(args.dataset, index_path, base)
        index = SearchIndex(index_path)
        mix = query_mix(base, args.queries)
        print("querying…", file=sys.stderr)
        report["index_search"] = measure_index(index, mix)
        report["page"] = measure_pages(index_path, mix, base)
        if args.territories:
            print("importing territories…", file=sys.stderr)
            report["territories"] = measure_territories(workdir)
        report["load_average_after"] = os.getloadavg()[0]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print(json.dumps(report, indent=2, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
