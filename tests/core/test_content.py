"""The standard-library side of the files: sizes, the WebP container and its padding, the
solid-colour VP8L fallback (opened by Pillow, a real decoder), serving spans of prefix +
zeros, the prefix cache, and rendering only when a file is downloaded."""

from __future__ import annotations

import io
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from mock_media import MediaBackend, MockConfig
from mock_media.core.content import (
    PAD_FOURCC,
    WEBP_OVERHEAD,
    CachedRenderer,
    FileSpec,
    StdlibRenderer,
    file_bytes,
    iter_file,
    riff_chunk,
    size_bytes,
    solid_vp8l,
    webp_prefix,
)
from mock_media.core.facts import RESOLUTIONS, Kind
from mock_media.core.requests import ImageRequest
from tests.doors import wire_api
from tests.helpers import assert_served_file, path_of


def spec(width: int = 64, height: int = 48, size: int = 1000, seed: int = 1, prompt: str = "p") -> FileSpec:
    return FileSpec(Kind.IMAGE, "webp", width, height, size, seed, "img_x", 0, prompt)


def riff_chunks(data: bytes) -> list[tuple[bytes, int]]:
    """(fourcc, payload length) of every chunk, checking they tile the file exactly."""
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert struct.unpack_from("<I", data, 4)[0] == len(data) - 8
    offset, chunks = 12, []
    while offset < len(data):
        fourcc, length = data[offset : offset + 4], struct.unpack_from("<I", data, offset + 4)[0]
        chunks.append((fourcc, length))
        offset += 8 + length + length % 2
    assert offset == len(data)
    return chunks


class Counting:
    """A renderer that counts its calls and returns ``length`` bytes."""

    def __init__(self, length: int = 100) -> None:
        self.calls: list[FileSpec] = []
        self.length = length

    def prefix(self, spec: FileSpec) -> bytes:
        self.calls.append(spec)
        return bytes([len(self.calls) % 256]) * min(self.length, spec.size_bytes)


# --- sizes --------------------------------------------------------------------------------
@given(seed=st.integers(0, 2**64 - 1), key=st.sampled_from(sorted(RESOLUTIONS)))
def test_size_bytes__an_image_is_even_like_every_riff_file(seed: int, key: tuple[str, str]) -> None:
    assert size_bytes(ImageRequest("p", aspect_ratio=key[0], quality=key[1]), seed) % 2 == 0


# --- the WebP container -------------------------------------------------------------------
def test_webp_prefix__vp8x_image_and_a_pad_chunk_holding_the_zeros() -> None:
    bitstream = solid_vp8l(640, 480, (1, 2, 3))
    chunk = riff_chunk(b"VP8L", bitstream)

    prefix = webp_prefix(chunk, 640, 480, 5000)
    data = prefix + bytes(5000 - len(prefix))

    assert riff_chunks(data) == [
        (b"VP8X", 10),
        (b"VP8L", len(bitstream)),
        (PAD_FOURCC, 5000 - len(prefix)),
    ]
    assert len(prefix) == WEBP_OVERHEAD + len(chunk)
    assert int.from_bytes(data[24:27], "little") + 1 == 640
    assert int.from_bytes(data[27:30], "little") + 1 == 480


@pytest.mark.parametrize(("size", "message"), [(1001, "even size"), (40, "needs")])
def test_webp_prefix__odd_or_too_small_size_is_refused(size: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        webp_prefix(riff_chunk(b"VP8L", solid_vp8l(8, 8, (0, 0, 0))), 8, 8, size)


@pytest.mark.parametrize(
    ("width", "height"), [(1, 1), (3, 5), (16384, 2), (2, 16384)]
)  # and below: every doc size
def test_solid_vp8l__decodes_as_one_colour_at_exactly_its_size(width: int, height: int) -> None:
    data = file_bytes(StdlibRenderer(), spec(width, height, size=200, seed=width * height))
    image = Image.open(io.BytesIO(data))
    image.load()

    assert (image.format, image.size, image.mode) == ("WEBP", (width, height), "RGB")
    extrema = image.getextrema()
    assert all(low == high for low, high in extrema)  # type: ignore[misc]
    assert len(data) == 200


def test_stdlib_renderer__colour_follows_prompt_and_seed() -> None:
    renderer = StdlibRenderer()

    colours = {renderer.prefix(s) for s in (spec(), spec(prompt="q"), spec(seed=2), spec())}

    assert len(colours) == 3


@pytest.mark.parametrize(("aspect_ratio", "quality"), sorted(RESOLUTIONS))
def test_stdlib_fallback__served_as_a_valid_webp_of_its_size(aspect_ratio: str, quality: str) -> None:
    api = wire_api(MediaBackend(MockConfig(), renderer=StdlibRenderer()))
    out = api.image({"prompt": "fallback", "aspect_ratio": aspect_ratio, "quality": quality}).json()[
        "outputs"
    ][0]

    data = assert_served_file(api, out, "image/webp")

    image = Image.open(io.BytesIO(data))
    image.load()
    assert image.size == RESOLUTIONS[(aspect_ratio, quality)]
    assert [fourcc for fourcc, _ in riff_chunks(data)] == [b"VP8X", b"VP8L", PAD_FOURCC]


# --- serving spans of prefix + zeros ------------------------------------------------------
@given(
    prefix=st.binary(max_size=300),
    extra=st.integers(0, 200_000),
    start=st.integers(0, 250_000),
    length=st.integers(0, 250_000),
)
def test_iter_file__any_span_is_that_slice_of_prefix_and_zeros(
    prefix: bytes, extra: int, start: int, length: int
) -> None:
    size = len(prefix) + extra
    whole = prefix + bytes(extra)
    start = min(start, size)

    chunks = list(iter_file(prefix, size, start, start + length))

    assert b"".join(chunks) == whole[start : start + length]
    assert all(len(chunk) <= 64 * 1024 for chunk in chunks[1:])


# --- the cache ----------------------------------------------------------------------------
def test_cached_renderer__renders_once_and_evicts_the_least_recently_used_by_bytes() -> None:
    inner = Counting(length=100)
    entry = 100 + len("p") + 256  # the prefix, the key's prompt, a fixed overhead
    cache = CachedRenderer(inner, max_bytes=2 * entry + 50)
    a, b, c = spec(seed=1), spec(seed=2), spec(seed=3)

    first = cache.prefix(a)
    assert cache.prefix(a) == first and len(inner.calls) == 1
    cache.prefix(b)
    cache.prefix(a)  # a is now the most recently used
    cache.prefix(c)  # three entries do not fit: b goes

    assert cache.cached_bytes == 2 * entry
    cache.prefix(a)
    assert len(inner.calls) == 3
    cache.prefix(b)
    assert [s.content_seed for s in inner.calls] == [1, 2, 3, 2]


def test_cached_renderer__long_prompts_count_against_the_budget() -> None:
    cache = CachedRenderer(Counting(length=10), max_bytes=100_000)

    for seed in range(100):
        cache.prefix(spec(seed=seed, prompt="x" * 4000))

    assert 90_000 < cache.cached_bytes <= 100_000


def test_cached_renderer__a_prefix_over_the_budget_is_served_not_kept() -> None:
    cache = CachedRenderer(Counting(length=500), max_bytes=100)

    assert len(cache.prefix(spec())) == 500
    assert cache.cached_bytes == 0


# --- rendering happens on download --------------------------------------------------------
def test_backend__renders_a_file_only_when_its_body_is_read() -> None:
    counting = Counting()
    api = wire_api(MediaBackend(MockConfig(), renderer=counting))
    job = api.image({"prompt": "lazy", "n": 4}).json()
    path = path_of(job["outputs"][1]["url"])
    assert counting.calls == []

    head = api.request("HEAD", path, key=None)
    api.request("GET", path, key=None, headers={"If-None-Match": head.headers["etag"]})
    api.request("GET", path, key=None, headers={"Range": "bytes=999999999-"})
    assert counting.calls == []

    api.request("GET", path, key=None)

    [rendered] = counting.calls
    assert (rendered.job_id, rendered.index, rendered.prompt) == (job["job_id"], 1, "lazy")
    assert (rendered.width, rendered.height) == (1024, 1024)


def test_backend__a_seeded_file_names_no_job() -> None:
    backend = MediaBackend(MockConfig())
    api = wire_api(backend)
    seeded = api.image({"prompt": "x", "seed": 3}).json()["outputs"][0]
    unseeded = api.image({"prompt": "x"}).json()["outputs"][0]

    specs = [backend.file_spec(backend.media_file(path_of(o["url"]))) for o in (seeded, unseeded)]

    assert specs[0].job_id is None
    assert specs[1].job_id == backend.store.media[unseeded["media_id"]].job_id
