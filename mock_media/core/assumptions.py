"""Every choice the doc leaves open, in one place, each naming its decision in beyond-the-doc.md.

``docs/fidelity.md`` lists these as assumptions with their evidence. Change one here and every
door follows, because nothing else hard-codes them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Final

from .facts import Limits

# Decision 5 / [SNAP]: prompts are 1-4000 characters.
PROMPT_MAX_CHARS: Final = 4000
# Decision 4: bodies over 1 MiB are 413 payload_too_large.
MAX_BODY_BYTES: Final = 1024 * 1024
# The doc gives no range for "seed"; Imagen and Veo take an unsigned 32-bit seed.
SEED_MIN: Final = 0
SEED_MAX: Final = 2**32 - 1

# Decision 21: Enterprise's "Custom" limits when an account is registered without them.
ENTERPRISE_DEFAULT_LIMITS: Final = Limits(image_rpm=300, video_rpm=50, concurrent_jobs=50)
CUSTOM_LIMIT_FIELDS: Final = ("image_rpm", "video_rpm", "concurrent_jobs")

# Decision 6: open mode opens an account on first use, on a configurable plan and balance.
# Pro matches the doc's header example (X-RateLimit-Limit: 30).
DEFAULT_PLAN: Final = "pro"
DEFAULT_BALANCE_USD: Final = Decimal("100.00")

# Decision 10 / 22: ids are a prefix plus 12 base62 characters.
ID_LENGTH: Final = 12
BASE62: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

# Decision 12 / 18: list paging.
LIST_LIMIT_DEFAULT: Final = 50
LIST_LIMIT_MIN: Final = 1
LIST_LIMIT_MAX: Final = 100

# The doc's video example: a 5-second standard clip is estimated at 120 s. The fake scales
# that linearly: a fixed 60 s queue-and-encode overhead plus 12 s per second of standard
# video, 24 s per second of HD video (HD renders four times the pixels, priced at twice).
VIDEO_BASE_SECONDS: Final = 60
VIDEO_SECONDS_PER_SECOND: Final[dict[str, int]] = {"standard": 12, "hd": 24}

# Sizes: the doc's examples give 284,210 bytes for a 1920x1080 WebP (0.137 B/pixel) and
# 8,388,608 bytes for a 5 s 1920x1080 24 fps MP4 (0.809 B/pixel/s). The fake draws each
# file's size around those densities, +/-15%, from the file's own seed.
IMAGE_BYTES_PER_PIXEL: Final = 0.137
VIDEO_BYTES_PER_PIXEL_SECOND: Final = 0.809
SIZE_JITTER: Final = 0.15

# Decision 3: the message of an error whose cause is a fault the test injected.
GENERATION_FAILED_MESSAGE: Final = "Internal error during generation; safe to retry"
MODEL_UNAVAILABLE_MESSAGE: Final = "Upstream model {model} is temporarily unavailable; retry"

# Money is kept in whole cents (every price is), and balances stay far below where Decimal's
# 28 significant digits would start rounding.
CENT: Final = Decimal("0.01")
MAX_BALANCE_USD: Final = Decimal("1000000000000")

# Time stays where ISO-8601 timestamps can show it: the clock never passes this instant
# (9000-01-01), nor moves by more than ten years in one call.
MAX_EPOCH: Final = 221845392000.0
MAX_ADVANCE_SECONDS: Final = 10 * 365 * 86400

# The virtual clock starts at the doc's own example time, so the first response's
# X-RateLimit-Reset is the doc's 1741953660.
DEFAULT_START: Final = datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC)

# Request headers past these limits are refused before anything else (400 invalid_parameter
# naming "headers", not journaled), as a front proxy would: the HTTP parsers take a 50 MB value
# or thousands of headers at once, and no client of the API needs more than a few.
MAX_HEADER_COUNT: Final = 100
MAX_HEADER_BYTES: Final = 64 * 1024

# The journal keeps the newest entries only, so a long-lived server cannot grow without bound.
JOURNAL_CAP: Final = 10_000
# It keeps request and response bodies for export and replay, within this many bytes in all
# (a body past the 1 MiB limit is not kept: only its length, which is all its 413 depends on).
JOURNAL_MAX_BYTES: Final = 64 * 1024 * 1024

# A scripted "timeout" over a socket: the server says nothing for this long, then drops the
# connection; in process, the door raises the library's read-timeout error at once.
TRANSPORT_TIMEOUT_SECONDS: Final = 120

# Agent conduct (core/conduct.py) judges the client, not the fake, against these defaults.
# The doc says "poll the status endpoint until status is completed" and gives no interval; its
# example video takes 120 s. Looking at one job more often than every 5 s (24 looks for that
# video) tells the agent nothing new and loads the API for nothing.
POLL_INTERVAL_SECONDS: Final = 5.0
# The doc's own backoff example gives up after 5 attempts (max_retries=5). Ten retryable
# failures of one operation in a row, twice that, is where even a patient agent should have
# stopped and reported instead of sending more requests into an outage.
GIVE_UP_AFTER: Final = 10
