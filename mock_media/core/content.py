"""The generated files: their sizes and their bytes, derived from one 64-bit content seed.

No file bytes are stored: a media record keeps its seed and size, and the bytes are produced
again, identically, whenever they are downloaded. A served file is a short *prefix* (the
container and the encoded picture) followed by zero bytes up to ``size_bytes``. The zeros sit
inside the container, where decoders skip them (a WebP chunk of unknown type, an MP4 ``free``
box), so a ``Renderer`` only ever makes the prefix, generation only draws a size, and a
download or a Range request never holds more than the prefix in memory.

This module is the standard-library side: ``FileSpec``, the ``Renderer`` protocol, the
fallback ``StdlibRenderer`` (a solid-colour lossless WebP; MP4s from ``core/mp4.py``), a
byte-bounded LRU cache, and the WebP container arithmetic every image renderer shares.
"""

from __future__ import annotations

import hashlib
import json
import random
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import Protocol

from .assumptions import IMAGE_BYTES_PER_PIXEL, SIZE_JITTER, VIDEO_BYTES_PER_PIXEL_SECOND
from .facts import Kind
from .mp4 import mp4_prefix
from .requests import GenerationRequest, VideoRequest

_BLOCK = 64 * 1024
_ZEROS = bytes(_BLOCK)
# A WebP's "File Size" field is 32 bits; VP8L (and VP8X's canvas) go up to 16384 pixels a side.
_WEBP_MAX_SIDE = 16384
PAD_FOURCC = b"PAD "  # the chunk that carries a WebP's zero padding; decoders skip unknown chunks
# What a WebP prefix adds to its image chunk: the RIFF header, VP8X, and the PAD chunk's header.
WEBP_OVERHEAD = 12 + 18 + 8
PREFIX_CACHE_BYTES = 64 * 1024 * 1024


def seeded_content_seed(request: GenerationRequest, index: int) -> int:
    """Decision 20: the same parameters and request seed give the same file, every time."""
    fields = asdict(request)
    fields["kind"] = str(request.kind)
    fields["index"] = index
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def size_bytes(request: GenerationRequest, content_seed: int) -> int:
    """A plausible file size for the output, drawn around the doc's example densities.

    An image's size is even: a WebP is a RIFF file, whose chunks are padded to even lengths,
    so no real WebP (the doc's example is 284,210 bytes) has an odd size.
    """
    width, height = request.resolution
    jitter = 1 + random.Random(content_seed).uniform(-SIZE_JITTER, SIZE_JITTER)
    if isinstance(request, VideoRequest):
        per_second = width * height * VIDEO_BYTES_PER_PIXEL_SECOND * request.fps / 24
        return int(per_second * request.duration_seconds * jitter)
    size = int(width * height * IMAGE_BYTES_PER_PIXEL * jitter)
    return size - size % 2


@dataclass(frozen=True, slots=True)
class FileSpec:
    """Everything a file's bytes may depend on; equal specs give equal bytes (a cache key).

    ``job_id`` is None for a request with a ``seed``: its files must not depend on which job
    made them (decision 20), so the picture cannot name the job.
    """

    kind: Kind
    format: str
    width: int
    height: int
    size_bytes: int
    content_seed: int
    job_id: str | None
    index: int
    prompt: str
    fps: int | None = None
    duration_seconds: float | None = None


class Renderer(Protocol):
    """Makes a file's prefix; the file is the prefix then ``size_bytes - len(prefix)`` zeros."""

    def prefix(self, spec: FileSpec) -> bytes:
        """The file's opening bytes, at most ``spec.size_bytes`` of them, always the same."""
        ...


class StdlibRenderer:
    """The renderer without third-party packages: solid-colour WebPs and one-colour H.264 MP4s."""

    name = "stdlib"

    def prefix(self, spec: FileSpec) -> bytes:
        """Dispatch on the kind of file."""
        if spec.kind is Kind.VIDEO:
            return self.video_prefix(spec)
        return self.image_prefix(spec)

    def image_prefix(self, spec: FileSpec) -> bytes:
        """A lossless WebP of one colour (from the prompt and seed) at exactly WxH."""
        chunk = riff_chunk(b"VP8L", solid_vp8l(spec.width, spec.height, placeholder_colour(spec)))
        return webp_prefix(chunk, spec.width, spec.height, spec.size_bytes)

    def video_prefix(self, spec: FileSpec) -> bytes:
        """The MP4 side: a playable H.264 stream of one colour from the seed (``core/mp4.py``)."""
        if spec.fps is None or spec.duration_seconds is None:
            raise ValueError("a video's FileSpec needs fps and duration_seconds")
        return mp4_prefix(
            spec.width, spec.height, spec.fps, spec.duration_seconds, spec.size_bytes, spec.content_seed
        )


class CachedRenderer:
    """A renderer's prefixes, kept in an LRU bounded by their total bytes.

    Generation stays cheap (nothing is rendered until a download asks) and the per-job state
    holds no bytes; the cache is shared by every backend that shares the renderer. An entry
    costs its prefix, its key's prompt and a fixed overhead, so even tiny prefixes under long
    prompts stay within the budget. Two threads asking for the same new file may both render
    it: the result is the same.
    """

    def __init__(self, renderer: Renderer, max_bytes: int = PREFIX_CACHE_BYTES) -> None:
        self.renderer = renderer
        self.max_bytes = max_bytes
        self.name = str(getattr(renderer, "name", type(renderer).__name__))
        self._entries: OrderedDict[FileSpec, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def cached_bytes(self) -> int:
        """The bytes the cache holds now."""
        return self._bytes

    def prefix(self, spec: FileSpec) -> bytes:
        """The cached prefix, or a fresh one (kept unless it alone exceeds the budget)."""
        with self._lock:
            found = self._entries.get(spec)
            if found is not None:
                self._entries.move_to_end(spec)
                return found
        made = self.renderer.prefix(spec)
        if _cost(spec, made) > self.max_bytes:
            return made
        with self._lock:
            if spec not in self._entries:
                self._entries[spec] = made
                self._bytes += _cost(spec, made)
            while self._bytes > self.max_bytes:
                old_spec, old = self._entries.popitem(last=False)
                self._bytes -= _cost(old_spec, old)
        return made


def _cost(spec: FileSpec, prefix: bytes) -> int:
    """What one cache entry holds: the prefix, the prompt in its key, and ~256 bytes of objects."""
    return len(prefix) + len(spec.prompt) + 256


# --- serving ----------------------------------------------------------------------------------
def iter_file(prefix: bytes, size: int, start: int = 0, stop: int | None = None) -> Iterator[bytes]:
    """Bytes ``start`` to ``stop`` (exclusive; default: the end) of ``prefix`` + zeros, in chunks."""
    stop = size if stop is None else min(stop, size)
    position = start
    if position < min(len(prefix), stop):
        head = prefix[position:stop]
        yield head
        position += len(head)
    while position < stop:
        take = min(_BLOCK, stop - position)
        yield _ZEROS[:take]
        position += take


def file_bytes(renderer: Renderer, spec: FileSpec) -> bytes:
    """The whole file at once (small files, tests)."""
    return b"".join(iter_file(renderer.prefix(spec), spec.size_bytes))


# --- WebP ---------------------------------------------------------------------------------------
def riff_chunk(fourcc: bytes, payload: bytes) -> bytes:
    """One RIFF chunk: header, payload, and the pad byte an odd payload needs."""
    return fourcc + struct.pack("<I", len(payload)) + payload + b"\0" * (len(payload) % 2)


def webp_image_chunks(webp: bytes) -> bytes:
    """The image chunk of a simple-format WebP (``VP8 `` or ``VP8L``), header and padding included.

    Raises:
        ValueError: not a WebP, or one with more than a single still image chunk.
    """
    if webp[:4] != b"RIFF" or webp[8:12] != b"WEBP":
        raise ValueError("not a WebP file")
    offset, chunks = 12, []
    while offset + 8 <= len(webp):
        fourcc = webp[offset : offset + 4]
        (length,) = struct.unpack_from("<I", webp, offset + 4)
        end = offset + 8 + length + length % 2
        chunks.append((fourcc, webp[offset:end]))
        offset = end
    if [fourcc for fourcc, _ in chunks] not in ([b"VP8 "], [b"VP8L"]):
        raise ValueError(f"expected one VP8/VP8L chunk, got {[f for f, _ in chunks]}")
    return chunks[0][1]


def webp_prefix(image_chunks: bytes, width: int, height: int, size: int) -> bytes:
    """An extended-format WebP of exactly ``size`` bytes, all but its trailing zeros.

    ``RIFF``, ``VP8X`` (the canvas), the image chunk(s), then a ``PAD `` chunk header whose
    payload is the zeros that follow the prefix. The RIFF size field is ``size - 8``.

    Raises:
        ValueError: ``size`` is odd (a RIFF file's never is), or too small for the image.
    """
    if size % 2:
        raise ValueError(f"a WebP file has an even size; got {size}")
    if not (0 < width <= _WEBP_MAX_SIDE and 0 < height <= _WEBP_MAX_SIDE):
        raise ValueError(f"WebP canvases are 1..{_WEBP_MAX_SIDE} pixels a side; got {width}x{height}")
    canvas = struct.pack("<I", 0) + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    body = riff_chunk(b"VP8X", canvas) + image_chunks
    padding = size - WEBP_OVERHEAD - len(image_chunks)
    if padding < 0:
        raise ValueError(f"the image needs {size - padding} bytes; the file has {size}")
    return b"RIFF" + struct.pack("<I", size - 8) + b"WEBP" + body + PAD_FOURCC + struct.pack("<I", padding)


class _BitWriter:
    """Bits packed least significant first, as VP8L reads them."""

    def __init__(self) -> None:
        self.value = 0
        self.count = 0

    def put(self, value: int, bits: int) -> None:
        self.value |= value << self.count
        self.count += bits

    def getvalue(self) -> bytes:
        return self.value.to_bytes((self.count + 7) // 8, "little")


def solid_vp8l(width: int, height: int, rgb: Sequence[int]) -> bytes:
    """A lossless (VP8L) bitstream of one opaque colour, in 13 bytes whatever the size.

    Each of the five prefix codes is a "simple" code of a single symbol, which takes zero
    bits to read, so the pixels themselves cost nothing.
    """
    red, green, blue = rgb
    bits = _BitWriter()
    bits.put(0x2F, 8)  # signature
    bits.put(width - 1, 14)
    bits.put(height - 1, 14)
    bits.put(0, 1)  # alpha_is_used: no
    bits.put(0, 3)  # version 0
    bits.put(0, 1)  # no transform
    bits.put(0, 1)  # no colour cache
    bits.put(0, 1)  # no meta prefix codes: one group for the whole image
    for symbol in (green, red, blue, 255, 0):  # green, red, blue, alpha, distance
        bits.put(1, 1)  # simple code
        bits.put(0, 1)  # of one symbol
        bits.put(1, 1)  # written in 8 bits
        bits.put(symbol, 8)
    return bits.getvalue()


def placeholder_colour(spec: FileSpec) -> tuple[int, int, int]:
    """A colour from the prompt and the file's seed: different prompts or seeds, other colours."""
    digest = hashlib.sha256(f"{spec.content_seed}:{spec.prompt}".encode()).digest()
    return digest[0], digest[1], digest[2]
