"""The Pillow image renderer: a real, lossy WebP placeholder picture at the exact size.

The picture is recognisably a placeholder, never noise: a gradient in colours drawn from the
prompt (its hue) and the file's seed (the second colour, the direction, three rings), with a
band naming the job (or "seeded"), the output's index, its size and the prompt. Pillow's
bytes are deterministic for one Pillow/libwebp build, so the same request gives the same file.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import random
from functools import lru_cache

from PIL import Image, ImageDraw, ImageFont

from ..core.content import WEBP_OVERHEAD, FileSpec, StdlibRenderer, webp_image_chunks, webp_prefix

# Tried in turn until the picture fits in size_bytes. At 80 the largest documented picture
# (2160x3840) takes ~130 kB, against at least ~960 kB it may have: the ladder is a safeguard.
QUALITIES = (80, 60, 40, 20, 5)
# libwebp's fastest method: a 3840x2160 picture encodes in ~0.1 s, a quarter of the default's time.
METHOD = 0
Font = ImageFont.FreeTypeFont | ImageFont.ImageFont

RGB = tuple[int, int, int]


class PillowRenderer(StdlibRenderer):
    """Images through Pillow's WebP encoder; videos as the standard-library renderer makes them."""

    name = "pillow"

    def image_prefix(self, spec: FileSpec) -> bytes:
        """The smallest quality step that fits; if none does, the solid-colour WebP (which
        raises ValueError only for a file under ~60 bytes, far below any documented size)."""
        picture = placeholder_picture(spec)
        for quality in QUALITIES:
            chunk = encode(picture, quality)
            if len(chunk) + WEBP_OVERHEAD <= spec.size_bytes:
                return webp_prefix(chunk, spec.width, spec.height, spec.size_bytes)
        return super().image_prefix(spec)


def encode(picture: Image.Image, quality: int) -> bytes:
    """The picture as a lossy WebP's image chunk (``VP8 ``, header and padding included)."""
    buffer = io.BytesIO()
    picture.save(buffer, "WEBP", quality=quality, method=METHOD)
    return webp_image_chunks(buffer.getvalue())


def _hsv(hue: float, saturation: float, value: float) -> RGB:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


@lru_cache(maxsize=64)
def _font(size: int) -> Font:
    """Pillow's bundled font at ``size`` pixels (a small bitmap font without FreeType)."""
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, ImportError, OSError):  # Pillow < 10.1, or no FreeType
        return ImageFont.load_default()


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int) -> str:
    """``text`` cut (with an ellipsis) to at most ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "...", font=font) > width:
        text = text[: max(0, len(text) - max(1, len(text) // 8))]
    return text + "..."


def placeholder_picture(spec: FileSpec) -> Image.Image:
    """The picture for ``spec``, exactly ``spec.width`` x ``spec.height``."""
    width, height = spec.width, spec.height
    rng = random.Random(spec.content_seed)
    hue = int.from_bytes(hashlib.sha256(spec.prompt.encode()).digest()[:2], "big") / 65536
    light = _hsv(hue, 0.55, 0.95)
    dark = _hsv(hue + 0.15 + 0.35 * rng.random(), 0.8, 0.35)
    # The gradient is made small and scaled up: smooth, and cheap at 8 megapixels.
    small = (max(2, width // 16), max(2, height // 16))
    down = Image.linear_gradient("L").resize(small)
    across = Image.linear_gradient("L").transpose(Image.Transpose.ROTATE_90).resize(small)
    mask = Image.blend(down, across, 0.2 + 0.6 * rng.random())
    if rng.random() < 0.5:
        mask = mask.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    base = Image.composite(Image.new("RGB", small, light), Image.new("RGB", small, dark), mask)
    picture = base.resize((width, height), Image.Resampling.BILINEAR)
    draw = ImageDraw.Draw(picture)
    side = min(width, height)
    ring = _hsv(hue + 0.5, 0.35, 1.0)
    for _ in range(3):
        x, y = rng.uniform(0, width), rng.uniform(0, height)
        radius = side * rng.uniform(0.1, 0.35)
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), outline=ring, width=max(2, side // 90))
    _label(draw, spec, hue)
    return picture


def _label(draw: ImageDraw.ImageDraw, spec: FileSpec, hue: float) -> None:
    """A dark band across the middle naming the file: placeholder, job and index, size, prompt."""
    width, height = spec.width, spec.height
    size = max(8, min(height // 14, width // 15))
    prompt = " ".join(spec.prompt.split())
    lines = [
        ("MOCK-MEDIA PLACEHOLDER", _font(size * 5 // 8)),
        (f"{spec.job_id or 'seeded'}  #{spec.index}", _font(size)),
        (f"{width} x {height}", _font(size)),
        (prompt, _font(size // 2)),
    ]
    gap = size // 3
    heights = [draw.textbbox((0, 0), text or " ", font=font)[3] for text, font in lines]
    band = sum(heights) + gap * (len(lines) + 1)
    top = (height - band) // 2
    draw.rectangle((0, top, width, top + band), fill=_hsv(hue, 0.5, 0.15))
    y = top + gap
    for (text, font), line_height in zip(lines, heights, strict=True):
        text = _fit(draw, text, font, width * 9 // 10)
        x = (width - draw.textlength(text, font=font)) / 2
        draw.text((x, y), text, font=font, fill=(255, 255, 255))
        y += line_height + gap
