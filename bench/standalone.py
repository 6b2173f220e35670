"""The standalone server under load: the fake vs a minimal Starlette app on the same uvicorn.

Both servers run in their own processes pinned to the last CPU, the load generator in
another pinned to the first, so that each gets a core of its own (the machine has two).
Runs alternate baseline, candidate, baseline, candidate...; the medians of requests per
second (200s only) are compared (target: the fake serves at least 0.7x the baseline's).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any

import httpx

from .common import (
    BENCH_ACCOUNT,
    BENCH_KEY,
    IMAGE_PATH,
    PYTHON,
    ROOT,
    Row,
    Settings,
    cpu_seconds,
    free_port,
    median,
)

SECTION = "server"
LIMIT = 0.7
WORKLOADS = {
    "image": "POST /v1/hosting/media/image",
    "status": "GET /v1/hosting/media/{job_id}",
    "mixed": "mixed agent: generate, poll, list, download",
}
DIAGNOSTICS = {
    "mock-flat": "one-colour pictures (--pictures flat)",
    "mock-raw": "bare ASGI door (bench prototype)",
    "mock-raw-flat": "one-colour pictures, bare ASGI door",
}
SERVER_CPU = (os.cpu_count() or 1) - 1
LOADGEN_CPU = 0
# A baseline server on its core less than this share of a run, with the generator idle too,
# was starved by another process: the row says so (its req/s are then too low).
DISTURBED_BELOW = 0.85


class ServerProcess:
    """``python -m bench.server`` in a child process, until the block ends."""

    def __init__(self, app: str, profile: str | None = None) -> None:
        self.app = app
        self.port = free_port()
        self.profile = profile
        self.info: dict[str, Any] = {}
        self.process: subprocess.Popen[str] | None = None
        self._log = tempfile.TemporaryFile("w+")

    def __enter__(self) -> ServerProcess:
        command = [PYTHON, "-m", "bench.server", "--app", self.app, "--port", str(self.port)]
        command += ["--cpu", str(SERVER_CPU)]
        if self.profile:
            command += ["--profile", self.profile]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.PIPE, stderr=self._log, text=True
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.app} server did not start: {self.log()}")
        self.info = json.loads(line)
        return self

    @property
    def pid(self) -> int:
        """The server's process id."""
        assert self.process is not None
        return self.process.pid

    @property
    def url(self) -> str:
        """Its base URL."""
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        """What it wrote on stderr."""
        self._log.seek(0)
        return self._log.read()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


def prepare(server: ServerProcess) -> str:
    """Register the bench account on the fake and make one job to poll; returns its id."""
    with httpx.Client(base_url=server.url) as client:
        if server.app.startswith("mock"):
            answer = client.post("/_mock/accounts", json=BENCH_ACCOUNT)
            if answer.status_code != 200:
                raise RuntimeError(f"the admin API refused the bench account: {answer.text}")
            account = answer.json()
            assert account["plan"] == "enterprise", account
        answer = client.post(IMAGE_PATH, headers={"X-API-Key": BENCH_KEY}, json={"prompt": "a cat"})
        answer.raise_for_status()
        job_id: str = answer.json()["job_id"]
        return job_id


def load(server: ServerProcess, workload: str, connections: int, seconds: float, job: str) -> dict[str, Any]:
    """One load run from a generator process; adds the server's CPU seconds per request."""
    command = [PYTHON, "-m", "bench.loadgen", "--port", str(server.port), "--workload", workload]
    command += ["--connections", str(connections), "--seconds", str(seconds), "--job", job]
    command += ["--cpu", str(LOADGEN_CPU)]
    # The generator connects first and starts its clock after; the server's CPU is read
    # around the whole child, so connection set-up (a few ms) is charged to the server too.
    before = cpu_seconds(server.pid)
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    after = cpu_seconds(server.pid)
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    responses = max(1, result["responses"])
    result["server_cpu_us_per_request"] = (after - before) / responses * 1e6
    result["server_cpu_busy"] = (after - before) / seconds
    return result


def run(settings: Settings) -> tuple[list[Row], dict[str, Any]]:
    """The server rows, and what uvicorn's "auto" resolved to in each server."""
    rows: list[Row] = []
    resolved: dict[str, Any] = {}
    seconds = settings.server_seconds
    for workload, title in WORKLOADS.items():
        # Diagnostic rows beside the fake's own: the fake behind a bare ASGI callable shows
        # what the Starlette door costs; the mixed workload downloads every new picture once,
        # so fakes with one-colour pictures show what Pillow's encoding costs.
        diagnostics = ("mock-flat", "mock-raw-flat") if workload == "mixed" else ("mock-raw",)
        apps = ("baseline", "mock", *diagnostics)
        with ExitStack() as stack:
            servers = [stack.enter_context(ServerProcess(app)) for app in apps]
            resolved.update({server.app: server.info for server in servers})
            jobs = {server.app: prepare(server) for server in servers}
            job = jobs["mock"]
            for server in servers:  # warm up: imports, caches, the allocator
                load(server, workload, settings.connections[0], seconds / 2, job)
            for connections in settings.connections:
                runs: dict[str, list[dict[str, Any]]] = {app: [] for app in apps}
                for _ in range(settings.server_rounds):
                    for server in servers:
                        runs[server.app].append(load(server, workload, connections, seconds, job))
                rows.append(_row(f"{title}, {connections} conns", runs["baseline"], runs["mock"]))
                for diagnostic in diagnostics:
                    name = f"{title}, {connections} conns, {DIAGNOSTICS[diagnostic]}"
                    row = _row(name, runs["baseline"], runs[diagnostic])
                    row.passed, row.target = None, f"({row.target})"
                    rows.append(row)
            for server in servers:  # a crash would show here; the rows would not say it
                log = server.log().splitlines()
                errors = [line for line in log if "Error" in line or "Traceback" in line]
                if errors:
                    print(f"    the {server.app} server logged: {errors[:3]}", file=sys.stderr)
    return rows, resolved


def _row(name: str, baseline: list[dict[str, Any]], candidate: list[dict[str, Any]]) -> Row:
    runs = {"baseline": baseline, "candidate": candidate}

    def med(side: str, key: str) -> float:
        return median([run[key] for run in runs[side]])

    b_rps, c_rps = med("baseline", "rps"), med("candidate", "rps")
    statuses: dict[str, int] = {}
    for run in runs["candidate"]:
        for status, count in run["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    non_200 = {s: n for s, n in statuses.items() if s != "200"}
    detail = (
        f"p50/p99 ms {med('baseline', 'p50_ms'):.2f}/{med('baseline', 'p99_ms'):.2f} vs "
        f"{med('candidate', 'p50_ms'):.2f}/{med('candidate', 'p99_ms'):.2f}; "
        f"server CPU us/req {med('baseline', 'server_cpu_us_per_request'):.0f} vs "
        f"{med('candidate', 'server_cpu_us_per_request'):.0f}"
    )
    capacity = med("baseline", "server_cpu_us_per_request") / med("candidate", "server_cpu_us_per_request")
    detail += f"; by CPU/req {capacity:.2f}x"
    busy = med("baseline", "server_cpu_busy")
    if busy < DISTURBED_BELOW and med("baseline", "generator_cpu") < DISTURBED_BELOW:
        # Neither the server nor the generator used its core: something else did.
        detail += f"; DISTURBED: the baseline server ran {busy:.0%} of the time"
    if non_200:
        detail += f"; non-200: {non_200}"
    return Row(
        SECTION,
        name,
        "req/s",
        b_rps,
        c_rps,
        f">= {LIMIT:g}x",
        c_rps >= LIMIT * b_rps,
        detail,
        {
            "runs": runs,
            "p50_ms": {"baseline": med("baseline", "p50_ms"), "candidate": med("candidate", "p50_ms")},
            "p99_ms": {"baseline": med("baseline", "p99_ms"), "candidate": med("candidate", "p99_ms")},
            "server_cpu_us_per_request": {
                "baseline": med("baseline", "server_cpu_us_per_request"),
                "candidate": med("candidate", "server_cpu_us_per_request"),
            },
            "capacity_ratio_by_cpu": capacity,
            "server_cpu_busy": {
                "baseline": med("baseline", "server_cpu_busy"),
                "candidate": med("candidate", "server_cpu_busy"),
            },
            "generator_cpu": {
                "baseline": med("baseline", "generator_cpu"),
                "candidate": med("candidate", "generator_cpu"),
            },
        },
    )


def profile_server(workload: str, seconds: float, out: Path) -> dict[str, Any]:
    """Load the fake's server under cProfile (for the docs' "where the time goes")."""
    with ServerProcess("mock", profile=str(out)) as cand:
        job = prepare(cand)
        result = load(cand, workload, 16, seconds, job)
    time.sleep(0.1)
    return result
