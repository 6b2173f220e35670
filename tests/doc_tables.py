"""The doc's literal tables and examples, typed out by hand: the one place the tests take them from.

Everything here is copied from ``media-api.txt`` (and, where the doc is silent, from a numbered
decision in ``beyond-the-doc.md``, cited as "decision N"). None of it is read from
``mock_media.core.facts``, so that a typo there fails a test instead of agreeing with itself.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

# --- endpoints ----------------------------------------------------------------------------------
# "| Operation | Method | Endpoint |", without the host https://api.moltbotden.com.
API_PREFIX = "/v1/hosting/media"  # GET (list); GET /{job_id} (status); DELETE /{media_id}
IMAGE_PATH = "/v1/hosting/media/image"  # POST
VIDEO_PATH = "/v1/hosting/media/video"  # POST

# --- time ---------------------------------------------------------------------------------------
# The virtual clock starts at the doc's example time ("created_at": "2025-03-14T12:00:00Z").
START_ISO = "2025-03-14T12:00:00Z"
START_EPOCH = 1741953600
# The doc's example "X-RateLimit-Reset: 1741953660": the end of the first minute (decision 7).
FIRST_RESET = 1741953660

# --- storage ------------------------------------------------------------------------------------
# "| URL format | https://media.moltbotden.com/generated/{job_id}_{index}.{ext} |".
MEDIA_HOST = "https://media.moltbotden.com"

# --- ids and timestamps -------------------------------------------------------------------------
# Decisions 10 and 22: a prefix plus 12 base62 characters; the doc's timestamp format.
JOB_ID_IMAGE = re.compile(r"^img_[0-9A-Za-z]{12}$")
JOB_ID_VIDEO = re.compile(r"^vid_[0-9A-Za-z]{12}$")
MEDIA_ID = re.compile(r"^media_[0-9A-Za-z]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

# --- parameters ---------------------------------------------------------------------------------
# The image parameter table: "| Parameter | Type | Default | Description |".
DOC_IMAGE_ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4")
DOC_QUALITIES = ("standard", "hd")
DOC_STYLES = ("photorealistic", "illustration", "anime", "painting", "3d-render")
DOC_IMAGE_DEFAULTS: dict[str, Any] = {
    "negative_prompt": None,
    "aspect_ratio": "1:1",
    "quality": "standard",
    "style": None,
    "n": 1,
    "seed": None,
}
# The video parameter table.
DOC_VIDEO_ASPECT_RATIOS = ("16:9", "9:16", "1:1")
DOC_FPS = (24, 30)
DOC_VIDEO_DEFAULTS: dict[str, Any] = {
    "duration_seconds": 5,
    "aspect_ratio": "16:9",
    "quality": "standard",
    "fps": 24,
    "seed": None,
}

# --- resolutions --------------------------------------------------------------------------------
# "| Aspect Ratio | Standard Resolution | HD Resolution | Common Use |", row for row.
DOC_IMAGE_RESOLUTIONS: dict[str, dict[str, tuple[int, int]]] = {
    "1:1": {"standard": (1024, 1024), "hd": (2048, 2048)},
    "16:9": {"standard": (1920, 1080), "hd": (3840, 2160)},
    "9:16": {"standard": (1080, 1920), "hd": (2160, 3840)},
    "4:3": {"standard": (1440, 1080), "hd": (2880, 2160)},
    "3:4": {"standard": (1080, 1440), "hd": (2160, 2880)},
}
# The same table as (aspect_ratio, quality, (width, height)) rows, all 10 cells.
IMAGE_RESOLUTION_ROWS = [
    (aspect, quality, size) for aspect, row in DOC_IMAGE_RESOLUTIONS.items() for quality, size in row.items()
]
# Decision 11: videos take their sizes from the same table, for their aspect ratios.
VIDEO_RESOLUTION_ROWS = [row for row in IMAGE_RESOLUTION_ROWS if row[0] in DOC_VIDEO_ASPECT_RATIOS]

# --- prices -------------------------------------------------------------------------------------
# "| Quality | Price per Image |": Standard $0.04, HD $0.08.
DOC_IMAGE_PRICE = {"standard": Decimal("0.04"), "hd": Decimal("0.08")}
# "| Variations | Price |": 1 image $0.04, 2 images $0.08, 4 images $0.16 (standard quality).
DOC_VARIATION_PRICES = [(1, "0.04"), (2, "0.08"), (4, "0.16")]
# The price per image times n, for every quality and every n the doc allows (1-4).
IMAGE_PRICES = [
    ("standard", 1, "0.04"),
    ("standard", 2, "0.08"),
    ("standard", 3, "0.12"),
    ("standard", 4, "0.16"),
    ("hd", 1, "0.08"),
    ("hd", 2, "0.16"),
    ("hd", 3, "0.24"),
    ("hd", 4, "0.32"),
]
# "| Duration | Standard Price | HD Price |": $0.80 / $1.60 per second of video.
DOC_VIDEO_PRICE_PER_SECOND = {"standard": Decimal("0.80"), "hd": Decimal("1.60")}
# The same table, row for row, as (duration_seconds, quality, price); "per second" is the 1 s row.
VIDEO_PRICES = [
    (1, "standard", "0.80"),
    (1, "hd", "1.60"),
    (5, "standard", "4.00"),
    (5, "hd", "8.00"),
    (10, "standard", "8.00"),
    (10, "hd", "16.00"),
    (30, "standard", "24.00"),
    (30, "hd", "48.00"),
]

# --- plans --------------------------------------------------------------------------------------
# The doc's plan table, copied literally.
DOC_PLAN_TABLE = """
| Plan | Image Requests/Min | Video Requests/Min | Concurrent Jobs |
|---|---|---|---|
| Starter | 10 | 2 | 2 |
| Pro | 30 | 5 | 5 |
| Business | 60 | 10 | 10 |
| Enterprise | Custom | Custom | Custom |
"""


def _doc_plans() -> list[tuple[str, int, int, int]]:
    rows = []
    for line in DOC_PLAN_TABLE.strip().splitlines()[2:]:
        name, image, video, concurrent = (cell.strip() for cell in line.strip("|").split("|"))
        if image.isdigit():
            rows.append((name.lower(), int(image), int(video), int(concurrent)))
    return rows


# (plan, image requests/min, video requests/min, concurrent jobs) for every plan with numbers.
DOC_PLANS = _doc_plans()
PLAN_IDS = [row[0] for row in DOC_PLANS]

# --- errors -------------------------------------------------------------------------------------
# "| HTTP Code | Error Code | Meaning |": the 500 and 503 rows' meanings, as the fake words them.
GENERATION_FAILED = "Internal error during generation; safe to retry"
IMAGE_MODEL_DOWN = "Upstream model imagen-4 is temporarily unavailable; retry"
VIDEO_MODEL_DOWN = "Upstream model veo-3 is temporarily unavailable; retry"
# Decision 4: a body over 1 MiB is 413 payload_too_large.
MIB = 1024 * 1024

# --- examples -----------------------------------------------------------------------------------
# The doc's request examples, as its curl commands send them.
DOC_MINIMAL_IMAGE_REQUEST = {"prompt": "A futuristic city skyline at sunset"}
DOC_IMAGE_REQUEST = {
    "prompt": "A photorealistic AI robot reading a book in a cozy library, warm lighting, "
    "shallow depth of field",
    "aspect_ratio": "16:9",
    "quality": "standard",
    "n": 1,
}
DOC_PRODUCT_MOCKUP_REQUEST = {
    "prompt": "Product mockup: modern smartphone showing a sleek mobile app dashboard, clean white "
    "background, soft shadows, professional product photography",
    "negative_prompt": "text overlays, watermarks, people, hands",
    "aspect_ratio": "4:3",
    "quality": "hd",
    "style": "photorealistic",
    "n": 4,
}
DOC_VIDEO_REQUEST = {
    "prompt": "A crab walking on a sandy beach at sunset, waves rolling in, cinematic slow motion",
    "duration_seconds": 5,
    "aspect_ratio": "16:9",
    "quality": "standard",
}
# The doc's processing answer to that video request: "estimated_completion_seconds": 120.
DOC_VIDEO_ESTIMATE = 120

# The doc's error table ("| HTTP Code | Error Code | Meaning |"), typed out by hand, and the
# codes decision 4 adds.
DOC_ERRORS = {
    "invalid_prompt": 400,
    "invalid_parameter": 400,
    "unauthorized": 401,
    "insufficient_balance": 402,
    "rate_limit_exceeded": 429,
    "generation_failed": 500,
    "model_unavailable": 503,
}
DECISION_4_ERRORS = {"not_found": 404, "method_not_allowed": 405, "payload_too_large": 413}
# Decision 12: the fields of one item of ``GET /media`` (a video's add duration and fps).
LIST_ITEM_KEYS = {
    "media_id",
    "job_id",
    "type",
    "url",
    "width",
    "height",
    "format",
    "size_bytes",
    "created_at",
}
