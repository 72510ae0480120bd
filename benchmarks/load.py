"""Bulk-loads a generated dataset into a fresh on-disk Oxigraph store, and says what it cost.

``python -m benchmarks.load DATASET STORE_DIR [--no-optimize]`` prints one JSON object:
seconds, quads, peak resident memory of this process (the loader's threads included), CPU
seconds and the store's size on disk. benchmarks.run runs it as a child process so that
its peak memory is the load's alone.

After the bulk load the store is compacted (``Store.optimize()``), timed apart: the bulk
loader leaves many overlapping files behind, and on them every point look-up (the inner
loop of the feed queries) was measured 10-20 times slower at seed scale.
"""

from __future__ import annotations

import gzip
import json
import os
import resource
import shutil
import sys
import time
from pathlib import Path

import pyoxigraph as ox


def directory_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def load(dataset: Path, target: Path, optimize: bool = True) -> dict:
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    store = ox.Store(str(target))
    if dataset.suffix == ".gz":
        with gzip.open(dataset, "rb") as source:
            store.bulk_load(source, ox.RdfFormat.N_QUADS)
    else:
        store.bulk_load(path=str(dataset), format=ox.RdfFormat.N_QUADS)
    store.flush()
    loaded = time.perf_counter() - began
    cpu_loaded = _cpu()
    loaded_bytes = directory_size(target)
    compacted = None
    if optimize:
        store.optimize()
        store.flush()
        compacted = time.perf_counter() - began - loaded
    quads = len(store)
    del store
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": round(loaded, 2),
        "quads": quads,
        "quads_per_second": round(quads / loaded),
        "cpu_seconds": round(cpu_loaded, 2),
        "store_bytes_after_load": loaded_bytes,
        "optimize_seconds": round(compacted, 2) if compacted is not None else None,
        "optimize_cpu_seconds": round(_cpu() - cpu_loaded, 2) if optimize else None,
        "store_bytes": directory_size(target),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "load_average": round(os.getloadavg()[0], 2),
    }


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    args = list(argv if argv is not None else sys.argv[1:])
    optimize = "--no-optimize" not in args
    args = [a for a in args if a != "--no-optimize"]
    if len(args) != 2:
        print("usage: python -m benchmarks.load DATASET STORE_DIR [--no-optimize]",
              file=sys.stderr)
        return 2
    print(json.dumps(load(Path(args[0]), Path(args[1]), optimize)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
