"""A closed-loop HTTP/1.1 load generator, run in its own process (and on its own CPU).

``python -m bench.loadgen --port P --workload image|status|mixed --connections N --seconds S``

N keep-alive connections each send one request, wait for the whole response, and send the
next, for S seconds; responses are counted by status and their latencies (send to last byte)
kept. Raw asyncio protocols over uvloop when installed: it parses only the status line and
``Content-Length``, so that it costs far less CPU per request than the server it loads. One
JSON object on stdout: requests per second of 200s, p50/p99 latency, and the generator's own
CPU use (near 100% would mean it, not the server, is the bottleneck).

Workloads (all with ``X-API-Key``, identical bytes for the fake and the baseline):
    image: ``POST /v1/hosting/media/image`` ``{"prompt": "a cat"}``
    status: ``GET /v1/hosting/media/{--job}``
    mixed: an agent's cycle: generate, poll the job, list (``?limit=50``), download the file
        the job names (its id and URL are read from the generation's answer).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
from collections import Counter
from typing import Any, cast
from urllib.parse import urlsplit

from .common import BENCH_KEY, IMAGE_PATH, percentile, pin

IMAGE_BODY = b'{"prompt": "a cat"}'


def request_bytes(method: str, path: str, host: str, body: bytes = b"") -> bytes:
    """One keep-alive request."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"X-API-Key: {BENCH_KEY}"]
    if body or method == "POST":
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Run:
    """What every connection shares: the clock, the deadline and the counts."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.start = 0.0
        self.deadline = float("inf")
        self.latencies: list[int] = []  # ns, of responses that ended before the deadline
        self.statuses: Counter[int] = Counter()
        self.bytes = 0
        self.stopping = False


class Connection(asyncio.Protocol):
    """One keep-alive connection with at most one request in flight."""

    def __init__(self, run: Run, workload: str, host: str, job: str) -> None:
        self.run = run
        self.workload = workload
        self.host = host
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.need = -1  # bytes of the whole response once its head is parsed
        self.head_end = 0
        self.status = 0
        self.sent = 0
        self.step = 0  # position in the mixed cycle
        self.idle: asyncio.Future[None] | None = None
        self.lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.image = request_bytes("POST", IMAGE_PATH, host, IMAGE_BODY)
        self.status_request = request_bytes("GET", f"/v1/hosting/media/{job}", host)
        self.list_request = request_bytes("GET", "/v1/hosting/media?limit=50", host)
        self.follow_ups: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.lost.done():
            self.lost.set_result(None)
        if self.idle is not None and not self.idle.done():
            self.idle.set_result(None)

    def send(self) -> None:
        """The next request of the workload, unless the run is over."""
        if self.run.stopping or self.transport is None:
            if self.idle is not None and not self.idle.done():
                self.idle.set_result(None)
            return
        if self.workload == "image":
            data = self.image
        elif self.workload == "status":
            data = self.status_request
        elif self.step == 0:
            data = self.image
        else:
            data = self.follow_ups[self.step - 1]
        self.sent = time.perf_counter_ns()
        self.transport.write(data)

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        if self.need < 0:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = bytes(buffer[:end]).lower()
            self.status = int(head[9:12])
            at = head.find(b"\r\ncontent-length:")
            if at < 0:
                raise RuntimeError("a response without Content-Length: " + head[:200].decode())
            stop = head.find(b"\r\n", at + 2)
            length = int(head[at + 17 : stop if stop >= 0 else len(head)])
            self.head_end = end + 4
            self.need = end + 4 + length
        if len(buffer) < self.need:
            return
        done = time.perf_counter_ns()
        body = bytes(buffer[self.head_end : self.need])
        del buffer[: self.need]
        self.need = -1
        run = self.run
        if done / 1e9 <= run.deadline:
            run.latencies.append(done - self.sent)
            run.statuses[self.status] += 1
            run.bytes += len(body)
        if self.workload == "mixed":
            self._advance(body)
        self.send()

    def _advance(self, body: bytes) -> None:
        if self.step == 0:
            if self.status != 200:
                return  # generate again
            job = json.loads(body)
            file_path = urlsplit(job["outputs"][0]["url"]).path
            self.follow_ups = [
                request_bytes("GET", f"/v1/hosting/media/{job['job_id']}", self.host),
                self.list_request,
                request_bytes("GET", file_path, self.host),
            ]
        self.step = (self.step + 1) % 4


async def load(port: int, workload: str, connections: int, seconds: float, job: str) -> dict[str, Any]:
    """Run the workload and summarise it."""
    loop = asyncio.get_running_loop()
    run = Run(seconds)
    host = f"127.0.0.1:{port}"
    conns: list[Connection] = []
    for _ in range(connections):
        _, protocol = await loop.create_connection(
            lambda: Connection(run, workload, host, job), "127.0.0.1", port
        )
        conns.append(protocol)
    cpu_before = os.times()
    run.start = time.perf_counter()
    run.deadline = run.start + seconds
    for conn in conns:
        conn.send()
    await asyncio.sleep(seconds)
    run.stopping = True
    cpu_after = os.times()
    # Let requests in flight finish (uncounted) so that no server sees a connection dropped.
    waits = []
    for conn in conns:
        conn.idle = loop.create_future()
        if conn.lost.done():
            conn.idle.set_result(None)
        waits.append(conn.idle)
    await asyncio.wait(waits, timeout=2.0)
    for conn in conns:
        if conn.transport is not None:
            conn.transport.close()
    await asyncio.wait([conn.lost for conn in conns], timeout=2.0)
    latencies = sorted(run.latencies)
    ok = run.statuses.get(200, 0)
    cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
    ms = [value / 1e6 for value in latencies]
    return {
        "workload": workload,
        "connections": connections,
        "seconds": seconds,
        "responses": len(latencies),
        "ok": ok,
        "statuses": {str(k): v for k, v in sorted(run.statuses.items())},
        "rps": ok / seconds,
        "p50_ms": percentile(ms, 0.50),
        "p99_ms": percentile(ms, 0.99),
        "bytes_per_response": run.bytes / len(latencies) if latencies else 0,
        "generator_cpu": cpu / seconds,
    }


def _new_loop() -> asyncio.AbstractEventLoop:
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.loadgen")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workload", choices=("image", "status", "mixed"), required=True)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--job", default="img_none", help="the job id the status workload polls")
    parser.add_argument("--cpu", type=int)
    args = parser.parse_args()
    pin(args.cpu)
    with asyncio.Runner(loop_factory=_new_loop) as runner:
        result = runner.run(load(args.port, args.workload, args.connections, args.seconds, args.job))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
