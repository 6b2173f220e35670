"""MediaServer: the live server in a thread. It starts on a free loopback port, stops within
bounded time, gives its port and threads back, serves many clients at once, refuses an
oversized upload without reading it, and streams file downloads."""

from __future__ import annotations

import errno
import hashlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from mock_media import MediaBackend, build_handler
from mock_media.adapters.server import MediaServer, bind_socket
from mock_media.core.scenario import Scenario
from tests.doc_tables import API_PREFIX, IMAGE_PATH, MIB, VIDEO_PATH
from tests.helpers import assert_error, one_mib_body

KEY = {"X-API-Key": "k"}


def _threads() -> set[str]:
    return {f"{t.name}/{t.ident}" for t in threading.enumerate()}


def _new_threads(before: set[str], grace: float = 1.0) -> set[str]:
    """Threads started since ``before`` that are still alive after a short grace period.

    A stream's AnyIO worker thread is told to stop when the server's loop ends and exits a
    moment later, after the server thread itself: transient, not a leak.
    """
    deadline = time.monotonic() + grace
    while (extra := _threads() - before) and time.monotonic() < deadline:
        time.sleep(0.01)
    return extra


def _listening(port: int) -> bool:
    """Whether something accepts connections on the loopback port."""
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _can_bind(port: int) -> bool:
    """Whether a new listener could take the port (SO_REUSEADDR: TIME_WAIT does not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
            probe.listen()
        except OSError as exc:
            assert exc.errno == errno.EADDRINUSE
            return False
        return True


@contextmanager
def served(backend: MediaBackend) -> Iterator[tuple[MediaServer, httpx.Client]]:
    with MediaServer(backend) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        yield server, client


def _finished_video(client: httpx.Client) -> dict[str, Any]:
    """A completed 5 s standard video (about 8 MB), via the public and admin APIs."""
    job = client.post(VIDEO_PATH, json={"prompt": "a crab"}, headers=KEY).json()
    assert client.post("/_mock/clock/advance", json={"seconds": 120}).status_code == 200
    done: dict[str, Any] = client.get(f"{API_PREFIX}/{job['job_id']}", headers=KEY).json()
    assert done["status"] == "completed"
    return done


def _path(url: str) -> str:
    return urlsplit(url).path


# --- lifecycle ------------------------------------------------------------------------------
def test_media_server__serves_on_a_free_loopback_port(backend: MediaBackend) -> None:
    with served(backend) as (server, client):
        assert server.url == f"http://127.0.0.1:{server.port}"
        assert server.port > 0
        assert client.get("/_mock/health").json()["status"] == "ok"
        reply = client.post(IMAGE_PATH, json={"prompt": "a cat"}, headers=KEY)
        assert reply.status_code == 200
        assert reply.json()["outputs"][0]["width"] == 1024


def test_media_server__stop_releases_the_port(backend: MediaBackend) -> None:
    server = MediaServer(backend).start()
    try:
        port = server.port
        assert _listening(port)
        assert not _can_bind(port)
    finally:
        started = time.monotonic()
        server.stop()
    assert time.monotonic() - started < 2
    assert not _listening(port)
    assert _can_bind(port)
    with pytest.raises(RuntimeError):
        _ = server.port


def test_media_server__leaves_no_threads_behind(backend: MediaBackend) -> None:
    before = _threads()
    with served(backend) as (_, client):
        assert "mock-media-server" in {t.name for t in threading.enumerate()}
        client.post(IMAGE_PATH, json={"prompt": "a cat"}, headers=KEY)
        video = _finished_video(client)
        assert len(client.get(_path(video["outputs"][0]["url"])).content) > 0  # a threadpool stream
    assert _new_threads(before) == set()


def test_media_server__start_twice_is_refused_and_stop_twice_is_harmless(backend: MediaBackend) -> None:
    before = _threads()
    server = MediaServer(backend).start()
    try:
        with pytest.raises(RuntimeError, match="already started"):
            server.start()
    finally:
        server.stop()
    server.stop()
    assert _new_threads(before) == set()


def test_media_server__restarts_after_stop(backend: MediaBackend) -> None:
    server = MediaServer(backend)
    with server, httpx.Client(base_url=server.url) as client:
        job_id = client.post(IMAGE_PATH, json={"prompt": "a cat"}, headers=KEY).json()["job_id"]
    with server, httpx.Client(base_url=server.url) as client:
        assert client.get(f"{API_PREFIX}/{job_id}", headers=KEY).status_code == 200  # same backend


def test_media_server__serves_a_wire_handler_too(backend: MediaBackend) -> None:
    with MediaServer(build_handler(backend, admin=False)) as server, httpx.Client(base_url=server.url) as c:
        assert c.post(IMAGE_PATH, json={"prompt": "a cat"}, headers=KEY).status_code == 200
        assert c.get("/_mock/health").status_code == 404


def test_media_server__unbindable_host_raises_and_leaks_nothing(backend: MediaBackend) -> None:
    before = _threads()
    server = MediaServer(backend, host="192.0.2.1")  # TEST-NET-1: not an address of this machine
    with pytest.raises(OSError):
        server.start()
    assert _new_threads(before) == set()
    with pytest.raises(RuntimeError):
        _ = server.port


def test_media_server__ipv6_loopback(backend: MediaBackend) -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with MediaServer(backend, host="::1") as server, httpx.Client(base_url=server.url) as client:
        assert server.url == f"http://[::1]:{server.port}"
        assert client.get("/_mock/health").status_code == 200


def test_bind_socket__is_tcp_so_asyncio_disables_nagle() -> None:
    """asyncio sets TCP_NODELAY on accepted sockets only when the listening socket says
    IPPROTO_TCP; without it every answer waits >= 40 ms for a delayed ACK (measured in bench/,
    not here: timings do not belong in unit tests)."""
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert (sock.family, sock.type, sock.proto) == (
            socket.AF_INET,
            socket.SOCK_STREAM,
            socket.IPPROTO_TCP,
        )
    finally:
        sock.close()


def test_media_server__listens_on_a_tcp_socket(backend: MediaBackend) -> None:
    with MediaServer(backend) as server:
        sock = server._socket
        assert sock is not None and sock.proto == socket.IPPROTO_TCP


# --- concurrency ----------------------------------------------------------------------------
def test_media_server__serves_many_threads_at_once(backend: MediaBackend) -> None:
    clients, each = 8, 5
    gate = threading.Barrier(clients, timeout=5)
    with MediaServer(backend) as server:

        def work(i: int) -> list[httpx.Response]:
            with httpx.Client(base_url=server.url, timeout=5) as client:
                gate.wait()
                return [
                    client.post(IMAGE_PATH, json={"prompt": f"cat {i}"}, headers={"X-API-Key": f"key{i}"})
                    for _ in range(each)
                ]

        with ThreadPoolExecutor(clients) as pool:
            replies = [r for batch in pool.map(work, range(clients)) for r in batch]
    assert [r.status_code for r in replies] == [200] * clients * each
    assert len({r.json()["job_id"] for r in replies}) == clients * each
    assert backend.journal.total == clients * each
    assert sorted(backend.accounts) == sorted(f"key{i}" for i in range(clients))
    assert {a.balance for a in backend.accounts.values()} == {Decimal("100.00") - each * Decimal("0.04")}
    # Each account's own window counted its own requests: 30 - 5 left.
    assert {r.headers["x-ratelimit-remaining"] for r in replies[each - 1 :: each]} == {"25"}


def test_media_server__a_stalled_download_does_not_block_other_requests(backend: MediaBackend) -> None:
    with served(backend) as (server, client):
        path = _path(_finished_video(client)["outputs"][0]["url"])
        with httpx.Client(base_url=server.url, timeout=5) as downloader:
            with downloader.stream("GET", path) as download:
                assert download.status_code == 200
                assert len(next(download.iter_raw())) > 0
                started = time.monotonic()
                assert client.get("/_mock/health").status_code == 200
                assert client.post(IMAGE_PATH, json={"prompt": "a cat"}, headers=KEY).status_code == 200
                assert time.monotonic() - started < 1
            # Abandoned half-way: the server carries on.
        assert client.get("/_mock/health").status_code == 200
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 2.5


# --- scripted timeouts ----------------------------------------------------------------------
HANG = Scenario.from_dict(
    {
        "name": "hang",
        "rules": [{"name": "hang", "match": {"route": "generate_image"}, "action": {"transport": "timeout"}}],
    }
)


def _uvicorn_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    records = caplog.records
    return [r.getMessage() for r in records if r.name == "uvicorn.error" and r.levelno >= logging.ERROR]


def test_media_server__a_scripted_timeout_ends_when_its_client_gives_up(
    backend: MediaBackend, caplog: pytest.LogCaptureFixture
) -> None:
    # A storm of timeouts must not hold a server task each for two minutes: once the client
    # has given up, the stall is over, and the server stops at once with nothing logged.
    backend.load_scenario(HANG)
    with served(backend) as (_, client):
        for _ in range(3):
            with pytest.raises(httpx.ReadTimeout):
                client.post(IMAGE_PATH, json={"prompt": "a cat"}, headers=KEY, timeout=0.3)
        assert client.get("/_mock/health").status_code == 200
        time.sleep(0.2)  # the disconnects reach the server
        stopping = time.monotonic()
    assert time.monotonic() - stopping < 1  # no stalled task to wait out (the grace is 2 s)
    assert _uvicorn_errors(caplog) == []


def test_media_server__shutdown_during_a_scripted_timeout_drops_it_without_a_traceback(
    backend: MediaBackend, caplog: pytest.LogCaptureFixture
) -> None:
    backend.load_scenario(HANG)
    outcome: list[BaseException] = []

    def hang(url: str) -> None:
        try:
            httpx.post(url + IMAGE_PATH, json={"prompt": "a cat"}, headers=KEY, timeout=30)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    with served(backend) as (server, _):
        waiting = threading.Thread(target=hang, args=(server.url,))
        waiting.start()
        deadline = time.monotonic() + 5
        while len(backend.journal) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)  # the request reached the fake, which stalls it
    waiting.join(5)
    assert not waiting.is_alive()
    assert [type(exc) for exc in outcome] == [httpx.RemoteProtocolError]  # dropped, not a 500
    # uvicorn says it cancelled the stalled request, but no traceback comes with it.
    assert [m for m in _uvicorn_errors(caplog) if "Exception in ASGI application" in m] == []
    assert not any(r.exc_info for r in caplog.records if r.name == "uvicorn.error")


# --- oversized uploads ----------------------------------------------------------------------
def _raw_exchange(port: int, head: bytes, body_parts: Iterator[bytes]) -> tuple[int, bytes]:
    """Send a request's head and some body, never finishing it; read the response."""
    with socket.create_connection(("127.0.0.1", port), timeout=3) as sock:
        sock.sendall(head)
        for part in body_parts:
            sock.sendall(part)
        received = b""
        while b"\r\n\r\n" not in received:
            chunk = sock.recv(65536)
            assert chunk, f"connection closed before a response: {received!r}"
            received += chunk
        head_part, _, body = received.partition(b"\r\n\r\n")
        lines = head_part.decode("latin-1").split("\r\n")
        length = next(
            int(v) for k, _, v in (h.partition(": ") for h in lines[1:]) if k.lower() == "content-length"
        )
        while len(body) < length:
            chunk = sock.recv(65536)
            assert chunk
            body += chunk
        return int(lines[0].split()[1]), body


def _assert_413(status: int, body: bytes) -> None:
    assert status == 413
    assert b'"code":"payload_too_large"' in body


def test_media_server__oversized_body_is_413_and_charges_nothing(backend: MediaBackend) -> None:
    with served(backend) as (_, client):
        reply = client.post(
            IMAGE_PATH, content=b"x" * (2 * MIB), headers={**KEY, "Content-Type": "application/json"}
        )
        assert reply.status_code == 413
        assert_error(reply.json(), 413, "payload_too_large")
        assert reply.headers["x-ratelimit-remaining"] == "30"  # decision 14: uses no slot
        assert client.post(IMAGE_PATH, json={"prompt": "a cat"}, headers=KEY).status_code == 200
    assert backend.accounts["k"].balance == Decimal("99.96")
    assert [e.status for e in backend.journal] == [413, 200]


def test_media_server__declared_oversized_body_is_refused_before_it_is_sent(backend: MediaBackend) -> None:
    """Content-Length says 64 MiB, 1 KiB is sent: the 413 comes without waiting for the rest."""
    with MediaServer(backend) as server:
        head = (
            b"POST " + IMAGE_PATH.encode() + b" HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\n"
            b"Content-Type: application/json\r\nContent-Length: " + str(64 * MIB).encode() + b"\r\n\r\n"
        )
        status, body = _raw_exchange(server.port, head, iter([b"{" * 1024]))
    _assert_413(status, body)


def test_media_server__chunked_upload_is_cut_off_past_the_limit(backend: MediaBackend) -> None:
    """No length declared: the server stops reading past 1 MiB and answers, body unfinished."""
    with MediaServer(backend) as server:
        head = (
            b"POST "
            + IMAGE_PATH.encode()
            + b" HTTP/1.1\r\nHost: x\r\nX-API-Key: k\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        block = b" " * 65536
        parts = iter([b"%x\r\n" % len(block) + block + b"\r\n"] * 17)  # 1.06 MiB, no final chunk
        status, body = _raw_exchange(server.port, head, parts)
    _assert_413(status, body)


def test_media_server__oversized_body_without_a_key_is_413_without_rate_headers(
    backend: MediaBackend,
) -> None:
    with served(backend) as (_, client):
        reply = client.post(IMAGE_PATH, content=b"x" * (MIB + 1))
    assert reply.status_code == 413
    assert not [h for h in reply.headers if h.startswith("x-ratelimit")]


def test_media_server__body_of_exactly_the_limit_is_read(backend: MediaBackend) -> None:
    padded = one_mib_body(MIB)
    assert len(padded) == MIB
    with served(backend) as (_, client):
        reply = client.post(IMAGE_PATH, content=padded, headers={**KEY, "Content-Type": "application/json"})
    assert reply.status_code == 200, reply.text


# --- file downloads -------------------------------------------------------------------------
def test_media_server__streams_a_video_file_of_exactly_size_bytes(backend: MediaBackend) -> None:
    with served(backend) as (_, client):
        output = _finished_video(client)["outputs"][0]
        size = output["size_bytes"]
        assert size > 4 * MIB  # the doc's example is 8,388,608 bytes
        with client.stream("GET", _path(output["url"])) as download:
            assert download.status_code == 200
            assert download.headers["content-type"] == "video/mp4"
            assert download.headers["content-length"] == str(size)
            assert "x-ratelimit-limit" not in download.headers
            chunks = list(download.iter_raw())
        data = b"".join(chunks)
        assert len(data) == size
        assert len(chunks) > 1
        assert data[4:8] == b"ftyp"
        again = client.get(_path(output["url"])).content
        assert hashlib.sha256(again).digest() == hashlib.sha256(data).digest()
        head = client.head(_path(output["url"]))
        assert head.status_code == 200
        assert head.headers["content-length"] == str(size)
        assert head.content == b""


def test_media_server__image_file_download_and_delete(backend: MediaBackend) -> None:
    with served(backend) as (_, client):
        job = client.post(IMAGE_PATH, json={"prompt": "a cat", "aspect_ratio": "16:9"}, headers=KEY).json()
        output = job["outputs"][0]
        path = _path(output["url"])
        assert path == f"/generated/{job['job_id']}_0.webp"
        download = client.get(path)
        assert download.status_code == 200
        assert download.headers["content-type"] == "image/webp"
        assert len(download.content) == output["size_bytes"]
        assert download.content[:4] == b"RIFF" and download.content[8:12] == b"WEBP"
        assert client.delete(f"{API_PREFIX}/{output['media_id']}", headers=KEY).status_code == 200
        gone = client.get(path)
        assert gone.status_code == 404
        assert_error(gone.json(), 404, "not_found")
