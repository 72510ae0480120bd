"""The benchmark: seed-scale data, the production server, and the figures that matter.

``python -m benchmarks.run [--scale seed|small] [--data DIR]``

1. generates the dataset (benchmarks.seed; reused while its manifest matches),
2. bulk-loads it into a fresh on-disk Oxigraph store (time, peak memory),
3. times the two feed questions: as SPARQL on the store directly (pyoxigraph in-process,
   read-only) and as the platform answers them from the search index (benchmarks/feeds.py),
4. starts ``communecter serve`` on that data and creates a bearer token,
5. measures LDP GET throughput (many member IRIs, and one), the SPARQL endpoint's overhead
   over the raw store, validated POST throughput, and the server's memory,
6. prints a report with PASS/FAIL against the targets (benchmarks/report.py) and writes
   it as JSON to benchmarks/out/.

Load generation uses wrk (installed with apt-get when missing) or, failing that, a threaded
Python client. The machine is shared: the report records the load average of each phase
and the CPU time the server and the client used, so that a figure measured on a busy
machine can be told apart from a slow server.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from benchmarks import seed as dataset
from benchmarks.feeds import (
    bench_feeds_direct,
    bench_feeds_index,
    build_feed_index,
    feed_agreement,
    feed_samples,
)
from benchmarks.load_http import (
    EVENT_TEMPLATE,
    POST_THEMES,
    WRK_GET,
    WRK_POST,
    Load,
    ensure_wrk,
    lua_string,
)
from benchmarks.report import TARGETS, print_report, verdicts
from benchmarks.server_process import MemorySampler, Server, memory_kib, server_roles
from benchmarks.sparql_overhead import JSON_RESULTS, bench_sparql_overhead
from benchmarks.stats import loadavg, log

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
CCT = "https://w3id.org/communecter/themes#"


# ---- the run --------------------------------------------------------------------------
def prepare_dataset(data: Path, scale: str, base_url: str, regenerate: bool) -> dict:
    path = dataset.default_dataset_path(data)
    manifest_file = dataset.manifest_path(path)
    wanted = {"scale": scale, "base_url": base_url, "seed": dataset.DEFAULT_SEED,
              "now": dataset.DEFAULT_NOW, "generator_version": dataset.GENERATOR_VERSION}
    if path.exists() and manifest_file.exists() and not regenerate:
        manifest = json.loads(manifest_file.read_text())
        if all(manifest.get(k) == v for k, v in wanted.items()):
            log(f"dataset: reusing {path} ({manifest['quads']:,} quads)")
            return {**manifest, "reused": True, "path": str(path)}
    log(f"dataset: generating {scale} scale into {path}")
    manifest = dataset.generate(path, scale, base_url, dataset.DEFAULT_SEED, dataset.DEFAULT_NOW)
    log(f"dataset: {manifest['quads']:,} quads, {manifest['bytes'] / 2**20:.0f} MiB "
        f"in {manifest['seconds']:.1f} s")
    return {**manifest, "reused": False, "path": str(path)}


def bulk_load(dataset_path: Path, store_dir: Path, optimize: bool) -> dict:
    log(f"bulk load: {dataset_path} -> {store_dir}")
    command = [sys.executable, "-m", "benchmarks.load", str(dataset_path), str(store_dir)]
    done = subprocess.run(command + ([] if optimize else ["--no-optimize"]), cwd=ROOT,
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the bulk load failed: {done.stderr}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    log(f"bulk load: {result['quads']:,} quads in {result['seconds']:.1f} s, then optimize "
        f"{result['optimize_seconds']} s; peak RSS {result['peak_rss_mib']:.0f} MiB")
    return result


def member_paths(plan: dataset.Plan, count: int, seed: int) -> list[str]:
    """Paths of existing members of every kind, in proportion to how many there are."""
    rng = random.Random(seed)
    kinds = list(plan.counts)
    weights = [plan.counts[k] for k in kinds]
    base = len(plan.base)
    paths = []
    for kind in rng.choices(kinds, weights=weights, k=count):
        iri = plan.member_iri(kind, rng.randrange(plan.counts[kind]))
        paths.append(quote(iri[base:], safe="/-_.~"))
    return paths


def bench_http(server: Server, plan: dataset.Plan, work: Path, args: argparse.Namespace,
               token: str, store: Any, samples: dict[str, list]) -> dict:
    results: dict[str, Any] = {}
    wrk = None if args.python_client else ensure_wrk()
    load = Load(server, work, wrk, args.connections, args.wrk_threads)

    paths = member_paths(plan, args.urls, seed=7)
    paths_file = work / "member-paths.txt"
    paths_file.write_text("\n".join(paths) + "\n")
    one = paths[0]
    (work / "one-path.txt").write_text(one + "\n")
    check = requests.get(server.base_url + one, headers={"Accept": "text/turtle"}, timeout=30)
    if check.status_code != 200:
        raise SystemExit(f"GET {one} answered {check.status_code}: is the base URL right?")

    def get_request(paths_list: list[str], offset: int = 0) -> Any:
        def make(index: int, n: int) -> tuple:
            path = paths_list[(offset + index * (len(paths_list) // 2) + n) % len(paths_list)]
            return "GET", path, {"Accept": "text/turtle"}, None
        return make

    log(f"LDP GET: {len(paths):,} member IRIs, {args.connections} connections, "
        f"{args.get_runs} runs of {args.duration:g} s on IRIs not asked before")
    runs = []
    for run in range(args.get_runs):
        offset = run * len(paths) // (2 * args.get_runs)  # each run starts on fresh IRIs
        if phase(results, "ldp_get_many", lambda offset=offset: load.run(
                "get-many", args.duration, WRK_GET, [str(paths_file), str(offset)],
                get_request(paths, offset), 200)):
            runs.append(results["ldp_get_many"])
            log(f"  run {run + 1}: {runs[-1]['ok_per_second']:,} ok/s")
    if runs:  # the median run is the figure; all runs stay in the report
        results["ldp_get_many"] = {**sorted(runs, key=lambda r: r["ok_per_second"])[
            len(runs) // 2], "runs_ok_per_second": [r["ok_per_second"] for r in runs]}
    log(f"LDP GET: one IRI ({one})")
    if phase(results, "ldp_get_one", lambda: load.run(
            "get-one", args.duration, WRK_GET, [str(work / "one-path.txt")], get_request([one]),
            200)):
        log(f"  {results['ldp_get_one']['ok_per_second']:,} ok/s")

    log("SPARQL endpoint vs the store")
    phase(results, "sparql_overhead", lambda: bench_sparql_overhead(
        store, server, samples, {"upcoming_events_in_commune_for_theme": args.sparql_event_queries,
                                 "latest_posts_in_departement": args.sparql_queries},
        args.sparql_repeats))

    communes = [plan.iri[c] for c in random.Random(11).choices(
        range(len(plan.communes)), weights=plan.population, k=2000)]
    communes_file = work / "communes.txt"
    communes_file.write_text("\n".join(communes) + "\n")
    nonce = datetime.now().strftime("%H%M%S")
    post_lua = f"EVENT_TEMPLATE = {lua_string(EVENT_TEMPLATE)}\n" + WRK_POST

    def post_request(index: int, n: int) -> tuple:
        k = n * args.connections + index
        day = k % 28 + 1
        body = EVENT_TEMPLATE % (nonce, k, day, day, POST_THEMES[k % len(POST_THEMES)],
                                 communes[k % len(communes)])
        return "POST", "/events/", {"Content-Type": "text/turtle",
                                    "Authorization": f"Bearer {token}",
                                    "Slug": f"bench {nonce} {k}"}, body.encode()

    log(f"validated POST: {args.connections} connections, {args.post_duration:g} s")
    if phase(results, "post_events", lambda: load.run(
            "post", args.post_duration, post_lua, [token, str(communes_file), nonce],
            post_request, 201)):
        log(f"  {results['post_events']['ok_per_second']:,} created/s, "
            f"statuses {results['post_events']['statuses']}")
    phase(results, "sparql_after_writes", lambda: sparql_after_writes(server, samples))
    return results


def sparql_after_writes(server: Server, samples: dict[str, list]) -> dict:
    """The first /sparql answers after writes: the endpoint checkpoints the store first."""
    from store.queries import query

    name = "upcoming_events_in_commune_for_theme"
    text = query(name, **samples[name][0])
    times = []
    for _ in range(3):
        began = time.perf_counter()
        response = requests.get(server.base_url + "/sparql", params={"query": text},
                                headers={"Accept": JSON_RESULTS}, timeout=120)
        times.append(round((time.perf_counter() - began) * 1000, 1))
        response.raise_for_status()
    log(f"/sparql after the POSTs: {times} ms")
    return {"query": name, "ms": times}


def phase(results: dict, name: str, measure: Any) -> bool:
    """Runs one measurement; a failure is recorded in the report instead of ending the run."""
    try:
        results[name] = measure()
        return True
    except Exception as error:  # report it and go on with the other measurements
        log(f"  {name} failed: {type(error).__name__}: {error}")
        results.setdefault("failures", {})[name] = f"{type(error).__name__}: {error}"
        return False


def container_pages(server: Server, timeout: float) -> dict:
    """The first page of the two largest containers (informative; no target).

    Done last: a page that takes longer than `timeout` keeps the store busy after the
    client gives up (Oxigraph cannot cancel a query).
    """
    results = {}
    for slug in ("events", "posts"):
        began = time.perf_counter()
        try:
            response = requests.get(f"{server.base_url}/{slug}/",
                                    headers={"Accept": "text/turtle"}, timeout=timeout)
        except requests.RequestException as error:
            results[slug] = {"ms": None, "status": f"no answer within {timeout:g} s "
                             f"({type(error).__name__})"}
            log(f"GET /{slug}/ (first page): no answer within {timeout:g} s")
            continue
        elapsed = time.perf_counter() - began
        results[slug] = {"ms": round(elapsed * 1000, 1), "status": response.status_code,
                         "bytes": len(response.content)}
        log(f"GET /{slug}/ (first page): {response.status_code} in {elapsed * 1000:.0f} ms")
    return results


def server_memory(server: Server) -> dict:
    roles = server_roles(server.process.pid)
    processes = []
    for pid, role in sorted(roles.items(), key=lambda item: item[1]):
        mem = memory_kib(pid)
        processes.append({"pid": pid, "role": role, "rss_mib": round(mem.get("VmRSS", 0) / 1024, 1),
                          "peak_rss_mib": round(mem.get("VmHWM", 0) / 1024, 1)})
    return {
        "processes": processes,
        "total_rss_mib": round(sum(p["rss_mib"] for p in processes), 1),
        "sum_of_peaks_mib": round(sum(p["peak_rss_mib"] for p in processes), 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--scale", choices=sorted(dataset.SCALES), default="seed")
    parser.add_argument("--data", type=Path, help="where the dataset and the server's data "
                        "directory go (default: benchmarks/out/data-SCALE)")
    parser.add_argument("--port", type=int, default=dataset.DEFAULT_PORT,
                        help="server port; the dataset's IRIs are minted for it")
    parser.add_argument("--regenerate", action="store_true", help="generate the dataset again")
    parser.add_argument("--skip-load", action="store_true",
                        help="reuse the store loaded by the previous run (debugging)")
    parser.add_argument("--duration", type=float, default=10, help="seconds per GET run")
    parser.add_argument("--get-runs", type=int, default=3,
                        help="GET runs over many IRIs (the median one is reported)")
    parser.add_argument("--post-duration", type=float, default=10, help="seconds of POSTs")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument("--urls", type=int, default=100_000, help="member IRIs to rotate over")
    parser.add_argument("--event-queries", type=int, default=500)
    parser.add_argument("--post-queries", type=int, default=100)
    parser.add_argument("--sparql-event-queries", type=int, default=200,
                        help="events queries compared through /sparql (a few ms each: the "
                        "larger sample evens out the machine's noise)")
    parser.add_argument("--sparql-queries", type=int, default=40,
                        help="posts queries compared through /sparql (0.2–1 s each)")
    parser.add_argument("--sparql-repeats", type=int, default=3)
    parser.add_argument("--no-optimize", action="store_true",
                        help="do not compact the store after the bulk load")
    parser.add_argument("--python-client", action="store_true", help="do not use wrk")
    parser.add_argument("--skip-containers", action="store_true",
                        help="do not time the first page of /events/ and /posts/")
    parser.add_argument("--container-timeout", type=float, default=120,
                        help="seconds to wait for a container's first page")
    parser.add_argument("--server-arg", action="append", default=[],
                        help="extra argument for communecter serve (repeatable)")
    args = parser.parse_args(argv)

    import pyoxigraph as ox

    data = (args.data or OUT / f"data-{args.scale}").resolve()
    data.mkdir(parents=True, exist_ok=True)
    base_url = f"http://127.0.0.1:{args.port}"
    started = datetime.now(UTC)
    report: dict[str, Any] = {
        "scale": args.scale,
        "started": started.isoformat(timespec="seconds"),
        "targets": TARGETS,
        "machine": {"cpus": os.cpu_count(), "load_average_start": loadavg(),
                    "python": platform.python_version(), "pyoxigraph": ox.__version__},
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
    }
    report["dataset"] = prepare_dataset(data, args.scale, base_url, args.regenerate)
    server_dir = data / "server"
    store_dir = server_dir / "oxigraph"
    if not args.skip_load:
        if server_dir.exists():
            shutil.rmtree(server_dir)
        report["load"] = bulk_load(Path(report["dataset"]["path"]), store_dir,
                                   not args.no_optimize)

    plan = dataset.Plan(dataset.SCALES[args.scale], base_url, dataset.DEFAULT_SEED,
                        dataset.parse_now(dataset.DEFAULT_NOW))
    samples = feed_samples(plan, args.event_queries, args.post_queries, seed=3)
    log("feed queries on the store directly (read-only, in-process)")
    store = ox.Store.read_only(str(store_dir))
    report["feeds_direct"] = bench_feeds_direct(store, samples)
    index_path = server_dir / "search.sqlite3"
    if not args.skip_load or not index_path.exists():
        log("building the search index of the dataset (what the pages' feeds read)")
        report["feed_index_build"] = build_feed_index(Path(report["dataset"]["path"]),
                                                      index_path, base_url)
    log("the same feed questions as the platform answers them (search index)")
    report["feeds_index"] = bench_feeds_index(store_dir, index_path, samples)
    report["feeds_agreement"] = feed_agreement(store_dir, index_path, samples)

    log("writing back what the load and the index left in memory (sync)")
    began = time.perf_counter()
    os.sync()  # the server is measured, not the disk catching up with the load phase
    report["sync_seconds"] = round(time.perf_counter() - began, 2)
    server = Server(server_dir, args.port, args.server_arg)
    work = data / "work"
    work.mkdir(exist_ok=True)
    try:
        log(f"starting communecter serve on {base_url}")
        report["server_start_seconds"] = round(server.start(), 2)
        report["server_settle_seconds"] = round(server.settle(), 2)
        log(f"  answering after {report['server_start_seconds']} s, idle after "
            f"{report['server_settle_seconds']} s more")
        token = server.cli("token", "create", "bench", "--create").split()[-1]
        with MemorySampler(server.process.pid) as sampler:
            report["http"] = bench_http(server, plan, work, args, token, store, samples)
        report["server_peak_rss_mib"] = round(sampler.peak_kib / 1024, 1)
        report["server_memory"] = server_memory(server)
        if not args.skip_containers:
            report["http"]["container_first_page_ms"] = container_pages(
                server, args.container_timeout)
    finally:
        server.stop()
    report["machine"]["load_average_end"] = loadavg()
    report["verdicts"] = [{"what": w, "measured": m, "pass": ok, "target": t}
                          for w, m, ok, t in verdicts(report)]
    OUT.mkdir(exist_ok=True)
    stamp = started.strftime("%Y%m%d-%H%M%S")
    out_file = OUT / f"report-{args.scale}-{stamp}.json"
    text = json.dumps(report, indent=2, ensure_ascii=False, default=str) + "\n"
    out_file.write_text(text)
    (OUT / f"latest-{args.scale}.json").write_text(text)
    print_report(report)
    print(f"report: {out_file}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
