"""Real media encoders, outside the standard-library core.

``default_renderer()`` is what ``MockMedia``, the standalone server and the pytest plugin use:
Pillow's WebP encoder when Pillow (the ``media`` extra) is importable, else the core's
standard-library renderer (a solid-colour WebP). Either way the prefixes are cached.

``pictures_renderer()`` maps a door's choice of pictures (``mock-media serve --pictures``) to
a renderer: "drawn" is the default renderer, "flat" the one-colour one, which costs
microseconds a picture instead of Pillow's tens of milliseconds (for load tests).
"""

from __future__ import annotations

import importlib.util
import threading
from collections.abc import Callable
from functools import cache

from ..core.content import CachedRenderer, FileSpec, Renderer, StdlibRenderer

PICTURES = ("drawn", "flat")
# The environment variable ``mock-media serve`` reads when ``--pictures`` is not given.
PICTURES_ENV = "MOCK_MEDIA_PICTURES"


def pillow_available() -> bool:
    """Whether Pillow, with WebP support, can be imported."""
    try:
        from PIL import features
    except ImportError:
        return False
    return bool(features.check("webp"))


@cache
def default_renderer() -> CachedRenderer:
    """The process's one cached renderer: its 64 MiB of prefixes are shared by every fake.

    Sharing is safe because a ``FileSpec`` fixes the bytes, whichever fake asks.
    """
    renderer: Renderer = StdlibRenderer()
    if pillow_available():
        from .pillow import PillowRenderer

        renderer = PillowRenderer()
    return CachedRenderer(renderer)


@cache
def flat_renderer() -> CachedRenderer:
    """The process's one cached one-colour renderer (shared for the reason above)."""
    return CachedRenderer(StdlibRenderer())


class DeferredRenderer:
    """A renderer chosen at its first ``prefix()``, not when it is built.

    Choosing the default renderer imports Pillow and checks its WebP support (15-30 ms), which
    a server would otherwise spend before it listens, and which a run that downloads nothing
    never needs. Two threads' first calls choose once.
    """

    def __init__(self, choose: Callable[[], Renderer]) -> None:
        self._choose = choose
        self._renderer: Renderer | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """The chosen renderer's name, or "deferred" before the first download chose one."""
        return "deferred" if self._renderer is None else str(getattr(self._renderer, "name", "?"))

    @property
    def chosen(self) -> Renderer | None:
        """The renderer, once a ``prefix()`` has chosen it."""
        return self._renderer

    def prefix(self, spec: FileSpec) -> bytes:
        """The chosen renderer's prefix."""
        renderer = self._renderer
        if renderer is None:
            with self._lock:
                if self._renderer is None:
                    self._renderer = self._choose()
                renderer = self._renderer
        return renderer.prefix(spec)


def pictures_renderer(pictures: str = "drawn", *, deferred: bool = False) -> Renderer:
    """The renderer for a choice of pictures: "drawn" is ``default_renderer()`` (Pillow's
    picture when the ``media`` extra is installed), "flat" the one-colour WebPs of
    ``flat_renderer()``. Either way the sizes are exact and videos are the same MP4s.

    Args:
        deferred: choose "drawn"'s renderer at the first download (see ``DeferredRenderer``).

    Raises:
        ValueError: an unknown choice.
    """
    if pictures == "flat":
        return flat_renderer()
    if pictures != "drawn":
        raise ValueError(f"pictures must be one of {', '.join(PICTURES)}, got {pictures!r}")
    return DeferredRenderer(default_renderer) if deferred else default_renderer()


def describe_pictures(pictures: str) -> str:
    """What the pictures will be, for a start-up banner, without importing Pillow.

    It tells whether Pillow is installed, not whether it has WebP (only a build without
    libwebp lacks it): a server drawing with a deferred renderer has not imported it yet.
    """
    if pictures == "flat":
        return "flat pictures (one colour each)"
    if importlib.util.find_spec("PIL") is None:
        return "drawn pictures in one colour (the media extra adds Pillow)"
    return "drawn pictures (Pillow)"


__all__ = [
    "PICTURES",
    "PICTURES_ENV",
    "DeferredRenderer",
    "default_renderer",
    "describe_pictures",
    "flat_renderer",
    "pictures_renderer",
    "pillow_available",
]
