"""The documented facts of the MoltbotDen Media API, as tables, each citing its doc section.

This is the only module that states what ``media-api.txt`` says: every other module reads
these tables, so a reader can hold this file against the doc line by line. Choices the doc
leaves open live in :mod:`mock_media.core.assumptions`, never here.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

# --- Endpoints ("| Operation | Method | Endpoint |") -----------------------------------------
API_HOST: Final = "https://api.moltbotden.com"
API_PREFIX: Final = "/v1/hosting/media"
IMAGE_PATH: Final = f"{API_PREFIX}/image"  # POST: generate image
VIDEO_PATH: Final = f"{API_PREFIX}/video"  # POST: generate video
# GET {API_PREFIX}/{job_id}: status; GET {API_PREFIX}: list; DELETE {API_PREFIX}/{media_id}.

# --- Authentication ("| Caller | Header | Value |") -----------------------------------------
API_KEY_HEADER: Final = "X-API-Key"
BEARER_HEADER: Final = "Authorization"

# --- Storage ("| Storage Behavior | Detail |"): URL format and lifetime ----------------------
MEDIA_HOST: Final = "https://media.moltbotden.com"
GENERATED_DIR: Final = "/generated"
URL_EXPIRES_AT: Final = None  # "URL lifetime | Permanent (until deleted)" -> "expires_at": null


class Kind(StrEnum):
    """Which model a job runs on."""

    IMAGE = "image"
    VIDEO = "video"


# --- Models (response examples: "model": "imagen-4"; page title: Veo 3) --------------------
MODEL: Final[dict[Kind, str]] = {Kind.IMAGE: "imagen-4", Kind.VIDEO: "veo-3"}
# --- Output formats (response examples: "format": "webp" / "mp4") ---------------------------
FORMAT: Final[dict[Kind, str]] = {Kind.IMAGE: "webp", Kind.VIDEO: "mp4"}
CONTENT_TYPE: Final[dict[str, str]] = {"webp": "image/webp", "mp4": "video/mp4"}
# --- Job id prefixes (response examples: "img_2xK9mPqR4sT1", "vid_7mNpQxR2sK5") -------------
JOB_PREFIX: Final[dict[Kind, str]] = {Kind.IMAGE: "img_", Kind.VIDEO: "vid_"}
MEDIA_PREFIX: Final = "media_"  # "media_id": "media_abc123"


class JobStatus(StrEnum):
    """Job states: "processing" and "completed" are documented; "failed" is decision 9."""

    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"


# --- Request parameters (the two "| Parameter | Type | Default | Description |" tables) -----
@dataclass(frozen=True, slots=True)
class Param:
    """One documented request parameter: its JSON type, default and allowed values."""

    name: str
    type: type[str] | type[int]
    default: str | int | None = None
    required: bool = False
    choices: tuple[str | int, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None
    description: str = ""


ASPECT_RATIOS_IMAGE: Final = ("1:1", "16:9", "9:16", "4:3", "3:4")
ASPECT_RATIOS_VIDEO: Final = ("16:9", "9:16", "1:1")
QUALITIES: Final = ("standard", "hd")
STYLES: Final = ("photorealistic", "illustration", "anime", "painting", "3d-render")
VIDEO_FPS: Final = (24, 30)

IMAGE_PARAMS: Final[tuple[Param, ...]] = (
    Param("prompt", str, required=True, description="Text description of the image"),
    Param("negative_prompt", str, description="Elements to exclude from the image"),
    Param("aspect_ratio", str, "1:1", choices=ASPECT_RATIOS_IMAGE),
    Param("quality", str, "standard", choices=QUALITIES),
    Param("style", str, choices=STYLES),
    Param("n", int, 1, minimum=1, maximum=4, description="Number of variations (1-4)"),
    Param("seed", int, description="Set for reproducible outputs"),
)

VIDEO_PARAMS: Final[tuple[Param, ...]] = (
    Param("prompt", str, required=True, description="Text description of the video"),
    Param("duration_seconds", int, 5, minimum=1, maximum=30, description="Length in seconds"),
    Param("aspect_ratio", str, "16:9", choices=ASPECT_RATIOS_VIDEO),
    Param("quality", str, "standard", choices=QUALITIES),
    Param("fps", int, 24, choices=VIDEO_FPS, description="Frames per second (24 or 30)"),
    Param("seed", int, description="Set for reproducibility"),
)

PARAMS: Final[dict[Kind, tuple[Param, ...]]] = {Kind.IMAGE: IMAGE_PARAMS, Kind.VIDEO: VIDEO_PARAMS}

# --- Pricing ("| Quality | Price per Image |" and "| Duration | Standard Price | HD Price |") -
IMAGE_PRICE_USD: Final[dict[str, Decimal]] = {"standard": Decimal("0.04"), "hd": Decimal("0.08")}
VIDEO_PRICE_PER_SECOND_USD: Final[dict[str, Decimal]] = {
    "standard": Decimal("0.80"),
    "hd": Decimal("1.60"),
}

# --- Resolutions ("| Aspect Ratio | Standard Resolution | HD Resolution | Common Use |") ------
RESOLUTIONS: Final[dict[tuple[str, str], tuple[int, int]]] = {
    ("1:1", "standard"): (1024, 1024),
    ("1:1", "hd"): (2048, 2048),
    ("16:9", "standard"): (1920, 1080),
    ("16:9", "hd"): (3840, 2160),
    ("9:16", "standard"): (1080, 1920),
    ("9:16", "hd"): (2160, 3840),
    ("4:3", "standard"): (1440, 1080),
    ("4:3", "hd"): (2880, 2160),
    ("3:4", "standard"): (1080, 1440),
    ("3:4", "hd"): (2160, 2880),
}


# --- Plans ("| Plan | Image Requests/Min | Video Requests/Min | Concurrent Jobs |") ----------
@dataclass(frozen=True, slots=True)
class Limits:
    """One plan's limits; Enterprise's are "Custom" and set per account."""

    image_rpm: int
    video_rpm: int
    concurrent_jobs: int


PLAN_LIMITS: Final[dict[str, Limits | None]] = {
    "starter": Limits(image_rpm=10, video_rpm=2, concurrent_jobs=2),
    "pro": Limits(image_rpm=30, video_rpm=5, concurrent_jobs=5),
    "business": Limits(image_rpm=60, video_rpm=10, concurrent_jobs=10),
    "enterprise": None,  # "Custom": see assumptions.ENTERPRISE_DEFAULT_LIMITS
}
PLANS: Final = tuple(PLAN_LIMITS)

# --- Rate-limit headers ("Rate limit headers are included in every response") --------------
RATE_LIMIT_LIMIT: Final = "X-RateLimit-Limit"
RATE_LIMIT_REMAINING: Final = "X-RateLimit-Remaining"
RATE_LIMIT_RESET: Final = "X-RateLimit-Reset"
RATE_LIMIT_WINDOW_SECONDS: Final = 60  # "Requests/Min"


# --- Error codes ("| HTTP Code | Error Code | Meaning |") -----------------------------------
class ErrorCode(StrEnum):
    """Every documented error code, plus the ones decision 4 adds for silent cases."""

    INVALID_PROMPT = "invalid_prompt"
    INVALID_PARAMETER = "invalid_parameter"
    UNAUTHORIZED = "unauthorized"
    INSUFFICIENT_BALANCE = "insufficient_balance"
    RATE_LIMIT_EXCEEDED = "rate_limit_exceeded"
    GENERATION_FAILED = "generation_failed"
    MODEL_UNAVAILABLE = "model_unavailable"
    # Beyond the doc (decision 4):
    NOT_FOUND = "not_found"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    PAYLOAD_TOO_LARGE = "payload_too_large"


ERROR_STATUS: Final[dict[ErrorCode, int]] = {
    ErrorCode.INVALID_PROMPT: 400,
    ErrorCode.INVALID_PARAMETER: 400,
    ErrorCode.UNAUTHORIZED: 401,
    ErrorCode.INSUFFICIENT_BALANCE: 402,
    ErrorCode.RATE_LIMIT_EXCEEDED: 429,
    ErrorCode.GENERATION_FAILED: 500,
    ErrorCode.MODEL_UNAVAILABLE: 503,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
}

DOCUMENTED_ERROR_CODES: Final = (
    ErrorCode.INVALID_PROMPT,
    ErrorCode.INVALID_PARAMETER,
    ErrorCode.UNAUTHORIZED,
    ErrorCode.INSUFFICIENT_BALANCE,
    ErrorCode.RATE_LIMIT_EXCEEDED,
    ErrorCode.GENERATION_FAILED,
    ErrorCode.MODEL_UNAVAILABLE,
)
