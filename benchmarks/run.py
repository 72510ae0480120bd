"""The benchmark: seed-scale data, the production server, and the figures that matter.

``python -m benchmarks.run [--scale seed|small] [--data DIR]``

1. generates the dataset (benchmarks.seed; reused while its manifest matches),
2. bulk-loads it into a fresh on-disk Oxigraph store (time, peak memory),
3. times the two feed questions: as SPARQL on the store directly (pyoxigraph in-process,
   read-only) and as the platform answers them from the search index (benchmarks/feeds.py),
4. starts ``communecter serve`` on that data and creates a bearer token,
5. measures LDP GET throughput (many member IRIs, and one), the SPARQL endpoint's overhead
   over the raw store, validated POST throughput, and the server's memory,
6. prints a report with PASS/FAIL against the targets and writes it as JSON to
   benchmarks/out/.

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
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import requests

from benchmarks import seed as dataset
from benchmarks.feeds import (
    bench_feeds_direct,
    bench_feeds_index,
    build_feed_index,
    feed_agreement,
    feed_samples,
)
from benchmarks.stats import loadavg, log, percentile, summary_ms

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out"
CCT = "https://w3id.org/communecter/themes#"
TARGETS = {
    "ldp_get_rps": 2000.0,
    "post_rps": 300.0,
    "feed_p95_ms": 50.0,
    "sparql_overhead": 0.20,
}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
JSON_RESULTS = "application/sparql-results+json"


# ---- processes ----------------------------------------------------------------------
def _stat(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2:].split()


def process_tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat(int(entry.name))
            if fields:
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        fields = _stat(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])
    return total / CLOCK_TICKS


def memory_kib(pid: int) -> dict[str, int]:
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def server_roles(root: int) -> dict[int, str]:
    """Which server process is which: gunicorn arbiter and workers, storekeeper, query runners.

    `serve` starts the storekeeper (`python -m web.server`), then gunicorn forks its workers;
    the storekeeper starts the killable query runners (multiprocessing, spawn).
    """
    roles = {root: "gunicorn arbiter"}
    tree = process_tree(root)
    parent = {pid: int(f[1]) for pid in tree if (f := _stat(pid))}
    keepers = set()
    for pid in tree:
        text = cmdline(pid)
        if pid == root:
            continue
        if "web.server" in text or (parent.get(pid) == root and "spawn_main" in text):
            roles[pid] = "storekeeper"
            keepers.add(pid)
        elif "resource_tracker" in text:
            roles[pid] = "multiprocessing helper"
        elif "web.cli" in text and parent.get(pid) == root:
            roles[pid] = "gunicorn worker"
    for pid in tree:
        if pid not in roles:
            roles[pid] = "query runner" if parent.get(pid) in keepers else "other"
    return roles


def cpu_by_role(root: int) -> dict[str, float]:
    """CPU seconds used so far by the live processes of the server, summed by role."""
    totals: dict[str, float] = {}
    for pid, role in server_roles(root).items():
        totals[role] = totals.get(role, 0.0) + cpu_seconds([pid])
    return totals


class MemorySampler:
    """Samples the total resident memory of a process tree until stopped."""

    def __init__(self, root: int, interval: float = 0.5) -> None:
        self.root = root
        self.interval = interval
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.is_set():
            total = sum(memory_kib(pid).get("VmRSS", 0) for pid in process_tree(self.root))
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self.interval)


# ---- the server ---------------------------------------------------------------------
class Server:
    """`communecter serve` on a fixed port (the dataset's IRIs are minted for it)."""

    def __init__(self, data_dir: Path, port: int, extra: list[str]) -> None:
        self.data_dir = data_dir
        self.port = port
        self.base_url = f"http://127.0.0.1:{port}"
        self.extra = extra
        self.process: subprocess.Popen | None = None
        self.log_path = data_dir.parent / "server.log"

    def start(self, timeout: float = 300) -> float:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise SystemExit(f"port {self.port} is already in use: stop what listens "
                                 "there or pass --port (the dataset is regenerated for it)")
        command = [sys.executable, "-m", "web.cli", "serve", "--port", str(self.port), "--data",
                   str(self.data_dir), "--base-url", self.base_url, *self.extra]
        began = time.perf_counter()
        log_file = open(self.log_path, "w")  # noqa: SIM115 (the server writes it)
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=log_file,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped: {self.log_path.read_text()[-3000:]}")
            try:
                requests.get(self.base_url + "/ns", timeout=2)
                return time.perf_counter() - began
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise SystemExit(f"the server did not answer within {timeout:.0f} s")

    def settle(self, idle_share: float = 0.1, window: float = 1.0, limit: float = 180) -> float:
        """Seconds until the server idles (below `idle_share` of a core over `window`).

        Each worker reads the territory tree as it starts (seconds of CPU for all of
        France); measuring before that is over would time the start-up, not the requests.
        """
        began = time.perf_counter()
        while time.perf_counter() - began < limit:
            before = self.cpu()
            time.sleep(window)
            if self.cpu() - before < idle_share * window:
                break
        return time.perf_counter() - began

    def cli(self, *args: str) -> str:
        command = [sys.executable, "-m", "web.cli", *args, "--data", str(self.data_dir),
                   "--base-url", self.base_url]
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise SystemExit(f"communecter {' '.join(args)} failed: {done.stderr}")
        return done.stdout

    def pids(self) -> list[int]:
        return process_tree(self.process.pid) if self.process else []

    def cpu(self) -> float:
        return cpu_seconds(self.pids())

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# ---- load generation ----------------------------------------------------------------
WRK_COMMON = r"""
local threads = {}
local next_id = 0
statuses = {}

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if #line > 0 then lines[#lines + 1] = line end
  end
  return lines
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    local counts = thread:get("statuses")
    if counts then
      for status, n in pairs(counts) do merged[status] = (merged[status] or 0) + n end
    end
  end
  local parts = {}
  for status, n in pairs(merged) do parts[#parts + 1] = string.format('"%d": %d', status, n) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
    '"errors": {"connect": %d, "read": %d, "write": %d, "status": %d, "timeout": %d}, ' ..
    '"latency_us": {"p50": %d, "p90": %d, "p99": %d, "max": %d, "mean": %.1f}, ' ..
    '"statuses": {%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, table.concat(parts, ", ")))
end
"""

WRK_GET = WRK_COMMON + r"""
local paths = {}
local counter = 0

function init(args)
  paths = read_lines(args[1])
  counter = tonumber(args[2] or "0") + (id or 0) * math.floor(#paths / 2)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], {["Accept"] = "text/turtle"})
end
"""

WRK_POST = WRK_COMMON + r"""
local communes = {}
local token, nonce
local counter = 0
local themes = {"culture", "sport", "social", "environnement", "education", "sante",
                "transport", "numerique", "citoyennete", "alimentation"}

function init(args)
  token = args[1]
  communes = read_lines(args[2])
  nonce = args[3]
end

function request()
  counter = counter + 1
  local n = counter * 2 + (id or 0)
  local day = n % 28 + 1
  local body = string.format(EVENT_TEMPLATE, nonce, n, day, day, themes[n % #themes + 1],
                             communes[n % #communes + 1])
  return wrk.format("POST", "/events/", {
    ["Content-Type"] = "text/turtle",
    ["Authorization"] = "Bearer " .. token,
    ["Slug"] = "bench " .. nonce .. " " .. n,
  }, body)
end
"""

EVENT_TEMPLATE = """@prefix cc: <https://w3id.org/communecter/ns#> .
@prefix cct: <https://w3id.org/communecter/themes#> .
@prefix as: <https://www.w3.org/ns/activitystreams#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<> a cc:Event ;
   as:name "Réunion de quartier %s-%d" ;
   as:startTime "2026-09-%02dT18:00:00+02:00"^^xsd:dateTime ;
   as:endTime "2026-09-%02dT20:00:00+02:00"^^xsd:dateTime ;
   cc:eventType cc:Meeting ;
   cc:theme cct:%s ;
   cc:territory <%s> .
"""
POST_THEMES = ("culture", "sport", "social", "environnement", "education", "sante",
               "transport", "numerique", "citoyennete", "alimentation")


def lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def ensure_wrk() -> str | None:
    """The wrk binary, installed with apt-get when missing; None when it cannot be had."""
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing: trying apt-get install wrk")
    prefix = [] if os.geteuid() == 0 else ["sudo", "-n"]
    for command in ([*prefix, "apt-get", "install", "-y", "-q", "wrk"],):
        try:
            subprocess.run(command, check=True, capture_output=True, timeout=600,
                           env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        except (OSError, subprocess.SubprocessError) as error:
            log(f"could not install wrk ({error}); using the Python load generator")
            return None
    return shutil.which("wrk")


def run_wrk(wrk: str, url: str, script: Path, args: list[str], duration: float,
            connections: int, threads: int) -> dict:
    command = [wrk, "-t", str(threads), "-c", str(connections), "-d", f"{duration:g}s",
               "--timeout", "30s", "-s", str(script), url, "--", *args]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120)
    for line in done.stdout.splitlines():
        if line.startswith("WRKJSON "):
            raw = json.loads(line[len("WRKJSON "):])
            break
    else:
        raise RuntimeError(f"wrk said nothing usable: {done.stdout}\n{done.stderr}")
    seconds = raw["duration_us"] / 1e6
    statuses = {int(k): v for k, v in raw["statuses"].items()}
    return {
        "tool": "wrk",
        "seconds": round(seconds, 2),
        "requests": raw["requests"],
        "statuses": statuses,
        "errors": raw["errors"],
        "latency_ms": {k: round(v / 1000, 2) for k, v in raw["latency_us"].items()},
    }


def run_python_load(base_url: str, make_request: Any, duration: float,
                    connections: int) -> dict:
    """A threaded keep-alive HTTP client: the fallback when wrk cannot be had."""
    parts = urlsplit(base_url)
    deadline = time.monotonic() + duration
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    errors = Counter()
    lock = threading.Lock()

    def worker(index: int) -> None:
        connection = HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        seen: Counter[int] = Counter()
        n = 0
        while time.monotonic() < deadline:
            n += 1
            method, path, headers, body = make_request(index, n)
            began = time.perf_counter()
            try:
                connection.request(method, path, body=body, headers=headers)
                response = connection.getresponse()
                response.read()
            except OSError:
                errors["connect"] += 1
                connection.close()
                connection = HTTPConnection(parts.hostname, parts.port, timeout=30)
                continue
            mine.append(time.perf_counter() - began)
            seen[response.status] += 1
        connection.close()
        with lock:
            latencies.extend(mine)
            statuses.update(seen)

    began = time.perf_counter()
    workers = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    seconds = time.perf_counter() - began
    return {
        "tool": "python",
        "seconds": round(seconds, 2),
        "requests": sum(statuses.values()),
        "statuses": dict(statuses),
        "errors": dict(errors),
        "latency_ms": {"p50": round(percentile(latencies, 50) * 1000, 2),
                       "p90": round(percentile(latencies, 90) * 1000, 2),
                       "p99": round(percentile(latencies, 99) * 1000, 2),
                       "max": round(max(latencies, default=0) * 1000, 2)},
    }


class Load:
    """Runs one load test with wrk or the Python client, with CPU and load accounting."""

    def __init__(self, server: Server, work: Path, wrk: str | None, connections: int,
                 threads: int) -> None:
        self.server = server
        self.work = work
        self.wrk = wrk
        self.connections = connections
        self.threads = threads

    def run(self, name: str, duration: float, lua: str, lua_args: list[str],
            make_request: Any, ok_status: int) -> dict:
        before_server = self.server.cpu()
        before_roles = cpu_by_role(self.server.process.pid)
        before_client = _children_cpu() + _self_cpu() * (self.wrk is None)
        load_before = loadavg()
        if self.wrk:
            script = self.work / f"{name}.lua"
            script.write_text(lua)
            result = run_wrk(self.wrk, self.server.base_url, script, lua_args, duration,
                             self.connections, self.threads)
        else:
            result = run_python_load(self.server.base_url, make_request, duration,
                                     self.connections)
        server_cpu = self.server.cpu() - before_server
        after_roles = cpu_by_role(self.server.process.pid)
        roles_cpu = {role: round(after_roles[role] - before_roles.get(role, 0.0), 2)
                     for role in after_roles}
        client_cpu = _children_cpu() + _self_cpu() * (self.wrk is None) - before_client
        ok = result["statuses"].get(ok_status, 0)
        result.update({
            "ok_status": ok_status,
            "ok": ok,
            "ok_per_second": round(ok / result["seconds"], 1),
            "requests_per_second": round(result["requests"] / result["seconds"], 1),
            "not_ok": result["requests"] - ok,
            "connections": self.connections,
            "server_cpu_seconds": round(server_cpu, 2),
            "client_cpu_seconds": round(client_cpu, 2),
            "server_cpu_ms_per_ok": round(server_cpu / ok * 1000, 3) if ok else None,
            "server_cpu_seconds_by_role": roles_cpu,
            "client_cpu_ms_per_request": round(client_cpu / result["requests"] * 1000, 3)
            if result["requests"] else None,
            # what the machine's cores would do if server and client had them to themselves
            "cpu_bound_estimate_per_second": round(
                ok / (server_cpu + client_cpu) * (os.cpu_count() or 1), 1)
            if server_cpu + client_cpu else None,
            "load_average": [load_before, loadavg()],
        })
        return result


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_sparql_overhead(store: Any, server: Server, samples: dict[str, list], per_query: int,
                          repeats: int) -> dict:
    """The same feed queries through GET /sparql and on the store directly, interleaved.

    "Directly" is the query evaluated as the endpoint evaluates it (default graph = union of
    the named graphs) and its results serialized, in this process. Over HTTP the client is
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
        """Seconds for one answer, or None when the endpoint refused (time limit: 503)."""
        began = time.perf_counter()
        connection.request("GET", "/sparql?" + urlencode({"query": text}),
                           headers={"Accept": JSON_RESULTS})
        response = connection.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - began
        if response.status == 503:
            return None
        if response.status != 200:
            raise RuntimeError(f"/sparql answered {response.status}: {body[:300]!r}")
        return elapsed

    def direct(text: str) -> float:
        began = time.perf_counter()
        result = store.query(text, use_default_graph_as_union=True)
        if isinstance(result, ox.QuerySolutions):
            result.serialize(format=ox.QueryResultsFormat.JSON)
        return time.perf_counter() - began

    results = {}
    for name, params_list in samples.items():
        texts = [query(name, **params) for params in params_list[:per_query]]
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
        store, server, samples, args.sparql_queries, args.sparql_repeats))

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
                  f"CPU s), client {r['client_cpu_ms_per_request']} ms; CPU-bound estimate "
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
              f"({r['median_overhead'] * 100:+.1f} %){refused}")
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
    parser.add_argument("--sparql-queries", type=int, default=40,
                        help="queries of each kind compared through /sparql")
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
