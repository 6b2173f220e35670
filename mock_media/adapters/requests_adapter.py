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
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from urllib3.response import HTTPResponse

from ..core.facts import API_HOST, MEDIA_HOST
from ..wire import Handler, WireRequest, WireResponse
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
        response = self._whole(request, answer) if answer.chunks is None and not stream else None
        if response is None:
            # Built the way requests' own HTTPAdapter builds it, over an in-memory urllib3
            # response, so stream=True, iter_content(), raw.read() and `with` all behave.
            raw_response = _urllib3_response(request, answer, io.BytesIO(answer.read()))
            response = self._builder.build_response(request, raw_response)
        if "json" in answer.headers.get("Content-Type", ""):
            response.encoding = "utf-8"
        # What requests re-sends through (digest auth's second try): the fake, never the network.
        response.connection = self  # type: ignore[assignment]  # any adapter with send() will do
        return response

    def _whole(self, request: requests.PreparedRequest, answer: WireResponse) -> requests.Response | None:
        """What ``build_response`` and Session.send's read of the body would leave, without
        urllib3's read machinery (a third of the door's own cost). None when urllib3 would read
        the body differently: decoded, de-chunked, held to a Content-Length or to none at all
        (HEAD, 1xx, 204, 304), or with headers it merges (names differing only in case)."""
        headers = CaseInsensitiveDict(answer.headers)
        body = answer.body
        if (
            request.method == "HEAD"
            or answer.status < 200
            or answer.status in (204, 304)
            or len(headers) != len(answer.headers)
            or "content-encoding" in headers
            or "transfer-encoding" in headers
            or headers.get("content-length", str(len(body))) != str(len(body))
        ):
            return None
        response = requests.Response()
        response.status_code = answer.status
        response.headers = headers
        response.encoding = get_encoding_from_headers(headers)
        response.reason = HTTPStatus(answer.status).phrase
        response.url = request.url or ""
        response.request = request
        # No Set-Cookie is ever taken from an in-memory urllib3 response (cookies come from its
        # http.client original, which it has none of), so response.cookies stays empty here too.
        response._content = body
        response._content_consumed = True  # type: ignore[attr-defined]
        # A real urllib3 response already read to its end, as Session.send leaves one: its
        # headers and status are there, read() and stream() give nothing, close() is a no-op.
        spent = io.BytesIO()
        spent.close()
        raw = _urllib3_response(request, answer, spent)
        if raw.length_remaining is not None:  # a Content-Length, all of it read
            raw.length_remaining = 0
        raw._fp_bytes_read = len(body)  # what tell() says once the body is read
        response.raw = raw
        return response

    def close(self) -> None:
        """Nothing to release: no sockets were opened."""


def _urllib3_response(
    request: requests.PreparedRequest, answer: WireResponse, body: io.BytesIO
) -> HTTPResponse:
    """An in-memory urllib3 response for ``answer`` reading from ``body``."""
    return HTTPResponse(
        body=body,
        headers=answer.headers,
        status=answer.status,
        reason=HTTPStatus(answer.status).phrase,
        preload_content=False,
        decode_content=False,
        request_method=request.method,
        request_url=request.url,
    )


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
