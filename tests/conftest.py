"""Shared fixtures: a fresh fake per test; ``door``, the one parametrized fixture that runs a
test through every door; ``api`` (and ``api_for``) over it; and ``wire``, the same fake
through the wire door only, for what no HTTP client can send (tests/conformance/__init__.py
lists those tests and why).

``--doors=wire,asgi,...`` narrows the doors (default: all of ``tests.doors.DOORS``), so a
developer can run one door quickly; CI runs all.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import httpx
import pytest
from hypothesis import HealthCheck, settings

from mock_media import MediaBackend, MockConfig
from mock_media.adapters.server import MediaServer

from .doors import DOORS, Api, Switch, open_door, wire_api

pytest_plugins = ["pytester"]

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--doors",
        default="all",
        metavar="DOOR,...",
        help=f"doors the door-parametrized tests run through: 'all' (default) or some of {','.join(DOORS)}",
    )


def selected_doors(config: pytest.Config) -> list[str]:
    """The doors ``--doors`` names, in ``DOORS`` order.

    Raises:
        pytest.UsageError: an unknown door, or none at all.
    """
    raw = str(config.getoption("--doors"))
    if raw.strip() == "all":
        return list(DOORS)
    wanted = {name.strip() for name in raw.split(",") if name.strip()}
    unknown = sorted(wanted - set(DOORS))
    if unknown or not wanted:
        raise pytest.UsageError(
            f"--doors: unknown door(s) {unknown or raw!r}; choose from {', '.join(DOORS)}"
        )
    return [door for door in DOORS if door in wanted]


def pytest_configure(config: pytest.Config) -> None:
    selected_doors(config)  # a bad --doors stops the run before collection


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every test that (through any fixture) uses ``door`` runs once per selected door."""
    if "door" in metafunc.fixturenames:
        metafunc.parametrize("door", selected_doors(metafunc.config), indirect=True)


@pytest.fixture
def door(request: pytest.FixtureRequest) -> str:
    """The name of the door this run of the test goes through (see tests/doors.py)."""
    name: str = request.param
    return name


@pytest.fixture
def backend() -> MediaBackend:
    """A fresh fake: seed 0, virtual clock at the doc's example time, open mode."""
    return MediaBackend(MockConfig())


@pytest.fixture(scope="session")
def live_switch() -> Iterator[tuple[Switch, httpx.Client]]:
    """One live server for the whole session; each test switches its own backend in."""
    switch = Switch()
    with MediaServer(switch) as server, httpx.Client(base_url=server.url) as client:
        yield switch, client


@pytest.fixture
def api_for(request: pytest.FixtureRequest, door: str) -> Iterator[Callable[[MediaBackend], Api]]:
    """Opens this run's door over a backend the test (or another fixture) configures itself;
    everything it opened is closed, and every patch undone, when the test ends."""
    with ExitStack() as stack:

        def open_api(backend: MediaBackend) -> Api:
            return stack.enter_context(open_door(request, backend, door))

        yield open_api


@pytest.fixture
def api(api_for: Callable[[MediaBackend], Api], backend: MediaBackend) -> Api:
    """The Media API over one door; every test taking it runs once per door."""
    return api_for(backend)


@pytest.fixture
def wire(backend: MediaBackend) -> Api:
    """The Media API over the wire door only (the same fake as ``backend``)."""
    return wire_api(backend)
