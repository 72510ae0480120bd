"""How fast the territory pages render on the production server, level by level.

``python -m benchmarks.territory_pages --scenario france-demo|seed [--communes N] ...``

- ``france-demo`` (the issue's target): every territory of France imported, then La
  Réunion's demo population applied through the activity handler, in a fresh data
  directory; ``communecter serve`` on it.
- ``seed`` (the stricter target): the seed-scale dataset of benchmarks.seed (all of France,
  200,000 citizens, 57,000 organizations, 100,000 events, 20,000 projects, 1,000,000 posts),
  bulk-loaded into an on-disk Oxigraph store once (reused afterwards), served by
  ``communecter serve`` with the dataset's base URL.

For each level it requests the HTML page (``Accept: text/html``) of a sample of territories
— communes drawn by population (where people are) plus some drawn uniformly, départements
and régions drawn uniformly — twice: **cold** (the first request for that territory: no
ranking of it is cached in the server) and **warm** (the same request again). Times are
wall-clock times of whole HTTP requests, one at a time, measured by this client. The
report (p50/p95/max per level, PASS/FAIL against 150 ms p95 cold) is printed and written as
JSON to benchmarks/out/territory/.

The machine is shared: the load average is recorded with each phase.

What the figures say (see the latest report): with France's territories and the demo the
pages meet the target; at seed scale a commune is close, but a département or a région
cannot be ranked without reading every resource attached to it (Oxigraph has no index on
dates: ~10-30 µs per resource, tens of thousands of resources). The proposed fix is a
**feed index kept at write time** by the activity handler — one row per resource: IRI,
section, its commune and the commune's EPCI, département and région, sort date
(as:published, else dcterms:created), dcterms:created, event start and end, themes, point —
in SQLite beside the private store (rebuildable from the store by a command), with indexes
on (perimeter, section, date). store.feeds would then ask it for the ranking (and for what
was created since a moment, for the live streams) and read only the winners from the store.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
OUT = Path(__file__).resolve().parent / "out" / "territory"
TARGET_MS = 150.0
LEVELS = ("commune", "departement", "region")


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict:
    return {"n": len(values), "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p95_ms": round(percentile(values, 95) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1) if values else None}


# ---- data ---------------------------------------------------------------------------
def prepare_france_demo(data: Path, base_url: str) -> dict:
    """All of France's territories, then the demo applied through activities."""
    from web.app import ensure_containers
    from web.operations import import_territories, load_demo
    from web.settings import Settings
    from web.stores import open_public_store

    if data.exists():
        shutil.rmtree(data)
    data.mkdir(parents=True)
    settings = Settings(base_url=base_url, data_dir=data, store="oxigraph")
    store = open_public_store(settings)
    ensure_containers(store, base_url)
    began = time.perf_counter()
    territories = import_territories(settings, "france", store)
    imported = time.perf_counter() - began
    store.close()
    loaded = load_demo(settings, datetime.now(UTC))  # memberships included, as `demo` does
    return {"territories": territories, "import_seconds": round(imported, 1),
            "demo_resources": loaded}


def prepare_seed(data: Path) -> tuple[dict, str]:
    """The seed dataset in an on-disk store (loaded once, then reused)."""
    from benchmarks import seed as dataset

    dataset_path = ROOT / "benchmarks" / "out" / "data-seed" / "dataset.nq.gz"
    manifest_path = Path(str(dataset_path) + ".json")
    if not dataset_path.exists():
        log("generating the seed dataset (benchmarks.seed)")
        dataset.generate(dataset_path, "seed", f"http://127.0.0.1:{dataset.DEFAULT_PORT}",
                         dataset.DEFAULT_SEED, dataset.DEFAULT_NOW)
    manifest = json.loads(manifest_path.read_text())
    store_dir = data / "oxigraph"
    marker = data / "loaded-from.json"
    if not (marker.exists() and json.loads(marker.read_text()) == manifest):
        if data.exists():
            shutil.rmtree(data)
        data.mkdir(parents=True)
        log(f"bulk-loading {manifest['quads']:,} quads (minutes)")
        import pyoxigraph as ox

        store = ox.Store(str(store_dir))
        with gzip.open(dataset_path, "rb") as source:
            store.bulk_load(source, ox.RdfFormat.N_QUADS)
        store.optimize()
        store.flush()
        del store
        marker.write_text(json.dumps(manifest))
    return {"dataset": manifest}, manifest["base_url"]


# ---- the server ---------------------------------------------------------------------
class Server:
    def __init__(self, data: Path, base_url: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [sys.executable, "-m", "web.cli", "serve", "--port", str(self.port),
                   "--data", str(data), "--base-url", base_url]
        self.log = open(data.parent / f"{data.name}-server.log", "w")  # noqa: SIM115
        self.process = subprocess.Popen(command, cwd=ROOT, stdout=self.log,
                                        stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"the server stopped; see {self.log.name}")
            try:
                requests.get(self.url + "/ns/context.jsonld", timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("the server did not start")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


# ---- sampling and timing --------------------------------------------------------------
def sample(communes: int, departements: int, regions: int, seed: int) -> dict[str, list[str]]:
    """Territory codes per level: communes by population and uniformly, the others
    uniformly (overseas included)."""
    from store.territories import FRANCE_PATH, read_territories

    rng = random.Random(seed)
    everything = read_territories(FRANCE_PATH)
    towns = [t for t in everything if t.kind in ("commune", "arrondissement")]
    weights = [t.population or 1 for t in towns]
    chosen: list[str] = []
    while len(chosen) < communes * 3 // 4:
        code = rng.choices(towns, weights=weights)[0].code
        if code not in chosen:
            chosen.append(code)
    uniform = [c for c in rng.sample([t.code for t in towns], communes) if c not in chosen]
    uniform = uniform[: communes - len(chosen)]
    depts = [f"departement-{t.code}" for t in everything if t.kind == "departement"]
    regs = [f"region-{t.code}" for t in everything if t.kind == "region"]
    return {"commune": chosen + uniform,
            "departement": rng.sample(depts, min(departements, len(depts))),
            "region": rng.sample(regs, min(regions, len(regs)))}


def time_pages(server: Server, codes: dict[str, list[str]]) -> dict:
    session = requests.Session()
    session.headers["Accept"] = "text/html"
    results: dict[str, dict] = {}
    for level, level_codes in codes.items():
        timings: dict[str, list[float]] = {"cold": [], "warm": []}
        slowest: list[tuple[float, str]] = []
        load_before = os.getloadavg()[0]
        for code in level_codes:
            for phase in ("cold", "warm"):
                began = time.perf_counter()
                response = session.get(f"{server.url}/territories/{code}", timeout=600)
                elapsed = time.perf_counter() - began
                if response.status_code != 200:
                    raise SystemExit(f"{code}: {response.status_code} {response.text[:300]}")
                timings[phase].append(elapsed)
                if phase == "cold":
                    slowest.append((elapsed, code))
        slowest.sort(reverse=True)
        results[level] = {
            "cold": summary(timings["cold"]), "warm": summary(timings["warm"]),
            "slowest_cold": [{"code": c, "ms": round(t * 1000, 1)} for t, c in slowest[:5]],
            "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        }
        log(f"{level}: cold p95 {results[level]['cold']['p95_ms']} ms, "
            f"warm p95 {results[level]['warm']['p95_ms']} ms")
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=("france-demo", "seed"), default="france-demo")
    parser.add_argument("--communes", type=int, default=60)
    parser.add_argument("--departements", type=int, default=30)
    parser.add_argument("--regions", type=int, default=18)
    parser.add_argument("--data", type=Path, default=None, help="data directory to use")
    parser.add_argument("--seed", type=int, default=974)
    parser.add_argument("--reuse", action="store_true",
                        help="france-demo: reuse the data directory prepared by a former run")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    data = args.data or OUT / f"data-{args.scenario}"
    report: dict = {"scenario": args.scenario, "started": datetime.now(UTC).isoformat(),
                    "cpus": os.cpu_count(), "target_p95_ms": TARGET_MS}
    if args.scenario == "france-demo":
        marker = data / "prepared.json"
        if args.reuse and marker.exists():
            prepared = json.loads(marker.read_text())
            base_url, report["data"] = prepared["base_url"], prepared["data"]
            log(f"reusing {data}")
        else:
            base_url = f"http://127.0.0.1:{free_port()}"
            log("importing France's territories and the demo")
            report["data"] = prepare_france_demo(data, base_url)
            marker.write_text(json.dumps({"base_url": base_url, "data": report["data"]}))
    else:
        info, base_url = prepare_seed(data)
        report["data"] = info
    log("starting communecter serve")
    server = Server(data, base_url)
    try:
        for _ in range(6):  # each worker reads the territory tree once: not what is measured
            requests.get(f"{server.url}/territories/01001", headers={"Accept": "text/html"},
                         timeout=600)
        codes = sample(args.communes, args.departements, args.regions, args.seed)
        if args.scenario == "france-demo":  # the demo lives in La Réunion: look there too
            codes["commune"] = ["97411", "97415", "97416", "97424", *codes["commune"]]
            codes["departement"] = ["departement-974", *codes["departement"]]
            codes["region"] = ["region-04", *[c for c in codes["region"] if c != "region-04"]]
        report["levels"] = time_pages(server, codes)
    finally:
        server.stop()
    report["verdicts"] = {
        level: {"p95_cold_ms": result["cold"]["p95_ms"],
                "pass": result["cold"]["p95_ms"] <= TARGET_MS}
        for level, result in report["levels"].items()}
    name = f"report-{args.scenario}-{datetime.now():%Y%m%d-%H%M%S}.json"
    (OUT / name).write_text(json.dumps(report, indent=2))
    print(json.dumps(report["verdicts"], indent=2))
    print(f"report: {OUT / name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
