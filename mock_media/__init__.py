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
from .wire import Dispatcher, WireRequest, WireResponse, build_handler

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
    "SystemClock",
    "WireRequest",
    "WireResponse",
    "build_handler",
]
