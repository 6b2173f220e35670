"""The framework-free HTTP contract, pure and sync, shared by every door."""

from __future__ import annotations

from collections.abc import Callable

from ..core.backend import MediaBackend
from ..core.scenario import Scenario
from .control import Control
from .dispatch import Dispatcher, Handler
from .messages import WireRequest, WireResponse, json_response
from .routes import ADMIN_PREFIX, Operation, resolve


def build_handler(
    backend: MediaBackend,
    *,
    admin: bool = True,
    scenario_loader: Callable[[str], Scenario] | None = None,
) -> Dispatcher:
    """The one handler for a backend: its public API, plus ``/_mock`` unless ``admin=False``.

    ``scenario_loader`` lets ``POST /_mock/scenario`` load scenarios by name (the wire layer
    reads no files itself; the doors pass ``mock_media.scenario_files.load_scenario``).
    """
    return Dispatcher(backend, Control(backend, scenario_loader) if admin else None)


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
