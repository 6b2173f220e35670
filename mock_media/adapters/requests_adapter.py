"""The requests door: a transport adapter over the wire handler, mounted on a Session.

The doc's own examples call ``requests.post(...)``; ``patch_requests`` makes exactly that
reach the fake without a socket, for the API and media hosts only.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from ..core.facts import API_HOST, MEDIA_HOST
from ..wire import Handler, WireRequest


class MediaAdapter(BaseAdapter):
    """A requests transport adapter that answers from the fake instead of the network."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Answer one prepared request."""
        url = urlsplit(request.url or "")
        body = request.body
        if body is None:
            raw = b""
        elif isinstance(body, str):
            raw = body.encode("utf-8")
        elif isinstance(body, bytes):
            raw = body
        else:  # a file or generator body
            raw = b"".join(c if isinstance(c, bytes) else str(c).encode() for c in body)
        answer = self.handler(
            WireRequest.build(
                request.method or "GET",
                url.path or "/",
                query=url.query,
                headers=dict(request.headers),
                body=raw,
            )
        )
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.read()
        response.reason = HTTPStatus(answer.status).phrase
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8" if "json" in answer.headers.get("Content-Type", "") else None
        return response

    def close(self) -> None:
        """Nothing to release: no sockets were opened."""


def mount(session: requests.Session, handler: Handler, *bases: str) -> requests.Session:
    """Mount the adapter on ``session`` for ``bases`` (default: the API and media hosts)."""
    adapter = MediaAdapter(handler)
    for base in bases or (API_HOST, MEDIA_HOST):
        session.mount(base.rstrip("/") + "/", adapter)
    return session


@contextmanager
def patch_requests(handler: Handler, *bases: str) -> Iterator[MediaAdapter]:
    """Route every Session's requests for ``bases`` to the fake while the block runs.

    Plain ``requests.post(...)`` builds a fresh Session each call, so the patch is on
    ``Session.get_adapter``: requests to other hosts keep their usual adapter.
    """
    adapter = MediaAdapter(handler)
    prefixes = tuple(b.rstrip("/").lower() + "/" for b in (bases or (API_HOST, MEDIA_HOST)))
    original = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> BaseAdapter:
        if url.lower().startswith(prefixes):
            return adapter
        return original(self, url)

    requests.Session.get_adapter = get_adapter  # type: ignore[method-assign]
    try:
        yield adapter
    finally:
        requests.Session.get_adapter = original  # type: ignore[method-assign]
