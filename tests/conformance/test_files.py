"""The files behind output URLs, as a CDN serves them: real WebPs of the reported size, and
HTTP's validators, ranges and HEAD, through every door.

The fake here draws its pictures with Pillow (``default_renderer()``), as ``MockMedia``, the
server and the plugin do; a decoder opens every image. Rendering every aspect ratio and
quality (up to 3840x2160) is the slow part, so only the respx and live doors do that.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from email.utils import formatdate
from typing import Any

import av
import pytest
from PIL import Image

from mock_media import MediaBackend, MockConfig
from mock_media.core.facts import RESOLUTIONS
from mock_media.media import default_renderer
from tests.conftest import selected_doors
from tests.doors import Api, open_door, wire_api
from tests.helpers import assert_served_file, path_of


@pytest.fixture
def backend() -> MediaBackend:
    """The conftest's fresh fake, drawing real pictures."""
    return MediaBackend(MockConfig(), renderer=default_renderer())


def decoded(data: bytes) -> Image.Image:
    """The WebP in ``data``, fully decoded (a broken stream raises here)."""
    image = Image.open(io.BytesIO(data))
    assert image.format == "WEBP"
    image.load()
    return image


def get(api: Api, out: dict[str, Any], **headers: str) -> Any:
    return api.request("GET", path_of(out["url"]), key=None, headers=headers)


def one_image(api: Api, **body: Any) -> dict[str, Any]:
    out: dict[str, Any] = api.image({"prompt": "a lighthouse", **body}).json()["outputs"][0]
    return out


# --- real pictures --------------------------------------------------------------------------
def test_file__image_is_a_webp_of_its_reported_size(api: Api) -> None:
    job = api.image({"prompt": "two of them", "n": 2}).json()
    for out in job["outputs"]:
        data = assert_served_file(api, out, "image/webp")
        image = decoded(data)
        assert image.size == (out["width"], out["height"]) == (1024, 1024)
        assert image.mode == "RGB"
        assert int.from_bytes(data[4:8], "little") == out["size_bytes"] - 8


@pytest.fixture(params=["respx", "live"])
def slow_door(request: pytest.FixtureRequest, backend: MediaBackend) -> Iterator[Api]:
    """The rendering-heavy test's doors: an in-process one and the socket (if ``--doors`` has them)."""
    if request.param not in selected_doors(request.config):
        pytest.skip(f"--doors leaves out {request.param}")
    with open_door(request, backend, request.param) as api:
        yield api


@pytest.mark.parametrize(("aspect_ratio", "quality"), sorted(RESOLUTIONS))
def test_file__every_aspect_ratio_and_quality_decodes_at_its_size(
    slow_door: Api, aspect_ratio: str, quality: str
) -> None:
    out = one_image(slow_door, aspect_ratio=aspect_ratio, quality=quality)

    data = assert_served_file(slow_door, out, "image/webp")

    assert decoded(data).size == RESOLUTIONS[(aspect_ratio, quality)] == (out["width"], out["height"])


def test_file__same_seeded_request_gives_the_same_bytes(api: Api) -> None:
    first = one_image(api, seed=11)
    second = one_image(api, seed=11)

    assert first["url"] != second["url"]
    assert get(api, first).body == get(api, second).body


def test_file__other_prompt_or_seed_gives_other_pixels(api: Api) -> None:
    pixels = [
        decoded(get(api, one_image(api, **body)).body).tobytes()
        for body in ({"seed": 11}, {"seed": 11, "prompt": "a windmill"}, {"seed": 12})
    ]

    assert len(set(pixels)) == 3


# --- HEAD and validators ----------------------------------------------------------------------
def test_file__head_and_get_carry_cdn_validators(api: Api) -> None:
    out = one_image(api)
    media = api.backend.store.media[out["media_id"]]

    head = api.request("HEAD", path_of(out["url"]), key=None)
    full = get(api, out)

    assert head.status == full.status == 200
    assert head.body == b""
    for name in ("content-type", "content-length", "etag", "last-modified", "accept-ranges", "cache-control"):
        assert head.headers[name] == full.headers[name], name
    assert head.headers["content-length"] == str(out["size_bytes"])
    assert head.headers["accept-ranges"] == "bytes"
    assert head.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert head.headers["last-modified"] == formatdate(media.created_at, usegmt=True)
    etag = head.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")


def test_file__etag_names_one_file_and_stays_across_runs(api: Api) -> None:
    first, second = api.image({"prompt": "pair", "n": 2}).json()["outputs"]
    rerun = wire_api(MediaBackend(MockConfig(), renderer=default_renderer()))
    replayed = rerun.image({"prompt": "pair", "n": 2}).json()["outputs"][0]

    tag = get(api, first).headers["etag"]

    assert tag != get(api, second).headers["etag"]
    assert tag == get(api, first).headers["etag"]
    assert replayed["url"] == first["url"]
    assert get(rerun, replayed).headers["etag"] == tag


@pytest.mark.parametrize(
    "if_none_match", ["{etag}", "W/{etag}", '"other", {etag}', "*"], ids=["exact", "weak", "list", "star"]
)
def test_file__matching_if_none_match__304_without_a_body(api: Api, if_none_match: str) -> None:
    out = one_image(api)
    etag = get(api, out).headers["etag"]

    for method in ("GET", "HEAD"):
        r = api.request(
            method, path_of(out["url"]), key=None, headers={"If-None-Match": if_none_match.format(etag=etag)}
        )
        assert r.status == 304, method
        assert r.body == b""
        assert r.headers["etag"] == etag
        assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert [e.status for e in list(api.backend.journal)][-2:] == [304, 304]


def test_file__other_if_none_match__200(api: Api) -> None:
    out = one_image(api)

    r = get(api, out, **{"If-None-Match": '"not-this-one"'})

    assert r.status == 200
    assert len(r.body) == out["size_bytes"]


# --- ranges -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=20-20", 20, 20),
        ("bytes=100-", 100, None),
        ("bytes=-64", -64, None),
        ("bytes=0-999999999", 0, None),  # past the end: up to the end
        ("bytes=-999999999", 0, None),  # a suffix longer than the file: all of it
        ("bytes=00007-" + "9" * 5000, 7, None),  # leading zeros; an end far past the file
        ("BYTES=5-9", 5, 9),  # the unit is case-insensitive
    ],
)
def test_file__single_range__206_with_those_bytes(
    api: Api, header: str, first: int, last: int | None
) -> None:
    out = one_image(api)
    size = out["size_bytes"]
    whole = get(api, out).body
    start = first % size
    stop = size if last is None else last + 1

    r = get(api, out, Range=header)

    assert r.status == 206, r.body[:200]
    assert r.body == whole[start:stop]
    assert r.headers["content-range"] == f"bytes {start}-{stop - 1}/{size}"
    assert r.headers["content-length"] == str(stop - start)
    assert r.headers["content-type"] == "image/webp"
    assert r.headers["etag"] == get(api, out).headers["etag"]
    assert list(api.backend.journal)[-2].status == 206


def test_file__range_across_the_picture_and_its_padding(api: Api) -> None:
    out = one_image(api)
    whole = get(api, out).body
    picture_end = len(whole.rstrip(b"\0"))

    r = get(api, out, Range=f"bytes={picture_end - 100}-{picture_end + 99}")

    assert r.status == 206
    assert r.body == whole[picture_end - 100 : picture_end + 100]
    assert r.body[100:] == bytes(100)


@pytest.mark.parametrize(
    "header", ["bytes={size}-", "bytes={size}-{size}", "bytes=-0", "bytes=" + "9" * 5000 + "-"]
)
def test_file__range_past_the_end__416(api: Api, header: str) -> None:
    out = one_image(api)
    size = out["size_bytes"]

    r = get(api, out, Range=header.format(size=size))

    assert r.status == 416
    assert r.body == b""
    assert r.headers["content-range"] == f"bytes */{size}"
    entry = list(api.backend.journal)[-1]
    assert (entry.status, entry.error_code) == (416, None)


@pytest.mark.parametrize(
    "header", ["bytes=0-1,5-6", "bytes=abc", "bytes=9-5", "bytes=-", "items=0-5", "bytes=0x10-", ""]
)
def test_file__malformed_or_multiple_ranges__the_whole_file(api: Api, header: str) -> None:
    out = one_image(api)

    r = get(api, out, Range=header)

    assert r.status == 200
    assert len(r.body) == out["size_bytes"]
    assert "content-range" not in r.headers


def test_file__if_range_honours_the_range_only_for_this_file(api: Api) -> None:
    out = one_image(api)
    etag = get(api, out).headers["etag"]

    same = get(api, out, Range="bytes=0-9", **{"If-Range": etag})
    other = get(api, out, Range="bytes=0-9", **{"If-Range": '"changed"'})

    assert (same.status, len(same.body)) == (206, 10)
    assert (other.status, len(other.body)) == (200, out["size_bytes"])


def test_file__head_ignores_range(api: Api) -> None:
    out = one_image(api)

    r = api.request("HEAD", path_of(out["url"]), key=None, headers={"Range": "bytes=0-9"})

    assert r.status == 200
    assert r.headers["content-length"] == str(out["size_bytes"])


def test_file__video_ranges_too(api: Api) -> None:
    job_id = api.video({"prompt": "short", "duration_seconds": 1, "aspect_ratio": "1:1"}).json()["job_id"]
    api.advance(120)
    [out] = api.job(job_id).json()["outputs"]
    size = out["size_bytes"]

    head = get(api, out, Range="bytes=0-31")
    tail = get(api, out, Range="bytes=-16")

    assert (head.status, tail.status) == (206, 206)
    assert head.body[4:8] == b"ftyp"
    assert head.headers["content-type"] == "video/mp4"
    assert tail.headers["content-range"] == f"bytes {size - 16}-{size - 1}/{size}"
    assert tail.body == get(api, out).body[-16:]


@pytest.mark.parametrize(
    ("body", "size"),
    [
        ({"duration_seconds": 2, "fps": 30, "aspect_ratio": "9:16"}, (1080, 1920)),
        ({"duration_seconds": 3, "aspect_ratio": "16:9"}, (1920, 1080)),
    ],
)
def test_file__video_is_an_mp4_a_decoder_plays_at_its_size_fps_and_duration(
    api: Api, body: dict[str, Any], size: tuple[int, int]
) -> None:
    job_id = api.video({"prompt": "a crab on a beach", **body}).json()["job_id"]
    api.advance(600)
    [out] = api.job(job_id).json()["outputs"]
    data = assert_served_file(api, out, "video/mp4")

    with av.open(io.BytesIO(data), mode="r") as container:
        (stream,) = container.streams.video
        frames = [frame for frame in container.decode(stream)]
    fps = body.get("fps", 24)
    assert (stream.codec_context.name, stream.width, stream.height) == ("h264", *size)
    assert (out["width"], out["height"], out["fps"], out["duration_seconds"]) == (
        *size,
        fps,
        body["duration_seconds"],
    )
    assert stream.average_rate == fps
    duration, time_base = stream.duration, stream.time_base
    assert duration is not None and time_base is not None
    assert float(duration * time_base) == body["duration_seconds"]
    assert len(frames) == fps * body["duration_seconds"]
    assert (frames[-1].width, frames[-1].height) == size


# --- deleted files --------------------------------------------------------------------------
def test_file__deleted__404_for_get_head_and_ranges(api: Api) -> None:
    out = one_image(api)
    etag = get(api, out).headers["etag"]
    assert api.delete(out["media_id"]).status == 200

    for method, headers in [
        ("GET", {}),
        ("HEAD", {}),
        ("GET", {"Range": "bytes=0-9"}),
        ("GET", {"If-None-Match": etag}),
    ]:
        r = api.request(method, path_of(out["url"]), key=None, headers=headers)
        assert r.status == 404, (method, headers)
        assert "etag" not in r.headers
    entry = list(api.backend.journal)[-1]
    assert (entry.status, entry.error_code) == (404, "not_found")
