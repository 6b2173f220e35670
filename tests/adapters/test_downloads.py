"""File downloads through the Starlette door: the prefix is rendered once, in a worker thread,
and every chunk is sent from the event loop. Whatever the path (whole file, ranges, HEAD, 304,
416), the live server and Starlette's TestClient answer byte for byte as the in-process wire
handler does; a client that leaves mid-download stops the stream, and the server serves on."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from mock_media import MediaBackend, MockConfig, build_handler
from mock_media.adapters.asgi import create_app
from mock_media.adapters.server import MediaServer
from mock_media.core.content import FileSpec, StdlibRenderer, iter_file
from mock_media.media import default_renderer
from mock_media.wire import WireRequest, WireResponse, dispatch
from tests.doc_tables import API_PREFIX, IMAGE_PATH, MIB, VIDEO_PATH

KEY = {"X-API-Key": "k"}
SERVER_THREAD = "mock-media-server"  # MediaServer's thread: the event loop's
# Headers uvicorn adds to every response; the handler's own must come through unchanged.
SERVER_HEADERS = {"date", "server"}


def _path(url: str) -> str:
    return urlsplit(url).path


def _outputs(client: httpx.Client | TestClient, seconds: int = 5) -> tuple[dict[str, Any], dict[str, Any]]:
    """A drawn 16:9 image and a finished ``seconds``-long standard video."""
    image = client.post(IMAGE_PATH, json={"prompt": "a cat", "aspect_ratio": "16:9"}, headers=KEY).json()
    body = {"prompt": "a crab", "duration_seconds": seconds}
    video = client.post(VIDEO_PATH, json=body, headers=KEY).json()
    assert client.post("/_mock/clock/advance", json={"seconds": 600}).status_code == 200
    done = client.get(f"{API_PREFIX}/{video['job_id']}", headers=KEY).json()
    assert done["status"] == "completed"
    return image["outputs"][0], done["outputs"][0]


def _in_process(backend: MediaBackend, method: str, path: str, headers: dict[str, str]) -> tuple[Any, ...]:
    answer = build_handler(backend)(WireRequest.build(method, path, headers=headers))
    return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()


# (method, headers) for each way a file can be asked for; "{etag}" is the file's own.
ASKS = {
    "whole": ("GET", {}),
    "head": ("HEAD", {}),
    "not-modified": ("GET", {"If-None-Match": "{etag}"}),
    "range-in-prefix": ("GET", {"Range": "bytes=0-99"}),
    "range-across-prefix-and-zeros": ("GET", {"Range": "bytes=10-3000000"}),
    "range-of-zeros": ("GET", {"Range": "bytes=-70000"}),
    "range-past-the-end": ("GET", {"Range": "bytes=999999999-"}),
    "if-range-stale": ("GET", {"Range": "bytes=0-99", "If-Range": '"other"'}),
}


@pytest.fixture(scope="module")
def drawn() -> MediaBackend:
    """One backend drawing real pictures, shared by the comparisons (renders are the slow part)."""
    return MediaBackend(MockConfig(), renderer=default_renderer())


@pytest.fixture(scope="module")
def live(drawn: MediaBackend) -> Iterator[tuple[httpx.Client, dict[str, Any], dict[str, Any]]]:
    with MediaServer(drawn) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        yield (client, *_outputs(client))


@pytest.mark.parametrize("kind", ["image", "video"])
@pytest.mark.parametrize("ask", sorted(ASKS))
def test_download__the_live_server_answers_as_the_in_process_handler(
    drawn: MediaBackend, live: tuple[httpx.Client, dict[str, Any], dict[str, Any]], kind: str, ask: str
) -> None:
    client, image, video = live
    path = _path((image if kind == "image" else video)["url"])
    method, asked = ASKS[ask]
    etag = client.head(path).headers["etag"]
    headers = {name: value.replace("{etag}", etag) for name, value in asked.items()}

    status, expected_headers, expected_body = _in_process(drawn, method, path, headers)
    reply = client.request(method, path, headers=headers)

    assert (reply.status_code, ask) == (status, ask)
    assert dict(reply.headers) == {**expected_headers, **{k: reply.headers[k] for k in SERVER_HEADERS}}
    assert reply.content == expected_body
    if method == "HEAD" or status in (304, 416):
        assert reply.content == b""
    else:
        assert len(reply.content) == int(reply.headers["content-length"]) > 0


def test_download__starlette_testclient_gets_the_same_bytes(drawn: MediaBackend) -> None:
    """The in-process ASGI door (no uvicorn: another receive and send) streams the same files."""
    with TestClient(create_app(drawn)) as client:
        image, video = _outputs(client)
        for output in (image, video):
            path = _path(output["url"])
            reply = client.get(path)
            assert reply.status_code == 200
            assert reply.content == _in_process(drawn, "GET", path, {})[2]
            assert len(reply.content) == output["size_bytes"]
        ranged = client.get(_path(video["url"]), headers={"Range": "bytes=5-2000000"})
        assert (ranged.status_code, len(ranged.content)) == (206, 1999996)


class _Recorder:
    """Which threads render prefixes and pull chunks, how many bytes were pulled, and when a
    stream was let go (its chunk iterator closed, whether read to the end or not)."""

    def __init__(self) -> None:
        self.render_threads: list[str] = []
        self.chunk_threads: set[str] = set()
        self.pulled = 0
        self.chunks = 0
        self.released = threading.Event()

    def renderer(self) -> StdlibRenderer:
        recorder = self

        class Recording(StdlibRenderer):
            def prefix(self, spec: FileSpec) -> bytes:
                recorder.render_threads.append(threading.current_thread().name)
                return super().prefix(spec)

        return Recording()

    def iter_file(self, prefix: bytes, size: int, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
        try:
            for chunk in iter_file(prefix, size, start, stop):
                self.chunk_threads.add(threading.current_thread().name)
                self.pulled += len(chunk)
                self.chunks += 1
                yield chunk
        finally:
            self.released.set()


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> _Recorder:
    recorder = _Recorder()
    monkeypatch.setattr(dispatch, "iter_file", recorder.iter_file)
    return recorder


def test_download__renders_once_off_the_loop_and_sends_every_chunk_from_it(recorder: _Recorder) -> None:
    backend = MediaBackend(MockConfig(), renderer=recorder.renderer())
    with MediaServer(backend) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        _, video = _outputs(client)
        reply = client.get(_path(video["url"]))

    assert reply.status_code == 200
    assert len(reply.content) == video["size_bytes"] > 4 * MIB
    assert recorder.chunks > 16
    (render_thread,) = recorder.render_threads  # once for the whole file
    assert render_thread != SERVER_THREAD  # a render never holds up the loop
    assert recorder.chunk_threads == {SERVER_THREAD}  # no thread hop per chunk


def _leave_early(port: int, path: str) -> None:
    """Ask for ``path`` on a connection with a tiny receive window, read a little, and close."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: the window
        sock.settimeout(5)
        sock.connect(("127.0.0.1", port))
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")


def test_download__a_client_leaving_mid_download_stops_the_stream(recorder: _Recorder) -> None:
    backend = MediaBackend(MockConfig(), renderer=StdlibRenderer())
    with MediaServer(backend) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        _, video = _outputs(client, seconds=30)  # ~50 MB: far more than any socket buffers
        size = video["size_bytes"]
        assert size > 40 * MIB

        _leave_early(server.port, _path(video["url"]))

        assert recorder.released.wait(5), "the stream was never let go after its client left"
        assert recorder.pulled < size // 4
        assert client.get("/_mock/health").status_code == 200
        whole = client.get(_path(video["url"]))  # and the next download is whole
        assert len(whole.content) == size


@pytest.mark.parametrize("http", ["h11", "httptools"])
def test_download__a_client_leaving_on_plain_asyncio_leaves_no_warnings(
    http: str, caplog: pytest.LogCaptureFixture
) -> None:
    # Without the fast extra the loop is asyncio's, whose transport warns on every write
    # after the connection was lost until the loop has run ``connection_lost``.
    if http == "httptools":
        pytest.importorskip("httptools")
    backend = MediaBackend(MockConfig(), renderer=StdlibRenderer())
    with MediaServer(backend, loop="asyncio", http=http) as server:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            image, video = _outputs(client)
            for output in (image, video, video):
                _leave_early(server.port, _path(output["url"]))
            time.sleep(0.3)
            assert client.get("/_mock/health").status_code == 200
    assert [r.getMessage() for r in caplog.records if r.name == "asyncio"] == []


def _other_handler(request: WireRequest) -> WireResponse:
    """A handler that is not the fake's: chunks in a list, or from any iterator."""
    headers = {"Content-Type": "text/plain", "Content-Length": "10"}
    if request.path == "/list":
        return WireResponse(200, headers, chunks=[b"01234", b"56789"])
    return WireResponse(200, headers, chunks=(part for part in (b"0123", b"456789")))


@pytest.mark.parametrize("path", ["/list", "/iterator"])
def test_download__another_handlers_chunks_still_stream(path: str) -> None:
    with MediaServer(_other_handler) as server, httpx.Client(base_url=server.url, timeout=5) as client:
        reply = client.get(path)
    assert (reply.status_code, reply.content) == (200, b"0123456789")
    assert reply.headers["content-length"] == "10"
