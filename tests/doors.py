"""The doors the conformance suite runs through: the wire handler itself, Starlette over
ASGI, and the live server over a socket. Every test that takes ``api`` runs through each;
``door_api`` builds the same client for a backend a test configures itself."""

from __future__ import annotations

import json as jsonlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import pytest
from starlette.testclient import TestClient

from mock_media import MediaBackend, WireRequest, build_handler
from mock_media.adapters.asgi import create_app
from mock_media.wire import Handler, WireResponse

from .doc_tables import API_PREFIX, IMAGE_PATH, VIDEO_PATH

DEFAULT_KEY = "test-key"
DOORS = ("wire", "asgi", "live")


@dataclass(frozen=True)
class Reply:
    """A response as every door reports it: header names lower-cased."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> Any:
        return jsonlib.loads(self.body)

    @property
    def error(self) -> dict[str, Any]:
        err: dict[str, Any] = self.json()["error"]
        return err


class Transport(Protocol):
    def __call__(self, method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply: ...


class Switch:
    """A handler that forwards to whichever backend the current test uses (live server)."""

    def __init__(self) -> None:
        self.target: Handler | None = None

    def __call__(self, request: WireRequest) -> WireResponse:
        assert self.target is not None, "no backend switched in"
        return self.target(request)


def wire_transport(handler: Handler) -> Transport:
    def send(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        answer = handler(WireRequest.build(method, path, query=query, headers=headers, body=body))
        return Reply(answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read())

    return send


def asgi_transport(handler: Handler) -> Transport:
    client = TestClient(create_app(handler), base_url="http://testserver")

    def send(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        url = path + ("?" + query if query else "")
        r = client.request(method, url, headers=headers, content=body)
        return Reply(r.status_code, dict(r.headers), r.content)

    return send


def http_transport(client: httpx.Client) -> Transport:
    def send(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        url = path + ("?" + query if query else "")
        r = client.request(method, url, headers=headers, content=body)
        return Reply(r.status_code, dict(r.headers), r.content)

    return send


class Api:
    """The Media API as a test drives it, whatever the door.

    Args:
        backend: the fake behind the door (tests read state and move its clock directly).
        transport: how requests reach it.
        door: the door's name, for messages.
    """

    def __init__(self, backend: MediaBackend, transport: Transport, door: str) -> None:
        self.backend = backend
        self.door = door
        self._send = transport

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        content: bytes | None = None,
        key: str | None = DEFAULT_KEY,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
    ) -> Reply:
        """Send one request; ``key`` goes in X-API-Key unless None."""
        sent: dict[str, str] = {}
        if key is not None:
            sent["X-API-Key"] = key
        body = b""
        if content is not None:
            body = content
        elif json is not None:
            body = jsonlib.dumps(json).encode()
            sent["Content-Type"] = "application/json"
        sent.update(headers or {})
        query = urlencode(params or {})
        return self._send(method, path, query, sent, body)

    def image(self, body: Any = None, **kwargs: Any) -> Reply:
        """POST /image (the body defaults to a minimal valid one)."""
        return self.request(
            "POST", IMAGE_PATH, json=body if body is not None else {"prompt": "a cat"}, **kwargs
        )

    def video(self, body: Any = None, **kwargs: Any) -> Reply:
        """POST /video (the body defaults to a minimal valid one)."""
        return self.request(
            "POST", VIDEO_PATH, json=body if body is not None else {"prompt": "a crab"}, **kwargs
        )

    def job(self, job_id: str, **kwargs: Any) -> Reply:
        """GET /media/{job_id}."""
        return self.request("GET", f"{API_PREFIX}/{job_id}", **kwargs)

    def list(self, **kwargs: Any) -> Reply:
        """GET /media (pass ``params=``)."""
        return self.request("GET", API_PREFIX, **kwargs)

    def delete(self, media_id: str, **kwargs: Any) -> Reply:
        """DELETE /media/{media_id}."""
        return self.request("DELETE", f"{API_PREFIX}/{media_id}", **kwargs)

    def advance(self, seconds: float) -> None:
        """Move the fake's virtual clock."""
        self.backend.advance(seconds)


def wire_api(backend: MediaBackend) -> Api:
    """The cheapest door (the wire handler called in-process), for loops and heavy parametrisations."""
    return Api(backend, wire_transport(build_handler(backend)), "wire")


def door_api(request: pytest.FixtureRequest, backend: MediaBackend, door: str) -> Api:
    """The Media API for ``backend`` through the door named ``door`` (one of ``DOORS``).

    The live door switches ``backend`` into the session's one live server (the ``live_switch``
    fixture, fetched through ``request``).
    """
    if door == "wire":
        return wire_api(backend)
    handler = build_handler(backend)
    if door == "asgi":
        return Api(backend, asgi_transport(handler), door)
    assert door == "live", f"unknown door {door!r}"
    live: tuple[Switch, httpx.Client] = request.getfixturevalue("live_switch")
    switch, client = live
    switch.target = handler
    return Api(backend, http_transport(client), door)
