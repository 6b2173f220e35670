"""The Starlette door: the app's catch-all default converts ASGI messages <-> wire messages.

Everything the API does happens in the wire handler; this module only reads the body (never
more than the 1 MiB limit plus one byte, so an oversized upload cannot exhaust memory) and
streams file downloads. The app is a Starlette application (mount it, test it with
``TestClient``, give it a lifespan), but a request skips Starlette's ``Request`` and
``Response``: the router's default reads the scope and sends the answer itself.

A file download renders its prefix in one trip to a worker thread, then sends the prefix and
the zero padding from the event loop: a thread hop per 64 KiB chunk (``StreamingResponse``
over a synchronous iterator) cost more than the bytes themselves.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Iterable

from starlette.applications import Starlette
from starlette.datastructures import URL
from starlette.requests import ClientDisconnect, Request
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocketClose

from ..core.assumptions import MAX_BODY_BYTES, TRANSPORT_TIMEOUT_SECONDS
from ..core.backend import MediaBackend
from ..media import default_renderer
from ..scenario_files import load_scenario
from ..wire import Handler, WireRequest, WireResponse, build_handler
from ..wire.dispatch import FileStream


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


async def _receive_body(declared: str, receive: Receive, limit: int = MAX_BODY_BYTES) -> bytes:
    """The body read from ``receive``, cut at ``limit + 1`` bytes; a declared length over the
    limit is not read at all. Raises ``ClientDisconnect`` when the client leaves mid-body."""
    if declared.isdigit() and int(declared) > limit:
        return b"\0" * (limit + 1)
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        kind = message["type"]
        if kind == "http.request":
            chunk = message.get("body", b"")
            if chunk:
                chunks.append(chunk)
                size += len(chunk)
                if size > limit:
                    break
            if not message.get("more_body", False):
                break
        elif kind == "http.disconnect":
            raise ClientDisconnect()
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


class _ScriptedReset(Exception):
    """Raised after the response has started, so the server drops the connection."""


class _QuietScriptedResets(logging.Filter):
    """Keeps scripted resets out of uvicorn's error log: a scenario asked for them, so they
    are no crash, and a CI log should not show a traceback for each."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], _ScriptedReset))


logging.getLogger("uvicorn.error").addFilter(_QuietScriptedResets())


async def _fault(kind: str, receive: Receive, send: Send) -> None:
    """A scripted transport fault: the connection drops mid-response ("reset"), or nothing
    comes back for longer than any sane client waits ("timeout").

    A timeout ends as soon as its client gives up, so a storm of them holds no server task
    for long; a server shutting down cuts it short and drops the connection, as a reset does,
    rather than logging the cancellation as a crash.
    """
    if kind == "timeout":
        try:
            async with asyncio.timeout(TRANSPORT_TIMEOUT_SECONDS):
                await _until_disconnect(receive)
                return  # the client left: nobody to answer
        except TimeoutError:
            pass
        except asyncio.CancelledError:  # the server is shutting down: drop it, as a reset does
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
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


# A path and query that Starlette's ``request.url`` would hand back unchanged. Anything else
# (an encoded "?", "#" or "\\", a control character urlsplit drops, a leading "//") takes the
# URL object's reading, so the wire handler sees what it always saw.
_PLAIN_PATH = re.compile(r"/(?!/)[^?#\\\t\r\n]*")
_PLAIN_QUERY = re.compile(r"[^#\t\r\n]*")


def _path_and_query(scope: Scope) -> tuple[str, str]:
    path: str = scope["path"]
    query = scope.get("query_string", b"").decode()
    if _PLAIN_PATH.fullmatch(path) and _PLAIN_QUERY.fullmatch(query):
        return path, query
    url = URL(scope=scope)
    return url.path, url.query


def _raw_headers(answer: WireResponse) -> list[tuple[bytes, bytes]]:
    """The answer's headers as ASGI wants them, with a Content-Length where Starlette's
    ``Response`` would add one: on every status but 1xx, 204 and 304, unless already set."""
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
    bodiless = answer.status < 200 or answer.status in (204, 304)
    if not bodiless and all(k != b"content-length" for k, _ in raw):
        raw.append((b"content-length", str(len(answer.body)).encode("latin-1")))
    return raw


# Every chunk sent yields to the loop once, so a client that left is noticed (asyncio's
# transport warns on every write after a lost connection until ``connection_lost`` has run).
# Past this many chunks (1 MiB) a download also watches for the client leaving and stops
# then; below it a watch would cost more than the few sends it saves.
_WATCHED_AFTER_CHUNKS = 16


async def _until_disconnect(receive: Receive) -> None:
    """Returns when the client has gone (the request's body was read already)."""
    try:
        while (await receive())["type"] != "http.disconnect":
            pass
    except Exception:  # a receive that fails says as much: stop sending
        return


async def _send_chunks(
    chunks: Iterable[bytes], status: int, headers: list[tuple[bytes, bytes]], receive: Receive, send: Send
) -> None:
    """The response, its body from ``chunks`` sent on the loop; the last chunk ends it."""
    await send({"type": "http.response.start", "status": status, "headers": headers})
    watch: asyncio.Task[None] | None = None
    try:
        pending: bytes | None = None
        for count, chunk in enumerate(chunks):
            if pending is not None:
                await send({"type": "http.response.body", "body": pending, "more_body": True})
                await asyncio.sleep(0)  # let other requests, a lost connection, and the watch run
                if watch is not None and watch.done():
                    return  # the client left: the rest would go nowhere
            pending = chunk
            if count >= _WATCHED_AFTER_CHUNKS and watch is None:
                watch = asyncio.ensure_future(_until_disconnect(receive))
        await send({"type": "http.response.body", "body": pending or b"", "more_body": False})
    finally:
        if watch is not None:
            watch.cancel()


class ASGIDoor:
    """Every HTTP request -> a ``WireRequest`` -> the handler -> ASGI messages."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "websocket":  # no websocket route: refused, as a router does
                await WebSocketClose()(scope, receive, send)
            return
        raw = scope["headers"]
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in raw}
        declared = ""
        if "content-length" in headers:  # the first one, as Starlette's Headers.get reads it
            declared = next(v for k, v in raw if k == b"content-length").decode("latin-1")
        try:
            body = await _receive_body(declared, receive)
        except ClientDisconnect:  # gone mid-body: a request never made is not answered or journaled
            await send({"type": "http.response.start", "status": 499, "headers": [(b"content-length", b"0")]})
            await send({"type": "http.response.body", "body": b""})  # never sent: the connection is closed
            return
        path, query = _path_and_query(scope)
        answer = self.handler(
            WireRequest(
                method=scope["method"],
                path=path,
                query=query,
                headers=headers,
                body=body,
                client=peer_address(scope),
            )
        )
        if answer.delay:
            await asyncio.sleep(answer.delay)  # a scripted latency on a real clock
        if answer.fault is not None:
            await _fault(answer.fault, receive, send)
            return
        if answer.chunks is None:
            headers_out = _raw_headers(answer)
            await send({"type": "http.response.start", "status": answer.status, "headers": headers_out})
            await send({"type": "http.response.body", "body": answer.body})
            return
        chunks = answer.chunks
        if isinstance(chunks, FileStream):
            # The render (tens of ms for a drawn picture) runs off the loop, once; the chunks
            # are then slices of the prefix and blocks of zeros, cheap to send from the loop.
            await asyncio.get_running_loop().run_in_executor(None, chunks.prepare)
        elif not isinstance(chunks, list | tuple):
            # Some other handler's lazy iterator may block on any chunk: read it in Starlette's
            # thread pool, as it always was.
            await StreamingResponse(chunks, answer.status, headers=answer.headers)(scope, receive, send)
            return
        headers_out = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
        await _send_chunks(chunks, answer.status, headers_out, receive, send)


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

    # Every path and method reaches the wire handler (an encoded newline, TRACE, ...): a router
    # with routes would answer some of them with Starlette's plain-text 404/405, not decision 3.
    # Lifespan events never reach the default: the router handles them itself.
    app = Starlette()
    app.router.default = ASGIDoor(handler)
    app.state.handler = handler
    return app
