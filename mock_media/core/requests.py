"""Validated generation requests, and the pure functions of them: price, size, processing time."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from .assumptions import VIDEO_BASE_SECONDS, VIDEO_SECONDS_PER_SECOND
from .facts import IMAGE_PRICE_USD, RESOLUTIONS, VIDEO_PRICE_PER_SECOND_USD, Kind


@dataclass(frozen=True, slots=True)
class ImageRequest:
    """A valid ``POST /image`` body with every default applied."""

    kind: ClassVar[Kind] = Kind.IMAGE
    prompt: str
    negative_prompt: str | None = None
    aspect_ratio: str = "1:1"
    quality: str = "standard"
    style: str | None = None
    n: int = 1
    seed: int | None = None

    @property
    def outputs(self) -> int:
        """How many files the job yields."""
        return self.n

    @property
    def cost(self) -> Decimal:
        """Doc pricing: the per-image price for the quality, times the variations."""
        return IMAGE_PRICE_USD[self.quality] * self.n

    @property
    def resolution(self) -> tuple[int, int]:
        """Doc resolution table: (width, height)."""
        return RESOLUTIONS[(self.aspect_ratio, self.quality)]


@dataclass(frozen=True, slots=True)
class VideoRequest:
    """A valid ``POST /video`` body with every default applied."""

    kind: ClassVar[Kind] = Kind.VIDEO
    prompt: str
    duration_seconds: int = 5
    aspect_ratio: str = "16:9"
    quality: str = "standard"
    fps: int = 24
    seed: int | None = None

    @property
    def outputs(self) -> int:
        """A video job yields one file."""
        return 1

    @property
    def cost(self) -> Decimal:
        """Doc pricing: the per-second price for the quality, times the duration."""
        return VIDEO_PRICE_PER_SECOND_USD[self.quality] * self.duration_seconds

    @property
    def resolution(self) -> tuple[int, int]:
        """Decision 11: videos use the image table for their aspect ratios."""
        return RESOLUTIONS[(self.aspect_ratio, self.quality)]

    @property
    def estimated_seconds(self) -> int:
        """The estimate the API answers with; 120 s for the doc's 5 s standard clip."""
        return VIDEO_BASE_SECONDS + VIDEO_SECONDS_PER_SECOND[self.quality] * self.duration_seconds


GenerationRequest = ImageRequest | VideoRequest
