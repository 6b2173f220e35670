"""mock-media: a high-fidelity, deterministic fake of the MoltbotDen Media API.

One pure core (``mock_media.core``), one wire contract (``mock_media.wire``), thin doors
(``mock_media.adapters``). Import a door from its module so optional dependencies stay lazy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from .core.conduct import ConductPolicy, ConductReport, MisconductError
from .core.freeze import freeze, scenario_toml
from .fake import MockMedia, MockMediaAssertionError, assert_well_behaved
from .replayer import ReplayReport, replay
from .wire import Dispatcher, WireRequest, WireResponse, build_handler
from .wire.openapi import openapi_document

if TYPE_CHECKING:
    from .adapters.respx_router import MediaRouter
    from .remote import MockMediaAdminError, RemoteMockMedia

    respx_mock: MediaRouter

_respx_mock: object = None


def __getattr__(name: str) -> object:
    # respx and the remote client pull in httpx; the standalone server never needs them.
    global _respx_mock
    if name in ("RemoteMockMedia", "MockMediaAdminError"):
        from . import remote

        return getattr(remote, name)
    if name == "respx_mock":  # a ready respx router over a fake of its own, made on first use
        if _respx_mock is None:
            from .adapters.respx_router import ready_router

            _respx_mock = ready_router()
        return _respx_mock
    raise AttributeError(f"module 'mock_media' has no attribute {name!r}")


__all__ = [
    "ApiError",
    "ConductPolicy",
    "ConductReport",
    "Dispatcher",
    "ErrorCode",
    "JobStatus",
    "JournalEntry",
    "Kind",
    "ManualClock",
    "MediaBackend",
    "MisconductError",
    "MockConfig",
    "MockMedia",
    "MockMediaAdminError",
    "MockMediaAssertionError",
    "RemoteMockMedia",
    "ReplayReport",
    "SystemClock",
    "WireRequest",
    "WireResponse",
    "assert_well_behaved",
    "build_handler",
    "freeze",
    "openapi_document",
    "replay",
    "scenario_toml",
]
