"""Load generation: wrk with Lua scripts (installed with apt-get when missing), or a threaded
Python client, with the CPU the server and the client spent on each run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from http.client import HTTPConnection
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from benchmarks.server_process import Server, cpu_by_role, cpu_seconds, server_roles
from benchmarks.stats import loadavg, log, percentile

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
        before_workers = _worker_cpu(self.server)
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
        workers_cpu = sorted((round(seconds - before_workers.get(pid, 0.0), 2)
                              for pid, seconds in _worker_cpu(self.server).items()), reverse=True)
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
            # one gunicorn worker uses at most a core: an uneven spread of the kept-alive
            # connections shows here as one worker near the run's length, the others idle
            "server_cpu_seconds_by_worker": workers_cpu,
            "client_cpu_ms_per_request": round(client_cpu / result["requests"] * 1000, 3)
            if result["requests"] else None,
            # what the machine's cores would do if server and client had them to themselves
            "cpu_bound_estimate_per_second": round(
                ok / (server_cpu + client_cpu) * (os.cpu_count() or 1), 1)
            if server_cpu + client_cpu else None,
            "load_average": [load_before, loadavg()],
        })
        return result


def _worker_cpu(server: Server) -> dict[int, float]:
    return {pid: cpu_seconds([pid]) for pid, role in server_roles(server.process.pid).items()
            if role == "gunicorn worker"}


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _self_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
