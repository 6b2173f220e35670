"""Unit tests of mock_media.core.requests: defaults, price, resolution and estimate.

Expected values are the doc's tables (tests/doc_tables.py), never computed with the code under test.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from mock_media import Kind
from mock_media.core.requests import ImageRequest, VideoRequest
from tests.doc_tables import (
    DOC_FPS,
    DOC_IMAGE_DEFAULTS,
    DOC_QUALITIES,
    DOC_VIDEO_ASPECT_RATIOS,
    DOC_VIDEO_DEFAULTS,
    DOC_VIDEO_PRICE_PER_SECOND,
    IMAGE_PRICES,
    IMAGE_RESOLUTION_ROWS,
    VIDEO_PRICES,
    VIDEO_RESOLUTION_ROWS,
)


def test_image_request__defaults_are_the_doc_defaults() -> None:
    request = ImageRequest(prompt="a cat")

    assert {field: getattr(request, field) for field in DOC_IMAGE_DEFAULTS} == DOC_IMAGE_DEFAULTS
    assert request.kind is Kind.IMAGE


def test_video_request__defaults_are_the_doc_defaults() -> None:
    request = VideoRequest(prompt="a crab")

    assert {field: getattr(request, field) for field in DOC_VIDEO_DEFAULTS} == DOC_VIDEO_DEFAULTS
    assert request.kind is Kind.VIDEO


@pytest.mark.parametrize(("aspect_ratio", "quality", "size"), IMAGE_RESOLUTION_ROWS)
def test_image_request__resolution_is_the_doc_table(
    aspect_ratio: str, quality: str, size: tuple[int, int]
) -> None:
    assert ImageRequest(prompt="a", aspect_ratio=aspect_ratio, quality=quality).resolution == size


@pytest.mark.parametrize(("aspect_ratio", "quality", "size"), VIDEO_RESOLUTION_ROWS)
def test_video_request__resolution_is_the_image_table(
    aspect_ratio: str, quality: str, size: tuple[int, int]
) -> None:
    assert VideoRequest(prompt="a", aspect_ratio=aspect_ratio, quality=quality).resolution == size


@pytest.mark.parametrize(("quality", "n", "cost"), IMAGE_PRICES)
def test_image_request__cost_is_price_per_image_times_n(quality: str, n: int, cost: str) -> None:
    price = ImageRequest(prompt="a", quality=quality, n=n).cost

    assert isinstance(price, Decimal)
    assert price == Decimal(cost)


@pytest.mark.parametrize(("duration", "quality", "cost"), VIDEO_PRICES)
def test_video_request__cost_is_the_doc_table(duration: int, quality: str, cost: str) -> None:
    price = VideoRequest(prompt="a", duration_seconds=duration, quality=quality).cost

    assert isinstance(price, Decimal)
    assert price == Decimal(cost)


@pytest.mark.parametrize("quality", DOC_QUALITIES)
@pytest.mark.parametrize("duration", range(1, 31))
def test_video_request__cost_is_per_second_price_times_duration(duration: int, quality: str) -> None:
    assert (
        VideoRequest(prompt="a", duration_seconds=duration, quality=quality).cost
        == DOC_VIDEO_PRICE_PER_SECOND[quality] * duration
    )


@pytest.mark.parametrize("fps", DOC_FPS)
@pytest.mark.parametrize("aspect_ratio", DOC_VIDEO_ASPECT_RATIOS)
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
