"""The seed-scale dataset: all of France, written as N-Quads, fast and deterministically.

``python -m benchmarks.seed --scale seed --out FILE`` writes every territory of France
(store/territories) plus 200,000 citizens, 7,000 public authorities, 50,000 organizations,
100,000 events, 20,000 projects and 1,000,000 posts, each resource in its own named graph
(graph IRI = resource IRI), and the ``ldp:contains`` triples of the containers. ``--scale
small`` is one hundredth of that.

How it stays fast, deterministic and small in memory:

- Lines are formatted as plain strings (no rdflib).
- Every kind of resource is spread over the communes by population with *contiguous
  blocks*: member ``j`` of a kind lives in the commune whose block holds ``j`` (integer
  arithmetic on the cumulative populations). So a resource's commune and IRI are pure
  functions of its index, any resource can point at "a citizen of this commune" without
  looking anything up, and the benchmark can list existing IRIs without reading the file.
- The work is cut into chunks of a few thousand resources; each chunk draws from its own
  random generator seeded with (seed, kind, first index), so the bytes do not depend on
  how many processes generate them. Chunks are formatted (and gzip-compressed, each one
  a gzip member) in worker processes and written in order, so memory stays constant.

Communes that have municipal arrondissements (Paris, Lyon, Marseille) are replaced by their
arrondissements: people live in an arrondissement, and its cc:partOf is the parent commune.

This module holds the plan and the generator; the words and templates are in
benchmarks/seed_terms.py, the lines of each kind of resource in benchmarks/seed_quads.py.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import resource
import sys
import time
from bisect import bisect_right
from collections.abc import Iterator
from datetime import UTC, datetime
from multiprocessing import get_context
from pathlib import Path

from benchmarks.seed_quads import MAKERS, container_quads, territory_quads
from benchmarks.seed_terms import (
    EVENT_TEMPLATES,
    FIRST_NAMES,
    KIND_ORDER,
    LAST_NAMES,
    ORG_KINDS,
    OVERSEAS_OFFSETS,
    PROJECT_TEMPLATES,
    T_DATETIME,
    mix,
    slugify,
)
from store.demo_text import a_form
from store.territories import FRANCE_PATH, Territory, read_territories, territory_iri

GENERATOR_VERSION = 1
SEED_COUNTS = {
    "citizens": 200_000,
    "public_authorities": 7_000,
    "organizations": 50_000,
    "events": 100_000,
    "projects": 20_000,
    "posts": 1_000_000,
}
SCALES = {"seed": SEED_COUNTS, "small": {kind: n // 100 for kind, n in SEED_COUNTS.items()}}
DEFAULT_SEED = 20260601
#: The dataset's "now": events are placed around it and the feed benchmarks query at it.
DEFAULT_NOW = "2026-06-01T12:00:00+00:00"
DEFAULT_PORT = 8765
CHUNK = 4_000

def attachable_communes(territories: list[Territory]) -> list[Territory]:
    """Communes where people live: arrondissements replace the communes they divide."""
    divided = {t.parent_code for t in territories if t.kind == "arrondissement"}
    chosen = [t for t in territories if t.kind == "arrondissement"
              or (t.kind == "commune" and t.code not in divided)]
    return sorted(chosen, key=lambda t: t.code)


class Plan:
    """Where everything is: counts, communes, blocks and IRIs, all functions of an index."""

    def __init__(self, counts: dict[str, int], base: str, seed: int, now: datetime) -> None:
        self.counts = dict(counts)
        self.base = base.rstrip("/")
        self.seed = seed
        self.now = now
        self.now_ts = int(now.timestamp())
        self.territories = read_territories(FRANCE_PATH)
        communes = attachable_communes(self.territories)
        self.communes = communes
        self.code = [t.code for t in communes]
        self.name = [t.name for t in communes]
        self.a_name = [a_form(t.name) for t in communes]
        self.iri = [territory_iri(self.base, t.kind, t.code) for t in communes]
        self.slug = [slugify(t.name) for t in communes]
        self.lat = [float(t.lat) if t.lat is not None else None for t in communes]
        self.long = [float(t.long) if t.long is not None else None for t in communes]
        self.offset = [OVERSEAS_OFFSETS.get(t.code[:3]) for t in communes]
        self.population = [max(t.population or 0, 1) for t in communes]
        cumulative = [0]
        for weight in self.population:
            cumulative.append(cumulative[-1] + weight)
        total = cumulative[-1]
        self.starts = {kind: [c * counts[kind] // total for c in cumulative]
                       for kind in ("citizens", "organizations", "events", "projects", "posts")}
        ranked = sorted(range(len(communes)), key=lambda c: (-self.population[c], self.code[c]))
        self.authority_commune = ranked[: counts["public_authorities"]]
        self.authority_of = {c: j for j, c in enumerate(self.authority_commune)}
        self.first_slug = [slugify(n) for n in FIRST_NAMES]
        self.last_slug = [slugify(n) for n in LAST_NAMES]
        self.org_slugs = [[slugify(t) for t in templates] for _, _, templates in ORG_KINDS]
        self.event_slugs = [slugify(name) for _, name in EVENT_TEMPLATES]
        self.project_slugs = [slugify(name) for name in PROJECT_TEMPLATES]

    # ---- who lives where --------------------------------------------------------------
    def commune_of(self, kind: str, j: int) -> int:
        return bisect_right(self.starts[kind], j) - 1

    def one_in(self, kind: str, commune: int, rng: random.Random) -> int | None:
        """A random member of `kind` in the commune, or None when it has none."""
        starts = self.starts[kind]
        lo, hi = starts[commune], starts[commune + 1]
        return rng.randrange(lo, hi) if hi > lo else None

    def member_in(self, kind: str, commune: int, rng: random.Random) -> int:
        """A member of `kind` in the commune, else anywhere."""
        found = self.one_in(kind, commune, rng)
        return found if found is not None else rng.randrange(self.counts[kind])

    # ---- IRIs (pure functions of the index) -------------------------------------------
    def citizen_name(self, j: int) -> tuple[int, int]:
        h = mix(j, 1)
        return h % len(FIRST_NAMES), (h // len(FIRST_NAMES)) % len(LAST_NAMES)

    def citizen_handle(self, j: int) -> str:
        first, last = self.citizen_name(j)
        return f"{self.first_slug[first]}-{self.last_slug[last]}-{j}"

    def citizen_iri(self, j: int) -> str:
        return f"{self.base}/persons/{self.citizen_handle(j)}"

    def org_template(self, j: int) -> tuple[int, int]:
        h = mix(j, 2)
        share = h % 1000
        for kind, (_, per_mille, templates) in enumerate(ORG_KINDS):
            if share < per_mille:
                return kind, (h // 1000) % len(templates)
            share -= per_mille
        raise AssertionError("shares add up to 1000")

    def org_iri(self, j: int) -> str:
        kind, template = self.org_template(j)
        commune = self.commune_of("organizations", j)
        slug = f"{self.org_slugs[kind][template]}-{self.slug[commune]}-{j}"
        return f"{self.base}/organizations/{slug}"

    def authority_iri(self, j: int) -> str:
        commune = self.authority_commune[j]
        return f"{self.base}/organizations/mairie-{self.slug[commune]}-{self.code[commune].lower()}"

    def project_iri(self, j: int) -> str:
        template = mix(j, 3) % len(PROJECT_TEMPLATES)
        commune = self.commune_of("projects", j)
        return f"{self.base}/projects/{self.project_slugs[template]}-{self.slug[commune]}-{j}"

    def event_iri(self, j: int) -> str:
        template = mix(j, 4) % len(EVENT_TEMPLATES)
        commune = self.commune_of("events", j)
        return f"{self.base}/events/{self.event_slugs[template]}-{self.slug[commune]}-{j}"

    def post_iri(self, j: int) -> str:
        return f"{self.base}/posts/post-{j}"

    def member_iri(self, kind: str, j: int) -> str:
        return {
            "citizens": self.citizen_iri, "public_authorities": self.authority_iri,
            "organizations": self.org_iri, "projects": self.project_iri,
            "events": self.event_iri, "posts": self.post_iri,
        }[kind](j)

    # ---- values ---------------------------------------------------------------------
    def utc(self, ts: float) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(ts))

    def stamp(self, ts: float) -> str:
        return f'"{self.utc(ts)}"{T_DATETIME}'

    def local(self, commune: int, moment: datetime) -> str:
        """A local wall-clock time with the commune's UTC offset (mainland: CET/CEST)."""
        offset = self.offset[commune] or ("+02:00" if 4 <= moment.month <= 10 else "+01:00")
        return f'"{moment.strftime("%Y-%m-%dT%H:%M:%S")}{offset}"{T_DATETIME}'

    def point(self, commune: int, rng: random.Random, spread: float) -> list[str]:
        lat, long = self.lat[commune], self.long[commune]
        if lat is None or long is None:
            return []
        return [f"{lat + rng.uniform(-spread, spread):.5f}",
                f"{long + rng.uniform(-spread, spread):.5f}"]


# ---- the generator ------------------------------------------------------------------
_PLAN: Plan | None = None
_COMPRESS: int | None = None


def _init_worker(counts: dict[str, int], base: str, seed: int, now: str,
                 compress: int | None) -> None:
    global _PLAN, _COMPRESS
    _PLAN = Plan(counts, base, seed, parse_now(now))
    _COMPRESS = compress


def _run_task(task: tuple[str, int, int]) -> tuple[bytes, int, int]:
    """One chunk: (its bytes as written, its number of quads, its uncompressed size)."""
    kind, lo, hi = task
    plan = _PLAN
    assert plan is not None
    if kind == "territories":
        text = container_quads(plan) + territory_quads(plan)
    else:
        rng = random.Random(f"{plan.seed}/{kind}/{lo}")
        make = MAKERS[kind]
        text = "".join([make(plan, j, rng) for j in range(lo, hi)])
    data = text.encode()
    packed = gzip.compress(data, compresslevel=_COMPRESS, mtime=0) if _COMPRESS else data
    return packed, text.count("\n"), len(data)


def tasks(counts: dict[str, int]) -> Iterator[tuple[str, int, int]]:
    yield ("territories", 0, 0)
    for kind in KIND_ORDER:
        for lo in range(0, counts[kind], CHUNK):
            yield (kind, lo, min(lo + CHUNK, counts[kind]))


def generate(out: Path, scale: str = "seed", base: str = f"http://127.0.0.1:{DEFAULT_PORT}",
             seed: int = DEFAULT_SEED, now: str = DEFAULT_NOW, compress: int | None = 1,
             jobs: int | None = None, quiet: bool = False) -> dict:
    """Writes the dataset to `out` (gzip when `compress` is a level) and its manifest.

    Returns the manifest: what was generated, how many quads, bytes and seconds.
    """
    counts = SCALES[scale]
    jobs = jobs or os.cpu_count() or 1
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    began = time.perf_counter()
    quads = raw_bytes = 0
    all_tasks = list(tasks(counts))
    args = (counts, base, seed, now, compress)
    _init_worker(*args)  # forked workers inherit the plan
    with open(partial, "wb") as sink:
        if jobs > 1:
            pool = get_context("fork").Pool(jobs)
            results = pool.imap(_run_task, all_tasks, chunksize=1)
        else:
            pool = None
            results = map(_run_task, all_tasks)
        try:
            for done, (data, lines, raw) in enumerate(results, 1):
                sink.write(data)
                quads += lines
                raw_bytes += raw
                if not quiet and (done % 25 == 0 or done == len(all_tasks)):
                    print(f"\rseed: {done}/{len(all_tasks)} chunks, {quads:,} quads, "
                          f"{time.perf_counter() - began:.0f} s", end="", file=sys.stderr)
        finally:
            if pool is not None:
                pool.close()
                pool.join()
    if not quiet:
        print(file=sys.stderr)
    partial.replace(out)
    seconds = time.perf_counter() - began
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "scale": scale,
        "counts": counts,
        "seed": seed,
        "base_url": base,
        "now": now,
        "format": "application/n-quads" + (f" (gzip level {compress})" if compress else ""),
        "file": out.name,
        "quads": quads,
        "bytes": out.stat().st_size,
        "uncompressed_bytes": raw_bytes,
        "seconds": round(seconds, 2),
        "cpu_seconds": round(sum(u.ru_utime + u.ru_stime for u in usage), 2),
        "load_average": round(os.getloadavg()[0], 2),
        "jobs": jobs,
    }
    manifest_path(out).write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


def manifest_path(out: Path) -> Path:
    return out.with_name(out.name + ".json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.seed", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="seed")
    parser.add_argument("--out", type=Path, help="output file (default: "
                        "benchmarks/out/data-SCALE/dataset.nq[.gz])")
    parser.add_argument("--base-url", default=f"http://127.0.0.1:{DEFAULT_PORT}",
                        help="base URL every IRI is minted under (the server's --base-url)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--now", default=DEFAULT_NOW, help="the dataset's reference time")
    parser.add_argument("--plain", action="store_true", help="write plain N-Quads, not gzip")
    parser.add_argument("--level", type=int, default=1, help="gzip level (1 fastest)")
    parser.add_argument("--jobs", type=int, help="worker processes (default: CPU count)")
    args = parser.parse_args(argv)
    out = args.out or default_dataset_path(Path(__file__).parent / "out" / f"data-{args.scale}",
                                           plain=args.plain)
    manifest = generate(out, args.scale, args.base_url.rstrip("/"), args.seed,
                        args.now, None if args.plain else args.level, args.jobs)
    print(json.dumps(manifest, indent=2))
    return 0


def default_dataset_path(directory: Path, plain: bool = False) -> Path:
    return directory / ("dataset.nq" if plain else "dataset.nq.gz")


def parse_now(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


if __name__ == "__main__":
    raise SystemExit(main())
