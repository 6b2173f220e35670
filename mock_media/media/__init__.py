"""Real media encoders, outside the standard-library core.

``default_renderer()`` is what ``MockMedia``, the standalone server and the pytest plugin use:
Pillow's WebP encoder when Pillow (the ``media`` extra) is importable, else the core's
standard-library renderer (a solid-colour WebP). Either way the prefixes are cached.
"""

from __future__ import annotations

from functools import cache

from ..core.content import CachedRenderer, Renderer, StdlibRenderer


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


__all__ = ["default_renderer", "pillow_available"]
