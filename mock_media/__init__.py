"""mock-media: a high-fidelity, deterministic fake of the MoltbotDen Media API.

One pure core (``mock_media.core``), one wire contract (``mock_media.wire``), thin doors
(``mock_media.adapters``). Import a door from its module so optional dependencies stay lazy.
"""

from __future__ import annotations

from .core import (
    ApiError,
    ErrorCode,
    JobStatus,
    JournalEntry,
    Kind,
    ManualClock,
    MediaBackend,
    MockConfig,
    SystemClock,
)
from .fake import MockMedia, MockMediaAssertionError
from .wire import Dispatcher, WireRequest, WireResponse, build_handler


def __getattr__(name: str) -> object:
    # The remote client pulls in httpx; the standalone server never needs it at start-up.
    if name in ("RemoteMockMedia", "MockMediaAdminError"):
        from . import remote

        return getattr(remote, name)
    raise AttributeError(f"module 'mock_media' has no attribute {name!r}")


__all__ = [
    "ApiError",
    "Dispatcher",
    "ErrorCode",
    "JobStatus",
    "JournalEntry",
    "Kind",
    "ManualClock",
    "MediaBackend",
    "MockConfig",
    "MockMedia",
    "MockMediaAdminError",
    "MockMediaAssertionError",
    "RemoteMockMedia",
    "SystemClock",
    "WireRequest",
    "WireResponse",
    "build_handler",
]
