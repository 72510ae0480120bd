"""The SPARQL endpoint's overhead over the same queries run on the store directly."""

from __future__ import annotations

import time
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from benchmarks.server_process import Server
from benchmarks.stats import loadavg, log, percentile, summary_ms

JSON_RESULTS = "application/sparql-results+json"


def bench_sparql_overhead(store: Any, server: Server, samples: dict[str, list],
                          per_query: dict[str, int],
                          repeats: int) -> dict:
    """The same feed queries through GET /sparql and on the store directly, interleaved.

    "Directly" is the query evaluated as the endpoint evaluates it (default graph = union of
    the named graphs) and its results serialized, in this process, on the very checkpoint
    the endpoint's query processes read (`store` only when the server keeps none). The
    store as loaded is not the same store: the benchmark creates its account, and each write
    leaves small files beside the compacted ones that every range scan must merge; the store
    as loaded answered the events queries 12 % faster than the endpoint's checkpoint in one
    measurement, and the difference was counted as the endpoint's overhead. Over HTTP the client is
    http.client on one kept-alive connection: the figure is the endpoint's cost, not a client
    library's. Every query runs once on each side before the timings (the store opened here
    has already answered them in the feed benchmark; the endpoint's query process starts
    cold), and which side runs first alternates, so that neither always finds the other's
    pages in the cache. The overhead is judged on the total time of the sample (what
    a researcher running these queries waits in all); medians and the fixed cost of a
    trivial query are reported beside it.
    """
    import pyoxigraph as ox

    from store.queries import query

    connection = HTTPConnection("127.0.0.1", server.port, timeout=120)

    def over_http(text: str) -> float | None:
        """Seconds for one answer, or None when the endpoint refused (time limit: 503).

        The URL is written before the clock starts, as the query text is on the direct
        side: composing a request is the client's work, the same for any endpoint."""
        target = "/sparql?" + urlencode({"query": text})
        began = time.perf_counter()
        connection.request("GET", target, headers={"Accept": JSON_RESULTS})
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - began
        if response.status == 503:
            return None
        if response.status != 200:
            raise RuntimeError(f"/sparql answered {response.status}: {body[:300]!r}")
        return elapsed

    over_http("ASK { }")  # the endpoint settles on the current checkpoint
    read_here = endpoint_checkpoint(server.data_dir)
    if read_here is not None:
        store = ox.Store.read_only(str(read_here))
    direct_store = read_here.name if read_here is not None else "the store as loaded"
    log(f"  the direct side reads {direct_store}")

    def direct(text: str) -> float:
        began = time.perf_counter()
        result = store.query(text, use_default_graph_as_union=True)
        if isinstance(result, ox.QuerySolutions):
            result.serialize(format=ox.QueryResultsFormat.JSON)
        return time.perf_counter() - began

    results = {}
    for name, params_list in samples.items():
        texts = [query(name, **params) for params in params_list[:per_query[name]]]
        for text in texts:  # both sides once, so that both meet the data in their caches
            over_http(text)
            direct(text)
        pairs, refused = [], 0
        for number, text in enumerate(texts):
            for repeat in range(repeats):
                if (number + repeat) % 2:
                    over, local = over_http(text), direct(text)
                else:
                    local = direct(text)
                    over = over_http(text)
                if over is None:  # over the endpoint's time limit: nothing to compare
                    refused += 1
                    continue
                pairs.append((over, local))
        if not pairs:
            results[name] = {"refused_503": refused}
            continue
        http_times = [over for over, _ in pairs]
        direct_times = [local for _, local in pairs]
        total_ratio = sum(http_times) / sum(direct_times)
        med_direct, med_http = percentile(direct_times, 50), percentile(http_times, 50)
        results[name] = {
            "refused_503": refused,
            "direct_store": direct_store,
            "direct_ms": summary_ms(direct_times),
            "http_ms": summary_ms(http_times),
            "total_seconds": {"http": round(sum(http_times), 3),
                              "direct": round(sum(direct_times), 3)},
            "overhead": round(total_ratio - 1, 3),
            "median_overhead": round(med_http / med_direct - 1, 3),
            "median_absolute_overhead_ms": round((med_http - med_direct) * 1000, 2),
            "load_average": loadavg(),
        }
        log(f"  {name}: total {sum(direct_times):.2f} s direct, {sum(http_times):.2f} s "
            f"/sparql ({total_ratio - 1:+.1%}); medians {med_direct * 1000:.1f} / "
            f"{med_http * 1000:.1f} ms")
    # the fixed cost of the endpoint: a trivial query
    trivial = "ASK { }"
    over_http(trivial)
    trivial_http = [over_http(trivial) for _ in range(50)]
    trivial_direct = [direct(trivial) for _ in range(50)]
    results["trivial_ask"] = {"http_ms": summary_ms(trivial_http),
                              "direct_ms": summary_ms(trivial_direct)}
    connection.close()
    return results


def endpoint_checkpoint(data_dir: Path) -> Path | None:
    """The newest checkpoint of the server's store: the one its query processes read while
    nothing is written (store/checkpoints.py names them checkpoint-<serial>)."""
    shelf = data_dir / "keeper" / "checkpoints"
    found = [p for p in shelf.glob("checkpoint-*") if p.name.rsplit("-", 1)[1].isdigit()]
    return max(found, key=lambda p: int(p.name.rsplit("-", 1)[1])) if found else None
