"""The framework-free HTTP contract, pure and sync, shared by every door."""

from __future__ import annotations

from collections.abc import Callable

from ..core.backend import MediaBackend
from ..core.scenario import Scenario
from .control import ADMIN_TOKEN_HEADER, Control, admin_refusal, is_loopback
from .dispatch import Dispatcher, Handler
from .messages import WireRequest, WireResponse, json_response
from .routes import ADMIN_PREFIX, Operation, resolve


def build_handler(
    backend: MediaBackend,
    *,
    admin: bool = True,
    admin_token: str | None = None,
    scenario_loader: Callable[[str], Scenario] | None = None,
) -> Dispatcher:
    """The one handler for a backend: its public API, plus ``/_mock`` unless ``admin=False``
    (then ``/_mock`` is a 404 like any unknown route).

    ``admin_token``: every ``/_mock`` request must send it in ``X-Mock-Admin-Token``, from any
    address; without one, ``/_mock`` answers only loopback and in-process callers (403
    ``forbidden`` for the rest). ``scenario_loader`` lets ``POST /_mock/scenario`` load
    scenarios by name (the wire layer reads no files itself; the doors pass
    ``mock_media.scenario_files.load_scenario``).

    Raises:
        ValueError: an admin token with ``admin=False``, or one no client could send.
    """
    control = Control(backend, scenario_loader) if admin else None
    return Dispatcher(backend, control, admin_token)


__all__ = [
    "ADMIN_PREFIX",
    "ADMIN_TOKEN_HEADER",
    "Control",
    "Dispatcher",
    "Handler",
    "Operation",
    "WireRequest",
    "WireResponse",
    "admin_refusal",
    "build_handler",
    "is_loopback",
    "json_response",
    "resolve",
]
