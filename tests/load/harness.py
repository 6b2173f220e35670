"""The load tests' standalone server (a real ``mock-media serve`` subprocess) and raw-socket
helpers for clients no HTTP library would be: half-sent bodies, trickled headers, hang-ups.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.doc_tables import IMAGE_PATH
from tests.helpers import free_port

LOAD_SECONDS_VARIABLE = "MOCK_MEDIA_LOAD_SECONDS"
# Short enough for CI (the whole package in well under 30 s on 2 cores), long enough for
# several rate-limit windows; MOCK_MEDIA_LOAD_SECONDS=10 is the full version.
DEFAULT_LOAD_SECONDS = 1.5
START_TIMEOUT = 15.0
# A raw client never waits longer than this for one answer: a hung server fails fast.
SOCKET_TIMEOUT = 3.0


def load_seconds() -> float:
    """How long each load test drives traffic (``MOCK_MEDIA_LOAD_SECONDS``, default 1.5)."""
    raw = os.environ.get(LOAD_SECONDS_VARIABLE, "").strip()
    if not raw:
        return DEFAULT_LOAD_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not 0 < seconds < 3600:
        raise pytest.UsageError(f"{LOAD_SECONDS_VARIABLE} must be seconds, more than 0; got {raw!r}")
    return seconds


@dataclass
class Server:
    """A running ``mock-media serve --clock virtual`` whose output URLs point at itself."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    client: httpx.Client  # for the admin API and one-off requests; no key

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def admin(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """An admin call that must succeed; its JSON."""
        reply = self.client.request(method, "/_mock" + path, json=body, params=params or None)
        assert reply.status_code == 200, (method, path, reply.status_code, reply.text[:500])
        return reply.json()

    def healthy(self) -> bool:
        """Whether the server answers ``GET /_mock/health`` with 200 and is still running."""
        try:
            return self.proc.poll() is None and self.client.get("/_mock/health").status_code == 200
        except httpx.TransportError:
            return False

    def accounts(self) -> dict[str, dict[str, Any]]:
        """Every account by key, as ``GET /_mock/accounts`` shows it."""
        return {a["api_key"]: a for a in self.admin("GET", "/accounts")["accounts"]}

    def journal_total(self) -> int:
        """How many requests the journal has recorded since the last reset (kept or not)."""
        total: int = self.admin("GET", "/journal", account="(nobody)")["total"]
        return total

    def entries(self, account: str) -> list[dict[str, Any]]:
        """One account's journal entries, oldest first."""
        entries: list[dict[str, Any]] = self.admin("GET", "/journal", account=account)["entries"]
        return entries

    def log_mark(self) -> int:
        """Where the log ends now (see ``log_since``)."""
        return self.log.stat().st_size

    def log_since(self, mark: int) -> str:
        """What the server has logged since ``log_mark()`` returned ``mark``."""
        with self.log.open("rb") as sink:
            sink.seek(mark)
            return sink.read().decode("utf-8", "replace")


@contextmanager
def spawn(log: Path, *options: str) -> Iterator[Server]:
    """``python -m mock_media serve`` on a free port with a virtual clock and ``--media-base``
    itself, so files can be downloaded. Always stopped with Ctrl-C, which it must survive: exit
    status 0. (Unlike ``tests.helpers.spawned_server`` it does not fail on a traceback in the
    log at exit: each test checks its own stretch of the log, so a known bug that logs one is
    blamed on the test that provokes it, not on whichever test happened to run last.)"""
    port = free_port()
    argv = [sys.executable, "-m", "mock_media", "serve", "--port", str(port), "--clock", "virtual"]
    argv += ["--media-base", f"http://127.0.0.1:{port}", *options]
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    server = Server(proc, port, log, client)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.healthy():
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"server did not come up (exit {proc.poll()}): {log.read_text()}")
            time.sleep(0.02)
        yield server
    finally:
        client.close()
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    assert proc.returncode == 0, log.read_text()[-3000:]


# --- raw sockets ------------------------------------------------------------------------------
@dataclass(frozen=True)
class RawReply:
    """A response read off a raw socket."""

    status: int
    headers: dict[str, str]  # names lower-cased
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def connect(port: int, timeout: float = SOCKET_TIMEOUT) -> socket.socket:
    """A loopback connection whose every send and receive gives up after ``timeout``."""
    return socket.create_connection(("127.0.0.1", port), timeout=timeout)


def read_reply(sock: socket.socket) -> RawReply | None:
    """One response off ``sock``; None if the server closed (or reset) the connection first.

    Raises:
        TimeoutError: nothing complete came within the socket's timeout.
    """
    received = b""
    try:
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            if not chunk:
                return None
            received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = sock.recv(65536)
            if not chunk:
                break
            body += chunk
    except ConnectionResetError:
        return None
    status = re.match(r"HTTP/1\.[01] (\d{3})", lines[0])
    assert status is not None, lines[0]
    return RawReply(int(status.group(1)), headers, body[:length])


def exchange(port: int, data: bytes, timeout: float = SOCKET_TIMEOUT) -> RawReply | None:
    """Send ``data`` (one whole request) on a new connection and read the answer."""
    with connect(port, timeout) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before taking it all; read what it said
        return read_reply(sock)


def request_head(method: str, path: str, *headers: tuple[str, str | int]) -> bytes:
    """A request line and headers, with ``Host``, ending with the blank line."""
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", *(f"{k}: {v}" for k, v in headers)]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


# --- the books a broken request must leave alone ------------------------------------------------
DEFAULT_BALANCE = Decimal("100.00")  # the server's default for a key opened on first use
CAT = b'{"prompt": "a cat"}'
JSON_TYPE = ("Content-Type", "application/json")


@dataclass(frozen=True)
class Books:
    """What a broken request must not change: the accounts, and how many requests the journal
    has recorded."""

    accounts: dict[str, dict[str, Any]]
    journaled: int

    @classmethod
    def of(cls, server: Server) -> Books:
        return cls(server.accounts(), server.journal_total())


def post_head(key: str, *headers: tuple[str, str | int]) -> bytes:
    """A ``POST /image`` head for ``key``; the body framing is the caller's."""
    return request_head("POST", IMAGE_PATH, ("X-API-Key", key), JSON_TYPE, *headers)


def usd(value: str | None) -> Decimal:
    """An amount the admin API wrote as a string, exact."""
    return Decimal(value or "0")
