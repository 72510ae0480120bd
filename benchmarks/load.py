"""Bulk-loads a generated dataset into a fresh on-disk Oxigraph store, and says what it cost.

``python -m benchmarks.load DATASET STORE_DIR`` prints one JSON object: seconds, quads,
peak resident memory of this process (the loader's threads included), CPU seconds and the
store's size on disk. benchmarks.run runs it as a child process so that its peak memory is
the load's alone.
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


def load(dataset: Path, target: Path) -> dict:
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
    loaded = time.perf_counter() - began
    store.flush()
    seconds = time.perf_counter() - began
    quads = len(store)
    del store
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "seconds": round(seconds, 2),
        "bulk_load_seconds": round(loaded, 2),
        "quads": quads,
        "quads_per_second": round(quads / seconds),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 2),
        "store_bytes": directory_size(target),
        "load_average": round(os.getloadavg()[0], 2),
    }


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        print("usage: python -m benchmarks.load DATASET STORE_DIR", file=sys.stderr)
        return 2
    print(json.dumps(load(Path(args[0]), Path(args[1]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
