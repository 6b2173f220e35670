"""The framework-free HTTP contract, pure and sync, shared by every door."""

from __future__ import annotations

from ..core.backend import MediaBackend
from .control import Control
from .dispatch import Dispatcher, Handler
from .messages import WireRequest, WireResponse, json_response
from .routes import ADMIN_PREFIX, Operation, resolve


def build_handler(backend: MediaBackend, *, admin: bool = True) -> Dispatcher:
    """The one handler for a backend: its public API, plus ``/_mock`` unless ``admin=False``."""
    return Dispatcher(backend, Control(backend) if admin else None)


__all__ = [
    "ADMIN_PREFIX",
    "Control",
    "Dispatcher",
    "Handler",
    "Operation",
    "WireRequest",
    "WireResponse",
    "build_handler",
    "json_response",
    "resolve",
]
