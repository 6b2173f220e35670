"""A bench-only prototype: the fake's wire handler behind a bare ASGI callable, no Starlette.

It exists to measure how much of the standalone server's cost is the door (Starlette's
middleware, ``Request``, ``Response``, the thread hops of a streamed body) rather than the
fake itself. It is not a replacement for ``mock_media.adapters.asgi``: it keeps no scripted
latencies or transport faults, and it reads the whole body of a download at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from mock_media.core.assumptions import MAX_BODY_BYTES
from mock_media.wire import Handler, WireRequest

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]


def raw_app(handler: Handler) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """An ASGI app answering every HTTP request through ``handler``."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = b""
        more = True
        while more and len(body) <= MAX_BODY_BYTES:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        peer = scope.get("client")
        request = WireRequest(
            method=scope["method"],
            path=scope["path"],
            query=scope["query_string"].decode("latin-1"),
            headers={k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]},
            body=body,
            client=str(peer[0]) if peer else None,  # the admin API checks it, as behind the real door
        )
        answer = handler(request)
        # A file renders on first read: off the loop, as Starlette's streaming would.
        content = answer.body if answer.chunks is None else await asyncio.to_thread(answer.read)
        headers = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in answer.headers.items()]
        await send({"type": "http.response.start", "status": answer.status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

    return app
