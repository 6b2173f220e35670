"""The standalone server: the Starlette door under uvicorn, in the foreground or a thread."""

from __future__ import annotations

import socket
import threading
from types import TracebackType

import uvicorn

from ..core.backend import MediaBackend
from ..core.config import MockConfig
from ..wire import Handler
from .asgi import create_app


def serve(
    config: MockConfig, host: str = "127.0.0.1", port: int = 8000, *, access_log: bool = False
) -> None:
    """Run until interrupted (the ``mock-media serve`` command)."""
    app = create_app(MediaBackend(config))
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=access_log)


class MediaServer:
    """A live server on a free loopback port, in a daemon thread (for any client or language).

    Args:
        handler: what to serve: a wire handler or a backend.
        host: the interface to bind; the port is chosen by the OS.

    Use it as a context manager, or call ``start()`` and ``stop()``; ``url`` is its base URL.
    """

    def __init__(self, handler: Handler | MediaBackend, host: str = "127.0.0.1") -> None:
        self.app = create_app(handler)
        self.host = host
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
        return f"http://{self.host}:{self.port}"

    def start(self) -> MediaServer:
        """Bind, serve in a thread, and return once requests are accepted."""
        if self._thread is not None:
            raise RuntimeError("the server is already started")
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, 0))
        self._socket = sock
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        server = uvicorn.Server(config)
        self._server = server
        self._thread = threading.Thread(
            target=server.run, kwargs={"sockets": [sock]}, name="mock-media-server", daemon=True
        )
        self._thread.start()
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError("mock-media server failed to start")
            self._thread.join(0.005)
        return self

    def stop(self) -> None:
        """Shut down, wait for the thread, and release the port."""
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(10)
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
