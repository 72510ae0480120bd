"""A throw-away Virtuoso server for tests and benchmarks.

It installs Debian's `virtuoso-opensource` when `virtuoso-t` is missing (through
install-virtuoso.sh beside this file), then runs `virtuoso-t` in the foreground on a fresh
database in a temp dir, bound to 127.0.0.1 on free ports, and prepares it the way the
`sparql` backend expects a production Virtuoso to be prepared:

- the anonymous SPARQL user may update (`GRANT SPARQL_UPDATE`): loopback only;
- the graphs Virtuoso creates for itself (virtrdf#, ldp#, ...) are made private, so that
  the anonymous user's default graph (the union of all graphs) holds only our data.
  SPARQL has no standard way to leave graphs out of the default dataset; Virtuoso's
  graph-level security does it on the server, without touching the queries.

From pytest: the `virtuoso` fixture in tests/conftest_virtuoso.py. From a shell, for
benchmarks: `python -m tests.services.virtuoso` prints the URLs and waits for Ctrl-C.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
INSTALLER = HERE / "install-virtuoso.sh"
DBA_PASSWORD = "dba"  # a fresh database's default; it never leaves loopback
START_DEADLINE = 90.0

INI = """\
[Database]
DatabaseFile = {dir}/virtuoso.db
ErrorLogFile = {dir}/virtuoso.log
LockFile = {dir}/virtuoso.lck
TransactionFile = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel = 7
FileExtend = 200
[TempDatabase]
DatabaseFile = {dir}/virtuoso-temp.db
TransactionFile = {dir}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
DisableTcpSocket = 0
MaxClientConnections = 20
CheckpointInterval = 60
DirsAllowed = {dir}
NumberOfBuffers = 20000
MaxDirtyBuffers = 15000
ThreadsPerQuery = 2
[HTTPServer]
ServerPort = 127.0.0.1:{http_port}
ServerRoot = {dir}
ServerThreads = 10
MaxClientConnections = 10
MaxKeepAlives = 10
KeepAliveTimeout = 10
Charset = UTF-8
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryExecutionTime = 60
"""

PRIVATE_GROUP = "http://www.openlinksw.com/schemas/virtrdf#PrivateGraphs"


def free_port() -> int:
    """A loopback port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_installed() -> tuple[str, str]:
    """Paths of virtuoso-t and its isql, installing the Debian package if needed."""
    if shutil.which("virtuoso-t") is None:
        result = subprocess.run(
            ["sh", str(INSTALLER)], capture_output=True, text=True, timeout=900, check=False
        )
        if result.returncode != 0 or shutil.which("virtuoso-t") is None:
            tail = (result.stdout + result.stderr)[-2000:]
            raise RuntimeError(f"could not install virtuoso-opensource:\n{tail}")
    server = shutil.which("virtuoso-t")
    isql = shutil.which("isql-vt") or shutil.which("isql")
    if server is None or isql is None:
        raise RuntimeError("virtuoso-t or isql-vt missing after install")
    return server, isql


@dataclass
class VirtuosoServer:
    """A running Virtuoso; `stop()` ends it and removes its files."""

    directory: Path
    http_port: int
    sql_port: int
    process: subprocess.Popen[bytes]
    isql_path: str
    startup_seconds: float = 0.0
    owns_directory: bool = True
    system_graphs: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def query_url(self) -> str:
        return f"{self.base_url}/sparql"

    @property
    def update_url(self) -> str:
        return f"{self.base_url}/sparql"

    @property
    def auth(self) -> str | None:
        """None: the anonymous user may update (see the module docstring)."""
        return None

    @property
    def auth_update_url(self) -> str:
        """The digest-protected endpoint, for `auth=dba_auth`."""
        return f"{self.base_url}/sparql-auth"

    @property
    def dba_auth(self) -> str:
        return f"dba:{DBA_PASSWORD}"

    def isql(self, sql: str) -> str:
        """Runs SQL statements as dba; raises with Virtuoso's message on any error."""
        script = self.directory / "script.sql"
        script.write_text(sql)
        result = subprocess.run(
            [self.isql_path, f"127.0.0.1:{self.sql_port}", "dba", DBA_PASSWORD, str(script)],
            capture_output=True, text=True, timeout=60, check=False,
        )
        output = result.stdout + result.stderr
        if result.returncode != 0 or "*** Error" in output:
            raise RuntimeError(f"isql failed:\n{output[-2000:]}")
        return output

    def sparql(self, query: str) -> list[dict[str, str]]:
        """A SELECT as the anonymous user, rows as plain strings (for the helpers here)."""
        response = requests.get(
            self.query_url,
            params={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=30,
        )
        response.raise_for_status()
        rows = response.json()["results"]["bindings"]
        return [{name: term["value"] for name, term in row.items()} for row in rows]

    def update(self, update: str) -> None:
        response = requests.post(
            self.update_url,
            data=update.encode(),
            headers={"Content-Type": "application/sparql-update; charset=utf-8"},
            timeout=60,
        )
        response.raise_for_status()

    def graphs(self) -> list[str]:
        """Graphs the anonymous user can see: ours, not the private system graphs."""
        # Not the bare `SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }`: Virtuoso answers
        # that exact query from a graph list that ignores graph-level security.
        rows = self.sparql("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER isIRI(?g) }")
        return [row["g"] for row in rows]

    def clear(self) -> None:
        """Deletes every graph the tests may have written (system graphs are kept)."""
        names = self.graphs()
        for start in range(0, len(names), 200):
            values = " ".join(f"<{name}>" for name in names[start:start + 200])
            self.update(
                "DELETE { GRAPH ?g { ?s ?p ?o } } "
                f"WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"
            )

    def load_nquads(self, path: Path) -> float:
        """Loads an N-Quads file with Virtuoso's own bulk loader; returns the seconds taken.

        For benchmarks: ~60 k triples/s here, against 5-10 k through SPARQL Update (what
        SparqlStore.bulk_load can use). The file is copied into the database directory,
        the only one the server may read (DirsAllowed).
        """
        started = time.monotonic()
        name = f"load-{time.monotonic_ns()}.nq"
        shutil.copyfile(path, self.directory / name)
        try:
            self.isql(
                f"ld_dir ('{self.directory}', '{name}', 'urn:x-default');\n"
                "rdf_loader_run ();\ncheckpoint;\n"
            )
            errors = self.isql(
                f"SELECT ll_error FROM DB.DBA.LOAD_LIST WHERE ll_file LIKE '%{name}';"
            )
            if "NULL" not in errors.split("ll_error")[-1]:
                raise RuntimeError(f"bulk load of {path} failed:\n{errors[-1000:]}")
        finally:
            (self.directory / name).unlink(missing_ok=True)
        return time.monotonic() - started

    def log_tail(self, lines: int = 30) -> str:
        texts = []
        for name in ("virtuoso.out", "virtuoso.log"):
            path = self.directory / name
            if path.exists():
                texts.append(f"--- {name}\n" + "\n".join(path.read_text(errors="replace")
                                                       .splitlines()[-lines:]))
        return "\n".join(texts)

    def stop(self) -> None:
        """Terminates the server (kill after 15 s) and removes its files."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self.owns_directory:
            shutil.rmtree(self.directory, ignore_errors=True)


def _die_with_parent() -> None:
    """Runs in the child before exec: Linux sends it SIGTERM if the test process dies,
    so a crashed or killed test run leaves no Virtuoso behind."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _answers(url: str) -> bool:
    try:
        response = requests.get(url, params={"query": "ASK {}"}, timeout=2)
    except requests.RequestException:
        return False
    return response.status_code == 200


def _wait_until_ready(server: VirtuosoServer, deadline: float) -> None:
    """Polls the SPARQL endpoint; a clear error with the log tail when it never comes."""
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"virtuoso-t exited with code {server.process.returncode} while starting:\n"
                + server.log_tail()
            )
        if _answers(server.query_url):
            return
        time.sleep(0.1)
    raise RuntimeError(f"Virtuoso did not answer on {server.query_url} in time:\n"
                       + server.log_tail())


def _prepare(server: VirtuosoServer) -> None:
    """Lets the anonymous user update and hides Virtuoso's own graphs from it.

    Done once per database (a marker file records it): on a reused database the graphs
    present are no longer only Virtuoso's own.
    """
    marker = server.directory / "prepared-for-communecter"
    if marker.exists():
        server.system_graphs = marker.read_text().split()
        return
    rows = server.sparql("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
    server.system_graphs = [row["g"] for row in rows]
    statements = [
        'GRANT SPARQL_UPDATE TO "SPARQL";',
        f"DB.DBA.RDF_GRAPH_GROUP_CREATE ('{PRIVATE_GROUP}', 1);",
        *(f"DB.DBA.RDF_GRAPH_GROUP_INS ('{PRIVATE_GROUP}', '{g}');" for g in server.system_graphs),
        "DB.DBA.RDF_DEFAULT_USER_PERMS_SET ('nobody', 0, 1);",
    ]
    server.isql("\n".join(statements) + "\n")
    marker.write_text("\n".join(server.system_graphs))


def start_virtuoso(
    directory: Path | None = None, deadline: float = START_DEADLINE
) -> VirtuosoServer:
    """Starts a fresh Virtuoso and returns once it answers SPARQL and is prepared."""
    started = time.monotonic()
    binary, isql = ensure_installed()
    owns = directory is None
    workdir = Path(tempfile.mkdtemp(prefix="virtuoso-")) if directory is None else directory
    workdir.mkdir(parents=True, exist_ok=True)
    http_port, sql_port = free_port(), free_port()
    ini = workdir / "virtuoso.ini"
    ini.write_text(INI.format(dir=workdir, sql_port=sql_port, http_port=http_port))
    with open(workdir / "virtuoso.out", "wb") as out:
        process = subprocess.Popen(
            [binary, "+configfile", str(ini), "+foreground"],
            cwd=workdir, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
        )
    server = VirtuosoServer(workdir, http_port, sql_port, process, isql, owns_directory=owns)
    try:
        _wait_until_ready(server, started + deadline)
        _prepare(server)
    except BaseException:
        server.stop()
        raise
    server.startup_seconds = time.monotonic() - started
    return server


def main(argv: list[str] | None = None) -> int:
    """Starts a server, prints where it is (JSON), and waits for Ctrl-C or SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, help="database directory (kept); default: temp")
    args = parser.parse_args(argv)
    server = start_virtuoso(args.dir)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    info = {
        "query_url": server.query_url,
        "update_url": server.update_url,
        "auth_update_url": server.auth_update_url,
        "dba_auth": server.dba_auth,
        "sql_port": server.sql_port,
        "directory": str(server.directory),
        "startup_seconds": round(server.startup_seconds, 2),
        "pid": server.process.pid,
    }
    print(json.dumps(info, indent=2), flush=True)
    try:
        server.process.wait()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
