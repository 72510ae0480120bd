"""Fan-out benchmark: one post delivered to 10,000 followers on 500 instances.

    .venv/bin/python -m benchmarks.fanout                      # both scenarios, SQLite queue
    .venv/bin/python -m benchmarks.fanout --queue redis        # the same on Redis
    .venv/bin/python -m benchmarks.fanout --scenario personal  # one of them only

What runs, all on loopback:

- the peers: one process (asyncio) listening on 500 ports, one "instance" per port
  (`http://127.0.0.1:PORT`), answering 202 to every POST, counting each (instance, inbox,
  activity id) and checking one signature in 20 with federation.signatures.verify_request;
- the store: an Oxigraph store in a temp dir holding a local citizen, 10,000 remote actors
  cached as federation.remote caches them (graph = actor IRI, `ldp:inbox`,
  `as:endpoints/as:sharedInbox`) and the citizen's followers collection listing them;
- the post: one Create applied through federation.activities, whose fan-out observer
  (federation/outbound.py) resolves the followers' inboxes and queues the deliveries;
- the delivery: `--workers` `communecter worker` processes (2: one per core, as `serve`
  runs two web workers, each with its delivery threads) draining the queue.

Scenarios: `shared` — every remote actor advertises its instance's shared inbox, so 500
POSTs (what Mastodon peers look like); `personal` — no shared inboxes, 10,000 POSTs (the
worst case: one signed POST per follower).

Figures: wall time from the apply to the last delivery recorded; the fan-out itself (the
part a request would wait for: query + enqueue); CPU seconds of the worker processes per
delivery (from /proc, between the apply and the last delivery); peak RSS of each worker
(VmHWM) and of this process (store + fan-out). Results go to benchmarks/out/fanout-*.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.stats import loadavg, log

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"
BASE = "http://communecter.bench"
AS = "https://www.w3.org/ns/activitystreams#"
VERIFY_EVERY = 20


# --- the peers ---------------------------------------------------------------------------


def peer_main(instances: int, key_file: str, stats_file: str) -> None:
    """The peer process: `instances` ports; prints them as JSON; on SIGTERM writes its
    counts to `stats_file`."""
    from federation.signatures import SignatureError, verify_request

    public_pem = Path(key_file).read_text()
    received: Counter[tuple[int, str, str]] = Counter()
    checks = {"verified": 0, "refused": 0}
    seen = [0]

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            path = lines[0].split(" ")[1]
            headers = [tuple(part.strip() for part in line.split(":", 1))
                       for line in lines[1:] if ":" in line]
            length = int(next((v for k, v in headers if k.lower() == "content-length"), 0))
            body = await reader.readexactly(length)
            activity = json.loads(body)
            received[(port, path, activity.get("id", ""))] += 1
            seen[0] += 1
            if seen[0] % VERIFY_EVERY == 0:
                try:
                    verify_request("POST", f"http://127.0.0.1:{port}{path}", headers, body,
                                   lambda key_id: public_pem)
                    checks["verified"] += 1
                except SignatureError:
                    checks["refused"] += 1
            writer.write(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n"
                         b"Connection: close\r\n\r\n")
            await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
            pass
        finally:
            writer.close()

    async def serve() -> None:
        servers = []
        for _ in range(instances):
            servers.append(await asyncio.start_server(handle, "127.0.0.1", 0, backlog=256))
        ports = [s.sockets[0].getsockname()[1] for s in servers]
        print(json.dumps(ports), flush=True)
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        for server in servers:
            server.close()
        duplicates = sum(1 for count in received.values() if count > 1)
        Path(stats_file).write_text(json.dumps({
            "posts": sum(received.values()), "distinct": len(received),
            "duplicates": duplicates, "instances_reached": len({k[0] for k in received}),
            **checks}))

    asyncio.run(serve())


# --- the instance ------------------------------------------------------------------------


def seed(store: object, handler: object, ports: list[int], followers: int,
         shared: bool) -> str:
    """A local citizen followed by `followers` remote actors spread over the instances."""
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF

    from federation.activities import Activity
    from federation.handler_support import collection_graph
    from ontology import AS as AS_NS
    from ontology import CC
    from store.base import Write
    from store.terms import graph_to_ntriples
    from web.app import ensure_containers

    ensure_containers(store, BASE)  # type: ignore[arg-type]
    alice = f"{BASE}/persons/alice"
    graph = Graph()
    graph.add((URIRef(alice), RDF.type, CC.Citizen))
    graph.add((URIRef(alice), AS_NS.preferredUsername, Literal("alice")))
    graph.add((URIRef(alice), AS_NS.name, Literal("Alice")))
    handler.apply(Activity("Create", alice, alice, graph))  # type: ignore[attr-defined]
    actors = []
    batch: dict[str, str] = {}
    for n in range(followers):
        port = ports[n % len(ports)]
        iri = f"http://127.0.0.1:{port}/users/u{n}"
        actors.append(iri)
        triples = [f"<{iri}> <http://www.w3.org/1999/02/22-rdf-syntax-ns#type> <{AS}Person> .",
                   f"<{iri}> <{AS}preferredUsername> \"u{n}\" .",
                   f"<{iri}> <http://www.w3.org/ns/ldp#inbox> <{iri}/inbox> ."]
        if shared:
            triples += [f"<{iri}> <{AS}endpoints> _:e{n} .",
                        f"_:e{n} <{AS}sharedInbox> <http://127.0.0.1:{port}/inbox> ."]
        batch[iri] = "\n".join(triples) + "\n"
        if len(batch) == 1000:
            store.write(Write(replace=batch))  # type: ignore[attr-defined]
            batch = {}
    if batch:
        store.write(Write(replace=batch))  # type: ignore[attr-defined]
    collection = f"{alice}/followers"
    store.write(Write(replace={collection: graph_to_ntriples(  # type: ignore[attr-defined]
        collection_graph(collection, actors))}))
    return alice


def post_graph(alice: str, iri: str) -> object:
    from rdflib import Graph, Literal, URIRef
    from rdflib.namespace import RDF, XSD

    from ontology import AS as AS_NS
    from ontology import CC

    graph = Graph()
    subject = URIRef(iri)
    graph.add((subject, RDF.type, CC.Post))
    graph.add((subject, AS_NS.attributedTo, URIRef(alice)))
    graph.add((subject, AS_NS.published, Literal(
        datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        datatype=XSD.dateTime)))
    graph.add((subject, AS_NS.to, URIRef(f"{AS}Public")))
    graph.add((subject, AS_NS.content, Literal(
        "<p>Conseil municipal jeudi à 18 h : ordre du jour et documents en ligne.</p>")))
    graph.add((subject, CC.wall, URIRef(alice)))
    return graph


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a running process so far (/proc/PID/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_kib(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_scenario(args: argparse.Namespace, shared: bool) -> dict:
    from federation import outbound
    from federation.activities import Activity, ActivityHandler
    from federation.actor_keys import ActorKeys
    from federation.delivery import open_queue
    from store import open_store
    from store.private import PrivateStore

    name = "shared" if shared else "personal"
    work = Path(tempfile.mkdtemp(prefix=f"fanout-{name}-"))
    data = work / "data"
    data.mkdir()
    redis = None
    env = {**os.environ, "COMMUNECTER_ALLOW_PRIVATE_ADDRESSES": "1",
           "COMMUNECTER_DELIVERY_POLL": "0.1", "COMMUNECTER_BASE_URL": BASE}
    if args.queue == "redis":
        from tests.services.redis_server import start_redis

        redis = start_redis()
        env["COMMUNECTER_QUEUE_URL"] = redis.url()
    private = PrivateStore(data / "private.sqlite3")
    alice = f"{BASE}/persons/alice"
    key_file = work / "alice.pem"
    key_file.write_text(ActorKeys(private).public_pem(alice))
    stats_file = work / "peer-stats.json"
    peer = subprocess.Popen([sys.executable, "-m", "benchmarks.fanout", "--peer",
                             str(args.instances), str(key_file), str(stats_file)],
                            cwd=ROOT, stdout=subprocess.PIPE, text=True)
    ports = json.loads(peer.stdout.readline())  # type: ignore[union-attr]
    log(f"{name}: {len(ports)} peer instances listening")
    store = open_store("oxigraph", data)
    handler = ActivityHandler(store, BASE)
    started = time.perf_counter()
    seed(store, handler, ports, args.followers, shared)
    log(f"{name}: seeded {args.followers} remote followers in "
        f"{time.perf_counter() - started:.1f} s")
    queue = open_queue(env.get("COMMUNECTER_QUEUE_URL"), data)
    outbound.wire(handler, lambda: queue, private)
    workers = [subprocess.Popen([sys.executable, "-m", "web.cli", "worker", "--data",
                                 str(data), "--threads", str(args.threads)],
                                cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
               for _ in range(args.workers)]
    time.sleep(3)  # let the workers import and start polling
    cpu_before = sum(cpu_seconds(w.pid) for w in workers)
    load_before = loadavg()

    note = f"{BASE}/posts/conseil-municipal"
    t0 = time.perf_counter()
    cpu0 = time.thread_time()
    handler.apply(Activity("Create", alice, note, post_graph(alice, note)))
    fan_out_seconds = time.perf_counter() - t0
    fan_out_cpu = time.thread_time() - cpu0
    expected = len(ports) if shared else args.followers
    queued = queue.counts()["pending"] + queue.counts()["delivered"]
    log(f"{name}: fan-out queued {queued} deliveries in {fan_out_seconds:.2f} s")
    deadline = time.monotonic() + args.timeout
    while queue.counts()["delivered"] < expected and time.monotonic() < deadline:
        time.sleep(0.02)
    wall = time.perf_counter() - t0
    counts = queue.counts()
    worker_cpu = sum(cpu_seconds(w.pid) for w in workers) - cpu_before
    worker_peaks = [peak_rss_kib(w.pid) for w in workers]
    for worker in workers:
        worker.send_signal(signal.SIGTERM)
    for worker in workers:
        worker.wait(timeout=60)
    peer.send_signal(signal.SIGTERM)
    peer.wait(timeout=60)
    peer_stats = json.loads(stats_file.read_text())
    if redis is not None:
        redis.stop()
    result = {
        "scenario": name, "queue": args.queue, "followers": args.followers,
        "instances": len(ports), "expected_posts": expected, "queued": queued,
        "delivered": counts["delivered"], "failed": counts["failed"],
        "wall_seconds": round(wall, 2), "fan_out_seconds": round(fan_out_seconds, 3),
        "fan_out_cpu_seconds": round(fan_out_cpu, 3),
        "deliveries_per_second": round(counts["delivered"] / wall, 1),
        "worker_processes": args.workers, "threads_per_worker": args.threads,
        "worker_cpu_seconds": round(worker_cpu, 2),
        "cpu_ms_per_delivery": round(worker_cpu / max(counts["delivered"], 1) * 1000, 2),
        "worker_peak_rss_mib": [round(k / 1024, 1) for k in worker_peaks],
        "main_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
                                   / 1024, 1),
        "peer": peer_stats, "loadavg_before": load_before, "loadavg_after": loadavg(),
    }
    log(f"{name}: {json.dumps(result)}")
    return result


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--peer":
        peer_main(int(argv[1]), argv[2], argv[3])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--instances", type=int, default=500)
    parser.add_argument("--scenario", choices=("shared", "personal", "both"), default="both")
    parser.add_argument("--queue", choices=("sqlite", "redis"), default="sqlite")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args(argv)
    scenarios = {"shared": [True], "personal": [False], "both": [True, False]}[args.scenario]
    results = [run_scenario(args, shared) for shared in scenarios]
    OUT.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    path = OUT / f"fanout-{args.queue}-{stamp}.json"
    path.write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    log(f"written to {path}")
    return 0 if all(r["delivered"] == r["expected_posts"] and r["peer"]["duplicates"] == 0
                    for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
