"""The standalone server: the Starlette door under uvicorn, in the foreground or a thread."""

from __future__ import annotations

import importlib
import logging
import socket
import threading
import time
from types import TracebackType

import uvicorn
from starlette.applications import Starlette

from ..core.backend import MediaBackend
from ..core.config import MockConfig
from ..media import pictures_renderer
from ..wire import Handler
from .asgi import create_app

START_TIMEOUT_SECONDS = 10.0
# How long stop() lets requests in flight (a download the client stopped reading) finish.
GRACEFUL_SHUTDOWN_SECONDS = 2
# Whose X-Forwarded-For uvicorn believes: loopback proxies only, whatever FORWARDED_ALLOW_IPS
# says, so no remote client can pass itself off as loopback to the admin API.
TRUSTED_PROXIES = "127.0.0.1,::1"
LOOPS = ("auto", "uvloop", "asyncio")
HTTP_IMPLEMENTATIONS = ("auto", "httptools", "h11")


def _importable(name: str) -> bool:
    try:
        importlib.import_module(name)
    except ImportError:
        return False
    return True


def implementations(loop: str = "auto", http: str = "auto") -> tuple[str, str]:
    """(event loop, HTTP implementation) the server runs: "auto" is uvloop and httptools when
    they are installed (the ``fast`` extra), else asyncio and h11.

    Resolved here, not by uvicorn, so the start-up banner names what really runs.

    Raises:
        ValueError: an unknown name.
    """
    if loop not in LOOPS or http not in HTTP_IMPLEMENTATIONS:
        raise ValueError(f"loop must be one of {LOOPS} and http one of {HTTP_IMPLEMENTATIONS}")
    if loop == "auto":
        loop = "uvloop" if _importable("uvloop") else "asyncio"
    if http == "auto":
        http = "httptools" if _importable("httptools") else "h11"
    return loop, http


def bind_socket(host: str, port: int) -> socket.socket:
    """A TCP socket bound to ``host:port`` (port 0: any free port), not yet listening.

    Binding before uvicorn starts lets callers report a bad host or a busy port themselves
    and learn the port the OS chose.

    Raises:
        OSError: the host does not resolve, or the address cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say so, and without it
    # every response waits ~40 ms for a delayed ACK (Nagle). (uvloop sets it on every TCP socket.)
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except BaseException:
        sock.close()
        raise
    return sock


def _uvicorn_server(
    app: Starlette, *, access_log: bool, graceful: int | None, loop: str, http: str
) -> uvicorn.Server:
    loop, http = implementations(loop, http)
    config = uvicorn.Config(
        app,
        loop=loop,
        http=http,
        log_level="warning",
        access_log=access_log,
        lifespan="off",
        timeout_graceful_shutdown=graceful,
        forwarded_allow_ips=TRUSTED_PROXIES,
    )
    if access_log:
        # Access lines are logged at INFO; keep uvicorn's own chatter at WARNING.
        logging.getLogger("uvicorn.access").setLevel(logging.INFO)
    return uvicorn.Server(config)


def serve(
    config: MockConfig,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    access_log: bool = False,
    sock: socket.socket | None = None,
    admin: bool = True,
    admin_token: str | None = None,
    loop: str = "auto",
    http: str = "auto",
    pictures: str = "drawn",
) -> None:
    """Run until interrupted (the ``mock-media serve`` command).

    Args:
        sock: an already bound socket (see :func:`bind_socket`); else ``host:port`` is bound.
        admin: serve the admin API (``/_mock``); off, it is a 404 like any unknown route.
        admin_token: what every admin request must send in ``X-Mock-Admin-Token``; without
            one the admin API answers loopback clients only.
        loop, http: see :func:`implementations`.
        pictures: "drawn" or "flat" (see :func:`mock_media.media.pictures_renderer`); "drawn"
            imports Pillow at the first download, not before the server listens.

    Raises:
        ValueError: an unknown ``pictures``.
    """
    renderer = pictures_renderer(pictures, deferred=True)
    app = create_app(MediaBackend(config, renderer=renderer), admin=admin, admin_token=admin_token)
    server = _uvicorn_server(app, access_log=access_log, graceful=None, loop=loop, http=http)
    if sock is None:
        sock = bind_socket(host, port)
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it handled
        pass
    finally:
        sock.close()


class MediaServer:
    """A live server on a free loopback port, in a daemon thread (for any client or language).

    Args:
        handler: what to serve: a wire handler or a backend (whose admin API then answers
            loopback clients only; build the handler with a token to open it wider).
        host: the interface to bind; the port is chosen by the OS.
        loop, http: see :func:`implementations`.

    Use it as a context manager, or call ``start()`` and ``stop()``; ``url`` is its base URL.
    """

    def __init__(
        self,
        handler: Handler | MediaBackend,
        host: str = "127.0.0.1",
        *,
        loop: str = "auto",
        http: str = "auto",
    ) -> None:
        self.app = create_app(handler)
        self.host = host
        self.loop, self.http = implementations(loop, http)
        self._socket: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The bound port."""
        if self._socket is None:
            raise RuntimeError("the server is not started")
        port: int = self._socket.getsockname()[1]
        return port

    @property
    def url(self) -> str:
        """``http://host:port``, no trailing slash."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def start(self) -> MediaServer:
        """Bind, serve in a thread, and return once requests are accepted.

        Raises:
            RuntimeError: already started, or the server did not come up in time.
        """
        if self._thread is not None:
            raise RuntimeError("the server is already started")
        sock = bind_socket(self.host, 0)
        self._socket = sock
        server = _uvicorn_server(
            self.app, access_log=False, graceful=GRACEFUL_SHUTDOWN_SECONDS, loop=self.loop, http=self.http
        )
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="mock-media-server", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("mock-media server failed to start")
            self._thread.join(0.005)
        return self

    def stop(self) -> None:
        """Shut down, wait for the thread, and release the port. Safe to call twice."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(GRACEFUL_SHUTDOWN_SECONDS + 8)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> MediaServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
