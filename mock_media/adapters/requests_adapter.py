"""The requests door: a transport adapter over the wire handler, mounted on a Session.

The doc's own examples call ``requests.post(...)``; ``patch_requests`` makes exactly that
reach the fake without a socket, for the API and media hosts only.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter, HTTPAdapter
from urllib3.response import HTTPResponse

from ..core.facts import API_HOST, MEDIA_HOST
from ..wire import Handler, WireRequest
from .hosts import enact, prefixes, refused


class MediaAdapter(BaseAdapter):
    """A requests transport adapter that answers from the fake instead of the network."""

    def __init__(self, handler: Handler) -> None:
        super().__init__()
        self.handler = handler
        self._builder = HTTPAdapter()  # borrowed for build_response only; opens no connection

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
        enact(
            answer,
            lambda message: requests.ConnectionError(message, request=request),
            lambda message: requests.ReadTimeout(message, request=request),
        )
        # Built the way requests' own HTTPAdapter builds it, over an in-memory urllib3
        # response, so stream=True, iter_content(), raw.read() and `with` all behave.
        raw_response = HTTPResponse(
            body=io.BytesIO(answer.read()),
            headers=answer.headers,
            status=answer.status,
            reason=HTTPStatus(answer.status).phrase,
            preload_content=False,
            decode_content=False,
            request_method=request.method,
            request_url=request.url,
        )
        response = self._builder.build_response(request, raw_response)
        if "json" in answer.headers.get("Content-Type", ""):
            response.encoding = "utf-8"
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
def patch_requests(
    handler: Handler, *bases: str, refuse_others: bool = False, allowed: tuple[str, ...] = ()
) -> Iterator[MediaAdapter]:
    """Route every Session's requests for ``bases`` to the fake while the block runs.

    Plain ``requests.post(...)`` builds a fresh Session each call, so the patch is on
    ``Session.get_adapter``. Other hosts keep their usual adapter, unless ``refuse_others``:
    then a request that would reach the network (requests' own ``HTTPAdapter``) for a host
    outside ``bases`` and ``allowed`` raises ``UnmatchedHostError``; an adapter the test
    mounted itself still works.
    """
    adapter = MediaAdapter(handler)
    ours = prefixes(bases or (API_HOST, MEDIA_HOST))
    let_through = prefixes(allowed)
    original = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> BaseAdapter:
        lowered = url.lower()
        if lowered.startswith(ours):
            return adapter
        found = original(self, url)
        if refuse_others and isinstance(found, HTTPAdapter) and not lowered.startswith(let_through):
            raise refused(url)
        return found

    requests.Session.get_adapter = get_adapter  # type: ignore[method-assign]
    try:
        yield adapter
    finally:
        requests.Session.get_adapter = original  # type: ignore[method-assign]
