"""mock-media: a high-fidelity, deterministic fake of the MoltbotDen Media API.

One pure core (``mock_media.core``), one wire contract (``mock_media.wire``), thin doors
(``mock_media.adapters``). Import a door from its module so optional dependencies stay lazy.
"""

from __future__ import annotations

import importlib
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
from .wire import Dispatcher, WireRequest, WireResponse, build_handler
from .wire.openapi import openapi_document

if TYPE_CHECKING:
    from .adapters.respx_router import MediaRouter
    from .core.conduct import ConductPolicy, ConductReport, MisconductError
    from .core.freeze import freeze, scenario_toml
    from .fake import MockMedia, MockMediaAssertionError, assert_well_behaved
    from .remote import MockMediaAdminError, RemoteMockMedia
    from .replayer import ReplayReport, replay

    respx_mock: MediaRouter

_respx_mock: object = None

# Imported on first use: ``mock-media serve`` needs none of them (about a third of the
# package's import time), and the remote client and respx pull in httpx.
_LAZY = {
    "ConductPolicy": "core.conduct",
    "ConductReport": "core.conduct",
    "MisconductError": "core.conduct",
    "freeze": "core.freeze",
    "scenario_toml": "core.freeze",
    "MockMedia": "fake",
    "MockMediaAssertionError": "fake",
    "assert_well_behaved": "fake",
    "ReplayReport": "replayer",
    "replay": "replayer",
    "RemoteMockMedia": "remote",
    "MockMediaAdminError": "remote",
}


def __dir__() -> list[str]:
    # What tab completion and dir() should offer: the lazy names too.
    return sorted({*globals(), *_LAZY, "respx_mock"})


def __getattr__(name: str) -> object:
    global _respx_mock
    if name in _LAZY:
        value = getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
        globals()[name] = value  # found by plain lookup from now on
        return value
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
