"""The served MP4s: a real decoder (PyAV) must open them and report what the request asked for.

The prefix is checked two ways: PyAV opens prefix + zeros and decodes frames (the colour
included, so a wrong bit in the hand-written H.264 cannot hide), and a tiny box walker reads
the ISO BMFF structure for the properties a decoder would gloss over. Large files are never
materialised: ``Padded`` serves the zeros on the fly.
"""

from __future__ import annotations

import io
import itertools
import struct
from collections.abc import Iterator
from dataclasses import dataclass

import av
import av.logging
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mock_media.core.assumptions import SIZE_JITTER, VIDEO_BYTES_PER_PIXEL_SECOND
from mock_media.core.mp4 import frame_colour, mp4_prefix
from tests.doc_tables import DOC_FPS, VIDEO_RESOLUTION_ROWS

DOC_VIDEO_SIZES = sorted({size for _, _, size in VIDEO_RESOLUTION_ROWS})
# Sizes a later resolution table might use, checked too (1080 and 720 are not multiples of 16).
OTHER_SIZES = [(1280, 720), (720, 1280), (720, 720), (1080, 1080), (2160, 2160)]
DURATIONS = range(1, 31)
CONTAINERS = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"dinf"}


def smallest_size(width: int, height: int, fps: int, duration: float) -> int:
    """The smallest size_bytes the fake can draw for these parameters (content.size_bytes)."""
    per_second = width * height * VIDEO_BYTES_PER_PIXEL_SECOND * fps / 24
    return int(per_second * duration * (1 - SIZE_JITTER))


class Padded(io.RawIOBase):
    """prefix + zeros up to ``size`` as a seekable file, without building the zeros."""

    def __init__(self, prefix: bytes, size: int) -> None:
        super().__init__()
        self.prefix, self.size, self.pos = prefix, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.pos, io.SEEK_END: self.size}[whence]
        self.pos = max(0, base + offset)
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        view = memoryview(buffer).cast("B")
        count = max(0, min(len(view), self.size - self.pos))
        head = self.prefix[self.pos : self.pos + count]
        view[: len(head)] = head
        view[len(head) : count] = bytes(count - len(head))
        self.pos += count
        return count


@dataclass(frozen=True)
class Probe:
    """What PyAV reports for a file."""

    codec: str
    width: int
    height: int
    average_rate: float
    stream_seconds: float
    container_seconds: float
    packets: int
    profile: str | None


def probe(source: io.IOBase) -> Probe:
    with av.open(source, mode="r") as container:
        stream = container.streams.video[0]
        assert stream.average_rate is not None and stream.duration is not None
        assert stream.time_base is not None and container.duration is not None
        result = Probe(
            codec=stream.codec_context.name,
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            average_rate=float(stream.average_rate),
            stream_seconds=float(stream.duration * stream.time_base),
            container_seconds=container.duration / av.time_base,
            packets=sum(1 for packet in container.demux(stream) if packet.size),
            profile=stream.codec_context.profile,
        )
    return result


def decoded_colours(source: io.IOBase, frames: int) -> list[tuple[int, int, tuple[set[int], ...]]]:
    """(width, height, the values in each of the Y, Cb, Cr planes) of the first frames; any
    warning the decoder logs fails the test, since ffmpeg conceals bitstream errors."""
    level = av.logging.get_level()
    av.logging.set_level(av.logging.WARNING)
    try:
        with av.logging.Capture() as logs, av.open(source, mode="r") as container:
            found = []
            for frame in itertools.islice(container.decode(video=0), frames):
                assert frame.format.name == "yuv420p"
                planes = []
                for index, plane in enumerate(frame.planes):
                    data, shift = bytes(plane), 1 if index else 0
                    width, rows = frame.width >> shift, frame.height >> shift
                    planes.append(
                        set().union(
                            *(data[r * plane.line_size : r * plane.line_size + width] for r in range(rows))
                        )
                    )
                found.append((frame.width, frame.height, tuple(planes)))
    finally:
        av.logging.set_level(level)
    assert list(logs) == []
    return found


def padded(width: int, height: int, fps: int, duration: float, size: int, seed: int = 0) -> Padded:
    return Padded(mp4_prefix(width, height, fps, duration, size, seed), size)


# --- what a decoder sees ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("width", "height", "fps", "duration"),
    [
        (64, 48, 24, 1),  # smaller than any real size: one level-1 macroblock grid
        (176, 144, 30, 7),
        (360, 640, 24, 3),  # portrait
        (1920, 1080, 24, 5),  # the doc's example: 1080 needs cropping
        (1080, 1920, 30, 2),  # portrait, cropped on the right
    ],
)
def test_prefix__decodes_as_the_requested_video(width: int, height: int, fps: int, duration: int) -> None:
    size = smallest_size(width, height, fps, duration) + 1000
    data = mp4_prefix(width, height, fps, duration, size, seed=7)
    data += bytes(size - len(data))
    assert len(data) == size
    assert probe(io.BytesIO(data)) == Probe(
        codec="h264",
        width=width,
        height=height,
        average_rate=fps,
        stream_seconds=duration,
        container_seconds=duration,
        packets=fps * duration,
        profile="Constrained Baseline",
    )
    colour = tuple({value} for value in frame_colour(7))
    assert decoded_colours(io.BytesIO(data), 3) == [(width, height, colour)] * 3


@pytest.mark.parametrize(("width", "height"), [(3840, 2160), (2160, 3840)])
def test_prefix__4k_headers_read_right_at_the_real_size(width: int, height: int) -> None:
    size = smallest_size(width, height, 30, 30)
    found = probe(padded(width, height, 30, 30, size))
    assert (found.width, found.height, found.average_rate, found.packets) == (width, height, 30, 900)
    assert found.stream_seconds == found.container_seconds == 30


def test_prefix__4k_first_frame_decodes() -> None:
    colour = tuple({value} for value in frame_colour(3))
    assert decoded_colours(padded(3840, 2160, 24, 1, 2_000_000, seed=3), 1) == [(3840, 2160, colour)]


def test_prefix__every_frame_of_a_long_clip_decodes() -> None:
    """The P frames' frame_num wraps at 16: frames past the wrap must still decode cleanly."""
    frames = decoded_colours(padded(32, 32, 30, 2, 50_000, seed=11), 1000)
    assert frames == [(32, 32, tuple({value} for value in frame_colour(11)))] * 60


def test_frame_colour__every_residual_code_decodes_to_its_colour() -> None:
    """DC levels 0, +-1 (trailing ones), small, escape-14 and escape-15 codes, in each plane."""
    wanted = {
        (plane, kind)
        for plane in range(3)
        for kind in ("zero", "one", "small", "escape14", "escape15", "negative", "positive")
    }
    seeds: dict[tuple[int, str], int] = {}
    for seed in range(5000):
        y, cb, cr = frame_colour(seed)
        for plane, level in enumerate((y - 128, (cb - 128) // 2, (cr - 128) // 2)):
            size = abs(level)
            kind = "zero" if size == 0 else "one" if size == 1 else "small" if size < 8 else ""
            kind = kind or ("escape14" if size < 16 else "escape15")
            for name in (kind, "negative" if level < 0 else "positive"):
                seeds.setdefault((plane, name), seed)
        if set(seeds) == wanted:
            break
    assert set(seeds) == wanted
    for seed in sorted(set(seeds.values())):
        colour = tuple({value} for value in frame_colour(seed))
        data = mp4_prefix(48, 32, 24, 1, 60_000, seed)
        assert decoded_colours(io.BytesIO(data + bytes(60_000 - len(data))), 2) == [(48, 32, colour)] * 2


def test_frame_colour__is_limited_range_and_varies_with_the_seed() -> None:
    colours = {frame_colour(seed) for seed in range(200)}
    assert len(colours) > 190
    assert all(16 <= y <= 235 and 16 <= cb <= 240 and 16 <= cr <= 240 for y, cb, cr in colours)


# --- sizes ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("width", "height"), DOC_VIDEO_SIZES + OTHER_SIZES)
def test_prefix__fits_every_size_the_fake_can_draw(width: int, height: int) -> None:
    """The minimal file stays far below the smallest drawn size, for every fps and duration."""
    for fps, duration in itertools.product(DOC_FPS, DURATIONS):
        size = smallest_size(width, height, fps, duration)
        prefix = mp4_prefix(width, height, fps, duration, size, seed=duration)
        assert len(prefix) < size / 10


def test_prefix__is_exactly_the_minimum_and_raises_below_it() -> None:
    free_header = 8
    minimum = len(mp4_prefix(176, 144, 24, 2, 10**6, seed=1)) - free_header
    assert len(mp4_prefix(176, 144, 24, 2, minimum, seed=1)) == minimum
    with pytest.raises(
        ValueError, match=r"size_bytes=\d+ .*width=176, height=144, fps=24, duration_seconds=2"
    ):
        mp4_prefix(176, 144, 24, 2, minimum - 1, seed=1)


@pytest.mark.parametrize("spare", [0, 1, 7, 8, 9])
def test_prefix__a_few_spare_bytes_end_the_mdat_box_and_still_play(spare: int) -> None:
    """Fewer than 8 spare bytes cannot hold a free box: mdat grows over them instead."""
    minimum = len(mp4_prefix(64, 64, 24, 1, 10**6, seed=2)) - 8
    size = minimum + spare
    prefix = mp4_prefix(64, 64, 24, 1, size, seed=2)
    assert [kind for kind, _, _ in walk(prefix, 0, size)][-1] == (b"free" if spare >= 8 else b"mdat")
    assert probe(Padded(prefix, size)).packets == 24
    assert len(decoded_colours(Padded(prefix, size), 24)) == 24


def test_prefix__padding_past_4_gib_takes_a_64_bit_free_box() -> None:
    size = 5 * 2**30
    prefix = mp4_prefix(1920, 1080, 30, 30, size, seed=5)
    assert prefix[-16:-8] == struct.pack(">I", 1) + b"free"
    assert struct.unpack(">Q", prefix[-8:])[0] == size - len(prefix) + 16
    found = probe(Padded(prefix, size))
    assert (found.width, found.height, found.packets, found.stream_seconds) == (1920, 1080, 900, 30)


@pytest.mark.parametrize(
    ("padding", "header"),
    [
        (2**32 - 9, b"\xff\xff\xff\xfffree"),  # the largest box a 32-bit size can state
        (2**32 - 8, b"\x00\x00\x00\x01free" + struct.pack(">Q", 16 + 2**32 - 8)),
    ],
)
def test_prefix__free_box_header_switches_at_the_32_bit_limit(padding: int, header: bytes) -> None:
    minimum = len(mp4_prefix(64, 64, 24, 1, 10**6, seed=0)) - 8
    prefix = mp4_prefix(64, 64, 24, 1, minimum + len(header) + padding, seed=0)
    assert prefix[minimum:] == header


@pytest.mark.parametrize(
    ("width", "height", "fps", "duration"),
    [(0, 720, 24, 1), (1281, 720, 24, 1), (1280, 721, 24, 1), (1280, 720, 0, 1), (1280, 720, 24, 0.01)],
)
def test_prefix__rejects_what_h264_cannot_carry(width: int, height: int, fps: int, duration: float) -> None:
    with pytest.raises(ValueError, match=f"width={width}, height={height}, fps={fps}"):
        mp4_prefix(width, height, fps, duration, 10**8, seed=0)


def test_prefix__is_deterministic_and_seeded() -> None:
    first = mp4_prefix(1920, 1080, 24, 5, 7_000_000, seed=42)
    assert mp4_prefix(1920, 1080, 24, 5, 7_000_000, seed=42) == first
    assert mp4_prefix(1920, 1080, 24, 5, 7_000_000, seed=43) != first


# --- structure ----------------------------------------------------------------------------------
def walk(data: bytes, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, box end) of the boxes between start and end; a box may end past
    the data when only zero padding follows."""
    position = start
    while position < end:
        size, kind = struct.unpack(">I4s", data[position : position + 8])
        header = 8
        if size == 1:
            (size,) = struct.unpack(">Q", data[position + 8 : position + 16])
            header = 16
        assert size >= header, (kind, size)
        yield kind, position + header, position + size
        position += size
    assert position == end


def boxes(data: bytes, size: int) -> dict[bytes, list[tuple[int, int]]]:
    """Every box by type (payload start, end), descending into the container boxes."""
    found: dict[bytes, list[tuple[int, int]]] = {}
    pending = [(0, size)]
    while pending:
        start, end = pending.pop()
        for kind, payload, box_end in walk(data, start, end):
            found.setdefault(kind, []).append((payload, box_end))
            if kind in CONTAINERS:
                pending.append((payload, box_end))
    return found


def payload(data: bytes, found: dict[bytes, list[tuple[int, int]]], kind: bytes) -> bytes:
    [(start, end)] = found[kind]
    return data[start:end]


resolutions = st.sampled_from(DOC_VIDEO_SIZES + OTHER_SIZES) | st.tuples(
    st.integers(1, 700).map(lambda half: 2 * half), st.integers(1, 700).map(lambda half: 2 * half)
)


@given(
    resolution=resolutions,
    fps=st.sampled_from(DOC_FPS) | st.integers(1, 60),
    duration=st.integers(1, 30),
    extra=st.integers(0, 20) | st.sampled_from([2**32 - 1, 2**32, 2**32 + 15]) | st.integers(0, 10**10),
    seed=st.integers(0, 2**64 - 1),
)
def test_prefix__box_structure(
    resolution: tuple[int, int], fps: int, duration: int, extra: int, seed: int
) -> None:
    width, height = resolution
    frames = fps * duration
    minimum = len(mp4_prefix(width, height, fps, duration, 10**9, seed)) - 8
    size = minimum + extra
    data = mp4_prefix(width, height, fps, duration, size, seed)

    top = [kind for kind, _, _ in walk(data, 0, size)]
    assert top == ([b"ftyp", b"moov", b"mdat", b"free"] if extra >= 8 else [b"ftyp", b"moov", b"mdat"])
    found = boxes(data, size)
    assert data[8:12] == b"isom"
    if extra >= 8:
        assert found[b"free"] == [(len(data), size)]  # the prefix ends with the free box's header
        if extra < 2**32:
            assert data.endswith(struct.pack(">I", extra) + b"free")
        else:
            assert data.endswith(struct.pack(">I", 1) + b"free" + struct.pack(">Q", extra))

    timescale = fps * 1000
    mvhd = payload(data, found, b"mvhd")
    assert struct.unpack(">IIIII", mvhd[:20]) == (0, 0, 0, timescale, frames * 1000)  # no clock
    tkhd = payload(data, found, b"tkhd")
    assert struct.unpack(">IIIII", tkhd[:20]) == (3, 0, 0, 1, 0)
    assert struct.unpack(">I", tkhd[20:24])[0] == frames * 1000
    assert struct.unpack(">II", tkhd[-8:]) == (width << 16, height << 16)
    mdhd = payload(data, found, b"mdhd")
    assert struct.unpack(">IIIII", mdhd[:20]) == (0, 0, 0, timescale, frames * 1000)
    assert payload(data, found, b"hdlr")[8:12] == b"vide"

    stsd = payload(data, found, b"stsd")
    entry = 16  # version and flags, entry_count, then the avc1 box header
    assert stsd[entry - 4 : entry] == b"avc1"
    assert struct.unpack(">HH", stsd[entry + 24 : entry + 28]) == (width, height)
    assert stsd[entry + 82 : entry + 86] == b"avcC"  # after the 78-byte visual sample entry
    assert struct.unpack(">IIII", payload(data, found, b"stts")) == (0, 1, frames, 1000)
    assert struct.unpack(">III", payload(data, found, b"stss")) == (0, 1, 1)
    assert struct.unpack(">IIIII", payload(data, found, b"stsc")) == (0, 1, 1, frames, 1)
    stsz = payload(data, found, b"stsz")
    assert struct.unpack(">III", stsz[:12]) == (0, 0, frames)
    sizes = struct.unpack(f">{frames}I", stsz[12:])
    assert struct.unpack(">III", payload(data, found, b"stco")) == (0, 1, found[b"mdat"][0][0])

    [(mdat, mdat_end)] = found[b"mdat"]
    assert mdat + sum(sizes) == min(mdat_end, len(data))
    position = mdat
    for index, sample_size in enumerate(sizes):
        (nal_size,) = struct.unpack(">I", data[position : position + 4])
        assert nal_size + 4 == sample_size
        assert data[position + 4] & 0x1F == (5 if index == 0 else 1)  # IDR, then P slices
        position += sample_size
