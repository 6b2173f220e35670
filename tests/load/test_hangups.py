"""Clients that hang up, against a ``mock-media serve`` of their own (so that a traceback in
its log, as when the door once let Starlette's ``ClientDisconnect`` escape, is never blamed on
a test sharing a server). A request that never completes must leave no trace; one that
completes just before its client leaves is answered once or not at all, never half.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from .harness import CAT, DEFAULT_BALANCE, Books, Server, connect, post_head, spawn, usd

pytestmark = pytest.mark.load


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """This module's own server (not the package's shared one)."""
    with spawn(tmp_path_factory.mktemp("hangups") / "server.log") as served:
        yield served


def settle(server: Server, key: str) -> list[dict[str, Any]]:
    """``key``'s journal once the server has finished with what it was sent: answers to
    requests whose clients hung up may still be in flight, so it waits (bounded) until three
    looks in a row agree."""
    seen: list[list[dict[str, Any]]] = []
    deadline = time.monotonic() + 3
    while len(seen) < 3 or seen[-1] != seen[-3] or seen[-1] != seen[-2]:
        assert time.monotonic() < deadline, "the journal kept changing"
        assert server.healthy()
        seen.append(server.entries(key))
        time.sleep(0.02)
    return seen[-1]


def wait_for_traceback(server: Server, mark: int, seconds: float = 1.0) -> str:
    """The log since ``mark`` once a traceback shows up in it, or after ``seconds``."""
    deadline = time.monotonic() + seconds
    while "Traceback" not in server.log_since(mark) and time.monotonic() < deadline:
        time.sleep(0.02)
    return server.log_since(mark)


def hang_up_mid_body(server: Server, key: str, framing: str) -> None:
    """Headers and half a body, then close: the request never completes."""
    half = CAT[: len(CAT) // 2]
    if framing == "content-length":
        data = post_head(key, ("Content-Length", 2 * len(CAT))) + half
    else:
        data = post_head(key, ("Transfer-Encoding", "chunked")) + b"%x\r\n" % len(half) + half + b"\r\n"
    with connect(server.port) as sock:
        sock.sendall(data)
    assert server.healthy()  # a request on another connection, after the hang-up


@pytest.mark.parametrize("framing", ["content-length", "chunked"])
def test_hang_up_mid_body__nothing_opened_journaled_or_charged(own_server: Server, framing: str) -> None:
    """A request that never completes was never made: not even its key counts."""
    key = f"abuse-half-{framing}"
    before = Books.of(own_server)

    hang_up_mid_body(own_server, key, framing)

    assert Books.of(own_server) == before  # no account, no charge, no journal entry
    assert own_server.healthy()


def test_hang_up_mid_body__is_no_crash_in_the_log(own_server: Server) -> None:
    mark = own_server.log_mark()

    hang_up_mid_body(own_server, "abuse-half-log", "content-length")

    assert "Traceback" not in wait_for_traceback(own_server, mark)


def test_hang_up_right_after_a_whole_request__answered_once_or_not_at_all(own_server: Server) -> None:
    """The server may see the hang-up before or after it reads the body: either the request is
    answered (journaled once, charged once) or it is not (nothing at all); never half."""
    key, sent = "abuse-gone", 20
    before = Books.of(own_server)
    data = post_head(key, ("Content-Length", len(CAT))) + CAT
    for _ in range(sent):
        with connect(own_server.port) as sock:
            sock.sendall(data)

    entries = settle(own_server, key)

    answered = len(entries)
    assert answered <= sent
    assert all((e["status"], e["cost_usd"]) == (200, "0.04") for e in entries), entries
    after = Books.of(own_server)
    assert after.journaled == before.journaled + answered
    if answered:
        account = after.accounts.pop(key)
        assert usd(account["balance_usd"]) == DEFAULT_BALANCE - Decimal("0.04") * answered
        assert usd(account["spent_usd"]) == Decimal("0.04") * answered
    assert after.accounts == before.accounts
