"""The doors the conformance suite runs through, each a ``Transport`` over the wire handler of
the test's own backend (``build_handler(backend)``), so a test drives every door the same way
and reads or moves the backend's state directly.

=================  ==============================================================================
door               how a request reaches the wire handler
=================  ==============================================================================
wire               the handler, called in-process
asgi               Starlette's ``TestClient`` -> ``create_app(handler)``
live               a socket: the session's one ``MediaServer``, whose ``Switch`` forwards to it
respx              a plain ``httpx.Client`` while ``build_router(handler)`` is started (``with``)
respx-async        an ``httpx.AsyncClient`` under the same router, run on a per-test event loop
httpx2             ``httpx2.Client(transport=mock_transport(handler, httpx2))``
httpx2-patched     a plain ``httpx2.Client()`` while ``patch_transports(httpx2, handler)`` is active
requests           plain ``requests.request(...)`` while ``patch_requests(handler)`` is active
=================  ==============================================================================

In-process client doors address the doc's hosts: the API at ``https://api.moltbotden.com``,
file downloads (paths under ``/generated/``) at ``https://media.moltbotden.com``. ``open_door``
is a context manager: leaving it closes the clients and undoes every patch it made.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import ssl
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol
from urllib.parse import urlencode

import httpx
import pytest
from starlette.testclient import TestClient

from mock_media import MediaBackend, WireRequest, build_handler
from mock_media.adapters.asgi import create_app
from mock_media.wire import Handler, WireResponse

from .doc_tables import API_PREFIX, IMAGE_PATH, MEDIA_HOST, VIDEO_PATH

DEFAULT_KEY = "test-key"
# The doc's API host ("https://api.moltbotden.com/v1/hosting/media/..."), typed out by hand.
API_HOST = "https://api.moltbotden.com"
# Every door, in the order a run reports them; ``--doors`` picks some (tests/conftest.py).
DOORS = ("wire", "asgi", "live", "respx", "respx-async", "httpx2", "httpx2-patched", "requests")
# Doors that patch a library globally while open: only one of them can be open at a time.
PATCHING_DOORS = frozenset({"respx", "respx-async", "httpx2-patched", "requests"})


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


def url_of(path: str, query: str) -> str:
    """The absolute URL an in-process client door sends to: files on the media host."""
    host = MEDIA_HOST if path.startswith("/generated/") else API_HOST
    return host + path + ("?" + query if query else "")


@cache
def ssl_context() -> ssl.SSLContext:
    """One TLS context for every client the doors build.

    A client without one loads the CA bundle (~20 ms); per test and door that would dominate
    the suite. No request ever leaves the process, so the context is never used for TLS.
    """
    return ssl.create_default_context()


def _reply(status: int, headers: Any, body: bytes) -> Reply:
    return Reply(status, {k.lower(): v for k, v in headers.items()}, body)


# --- transports -------------------------------------------------------------------------------
def wire_transport(handler: Handler) -> Transport:
    def send(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        answer = handler(WireRequest.build(method, path, query=query, headers=headers, body=body))
        return _reply(answer.status, answer.headers, answer.read())

    return send


def asgi_transport(client: TestClient) -> Transport:
    def send(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        url = path + ("?" + query if query else "")
        r = client.request(method, url, headers=headers, content=body)
        return _reply(r.status_code, r.headers, r.content)

    return send


def http_transport(client: Any, *, absolute: bool = False) -> Transport:
    """Over a sync client of httpx or httpx2 (the same API); ``absolute``: the doc's hosts."""

    def send(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        url = url_of(path, query) if absolute else path + ("?" + query if query else "")
        r = client.request(method, url, headers=headers, content=body)
        return _reply(r.status_code, r.headers, r.content)

    return send


def async_transport(client: httpx.AsyncClient, loop: asyncio.AbstractEventLoop) -> Transport:
    """Over an ``httpx.AsyncClient``, each request run to completion on ``loop``."""

    def send(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        r = loop.run_until_complete(
            client.request(method, url_of(path, query), headers=headers, content=body)
        )
        return _reply(r.status_code, r.headers, r.content)

    return send


def requests_transport() -> Transport:
    """Plain ``requests.request``: a fresh Session per call, as the doc's examples do."""
    import requests

    def send(method: str, path: str, query: str, headers: dict[str, str], body: bytes) -> Reply:
        r = requests.request(method, url_of(path, query), headers=headers, data=body, timeout=30)
        return _reply(r.status_code, r.headers, r.content)

    return send


# --- the Api a test drives --------------------------------------------------------------------
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

    def __repr__(self) -> str:
        return f"Api(door={self.door!r})"

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


# --- opening a door ---------------------------------------------------------------------------
Opener = Callable[[ExitStack, Handler, pytest.FixtureRequest], Transport]


def _open_wire(stack: ExitStack, handler: Handler, request: pytest.FixtureRequest) -> Transport:
    return wire_transport(handler)


def _open_asgi(stack: ExitStack, handler: Handler, request: pytest.FixtureRequest) -> Transport:
    client = stack.enter_context(TestClient(create_app(handler), base_url="http://testserver"))
    return asgi_transport(client)


def _open_live(stack: ExitStack, handler: Handler, request: pytest.FixtureRequest) -> Transport:
    live: tuple[Switch, httpx.Client] = request.getfixturevalue("live_switch")
    switch, client = live
    switch.target = handler
    stack.callback(setattr, switch, "target", None)
    return http_transport(client)


def _open_respx(stack: ExitStack, handler: Handler, request: pytest.FixtureRequest) -> Transport:
    from mock_media.adapters.respx_router import build_router

    stack.enter_context(build_router(handler))
    client = stack.enter_context(httpx.Client(verify=ssl_context()))
    return http_transport(client, absolute=True)


def _open_respx_async(stack: ExitStack, handler: Handler, request: pytest.FixtureRequest) -> Transport:
    from mock_media.adapters.respx_router import build_router

    loop = asyncio.new_event_loop()
    stack.callback(loop.close)
    stack.enter_context(build_router(handler))
    client = httpx.AsyncClient(verify=ssl_context())
    stack.callback(lambda: loop.run_until_complete(client.aclose()))
    return async_transport(client, loop)


def _open_httpx2(stack: ExitStack, handler: Handler, request: pytest.FixtureRequest) -> Transport:
    import httpx2

    from mock_media.adapters.httpx_transport import mock_transport

    client = stack.enter_context(httpx2.Client(transport=mock_transport(handler, httpx2)))
    return http_transport(client, absolute=True)


def _open_httpx2_patched(stack: ExitStack, handler: Handler, request: pytest.FixtureRequest) -> Transport:
    import httpx2

    from mock_media.adapters.httpx_transport import patch_transports

    stack.enter_context(patch_transports(httpx2, handler))
    client = stack.enter_context(httpx2.Client(verify=ssl_context()))
    return http_transport(client, absolute=True)


def _open_requests(stack: ExitStack, handler: Handler, request: pytest.FixtureRequest) -> Transport:
    from mock_media.adapters.requests_adapter import patch_requests

    stack.enter_context(patch_requests(handler))
    return requests_transport()


OPENERS: dict[str, Opener] = {
    "wire": _open_wire,
    "asgi": _open_asgi,
    "live": _open_live,
    "respx": _open_respx,
    "respx-async": _open_respx_async,
    "httpx2": _open_httpx2,
    "httpx2-patched": _open_httpx2_patched,
    "requests": _open_requests,
}
assert tuple(OPENERS) == DOORS

_patching: list[str] = []  # the patching door open now, if any


@contextmanager
def open_door(request: pytest.FixtureRequest, backend: MediaBackend, door: str) -> Iterator[Api]:
    """The Media API for ``backend`` through the door named ``door`` (one of ``DOORS``).

    The live door switches ``backend`` into the session's one live server (the ``live_switch``
    fixture, fetched through ``request``). Leaving the block closes what the door opened and
    undoes its patching.

    Raises:
        RuntimeError: a patching door is opened while another one is: the second patch would
            silently take the first one's requests.
    """
    if door not in OPENERS:
        raise ValueError(f"unknown door {door!r}; doors are {', '.join(DOORS)}")
    patching = door in PATCHING_DOORS
    if patching and _patching:
        raise RuntimeError(f"the {_patching[0]!r} door is open: one patching door at a time")
    with ExitStack() as stack:
        if patching:
            _patching.append(door)
            stack.callback(_patching.clear)
        transport = OPENERS[door](stack, build_handler(backend), request)
        yield Api(backend, transport, door)


def patch_points() -> dict[str, Any]:
    """Everything a door (or ``MockMedia.activate``) may patch, as it is now: equal before and
    after a door is used when its teardown undid everything."""
    import httpcore
    import httpx2
    import requests
    import respx.mocks

    return {
        "requests": requests.Session.get_adapter,
        "httpx2-sync": httpx2.HTTPTransport.handle_request,
        "httpx2-async": httpx2.AsyncHTTPTransport.handle_async_request,
        "httpcore-sync": httpcore.ConnectionPool.handle_request,
        "httpcore-async": httpcore.AsyncConnectionPool.handle_async_request,
        "respx-routers": list(respx.mocks.HTTPCoreMocker.routers),
    }
