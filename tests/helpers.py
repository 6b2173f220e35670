"""Assertions and small helpers shared by the whole suite.

Expected values come from :mod:`tests.doc_tables` (the doc, typed out by hand), never from the
code under test.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from mock_media import MediaBackend
from mock_media.core.requests import ImageRequest, VideoRequest

from .doc_tables import MEDIA_HOST
from .doors import DEFAULT_KEY, Api, Reply

# Decision 3: the keys of the error object, in the order the fake writes them.
ERROR_KEYS = ["code", "message", "status"]
ERROR_KEYS_WITH_PARAM = ["code", "message", "param", "status"]
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


# --- the error envelope ---------------------------------------------------------------------------
def assert_error(
    answer: Reply | dict[str, Any],
    status: int,
    code: str,
    *,
    message: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """Decision 3's envelope, exactly: ``{"error": {code, message[, param], status}, "detail"}``.

    ``answer`` is a reply (its HTTP status must be ``status`` too) or a body already decoded
    (from another client, or from ``ApiError.body()``). The keys come in that order; ``param``
    only when ``param`` is given, and then the message names it too; ``detail`` repeats the
    message; ``message``, when given, is its exact text. Returns the body.
    """
    if isinstance(answer, Reply):
        assert answer.status == status, answer.body
        body: dict[str, Any] = answer.json()
    else:
        body = answer
    assert isinstance(body, dict), body
    assert list(body) == ["error", "detail"], body
    error = body["error"]
    assert list(error) == (ERROR_KEYS if param is None else ERROR_KEYS_WITH_PARAM), error
    assert error["code"] == code
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert body["detail"] == error["message"]
    if message is not None:
        assert error["message"] == message
    if param is not None:
        assert error["param"] == param
        assert param in error["message"], error["message"]
    return body


def assert_journaled_rejection(api: Api, path: str, status: int, code: str) -> None:
    """The one request to ``path`` is journaled as refused: no charge and no job (decision 14)."""
    [entry] = api.backend.journal.query(path=path)
    assert (entry.status, entry.error_code, entry.cost_usd, entry.job_id) == (status, code, None, None)


# --- rate-limit headers ---------------------------------------------------------------------------
def rate(reply: Reply) -> tuple[int, int, int]:
    """``(X-RateLimit-Limit, -Remaining, -Reset)`` of a response that must carry them."""
    missing = [h for h in RATE_HEADERS if h not in reply.headers]
    assert not missing, f"missing {missing} on a {reply.status}"
    limit, remaining, reset = (int(reply.headers[h]) for h in RATE_HEADERS)
    return limit, remaining, reset


def assert_no_rate_headers(reply: Reply) -> None:
    """Decision 15: a request without valid credentials gets no X-RateLimit-* headers."""
    present = [h for h in reply.headers if h.startswith("x-ratelimit")]
    assert not present, f"unexpected {present} on a {reply.status}"


# --- bodies, money and state ----------------------------------------------------------------------
def exact(reply: Reply) -> Any:
    """The body with every JSON number that has a fraction read as an exact Decimal."""
    return json.loads(reply.body, parse_float=Decimal)


def balance(api: Api, key: str = DEFAULT_KEY) -> Decimal:
    """An account's balance, which must be an exact Decimal (decision 8)."""
    value = api.backend.accounts[key].balance
    assert isinstance(value, Decimal)
    return value


@dataclass(frozen=True)
class Snapshot:
    """What a rejected request must leave alone (decision 14: "costs nothing")."""

    balance: Decimal
    spent: Decimal
    jobs: int
    media: int
    files: int
    processing: int

    @classmethod
    def of(cls, backend: MediaBackend, key: str = DEFAULT_KEY) -> Snapshot:
        account = backend.accounts[key]
        return cls(
            balance=account.balance,
            spent=account.spent,
            jobs=len(backend.store.jobs),
            media=len(backend.store.media),
            files=len(backend.store.files),
            processing=account.processing,
        )


Request = TypeVar("Request", ImageRequest, VideoRequest)


def stored_request(api: Api, job_id: str, kind: type[Request]) -> Request:
    """The validated request the backend stored for a job (defaults applied)."""
    request = api.backend.store.jobs[job_id].request
    assert isinstance(request, kind)
    return request


def assert_served_file(api: Api, output: dict[str, Any], content_type: str) -> bytes:
    """Download an output's URL without a key: 200, its type, exactly ``size_bytes``; the bytes."""
    r = api.request("GET", path_of(output["url"]), key=None)
    assert r.status == 200, r.body[:300]
    assert r.headers["content-type"] == content_type
    assert len(r.body) == output["size_bytes"]
    assert int(r.headers["content-length"]) == output["size_bytes"]
    return r.body


def path_of(url: str) -> str:
    """The path of an output URL (``https://media.moltbotden.com/generated/...``)."""
    assert url.startswith(MEDIA_HOST + "/generated/"), url
    return url[len(MEDIA_HOST) :]


def one_mib_body(size: int, prompt: str = "a cat") -> bytes:
    """A valid JSON body padded with trailing whitespace to exactly ``size`` bytes."""
    core = ('{"prompt": "' + prompt + '"}').encode()
    assert size >= len(core)
    return core + b" " * (size - len(core))


# --- a standalone server in a subprocess ----------------------------------------------------------
def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def spawned_server(
    command: list[str],
    options: Callable[[int], list[str]],
    log: Path,
    headers: dict[str, str] | None = None,
) -> Iterator[tuple[subprocess.Popen[bytes], int, httpx.Client]]:
    """``command serve --port N *options(N)`` on a free port N: waits (bounded) for
    /_mock/health, yields (process, port, client), and always stops it with Ctrl-C; it must
    then have exited 0 with no traceback in its log."""
    port = free_port()
    argv = [*command, "serve", "--port", str(port), *options(port)]
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers or {}, timeout=5)
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}: {log.read_text()}")
            try:
                if client.get("/_mock/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server did not come up: {log.read_text()}")
            time.sleep(0.02)
        yield proc, port, client
    finally:
        client.close()
        interrupt(proc)
    # Reached only when the block ran: the server shut down cleanly on Ctrl-C.
    assert_stopped_cleanly(proc, log)


def interrupt(proc: subprocess.Popen[Any]) -> None:
    """Stop a spawned server as Ctrl-C would; killed if it does not stop within 5 s."""
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def assert_stopped_cleanly(proc: subprocess.Popen[Any], log: Path) -> None:
    """It exited 0 on the interrupt, with no traceback in its log."""
    assert proc.returncode == 0, log.read_text()
    assert "Traceback" not in log.read_text()
