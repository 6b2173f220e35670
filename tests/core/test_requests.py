"""Unit tests of mock_media.core.requests: defaults, price, resolution and estimate.

Expected values are typed out from the doc's tables, never computed with the code under test.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from mock_media import Kind
from mock_media.core.requests import ImageRequest, VideoRequest

# "| Aspect Ratio | Standard Resolution | HD Resolution | Common Use |"
RESOLUTIONS = [
    ("1:1", "standard", 1024, 1024),
    ("1:1", "hd", 2048, 2048),
    ("16:9", "standard", 1920, 1080),
    ("16:9", "hd", 3840, 2160),
    ("9:16", "standard", 1080, 1920),
    ("9:16", "hd", 2160, 3840),
    ("4:3", "standard", 1440, 1080),
    ("4:3", "hd", 2880, 2160),
    ("3:4", "standard", 1080, 1440),
    ("3:4", "hd", 2160, 2880),
]
VIDEO_RESOLUTIONS = [row for row in RESOLUTIONS if row[0] in ("16:9", "9:16", "1:1")]  # decision 11

# "| Quality | Price per Image |" x n, and "| Variations | Price |".
IMAGE_COSTS = [
    ("standard", 1, "0.04"),
    ("standard", 2, "0.08"),
    ("standard", 3, "0.12"),
    ("standard", 4, "0.16"),
    ("hd", 1, "0.08"),
    ("hd", 2, "0.16"),
    ("hd", 3, "0.24"),
    ("hd", 4, "0.32"),
]
# "| Duration | Standard Price | HD Price |": $0.80 / $1.60 per second.
PER_SECOND = {"standard": Decimal("0.80"), "hd": Decimal("1.60")}
VIDEO_COSTS = [
    (5, "standard", "4.00"),
    (5, "hd", "8.00"),
    (10, "standard", "8.00"),
    (10, "hd", "16.00"),
    (30, "standard", "24.00"),
    (30, "hd", "48.00"),
]


def test_image_request__defaults_are_the_doc_defaults() -> None:
    request = ImageRequest(prompt="a cat")

    assert (request.negative_prompt, request.aspect_ratio, request.quality) == (None, "1:1", "standard")
    assert (request.style, request.n, request.seed) == (None, 1, None)
    assert request.kind is Kind.IMAGE


def test_video_request__defaults_are_the_doc_defaults() -> None:
    request = VideoRequest(prompt="a crab")

    assert (request.duration_seconds, request.aspect_ratio, request.quality) == (5, "16:9", "standard")
    assert (request.fps, request.seed) == (24, None)
    assert request.kind is Kind.VIDEO


@pytest.mark.parametrize(("aspect_ratio", "quality", "width", "height"), RESOLUTIONS)
def test_image_request__resolution_is_the_doc_table(
    aspect_ratio: str, quality: str, width: int, height: int
) -> None:
    request = ImageRequest(prompt="a", aspect_ratio=aspect_ratio, quality=quality)

    assert request.resolution == (width, height)


@pytest.mark.parametrize(("aspect_ratio", "quality", "width", "height"), VIDEO_RESOLUTIONS)
def test_video_request__resolution_is_the_image_table(
    aspect_ratio: str, quality: str, width: int, height: int
) -> None:
    request = VideoRequest(prompt="a", aspect_ratio=aspect_ratio, quality=quality)

    assert request.resolution == (width, height)


@pytest.mark.parametrize(("quality", "n", "cost"), IMAGE_COSTS)
def test_image_request__cost_is_price_per_image_times_n(quality: str, n: int, cost: str) -> None:
    price = ImageRequest(prompt="a", quality=quality, n=n).cost

    assert isinstance(price, Decimal)
    assert price == Decimal(cost)


@pytest.mark.parametrize(("duration", "quality", "cost"), VIDEO_COSTS)
def test_video_request__cost_is_the_doc_table(duration: int, quality: str, cost: str) -> None:
    price = VideoRequest(prompt="a", duration_seconds=duration, quality=quality).cost

    assert isinstance(price, Decimal)
    assert price == Decimal(cost)


@pytest.mark.parametrize("quality", ["standard", "hd"])
@pytest.mark.parametrize("duration", range(1, 31))
def test_video_request__cost_is_per_second_price_times_duration(duration: int, quality: str) -> None:
    assert (
        VideoRequest(prompt="a", duration_seconds=duration, quality=quality).cost
        == PER_SECOND[quality] * duration
    )


@pytest.mark.parametrize("fps", [24, 30])
@pytest.mark.parametrize("aspect_ratio", ["16:9", "9:16", "1:1"])
def test_video_request__cost_ignores_fps_and_aspect_ratio(fps: int, aspect_ratio: str) -> None:
    assert VideoRequest(prompt="a", fps=fps, aspect_ratio=aspect_ratio).cost == Decimal("4.00")


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_image_request__outputs_is_n(n: int) -> None:
    assert ImageRequest(prompt="a", n=n).outputs == n


def test_video_request__outputs_is_one() -> None:
    assert VideoRequest(prompt="a", duration_seconds=30).outputs == 1


def test_video_request__estimate_is_the_doc_example_for_five_standard_seconds() -> None:
    assert VideoRequest(prompt="a").estimated_seconds == 120


@pytest.mark.parametrize("quality", ["standard", "hd"])
def test_video_request__estimate_grows_with_duration(quality: str) -> None:
    estimates = [
        VideoRequest(prompt="a", duration_seconds=d, quality=quality).estimated_seconds for d in range(1, 31)
    ]

    assert all(isinstance(e, int) and e > 0 for e in estimates)
    assert estimates == sorted(set(estimates))


@pytest.mark.parametrize("duration", [1, 5, 30])
def test_video_request__hd_takes_longer_than_standard(duration: int) -> None:
    standard = VideoRequest(prompt="a", duration_seconds=duration).estimated_seconds
    hd = VideoRequest(prompt="a", duration_seconds=duration, quality="hd").estimated_seconds

    assert hd > standard


def test_requests__are_frozen_values() -> None:
    image = ImageRequest(prompt="a", n=2)
    video = VideoRequest(prompt="a")

    with pytest.raises(dataclasses.FrozenInstanceError):
        image.n = 3  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        video.duration_seconds = 6  # type: ignore[misc]
    assert image == ImageRequest(prompt="a", n=2)
    assert hash(image) == hash(ImageRequest(prompt="a", n=2))
