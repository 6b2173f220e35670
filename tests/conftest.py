"""Shared fixtures: a fresh fake per test; ``api``, which runs a test through every door; and
``wire``, the same fake through the wire door only."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, settings

from mock_media import MediaBackend, MockConfig
from mock_media.adapters.server import MediaServer

from .doors import DOORS, Api, Switch, door_api, wire_api

pytest_plugins = ["pytester"]

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")


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


@pytest.fixture(params=DOORS)
def api(request: pytest.FixtureRequest, backend: MediaBackend) -> Api:
    """The Media API over one door; every test taking it runs once per door."""
    return door_api(request, backend, request.param)


@pytest.fixture
def wire(backend: MediaBackend) -> Api:
    """The Media API over the wire door only (the same fake as ``backend``)."""
    return wire_api(backend)
