"""Hostile clients against a real ``mock-media serve``, on raw sockets where no HTTP library
would misbehave so: trickled headers, bodies over 1 MiB, JSON nested past any parser's stack,
bytes that are not UTF-8, headers of many KiB (hang-ups are in ``test_hangups.py``).

After each the server must still be up (``GET /_mock/health``), and the broken request must
leave nothing behind but what the server answered: no account opened, no money moved, no
journal entry for a request that was never answered.
"""

from __future__ import annotations

import json
import time
from decimal import Decimal

import httpx
import pytest

from mock_media import MockMedia, WireRequest
from tests.doc_tables import API_PREFIX, IMAGE_PATH, MIB
from tests.helpers import assert_error

from .harness import (
    DEFAULT_BALANCE,
    Books,
    RawReply,
    Server,
    connect,
    exchange,
    load_seconds,
    post_head,
    read_reply,
    request_head,
    usd,
)

pytestmark = pytest.mark.load

# Both parsers uvicorn may run (httptools, h11) let these through when they arrive at once.
HUGE_HEADERS = {
    "one 100 KiB value": [("X-Junk", "a" * 100 * 1024)],
    "5,000 headers": [(f"X-Junk-{i}", "v") for i in range(5000)],
}


# --- slowloris ----------------------------------------------------------------------------------
def test_slowloris__others_are_served_meanwhile_and_the_tricklers_are_answered(live: Server) -> None:
    """Sixteen clients trickle their headers a byte at a time while a bystander works as usual;
    then they finish and are answered (or dropped: also fair). uvicorn has no header timeout,
    so nothing here waits for one: every socket gives up after a few seconds."""
    key, bystander = "abuse-slow", "abuse-slow-bystander"
    request = request_head("GET", API_PREFIX, ("X-API-Key", key), ("X-Slow", "z" * 200))
    before = Books.of(live)
    tricklers = [connect(live.port) for _ in range(16)]
    served: list[int] = []
    try:
        position, deadline = 0, time.monotonic() + load_seconds() / 2
        with httpx.Client(base_url=live.url, timeout=3, headers={"X-API-Key": bystander}) as client:
            while time.monotonic() < deadline and position < len(request) - 4:
                for sock in tricklers:
                    sock.sendall(request[position : position + 1])
                position += 1
                if position % 8 == 0:  # the server is busy with sixteen half-sent requests
                    served.append(client.get("/_mock/health").status_code)
                    served.append(client.get(API_PREFIX).status_code)
                time.sleep(0.01)
        replies: list[RawReply | None] = []
        for sock in tricklers:
            sock.sendall(request[position:])
            replies.append(read_reply(sock))
    finally:
        for sock in tricklers:
            sock.close()

    assert served and set(served) == {200}, served
    answered = [r for r in replies if r is not None]
    assert all(r.status == 200 for r in answered), [r.status for r in answered]
    assert [e["status"] for e in live.entries(key)] == [200] * len(answered)
    assert len(live.entries(bystander)) == len(served) // 2  # the health checks are not journaled
    after = Books.of(live)
    assert after.journaled == before.journaled + len(answered) + len(served) // 2
    assert set(after.accounts) - set(before.accounts) == {bystander} | ({key} if answered else set())


# --- oversized, malformed and hostile bodies ------------------------------------------------------
@pytest.mark.parametrize("framing", ["declared", "chunked"])
def test_body_over_1_mib__413_with_the_error_envelope_and_nothing_kept(live: Server, framing: str) -> None:
    """Declared: Content-Length says 2 MiB, 64 KiB come. Chunked: 1.06 MiB of chunks, never
    finished. The server answers without waiting for the rest (decision 4: 413)."""
    key = f"abuse-413-{framing}"
    before = Books.of(live)
    block = b" " * 65536
    if framing == "declared":
        data = post_head(key, ("Content-Length", 2 * MIB)) + block
    else:
        chunk = b"%x\r\n" % len(block) + block + b"\r\n"
        data = post_head(key, ("Transfer-Encoding", "chunked")) + chunk * 17

    reply = exchange(live.port, data)

    assert reply is not None
    assert_error(reply.json(), 413, "payload_too_large")
    assert reply.status == 413
    after = Books.of(live)
    assert after.accounts == before.accounts  # decision 14: refused before the key counts
    assert after.journaled == before.journaled + 1
    [entry] = live.entries(key)
    assert (entry["status"], entry["error_code"], entry["cost_usd"]) == (413, "payload_too_large", None)


@pytest.mark.parametrize(
    "body",
    [
        b'{"prompt": ' + b"[" * 200_000 + b"]" * 200_000 + b"}",
        b"[" * 500_000 + b"]" * 500_000,
        b'{"prompt": "a \xff\xfe cat"}',
        b"\xc3\x28\xa0\xa1",
    ],
    ids=["nested-200k-in-prompt", "nested-500k", "invalid-utf8-in-prompt", "invalid-utf8"],
)
def test_hostile_json__400_invalid_parameter_naming_body_nothing_charged(live: Server, body: bytes) -> None:
    """Decision 4: not JSON is 400 invalid_parameter, param "body". The key opens its account
    (decision 6) and the request uses its slot (decision 14), but no money moves."""
    key = f"abuse-json-{len(body)}"
    before = Books.of(live)

    reply = live.client.post(IMAGE_PATH, content=body, headers={"X-API-Key": key})

    assert_error(reply.json(), 400, "invalid_parameter", param="body")
    assert reply.status_code == 400
    assert reply.headers["x-ratelimit-remaining"] == "29"
    after = Books.of(live)
    account = after.accounts.pop(key)
    assert (usd(account["balance_usd"]), usd(account["spent_usd"])) == (DEFAULT_BALANCE, Decimal(0))
    assert after.accounts == before.accounts
    assert after.journaled == before.journaled + 1
    assert [(e["status"], e["cost_usd"]) for e in live.entries(key)] == [(400, None)]


# --- huge headers -------------------------------------------------------------------------------
@pytest.mark.parametrize("headers", list(HUGE_HEADERS.values()), ids=list(HUGE_HEADERS))
def test_huge_headers__the_server_survives_and_its_books_agree_with_its_answer(
    live: Server, headers: list[tuple[str, str]]
) -> None:
    """Whatever the parser decides, the answer and the books agree: a 4xx from the parser is
    never journaled and opens nothing; an answer from the API is journaled once."""
    key = f"abuse-headers-{len(headers)}"
    before = Books.of(live)

    reply = exchange(live.port, request_head("GET", API_PREFIX, ("X-API-Key", key), *headers))

    after = Books.of(live)
    if reply is None or reply.status in (400, 431):  # refused by the HTTP parser
        assert after == before
    else:
        assert reply.status == 200
        assert [e["status"] for e in live.entries(key)] == [200]
        assert after.journaled == before.journaled + 1
        assert set(after.accounts) - set(before.accounts) == {key}


@pytest.mark.parametrize("headers", list(HUGE_HEADERS.values()), ids=list(HUGE_HEADERS))
def test_huge_headers__are_refused_with_a_clear_4xx(live: Server, headers: list[tuple[str, str]]) -> None:
    reply = exchange(live.port, request_head("GET", "/_mock/health", *headers))

    assert reply is not None and reply.status == 400, reply and reply.status
    assert_error(json.loads(reply.body), 400, "invalid_parameter", param="headers")


def test_huge_headers__the_journal_counts_them_in_its_memory_budget(live: Server) -> None:
    """httptools takes a header of megabytes, and the journal keeps request headers: its 64 MiB
    budget must count them, or 10,000 such requests would hold gigabytes."""
    key, sent = "abuse-header-budget", 24
    before = live.admin("GET", "/journal", account="(nobody)")
    data = request_head("GET", API_PREFIX, ("X-API-Key", key), ("X-Junk", "a" * 3 * MIB))
    statuses = set()
    for _ in range(sent):  # 72 MiB of headers in all
        reply = exchange(live.port, data, timeout=10)
        statuses.add(None if reply is None else reply.status)

    after = live.admin("GET", "/journal", account="(nobody)")

    if statuses == {200}:
        assert after["dropped"] > before["dropped"]
    else:  # refused before the API (a header limit): nothing reached the journal
        assert statuses <= {None, 400, 431}, statuses
        assert after["total"] == before["total"]


def test_huge_headers__the_journal_budget_counts_them_whatever_the_door() -> None:
    """The same budget, in process: 1,200 requests with a 60 KiB header each (under the header
    limit; one string, shared, so this test holds 60 KiB) must push the oldest out of the
    64 MiB journal."""
    fake = MockMedia()
    junk = "a" * 60 * 1024
    for _ in range(1200):
        answer = fake(WireRequest.build("GET", API_PREFIX, headers={"X-API-Key": "k", "X-Junk": junk}))
        assert answer.status == 200

    assert fake.journal.dropped > 0
    assert len(fake.journal) < 1200
