"""The two feed questions at seed scale: as SPARQL on the store, and as the platform
answers them (the search index, store/feed_index.py).

"Upcoming events in a commune for a theme" and "latest posts in a département" are timed
twice with the same parameters: the SPARQL queries of store/queries/ run in-process on the
read-only store (what a researcher's query costs, and the baseline of the /sparql overhead),
and store.feed_index's functions over the search index built from the dataset (what the
platform's pages use).
"""

from __future__ import annotations

import random
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from benchmarks import seed as dataset
from benchmarks.seed_terms import THEMES
from benchmarks.stats import loadavg, log, summary_ms

CCT = "https://w3id.org/communecter/themes#"


def feed_samples(plan: dataset.Plan, events: int, posts: int, seed: int) -> dict[str, list]:
    """(commune, theme) and département parameters, drawn where people live."""
    from rdflib import Literal, URIRef
    from rdflib.namespace import XSD

    rng = random.Random(seed)
    now = Literal(plan.now.isoformat(), datatype=XSD.dateTime)
    communes = rng.choices(range(len(plan.communes)), weights=plan.population, k=events)
    event_params = [
        {"commune": URIRef(plan.iri[c]), "theme": URIRef(CCT + rng.choice(THEMES)),
         "now": now, "limit": 20}
        for c in communes
    ]
    departements = [t for t in plan.territories if t.kind == "departement"]
    weights = [t.population or 1 for t in departements]
    chosen = rng.choices(departements, weights=weights, k=posts)
    post_params = [{"departement": URIRef(t.iri(plan.base)), "limit": 20} for t in chosen]
    return {"upcoming_events_in_commune_for_theme": event_params,
            "latest_posts_in_departement": post_params}


def time_direct(store: Any, text: str) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds of this thread, rows) for one query on the store."""
    began, cpu = time.perf_counter(), time.thread_time()
    result = store.query(text)
    rows = len(list(result)) if hasattr(result, "__iter__") else 1  # ASK: a QueryBoolean
    return time.perf_counter() - began, time.thread_time() - cpu, rows


def bench_feeds_direct(store: Any, samples: dict[str, list]) -> dict:
    from store.queries import query

    results = {}
    for name, params_list in samples.items():
        texts = [query(name, **params) for params in params_list]
        for text in texts[: max(10, len(texts) // 10)]:  # warm the caches a little
            time_direct(store, text)
        walls, cpus, empty, slowest = [], [], 0, (0.0, None)
        began = time.perf_counter()
        for params, text in zip(params_list, texts, strict=True):
            wall, cpu, rows = time_direct(store, text)
            walls.append(wall)
            cpus.append(cpu)
            empty += rows == 0
            if wall > slowest[0]:
                slowest = (wall, {k: str(v) for k, v in params.items()})
        key = "commune" if "commune" in params_list[0] else "departement"
        results[name] = {
            "wall_ms": summary_ms(walls),
            "cpu_ms": summary_ms(cpus),
            "distinct_parameters": len({str(p[key]) + str(p.get("theme", "")) for p in
                                        params_list}),
            "empty_results": empty,
            "slowest": {"ms": round(slowest[0] * 1000, 1), "parameters": slowest[1]},
            "seconds": round(time.perf_counter() - began, 1),
            "load_average": loadavg(),
        }
        log(f"  {name}: p50 {results[name]['wall_ms']['p50']} ms, "
            f"p95 {results[name]['wall_ms']['p95']} ms over {len(walls)} queries")
    return results


def build_feed_index(dataset_path: Path, index_path: Path, base_url: str) -> dict:
    """The search index of the dataset, built as a rebuild builds it (timed)."""
    import gzip

    from store.search import build_index, documents_from_dump, territories_from_rows
    from store.territories import FRANCE_PATH, read_territories

    def chunks(size: int = 4 << 20):
        with gzip.open(dataset_path, "rb") as source:
            while chunk := source.read(size):
                yield chunk

    index_path.unlink(missing_ok=True)
    began, cpu = time.perf_counter(), time.process_time()
    territories = territories_from_rows(base_url, read_territories(FRANCE_PATH))
    count = build_index(index_path, documents_from_dump(chunks()), territories)
    return {"documents": count, "seconds": round(time.perf_counter() - began, 1),
            "cpu_seconds": round(time.process_time() - cpu, 1),
            "bytes": index_path.stat().st_size}


def _index_answer(name: str, index: Any, store: Any, params: dict) -> list[str]:
    """The resources store.feed_index gives for one sample's parameters."""
    from store.feed_index import latest_posts_in, upcoming_events_in

    if name == "latest_posts_in_departement":
        rows = latest_posts_in(index, str(params["departement"]), params["limit"])
    else:
        now = datetime.fromisoformat(str(params["now"]).replace("Z", "+00:00"))
        rows = upcoming_events_in(index, store, str(params["commune"]),
                                  str(params["theme"])[len(CCT):], now, params["limit"])
    return [row.iri for row in rows]


def _opened(store_dir: Path, index_path: Path) -> tuple[Any, Any]:
    from store.oxigraph_store import OxigraphStore
    from store.search import SearchIndex

    return SearchIndex(index_path), OxigraphStore.read_only(store_dir)


def bench_feeds_index(store_dir: Path, index_path: Path, samples: dict[str, list]) -> dict:
    """store.feed_index's answers over the search index, with the same parameters."""
    index, store = _opened(store_dir, index_path)
    results = {}
    for name, params_list in samples.items():
        for params in params_list[: max(10, len(params_list) // 10)]:
            _index_answer(name, index, store, params)
        walls, cpus, empty = [], [], 0
        for params in params_list:
            began, cpu = time.perf_counter(), time.thread_time()
            empty += not _index_answer(name, index, store, params)
            walls.append(time.perf_counter() - began)
            cpus.append(time.thread_time() - cpu)
        results[name] = {"wall_ms": summary_ms(walls), "cpu_ms": summary_ms(cpus),
                         "empty_results": empty, "load_average": loadavg()}
        log(f"  {name} (index): p50 {results[name]['wall_ms']['p50']} ms, "
            f"p95 {results[name]['wall_ms']['p95']} ms over {len(walls)} calls")
    return results


def feed_agreement(store_dir: Path, index_path: Path, samples: dict[str, list],
                   per_question: int = 20) -> dict:
    """For how many parameters the index and the SPARQL query give the same resources in
    the same order (the first ``per_question`` of each sample)."""
    from store.queries import query

    index, store = _opened(store_dir, index_path)
    key = {"upcoming_events_in_commune_for_theme": "event",
           "latest_posts_in_departement": "post"}
    results = {}
    for name, params_list in samples.items():
        same, differing = 0, []
        for params in params_list[:per_question]:
            wanted = [str(r[key[name]]) for r in store.select(query(name, **params))]
            if _index_answer(name, index, store, params) == wanted:
                same += 1
            else:
                differing.append({k: str(v) for k, v in params.items()})
        results[name] = {"same": same, "compared": min(per_question, len(params_list)),
                         "differing": differing[:3]}
    return results
