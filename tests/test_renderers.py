"""The Pillow renderer and which renderer each entry point uses.

Every documented picture must fit its smallest possible ``size_bytes`` at the first quality
step; the ladder and the solid-colour fallback are checked on sizes forced too small.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from mock_media import MockMedia
from mock_media.adapters.asgi import create_app
from mock_media.core.assumptions import IMAGE_BYTES_PER_PIXEL, SIZE_JITTER
from mock_media.core.content import WEBP_OVERHEAD, CachedRenderer, FileSpec, StdlibRenderer, file_bytes
from mock_media.core.facts import RESOLUTIONS, Kind
from mock_media.media import default_renderer, pillow_available
from mock_media.media.pillow import QUALITIES, PillowRenderer, encode, placeholder_picture

LONG_PROMPT = "A futuristic city skyline at sunset, neon signs reflected in the rain " * 60  # ~4000 chars


def spec(
    width: int, height: int, size: int, prompt: str = "a lighthouse", job_id: str | None = "img_x"
) -> FileSpec:
    return FileSpec(Kind.IMAGE, "webp", width, height, size, 5, job_id, 3, prompt)


def smallest_size(width: int, height: int) -> int:
    """The smallest size_bytes the fake can draw for a picture (content.size_bytes)."""
    size = int(width * height * IMAGE_BYTES_PER_PIXEL * (1 - SIZE_JITTER))
    return size - size % 2


def decoded(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    image.load()
    return image


@pytest.mark.parametrize(("width", "height"), sorted(set(RESOLUTIONS.values())))
def test_pillow__every_documented_picture_fits_its_smallest_size_at_the_first_quality(
    width: int, height: int
) -> None:
    picture = placeholder_picture(spec(width, height, 0, LONG_PROMPT, "img_WWWWWWWWWWWW"))

    needed = len(encode(picture, QUALITIES[0])) + WEBP_OVERHEAD

    assert picture.size == (width, height)
    assert needed * 2 < smallest_size(width, height)  # with room to spare


def test_pillow__a_picture_too_big_for_its_size_steps_down_in_quality() -> None:
    picture = placeholder_picture(spec(320, 240, 0))
    sizes = [len(encode(picture, quality)) + WEBP_OVERHEAD for quality in QUALITIES]
    assert sizes == sorted(sizes, reverse=True)
    size = sizes[1] + sizes[1] % 2  # fits the second step, not the first

    data = file_bytes(PillowRenderer(), spec(320, 240, size))

    assert decoded(data).size == (320, 240)
    assert len(data.rstrip(b"\0")) <= sizes[1]


def test_pillow__a_size_too_small_for_any_quality_gets_the_solid_colour() -> None:
    data = file_bytes(PillowRenderer(), spec(320, 240, 200))

    image = decoded(data)
    assert image.size == (320, 240)
    assert all(low == high for low, high in image.getextrema())  # type: ignore[misc]


def test_pillow__a_size_too_small_even_for_the_solid_colour_is_an_error() -> None:
    with pytest.raises(ValueError, match="needs"):
        PillowRenderer().prefix(spec(320, 240, 40))


@pytest.mark.parametrize(
    "prompt",
    ["", "   ", "line\nbreak\ttab", "émoji 🦊 and 中文 text", LONG_PROMPT],
    ids=["empty", "blank", "controls", "unicode", "long"],
)
def test_pillow__any_prompt_draws(prompt: str) -> None:
    data = file_bytes(PillowRenderer(), spec(1024, 1024, 150_000, prompt))

    assert decoded(data).size == (1024, 1024)


def test_pillow__label_and_colours_follow_the_spec() -> None:
    base = spec(320, 240, 100_000)
    variants = [base, spec(320, 240, 100_000, prompt="a windmill"), spec(320, 240, 100_000, job_id=None)]

    pixels = {decoded(file_bytes(PillowRenderer(), s)).tobytes() for s in variants}

    assert len(pixels) == 3
    assert file_bytes(PillowRenderer(), base) == file_bytes(PillowRenderer(), base)


def test_pillow__videos_are_left_to_the_standard_library() -> None:
    video = FileSpec(Kind.VIDEO, "mp4", 1920, 1080, 8_000_000, 5, "vid_x", 0, "p", 24, 5.0)

    assert PillowRenderer().prefix(video) == StdlibRenderer().prefix(video)


# --- which renderer is active ---------------------------------------------------------------
def test_default_renderer__pillow_when_installed_one_cache_for_the_process() -> None:
    renderer = default_renderer()

    assert pillow_available()
    assert isinstance(renderer, CachedRenderer)
    assert isinstance(renderer.renderer, PillowRenderer)
    assert renderer.name == "pillow"
    assert default_renderer() is renderer


def test_default_renderer__without_pillow_falls_back_to_the_standard_library(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import mock_media.media as media

    monkeypatch.setattr(media, "pillow_available", lambda: False)

    renderer = media.default_renderer.__wrapped__()

    assert type(renderer.renderer) is StdlibRenderer
    assert renderer.name == "stdlib"


def test_entry_points__use_the_default_renderer() -> None:
    assert MockMedia().backend.renderer is default_renderer()
    assert create_app().state.handler.backend.renderer is default_renderer()
    assert MockMedia(renderer=StdlibRenderer()).backend.renderer is not default_renderer()
