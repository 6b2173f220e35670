"""Shared fixtures: a fresh fake per test, and ``api``, which runs a test through every door."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import HealthCheck, settings

from mock_media import MediaBackend, MockConfig, build_handler
from mock_media.adapters.server import MediaServer

from .doors import Api, Switch, asgi_transport, http_transport, wire_transport

pytest_plugins = ["pytester"]

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile("ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "dev")

DOORS = ("wire", "asgi", "live")


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
    handler = build_handler(backend)
    door: str = request.param
    if door == "wire":
        return Api(backend, wire_transport(handler), door)
    if door == "asgi":
        return Api(backend, asgi_transport(handler), door)
    switch, client = request.getfixturevalue("live_switch")
    switch.target = handler
    return Api(backend, http_transport(client), door)
