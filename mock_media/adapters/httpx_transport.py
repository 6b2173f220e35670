"""The httpx and httpx2 doors without patching: a ``MockTransport`` over the wire handler.

httpx2 keeps httpx's API (``Request``, ``Response``, ``MockTransport``), so one conversion
serves both; the library module is a parameter. Pass the transport to a client
(``httpx.Client(transport=...)``): every request it sends reaches the fake, whatever the host.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any

from ..core.facts import API_HOST, MEDIA_HOST
from ..wire import Handler, WireRequest, WireResponse
from .hosts import enact, prefixes, refused


def to_wire(request: Any) -> WireRequest:
    """An ``httpx.Request`` (or httpx2's) as a wire request; its body must have been read."""
    return WireRequest.build(
        request.method,
        request.url.path,
        query=request.url.query.decode("ascii", "replace"),
        headers=request.headers.multi_items(),
        body=request.content,
    )


def to_response(module: ModuleType, answer: WireResponse, request: Any) -> Any:
    """A wire response as the library's ``Response``."""
    return module.Response(
        answer.status,
        headers=list(answer.headers.items()),
        content=answer.read(),
        request=request,
    )


def handler_function(handler: Handler, module: ModuleType) -> Any:
    """The ``request -> response`` callable that ``MockTransport`` and respx both take."""

    def handle(request: Any) -> Any:
        answer = handler(to_wire(request))
        enact(
            answer,
            lambda message: module.ConnectError(message, request=request),
            lambda message: module.ReadTimeout(message, request=request),
        )
        return to_response(module, answer, request)

    return handle


def mock_transport(handler: Handler, module: ModuleType | None = None) -> Any:
    """A ``MockTransport`` for sync and async clients of ``module`` (default: httpx)."""
    if module is None:
        import httpx

        module = httpx
    return module.MockTransport(handler_function(handler, module))


@contextmanager
def patch_transports(
    module: ModuleType,
    handler: Handler,
    *bases: str,
    refuse_others: bool = False,
    allowed: tuple[str, ...] = (),
) -> Iterator[None]:
    """Route requests for ``bases`` (default: API and media hosts) from every client of
    ``module`` to the fake while the block runs; other hosts keep the network, unless
    ``refuse_others``: then any host outside ``bases`` and ``allowed`` raises
    ``UnmatchedHostError``.

    This is what respx does for httpx, done for httpx2 (which respx does not know): the
    library's default transports are patched, so clients need no ``transport=`` argument.
    """
    ours = prefixes(bases or (API_HOST, MEDIA_HOST))
    let_through = prefixes(allowed)
    handle = handler_function(handler, module)
    sync_cls, async_cls = module.HTTPTransport, module.AsyncHTTPTransport
    original_sync, original_async = sync_cls.handle_request, async_cls.handle_async_request

    def route(request: Any) -> bool:
        url = str(request.url).lower()
        if url.startswith(ours):
            return True
        if refuse_others and not url.startswith(let_through):
            raise refused(f"{request.method} {request.url}")
        return False

    def handle_request(self: Any, request: Any) -> Any:
        if route(request):
            request.read()
            return handle(request)
        return original_sync(self, request)

    async def handle_async_request(self: Any, request: Any) -> Any:
        if route(request):
            await request.aread()
            return handle(request)
        return await original_async(self, request)

    sync_cls.handle_request = handle_request
    async_cls.handle_async_request = handle_async_request
    try:
        yield
    finally:
        sync_cls.handle_request = original_sync
        async_cls.handle_async_request = original_async
