"""The plugin's live server: one per test process, each test's fake switched in and out."""

from __future__ import annotations

from typing import Any

from mock_media.adapters.server import MediaServer
from mock_media.core.config import MockConfig
from mock_media.core.errors import ModelUnavailable
from mock_media.fake import MockMedia
from mock_media.wire import WireRequest, WireResponse, render


class LiveServer:
    """A uvicorn thread on a free loopback port that serves whichever fake is installed.

    Starting a server costs tens of milliseconds; switching the fake behind it costs
    nothing, so every test gets a fresh fake without a fresh server.
    """

    def __init__(self) -> None:
        self._fake: MockMedia | None = None
        self._server = MediaServer(self._handle)

    @property
    def url(self) -> str:
        """``http://127.0.0.1:<port>``."""
        return self._server.url

    def start(self) -> LiveServer:
        """Bind and serve."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Shut down and release the port."""
        self._server.stop()

    def install(self, config: MockConfig, **kwargs: Any) -> MockMedia:
        """A fresh fake, now answering on the server."""
        self._fake = MockMedia(config, **kwargs)
        return self._fake

    def uninstall(self) -> None:
        """Between tests, the server answers 503 to anyone still calling."""
        self._fake = None

    def _handle(self, request: WireRequest) -> WireResponse:
        fake = self._fake
        if fake is None:
            return render.error(ModelUnavailable("no test is running on this mock-media server"))
        return fake(request)
