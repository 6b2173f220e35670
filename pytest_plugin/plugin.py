"""The pytest plugin (entry point ``mock_media``): options, the marker, and the fixtures.

Fixtures:
    mock_media: the fake itself, fresh per test, with every in-process door active.
    mock_media_server: a live server over a socket, for any client in any language.
    mock_media_virtual_sleep: time.sleep and asyncio.sleep advance the fake's clock.
    mock_media_options: the resolved settings (marker > command line > ini > default).

Session options: ``--mock-media-record DIR`` writes the session of every failing test that
used ``mock_media`` to ``DIR`` as JSON Lines (for ``mock-media replay`` and ``freeze``);
``--mock-media-conduct`` fails a test whose client misbehaved (see ``MockMedia.conduct``).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
import threading
import time
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

from mock_media.adapters.hosts import UnmatchedHostError
from mock_media.core.conduct import MisconductError
from mock_media.fake import MockMedia
from mock_media.remote import RemoteMockMedia

from .options import COMMAND_LINE, INI, SETTINGS, MockMediaOptions, MockMediaUsageError, resolve
from .server import LiveServer

MARKER = "mock_media"
_GLOBAL = pytest.StashKey[list[tuple[str, dict[str, Any]]]]()
_SERVER = pytest.StashKey[LiveServer]()


# A test under ``mock_media`` called a host other than the Media API's (requests or httpx2;
# respx raises its parent ``AllMockedAssertionError`` for httpx).
MockMediaUnmatchedHostError = UnmatchedHostError


def pytest_addoption(parser: pytest.Parser) -> None:
    """Every setting as ``--mock-media-<name>`` and ini ``mock_media_<name>``."""
    group = parser.getgroup("mock_media", "mock-media: a fake of the MoltbotDen Media API")
    for setting in SETTINGS:
        group.addoption(setting.option, dest=setting.ini, default=None, help=setting.help)
        parser.addini(setting.ini, help=setting.help, default=None)
    record = "write the session of each failing test that used mock_media to this folder (JSON Lines)"
    group.addoption("--mock-media-record", dest="mock_media_record", metavar="DIR", default=None, help=record)
    parser.addini("mock_media_record", help=record, default=None)
    conduct = "fail a test whose client misbehaved: early retries, refused POSTs sent again, fast polls"
    group.addoption("--mock-media-conduct", dest="mock_media_conduct", action="store_true", help=conduct)
    parser.addini("mock_media_conduct", help=conduct, type="bool", default=False)


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and check the session-wide settings once."""
    signature = ", ".join(f"{s.name}=..." for s in SETTINGS if s.name != "url")
    config.addinivalue_line(
        "markers",
        f"{MARKER}({signature}): settings of the mock_media fixtures for this test "
        "(the closest marker wins over the command line, which wins over the ini file)",
    )
    layers: list[tuple[str, dict[str, Any]]] = [
        (INI, {s.name: config.getini(s.ini) or None for s in SETTINGS}),
        (COMMAND_LINE, {s.name: config.getoption(s.ini) for s in SETTINGS}),
    ]
    try:
        resolve(layers)
    except MockMediaUsageError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[_GLOBAL] = layers


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(
    collector: pytest.Collector,
) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
    """A bad marker is a collection error of its module or class, naming the test: none of
    the collector's tests runs. (A collection error, not a ``UsageError``, so that pytest-xdist
    workers report it too.)"""
    report = yield
    if report.passed:
        for item in report.result:
            if isinstance(item, pytest.Item) and item.get_closest_marker(MARKER) is not None:
                try:
                    _options(item.config, item)
                except MockMediaUsageError as exc:
                    report.outcome = "failed"
                    report.longrepr = f"{item.nodeid}: {exc}"
                    break
    return report


def pytest_unconfigure(config: pytest.Config) -> None:
    """Stop this process's live server, if a test started one."""
    server = config.stash.get(_SERVER, None)
    if server is not None:
        server.stop()


def _options(config: pytest.Config, item: pytest.Item) -> MockMediaOptions:
    markers: list[tuple[str, dict[str, Any]]] = []
    # Farthest first (module, class, function), so the closest marker wins.
    for node, marker in reversed(list(item.iter_markers_with_node(MARKER))):
        where = f"@pytest.mark.{MARKER}" + ("" if node is item else f" on {node.nodeid}")
        if marker.args:
            raise MockMediaUsageError(f"{where} takes keyword arguments only, got {marker.args!r}")
        markers.append((where, dict(marker.kwargs)))
    return resolve([*config.stash[_GLOBAL], *markers])


def _live_server(config: pytest.Config) -> LiveServer:
    """This process's live server, started on first use and stopped at the session's end."""
    server = config.stash.get(_SERVER, None)
    if server is None:
        server = config.stash[_SERVER] = LiveServer().start()
    return server


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failing test's session goes to ``--mock-media-record``, named in its report."""
    report = yield
    fake = getattr(item, "funcargs", {}).get("mock_media")
    if report.when == "call" and report.failed and isinstance(fake, MockMedia):
        path = _record(item.config, fake, item.nodeid)
        if path is not None:
            report.sections.append(("mock-media recording", _replay_hint(path)))
    return report


def _record(config: pytest.Config, fake: MockMedia, nodeid: str) -> Path | None:
    folder = config.getoption("mock_media_record") or config.getini("mock_media_record")
    if not folder:
        return None
    path = Path(folder) / (re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid).strip("_")[:150] + ".jsonl")
    path.parent.mkdir(parents=True, exist_ok=True)
    fake.export_journal(path)
    return path


def _replay_hint(path: Path) -> str:
    return f"{path}\nreplay: mock-media replay {path}\nfreeze: mock-media freeze {path} -o frozen.toml"


@pytest.fixture
def mock_media_options(request: pytest.FixtureRequest) -> MockMediaOptions:
    """The mock_media settings of this test: marker > command line > ini > default."""
    return _options(request.config, request.node)


@pytest.fixture
def mock_media(request: pytest.FixtureRequest, mock_media_options: MockMediaOptions) -> Iterator[MockMedia]:
    """A fresh fake Media API per test, with httpx (respx), requests and httpx2 routed to it.

    Requests to api.moltbotden.com and media.moltbotden.com are answered in process; any
    other host fails with ``AllMockedAssertionError`` (``pass_through=True`` lets it
    through), except the live server of a test that also takes ``mock_media_server``. The
    clock is virtual: call ``mock_media.advance(seconds)`` or ``finish_videos()``.
    """
    options = mock_media_options
    fake = MockMedia(options.config(), api_key=options.api_key, api_base=options.api_base)
    if options.closed:
        fake.register_account()
    allowed: tuple[str, ...] = ()
    if "mock_media_server" in request.fixturenames:
        allowed = (options.url or _live_server(request.config).url,)
    with fake.activate(pass_through=options.pass_through, allowed=allowed):
        yield fake
    config = request.config
    if config.getoption("mock_media_conduct") or config.getini("mock_media_conduct"):
        report = fake.conduct()
        if not report.ok:
            path = _record(config, fake, request.node.nodeid)
            if path is not None:
                request.node.add_report_section("teardown", "mock-media recording", _replay_hint(path))
            raise MisconductError(report)


@pytest.fixture
def mock_media_server(
    request: pytest.FixtureRequest, mock_media_options: MockMediaOptions
) -> Iterator[RemoteMockMedia]:
    """A live mock-media server over a socket: ``.url`` is its base URL, output URLs point at it.

    ``.api_key`` is this test's key, its account open from the start. One server serves the
    whole session (per xdist worker), each test under a key of its own, reset, timed and
    journaled on its own. With ``--mock-media-url`` the tests share a long-lived server
    started elsewhere (e.g. ``mock-media serve`` in CI).
    """
    options = mock_media_options
    key = _test_key(options.api_key, request.node.nodeid)
    if options.url is not None:
        remote = RemoteMockMedia(options.url, api_key=key)
        remote.reset()
        remote.register_account(plan=options.plan, balance_usd=options.balance_usd)
        try:
            yield remote
        finally:
            remote.close()
        return
    server = _live_server(request.config)
    fake = server.install(options.config(media_base=server.url), api_key=key)
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
    """``time.sleep`` and ``asyncio.sleep`` advance the fake's virtual clock instead of waiting.

    Only in this test's thread (a server or worker thread still really sleeps), so backoff
    and polling loops finish at once.
    """
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
