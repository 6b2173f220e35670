"""The pytest plugin (entry point ``mock_media``): options, the marker, and the fixtures.

Fixtures:
    mock_media: the fake itself, fresh per test, with every in-process door active.
    mock_media_server: a live server over a socket, for any client in any language.
    mock_media_virtual_sleep: time.sleep and asyncio.sleep advance the fake's clock.
    mock_media_options: the resolved settings (marker > command line > ini > default).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mock_media.fake import MockMedia
from mock_media.remote import RemoteMockMedia

from .options import SETTINGS, MockMediaOptions, MockMediaUsageError, resolve
from .server import LiveServer

MARKER = "mock_media"
_GLOBAL = pytest.StashKey[list[tuple[str, dict[str, Any]]]]()
_SERVER = pytest.StashKey[LiveServer]()


def pytest_addoption(parser: pytest.Parser) -> None:
    """Every setting as ``--mock-media-<name>`` and ini ``mock_media_<name>``."""
    group = parser.getgroup("mock_media", "mock-media: a fake of the MoltbotDen Media API")
    for setting in SETTINGS:
        group.addoption(setting.option, dest=setting.ini, default=None, help=setting.help)
        parser.addini(setting.ini, help=setting.help, default=None)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and check the session-wide settings once."""
    signature = ", ".join(f"{s.name}=..." for s in SETTINGS if s.name != "url")
    config.addinivalue_line(
        "markers",
        f"{MARKER}({signature}): settings of the mock_media fixtures for this test "
        "(the closest marker wins over the command line, which wins over the ini file)",
    )
    layers: list[tuple[str, dict[str, Any]]] = [
        ("ini", {s.name: config.getini(s.ini) or None for s in SETTINGS}),
        ("command line", {s.name: config.getoption(s.ini) for s in SETTINGS}),
    ]
    try:
        resolve(layers)
    except MockMediaUsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_GLOBAL] = layers


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """A bad marker fails the collection, naming the test, not the test's run."""
    for item in items:
        if item.get_closest_marker(MARKER) is not None:
            try:
                _options(config, item)
            except MockMediaUsageError as exc:
                raise pytest.UsageError(f"{item.nodeid}: {exc}") from None


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop this process's live server, if a test started one."""
    server = config.stash.get(_SERVER, None)
    if server is not None:
        server.stop()


def _options(config: pytest.Config, item: pytest.Item) -> MockMediaOptions:
    markers: list[tuple[str, dict[str, Any]]] = []
    for marker in reversed(list(item.iter_markers(MARKER))):  # farthest first: closest wins
        if marker.args:
            raise MockMediaUsageError(
                f"@pytest.mark.{MARKER} takes keyword arguments only, got {marker.args!r}"
            )
        markers.append((f"@pytest.mark.{MARKER}", dict(marker.kwargs)))
    return resolve([*config.stash[_GLOBAL], *markers])


@pytest.fixture
def mock_media_options(request: pytest.FixtureRequest) -> MockMediaOptions:
    """The mock_media settings of this test: marker > command line > ini > default."""
    return _options(request.config, request.node)


@pytest.fixture
def mock_media(mock_media_options: MockMediaOptions) -> Iterator[MockMedia]:
    """A fresh fake Media API, with respx (httpx), requests and httpx2 routed to it.

    Requests to api.moltbotden.com and media.moltbotden.com are answered in process; any
    other host fails (``pass_through=True`` lets it through). The clock is virtual: call
    ``mock_media.advance(seconds)`` or ``finish_videos()``.
    """
    options = mock_media_options
    fake = MockMedia(options.config(), api_key=options.api_key, api_base=options.api_base)
    if options.closed:
        fake.register_account()
    with fake.activate(pass_through=options.pass_through):
        yield fake


@pytest.fixture
def mock_media_server(
    request: pytest.FixtureRequest, mock_media_options: MockMediaOptions
) -> Iterator[RemoteMockMedia]:
    """A live mock-media server over a socket: ``.url`` is its base URL, ``.api_key`` this
    test's key, and output URLs point at it so files download.

    One server serves the whole session (per xdist worker), each test under a key of its
    own, reset, timed and journaled on its own. With ``--mock-media-url`` the tests share a
    long-lived server started elsewhere (e.g. ``mock-media serve`` in CI).
    """
    options = mock_media_options
    key = _test_key(options.api_key, request.node.nodeid)
    if options.url is not None:
        remote = RemoteMockMedia(options.url, api_key=key)
        remote.reset()
        if options.closed or options.plan or options.balance_usd:
            remote.register_account(plan=options.plan, balance_usd=options.balance_usd)
        try:
            yield remote
        finally:
            remote.close()
        return
    server = request.config.stash.get(_SERVER, None)
    if server is None:
        server = request.config.stash[_SERVER] = LiveServer().start()
    fake = server.install(options.config(media_base=server.url), api_key=key)
    if options.closed:
        fake.register_account()
    remote = RemoteMockMedia(server.url, api_key=key, fake=fake)
    try:
        yield remote
    finally:
        remote.close()
        server.uninstall()


def _test_key(base: str, nodeid: str) -> str:
    """A key unique to the test and the xdist worker, stable from run to run."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    digest = hashlib.sha256(f"{worker}:{nodeid}".encode()).hexdigest()[:10]
    return f"{base}-{digest}"


@pytest.fixture
def mock_media_virtual_sleep(mock_media: MockMedia, monkeypatch: pytest.MonkeyPatch) -> MockMedia:
    """``time.sleep`` and ``asyncio.sleep`` advance the fake's virtual clock instead of
    waiting (in this test's thread only), so backoff and polling loops finish at once."""
    test_thread = threading.get_ident()
    real_sleep = time.sleep
    real_async_sleep = asyncio.sleep

    def sleep(seconds: float) -> None:
        if threading.get_ident() != test_thread:
            real_sleep(seconds)
            return
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        mock_media.advance(seconds)

    async def async_sleep(delay: float, result: Any = None) -> Any:
        if threading.get_ident() == test_thread and delay > 0:
            mock_media.advance(delay)
        return await real_async_sleep(0, result)

    monkeypatch.setattr(time, "sleep", sleep)
    monkeypatch.setattr(asyncio, "sleep", async_sleep)
    return mock_media
