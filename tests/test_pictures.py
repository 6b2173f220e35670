"""Which pictures a server draws: ``mock-media serve --pictures drawn|flat`` (else
``$MOCK_MEDIA_PICTURES``, else drawn) picks the renderer through ``pictures_renderer``, and the
banner says which. "drawn" is the default renderer, chosen (and Pillow imported) only at the
first download; "flat" is one-colour WebPs of the exact size, and the same videos.

End to end: two ``python -m mock_media serve`` processes, one drawn, one flat by the
environment variable, with the same seed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import socket
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from PIL import Image
from starlette.applications import Starlette

from mock_media import MockConfig
from mock_media.adapters import server as server_module
from mock_media.adapters.server import bind_socket
from mock_media.cli import main
from mock_media.core.content import CachedRenderer, FileSpec, StdlibRenderer
from mock_media.core.facts import Kind
from mock_media.media import (
    PICTURES_ENV,
    DeferredRenderer,
    default_renderer,
    describe_pictures,
    flat_renderer,
    pictures_renderer,
)
from mock_media.wire.control import ADMIN_TOKEN_ENV
from tests.doc_tables import API_PREFIX, IMAGE_PATH, VIDEO_PATH
from tests.helpers import spawned_server

SPEC = FileSpec(Kind.IMAGE, "webp", 320, 240, 20_000, 5, "img_x", 0, "a lighthouse")
KEY = {"X-API-Key": "k"}


@pytest.fixture(autouse=True)
def no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's environment must not choose for the tests."""
    monkeypatch.delenv(PICTURES_ENV, raising=False)
    monkeypatch.delenv(ADMIN_TOKEN_ENV, raising=False)


# --- the choice, as a renderer -------------------------------------------------------------
def test_pictures_renderer__flat_is_the_process_one_cached_one_colour_renderer() -> None:
    flat = pictures_renderer("flat")

    assert isinstance(flat, CachedRenderer)
    assert type(flat.renderer) is StdlibRenderer
    assert pictures_renderer("flat") is flat is flat_renderer()
    assert flat is not default_renderer()


def test_pictures_renderer__drawn_is_the_default_renderer() -> None:
    assert pictures_renderer() is pictures_renderer("drawn") is default_renderer()


def test_pictures_renderer__an_unknown_choice_is_an_error() -> None:
    with pytest.raises(ValueError, match="drawn, flat"):
        pictures_renderer("shiny")


def test_pictures_renderer__deferred_drawn_chooses_at_the_first_prefix() -> None:
    deferred = pictures_renderer("drawn", deferred=True)

    assert isinstance(deferred, DeferredRenderer)
    assert deferred.chosen is None
    assert deferred.name == "deferred"
    assert deferred.prefix(SPEC) == default_renderer().prefix(SPEC)
    assert deferred.chosen is default_renderer()
    assert deferred.name == default_renderer().name  # what is active, once chosen
    assert pictures_renderer("flat", deferred=True) is flat_renderer()  # nothing to defer


def test_deferred_renderer__threads_racing_to_the_first_prefix_choose_once() -> None:
    chosen: list[StdlibRenderer] = []

    def choose() -> StdlibRenderer:
        time.sleep(0.05)  # a slow import: every thread arrives meanwhile
        chosen.append(StdlibRenderer())
        return chosen[-1]

    deferred = DeferredRenderer(choose)
    gate = threading.Barrier(8, timeout=5)

    def first_download(_: int) -> bytes:
        gate.wait()
        return deferred.prefix(SPEC)

    with ThreadPoolExecutor(8) as pool:
        prefixes = set(pool.map(first_download, range(8)))

    assert len(chosen) == 1
    assert deferred.chosen is chosen[0]
    assert prefixes == {StdlibRenderer().prefix(SPEC)}


def test_describe_pictures__says_what_will_be_drawn(monkeypatch: pytest.MonkeyPatch) -> None:
    assert describe_pictures("flat") == "flat pictures (one colour each)"
    assert describe_pictures("drawn") == "drawn pictures (Pillow)"
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None if name == "PIL" else real(name))
    assert describe_pictures("drawn") == "drawn pictures in one colour (the media extra adds Pillow)"


# --- serve() --------------------------------------------------------------------------------
def _served_app(monkeypatch: pytest.MonkeyPatch, **options: Any) -> Starlette:
    """The app ``serve()`` would run, built but never run."""
    apps: list[Starlette] = []

    class NotRun:
        def run(self, sockets: list[socket.socket]) -> None:
            pass

    def build(app: Starlette, **_: Any) -> NotRun:
        apps.append(app)
        return NotRun()

    monkeypatch.setattr(server_module, "_uvicorn_server", build)
    server_module.serve(MockConfig(), sock=bind_socket("127.0.0.1", 0), **options)
    (app,) = apps
    return app


def test_serve__flat_pictures_use_the_flat_renderer(monkeypatch: pytest.MonkeyPatch) -> None:
    app = _served_app(monkeypatch, pictures="flat")
    assert app.state.handler.backend.renderer is flat_renderer()


def test_serve__drawn_pictures_are_chosen_at_the_first_download(monkeypatch: pytest.MonkeyPatch) -> None:
    renderer = _served_app(monkeypatch).state.handler.backend.renderer
    assert isinstance(renderer, DeferredRenderer)
    assert renderer.chosen is None


def test_serve__unknown_pictures_are_refused() -> None:
    with socket.socket() as sock, pytest.raises(ValueError, match="pictures"):
        server_module.serve(MockConfig(), sock=sock, pictures="shiny")


# --- the command line -----------------------------------------------------------------------
def _main_served(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *options: str) -> Any:
    """(the pictures main() hands serve(), the banner's uvicorn line), serve() only recorded."""
    calls: list[dict[str, Any]] = []

    def record(config: MockConfig, **kwargs: Any) -> None:
        kwargs["sock"].close()
        calls.append(kwargs)

    monkeypatch.setattr(server_module, "serve", record)
    assert main(["serve", "--port", "0", *options]) == 0
    (kwargs,) = calls
    banner = capsys.readouterr().err.splitlines()
    return kwargs["pictures"], banner[1]


@pytest.mark.parametrize(
    ("options", "environment", "pictures"),
    [
        ((), None, "drawn"),
        ((), "", "drawn"),  # an empty variable is no choice
        (("--pictures", "flat"), None, "flat"),
        (("--pictures", "drawn"), None, "drawn"),
        ((), "flat", "flat"),
        ((), " flat ", "flat"),
        (("--pictures", "drawn"), "flat", "drawn"),  # the option wins
    ],
)
def test_main__pictures_from_the_option_else_the_environment_else_drawn(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    options: tuple[str, ...],
    environment: str | None,
    pictures: str,
) -> None:
    if environment is not None:
        monkeypatch.setenv(PICTURES_ENV, environment)

    chosen, uvicorn_line = _main_served(monkeypatch, capsys, *options)

    assert chosen == pictures
    assert uvicorn_line.startswith("mock-media: uvicorn with ")
    assert uvicorn_line.endswith(f"; {describe_pictures(pictures)}")


def _one_error_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *options: str
) -> str:
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("main() tried to serve")

    monkeypatch.setattr(server_module, "serve", refuse)
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--port", "0", *options])
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    (line,) = err.splitlines()
    return line


def test_main__unknown_pictures_option_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    line = _one_error_line(capsys, monkeypatch, "--pictures", "shiny")
    assert line.startswith("mock-media: error: argument --pictures: invalid choice: 'shiny'")


def test_main__unknown_pictures_in_the_environment_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(PICTURES_ENV, "shiny")
    line = _one_error_line(capsys, monkeypatch)
    assert line == f"mock-media: error: {PICTURES_ENV}: must be one of drawn, flat, got 'shiny'"


# --- end to end -----------------------------------------------------------------------------
def _pillow_loaded(pid: int) -> bool:
    """Whether Pillow's C extension is mapped into the process."""
    maps = Path(f"/proc/{pid}/maps")
    if not maps.exists():
        pytest.skip("needs /proc/<pid>/maps (Linux)")
    return "/PIL/_imaging" in maps.read_text()


class Served:
    def __init__(self, pid: int, port: int, client: httpx.Client, log: Path) -> None:
        self.pid, self.port, self.client, self.log = pid, port, client, log

    def outputs(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """After a reset: a 16:9 image and a finished 5 s video (the same ids on every server)."""
        assert self.client.post("/_mock/reset").status_code == 200
        image = self.client.post(IMAGE_PATH, json={"prompt": "a cat", "aspect_ratio": "16:9"}, headers=KEY)
        video = self.client.post(VIDEO_PATH, json={"prompt": "a crab"}, headers=KEY).json()
        assert self.client.post("/_mock/clock/advance", json={"seconds": 600}).status_code == 200
        done = self.client.get(f"{API_PREFIX}/{video['job_id']}", headers=KEY).json()
        assert done["status"] == "completed"
        return image.json()["outputs"][0], done["outputs"][0]

    def download(self, output: dict[str, Any]) -> bytes:
        reply = self.client.get(urlsplit(output["url"]).path)
        assert reply.status_code == 200
        assert len(reply.content) == int(reply.headers["content-length"]) == output["size_bytes"]
        return reply.content


def _spawn(log: Path, environment: str | None) -> Iterator[Served]:
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv(PICTURES_ENV, raising=False)
        if environment is not None:
            patch.setenv(PICTURES_ENV, environment)  # the child inherits it
        options = ["--seed", "7", "--clock", "virtual"]
        served = spawned_server([sys.executable, "-m", "mock_media"], lambda port: options, log)
        with served as (process, port, client):
            patch.undo()
            yield Served(process.pid, port, client, log)


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _spawn(tmp_path_factory.mktemp("drawn") / "server.log", None)


@pytest.fixture(scope="module")
def flat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _spawn(tmp_path_factory.mktemp("flat") / "server.log", "flat")


def _one_colour(image: Image.Image) -> bool:
    return all(low == high for low, high in image.getextrema())  # type: ignore[misc]


def test_serve_flat__one_colour_webps_of_the_exact_size_without_pillow(flat: Served) -> None:
    assert "; flat pictures (one colour each)\n" in flat.log.read_text()
    image_output, _ = flat.outputs()

    data = flat.download(image_output)

    picture = Image.open(io.BytesIO(data))
    assert picture.format == "WEBP"
    assert picture.size == (image_output["width"], image_output["height"]) == (1920, 1080)
    assert _one_colour(picture)
    assert int.from_bytes(data[4:8], "little") == len(data) - 8
    assert not _pillow_loaded(flat.pid)  # flat pictures never need it


def test_serve_drawn__imports_pillow_at_the_first_download_not_before(drawn: Served) -> None:
    assert "; drawn pictures (Pillow)\n" in drawn.log.read_text()
    image_output, _ = drawn.outputs()
    assert not _pillow_loaded(drawn.pid)  # listening, generating: no Pillow yet

    data = drawn.download(image_output)

    assert _pillow_loaded(drawn.pid)
    picture = Image.open(io.BytesIO(data))
    assert picture.size == (1920, 1080)
    assert not _one_colour(picture)


def test_serve__flat_and_drawn_serve_the_same_videos_and_image_sizes(drawn: Served, flat: Served) -> None:
    flat_image, flat_video = flat.outputs()
    drawn_image, drawn_video = drawn.outputs()

    assert (flat_image["size_bytes"], flat_video["url"]) == (drawn_image["size_bytes"], drawn_video["url"])
    assert (
        hashlib.sha256(flat.download(flat_video)).digest()
        == hashlib.sha256(drawn.download(drawn_video)).digest()
    )


def test_serve__a_client_leaving_mid_download_leaves_the_server_serving(flat: Served) -> None:
    assert flat.client.post("/_mock/reset").status_code == 200
    video = flat.client.post(VIDEO_PATH, json={"prompt": "a crab", "duration_seconds": 30}, headers=KEY)
    assert flat.client.post("/_mock/clock/advance", json={"seconds": 600}).status_code == 200
    done = flat.client.get(f"{API_PREFIX}/{video.json()['job_id']}", headers=KEY).json()
    path = urlsplit(done["outputs"][0]["url"]).path
    for _ in range(3):
        with socket.create_connection(("127.0.0.1", flat.port), timeout=5) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            assert sock.recv(4096).startswith(b"HTTP/1.1 200 ")

    assert flat.client.get("/_mock/health").status_code == 200
    assert len(flat.client.get(path).content) == done["outputs"][0]["size_bytes"]
    # The log has no traceback: spawned_server checks it when the server stops.
