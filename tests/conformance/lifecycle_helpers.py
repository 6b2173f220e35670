"""Helpers shared by the auth, rate-limit, job, media, error and journal conformance tests.

Expected values here are literals copied from the doc (media-api.txt) or beyond-the-doc.md,
never read from the code under test.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mock_media import MediaBackend, build_handler
from tests.doors import Api, Reply, Switch, asgi_transport, http_transport, wire_transport

DOORS = ("wire", "asgi", "live")

# The doc's endpoints, copied literally.
PREFIX = "/v1/hosting/media"
IMAGE = "/v1/hosting/media/image"
VIDEO = "/v1/hosting/media/video"

# The virtual clock starts at the doc's example time, 2025-03-14T12:00:00Z.
START = 1741953600
START_ISO = "2025-03-14T12:00:00Z"
# The doc's example "X-RateLimit-Reset: 1741953660": the end of the first minute.
FIRST_RESET = 1741953660

MEDIA_HOST = "https://media.moltbotden.com"
RATE_HEADERS = ("x-ratelimit-limit", "x-ratelimit-remaining", "x-ratelimit-reset")


def wire_api(backend: MediaBackend) -> Api:
    """The fastest door: the wire handler called in-process (for loops of many requests)."""
    return Api(backend, wire_transport(build_handler(backend)), "wire")


def door_api(request: pytest.FixtureRequest, backend: MediaBackend, door: str) -> Api:
    """Like conftest's ``api``, for a backend built with another config (e.g. closed mode)."""
    handler = build_handler(backend)
    if door == "wire":
        return Api(backend, wire_transport(handler), door)
    if door == "asgi":
        return Api(backend, asgi_transport(handler), door)
    live: tuple[Switch, httpx.Client] = request.getfixturevalue("live_switch")
    switch, client = live
    switch.target = handler
    return Api(backend, http_transport(client), door)


def assert_error(
    reply: Reply,
    status: int,
    code: str,
    *,
    message: str | None = None,
    param: str | None = None,
) -> dict[str, Any]:
    """Decision 3's envelope, exactly: ``{"error": {code, message, status[, param]}, "detail"}``."""
    assert reply.status == status, reply.body
    body: dict[str, Any] = reply.json()
    assert set(body) == {"error", "detail"}, body
    error = body["error"]
    expected_keys = {"code", "message", "status"} | ({"param"} if param is not None else set())
    assert set(error) == expected_keys, error
    assert error["code"] == code
    assert error["status"] == status
    assert isinstance(error["message"], str) and error["message"]
    assert body["detail"] == error["message"]
    if message is not None:
        assert error["message"] == message
    if param is not None:
        assert error["param"] == param
    return body


def rate(reply: Reply) -> tuple[int, int, int]:
    """``(X-RateLimit-Limit, -Remaining, -Reset)`` of a response that must carry them."""
    missing = [h for h in RATE_HEADERS if h not in reply.headers]
    assert not missing, f"missing {missing} on a {reply.status}"
    limit, remaining, reset = (int(reply.headers[h]) for h in RATE_HEADERS)
    return limit, remaining, reset


def assert_no_rate_headers(reply: Reply) -> None:
    """Decision 15: a request without valid credentials gets no X-RateLimit-* headers."""
    present = [h for h in RATE_HEADERS if h in reply.headers]
    assert not present, f"unexpected {present} on a {reply.status}"


def path_of(url: str) -> str:
    """The path of an output URL (``https://media.moltbotden.com/generated/...``)."""
    assert url.startswith(MEDIA_HOST + "/generated/"), url
    return url[len(MEDIA_HOST) :]


def one_mib_body(size: int, prompt: str = "a cat") -> bytes:
    """A valid JSON body padded with trailing whitespace to exactly ``size`` bytes."""
    core = ('{"prompt": "' + prompt + '"}').encode()
    assert size >= len(core)
    return core + b" " * (size - len(core))
