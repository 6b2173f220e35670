"""The generated files: their sizes and their bytes, derived from one 64-bit content seed.

No file bytes are stored: a media record keeps its seed and size, and the bytes are produced
again, identically, whenever they are downloaded. Real WebP/MP4 encoding comes later; for
now a file is a valid container header followed by deterministic filler, exactly
``size_bytes`` long.
"""

from __future__ import annotations

import hashlib
import json
import random
import struct
from collections.abc import Iterator
from dataclasses import asdict

from .assumptions import IMAGE_BYTES_PER_PIXEL, SIZE_JITTER, VIDEO_BYTES_PER_PIXEL_SECOND
from .requests import GenerationRequest, VideoRequest

_BLOCK = 64 * 1024


def seeded_content_seed(request: GenerationRequest, index: int) -> int:
    """Decision 20: the same parameters and request seed give the same file, every time."""
    fields = asdict(request)
    fields["kind"] = str(request.kind)
    fields["index"] = index
    digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def size_bytes(request: GenerationRequest, content_seed: int) -> int:
    """A plausible file size for the output, drawn around the doc's example densities."""
    width, height = request.resolution
    jitter = 1 + random.Random(content_seed).uniform(-SIZE_JITTER, SIZE_JITTER)
    if isinstance(request, VideoRequest):
        per_second = width * height * VIDEO_BYTES_PER_PIXEL_SECOND * request.fps / 24
        return int(per_second * request.duration_seconds * jitter)
    return int(width * height * IMAGE_BYTES_PER_PIXEL * jitter)


def header(fmt: str, size: int) -> bytes:
    """The container's opening bytes, so that sniffers recognise the type."""
    if fmt == "webp":
        return b"RIFF" + struct.pack("<I", size - 8) + b"WEBP"
    # An ISO BMFF 'ftyp' box, then an 'mdat' box holding the rest of the file.
    ftyp = struct.pack(">I", 24) + b"ftypisom" + struct.pack(">I", 512) + b"isomiso2"
    return ftyp + struct.pack(">I", size - len(ftyp)) + b"mdat"


def iter_bytes(fmt: str, size: int, content_seed: int, chunk: int = _BLOCK) -> Iterator[bytes]:
    """The file's bytes in chunks; the same seed and size always give the same bytes."""
    head = header(fmt, size)[:size]
    block = random.Random(content_seed).randbytes(_BLOCK)
    yield head
    sent = len(head)
    while sent < size:
        take = min(chunk, size - sent, _BLOCK - sent % _BLOCK)
        offset = sent % _BLOCK
        yield block[offset : offset + take]
        sent += take


def file_bytes(fmt: str, size: int, content_seed: int) -> bytes:
    """The whole file at once (small files, tests)."""
    return b"".join(iter_bytes(fmt, size, content_seed))
