"""The benchmark's report: the verdicts against the issue's targets, and the printed summary
(the JSON report holds every figure; this is what a person reads at the end of a run)."""

from __future__ import annotations

from collections import Counter

TARGETS = {
    "ldp_get_rps": 2000.0,
    "post_rps": 300.0,
    "feed_p95_ms": 50.0,
    "sparql_overhead": 0.20,
}


def verdicts(report: dict) -> list[tuple[str, str, bool | None, str]]:
    """(what, measured, PASS?, target) rows."""
    rows = []
    http = report.get("http", {})
    for key, label in (("ldp_get_many", "LDP GET, many IRIs"), ("ldp_get_one", "LDP GET, one IRI")):
        if key in http:
            value = http[key]["ok_per_second"]
            rows.append((label, f"{value:,.0f} req/s", value >= TARGETS["ldp_get_rps"],
                         f">= {TARGETS['ldp_get_rps']:,.0f} req/s"))
    if "post_events" in http:
        value = http["post_events"]["ok_per_second"]
        rows.append(("validated POST (201s)", f"{value:,.1f} req/s", value >= TARGETS["post_rps"],
                      f">= {TARGETS['post_rps']:,.0f} req/s"))
    for name, result in report.get("feeds_index", {}).items():  # the feeds as served
        value = result["wall_ms"]["p95"]
        rows.append((f"{name} p95 (platform, search index)", f"{value:,.1f} ms",
                     value <= TARGETS["feed_p95_ms"], f"<= {TARGETS['feed_p95_ms']:g} ms"))
    for name, result in report.get("feeds_direct", {}).items():  # the /sparql comparison's
        value = result["wall_ms"]["p95"]
        rows.append((f"{name} p95 (SPARQL on the store)", f"{value:,.1f} ms", None,
                     "informative: no page asks the store this"))
    for name, result in http.get("sparql_overhead", {}).items():
        if "overhead" in result:
            value = result["overhead"]
            rows.append((f"/sparql overhead (total time), {name}", f"{value * 100:+.1f} %",
                         value <= TARGETS["sparql_overhead"],
                         f"<= {TARGETS['sparql_overhead'] * 100:g} %"))
    return rows


def print_report(report: dict) -> None:
    line = "-" * 78
    print(line)
    print(f"Communecter benchmark, scale {report['scale']} — {report['started']}")
    print(f"machine: {report['machine']['cpus']} CPUs, load average at start "
          f"{report['machine']['load_average_start']}")
    print(line)
    data = report["dataset"]
    print(f"dataset     {data['quads']:,} quads, {data['bytes'] / 2**20:,.0f} MiB "
          f"({data['format']}), generated in {data['seconds']:.1f} s "
          f"({data.get('cpu_seconds', '?')} CPU s){' [reused]' if data.get('reused') else ''}")
    if "load" in report:
        load = report["load"]
        print(f"bulk load   {load['seconds']:.1f} s ({load['quads_per_second']:,} quads/s, "
              f"{load['cpu_seconds']} CPU s), optimize {load['optimize_seconds']} s; peak RSS "
              f"{load['peak_rss_mib']:,.0f} MiB; store {load['store_bytes'] / 2**20:,.0f} MiB "
              f"on disk ({load['store_bytes_after_load'] / 2**20:,.0f} MiB before optimize)")
    for name, result in report.get("feeds_direct", {}).items():
        w, c = result["wall_ms"], result["cpu_ms"]
        print(f"{name}\n            wall p50 {w['p50']} / p95 {w['p95']} / p99 {w['p99']} ms"
              f" (CPU p50 {c['p50']} / p95 {c['p95']} ms), {w['n']} queries, "
              f"{result['empty_results']} empty, slowest {result['slowest']['ms']} ms")
    http = report.get("http", {})
    for key in ("ldp_get_many", "ldp_get_one", "post_events"):
        if key in http:
            r = http[key]
            roles = ", ".join(f"{role} {sec:g}" for role, sec in
                              r.get("server_cpu_seconds_by_role", {}).items() if sec)
            runs = r.get("runs_ok_per_second")
            if runs:
                print(f"{key:11s} runs: {', '.join(f'{x:,.1f}' for x in runs)} ok/s; the median:")
            print(f"{key:11s} {r['ok_per_second']:,.1f} ok/s ({r['tool']}, {r['connections']} "
                  f"conn, {r['seconds']} s), latency p50 {r['latency_ms']['p50']} / p99 "
                  f"{r['latency_ms']['p99']} ms; statuses {r['statuses']}\n"
                  f"            server {r['server_cpu_ms_per_ok']} CPU ms per request ({roles} "
                  f"CPU s; by worker {r.get('server_cpu_seconds_by_worker')}), client "
                  f"{r['client_cpu_ms_per_request']} ms; CPU-bound estimate "
                  f"{r['cpu_bound_estimate_per_second']}/s")
    for name, r in http.get("sparql_overhead", {}).items():
        if "http_ms" not in r:
            print(f"/sparql     {name}: every query refused (over the time limit)")
            continue
        refused = f", {r['refused_503']} refused (time limit)" if r.get("refused_503") else ""
        if "total_seconds" not in r:  # the trivial query
            print(f"/sparql     {name}: median {r['http_ms']['p50']} ms vs "
                  f"{r['direct_ms']['p50']} ms direct")
            continue
        print(f"/sparql     {name}: total {r['total_seconds']['http']} s vs "
              f"{r['total_seconds']['direct']} s direct ({r['overhead'] * 100:+.1f} %); "
              f"median {r['http_ms']['p50']} ms vs {r['direct_ms']['p50']} ms "
              f"({r['median_overhead'] * 100:+.1f} %){refused}; direct on "
              f"{r.get('direct_store', 'the store as loaded')}")
    if "sparql_after_writes" in http:
        print(f"/sparql     first answers after the POSTs (checkpoint): "
              f"{http['sparql_after_writes']['ms']} ms")
    for slug, r in http.get("container_first_page_ms", {}).items():
        took = f"{r['ms']:,.0f} ms" if r["ms"] is not None else "—"
        print(f"container   GET /{slug}/ first page: {took} ({r['status']})")
    for name, failure in http.get("failures", {}).items():
        print(f"FAILED      {name}: {failure}")
    if "server_memory" in report:
        mem = report["server_memory"]
        roles = Counter()
        for p in mem["processes"]:
            roles[p["role"]] += p["rss_mib"]
        detail = ", ".join(f"{role} {mib:,.0f}" for role, mib in roles.items())
        print(f"server RSS  {mem['total_rss_mib']:,.0f} MiB now ({detail}); peak of the sum "
              f"{report.get('server_peak_rss_mib', '?')} MiB")
    print(line)
    for what, measured, ok, target in verdicts(report):
        mark = "—   " if ok is None else "PASS" if ok else "FAIL"
        said = target if ok is None else f"target {target}"
        print(f"{mark}  {what:50s} {measured:>14s}  ({said})")
    print(line)
