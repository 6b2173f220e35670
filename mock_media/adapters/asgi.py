"""The Starlette door: one catch-all route that converts Request <-> wire messages.

Everything the API does happens in the wire handler; this module only reads the body (never
more than the 1 MiB limit plus one byte, so an oversized upload cannot exhaust memory) and
streams file downloads.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import request_response
from starlette.types import Receive, Scope, Send

from ..core.assumptions import MAX_BODY_BYTES, TRANSPORT_TIMEOUT_SECONDS
from ..core.backend import MediaBackend
from ..media import default_renderer
from ..scenario_files import load_scenario
from ..wire import Handler, WireRequest, build_handler


async def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body, cut at ``limit + 1`` bytes: enough for the core to answer 413."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return b"\0" * (limit + 1)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            break
    return b"".join(chunks)


class _ScriptedReset(Exception):
    """Raised after the response has started, so the server drops the connection."""


class _QuietScriptedResets(logging.Filter):
    """Keeps scripted resets out of uvicorn's error log: a scenario asked for them, so they
    are no crash, and a CI log should not show a traceback for each."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _ScriptedReset))


logging.getLogger("uvicorn.error").addFilter(_QuietScriptedResets())


class _Fault(Response):
    """A scripted transport fault: the connection drops mid-response ("reset"), or nothing
    comes back for longer than any sane client waits ("timeout")."""

    def __init__(self, kind: str) -> None:
        super().__init__(b"", 200)
        self.kind = kind

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.kind == "timeout":
            await asyncio.sleep(TRANSPORT_TIMEOUT_SECONDS)
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]})
        raise _ScriptedReset("mock-media scenario: connection reset")


# Starlette's TestClient names its peer "testclient": an in-process caller, like a wire call.
_IN_PROCESS_PEERS = frozenset({"testclient"})


def peer_address(scope: Scope) -> str | None:
    """The client's address as the ASGI server saw it (after uvicorn's proxy-header rewrite,
    which trusts only loopback proxies); None for an in-process caller or a Unix socket."""
    client = scope.get("client")
    if not client or client[0] in _IN_PROCESS_PEERS:
        return None
    return str(client[0])


def create_app(
    handler: Handler | MediaBackend | None = None, *, admin: bool = True, admin_token: str | None = None
) -> Starlette:
    """A Starlette app serving a wire handler (or a backend, or a fresh default backend).

    ``admin`` and ``admin_token`` apply when the app builds the handler itself (see
    :func:`mock_media.wire.build_handler`); a handler given ready-made keeps its own.
    """
    if handler is None:
        handler = MediaBackend(renderer=default_renderer())
    if not isinstance(handler, MediaBackend) and (not admin or admin_token is not None):
        raise ValueError("admin and admin_token apply to a backend; build the handler with them instead")
    if isinstance(handler, MediaBackend):
        handler = build_handler(handler, admin=admin, admin_token=admin_token, scenario_loader=load_scenario)
    serve = handler

    async def endpoint(request: Request) -> Response:
        try:
            body = await read_body(request)
        except ClientDisconnect:  # gone mid-body: a request never made is not answered or journaled
            return Response(status_code=499)  # never sent: the connection is closed
        wire = WireRequest(
            method=request.method,
            path=request.url.path,
            query=request.url.query,
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in request.headers.raw},
            body=body,
            client=peer_address(request.scope),
        )
        answer = serve(wire)
        if answer.delay:
            await asyncio.sleep(answer.delay)  # a scripted latency on a real clock
        if answer.fault is not None:
            return _Fault(answer.fault)
        if answer.chunks is not None:
            return StreamingResponse(answer.chunks, answer.status, headers=answer.headers)
        return Response(answer.body, answer.status, headers=answer.headers)

    # Every path and method reaches the wire handler (an encoded newline, TRACE, ...): a router
    # with routes would answer some of them with Starlette's plain-text 404/405, not decision 3.
    app = Starlette()
    app.router.default = request_response(endpoint)
    app.state.handler = handler
    return app
