"""Conformance tests: the doc's tables, copied here by hand, held against every door.

The tables below are typed out from ``media-api.txt`` (and, where the doc is silent, from a
numbered decision in ``beyond-the-doc.md``); they are deliberately *not* read from
``mock_media.core.facts``, so that a typo there fails a test instead of agreeing with itself.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mock_media import MediaBackend, build_handler

from ..doors import DEFAULT_KEY, Api, Reply, wire_transport

# "| Aspect Ratio | Standard Resolution | HD Resolution | Common Use |", row for row.
DOC_IMAGE_RESOLUTIONS: dict[str, dict[str, tuple[int, int]]] = {
    "1:1": {"standard": (1024, 1024), "hd": (2048, 2048)},
    "16:9": {"standard": (1920, 1080), "hd": (3840, 2160)},
    "9:16": {"standard": (1080, 1920), "hd": (2160, 3840)},
    "4:3": {"standard": (1440, 1080), "hd": (2880, 2160)},
    "3:4": {"standard": (1080, 1440), "hd": (2160, 2880)},
}
# The video parameter table's aspect ratios; decision 11: the same table gives their sizes.
DOC_VIDEO_ASPECT_RATIOS = ("16:9", "9:16", "1:1")
DOC_QUALITIES = ("standard", "hd")
DOC_STYLES = ("photorealistic", "illustration", "anime", "painting", "3d-render")
DOC_FPS = (24, 30)

# "| Quality | Price per Image |" and "| Duration | Standard Price | HD Price |".
DOC_IMAGE_PRICE = {"standard": Decimal("0.04"), "hd": Decimal("0.08")}
DOC_VIDEO_PRICE_PER_SECOND = {"standard": Decimal("0.80"), "hd": Decimal("1.60")}

# Decision 10 / 22: a prefix plus 12 base62 characters; the doc's timestamp format.
JOB_ID_IMAGE = re.compile(r"^img_[0-9A-Za-z]{12}$")
JOB_ID_VIDEO = re.compile(r"^vid_[0-9A-Za-z]{12}$")
MEDIA_ID = re.compile(r"^media_[0-9A-Za-z]{12}$")
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
MEDIA_BASE = "https://media.moltbotden.com"
START = "2025-03-14T12:00:00Z"  # the virtual clock starts at the doc's example time

ERROR_KEYS_WITH_PARAM = ["code", "message", "param", "status"]
ERROR_KEYS = ["code", "message", "status"]


def wire_api(backend: MediaBackend) -> Api:
    """The cheapest door (the wire handler itself), for heavy parametrisations."""
    return Api(backend, wire_transport(build_handler(backend)), "wire")


def exact(reply: Reply) -> Any:
    """The body with every JSON number that has a fraction read as an exact Decimal."""
    return json.loads(reply.body, parse_float=Decimal)


@dataclass(frozen=True)
class Snapshot:
    """What a rejected request must leave alone (decision 14: "costs nothing")."""

    balance: Decimal
    spent: Decimal
    jobs: int
    media: int
    files: int
    processing: int

    @classmethod
    def of(cls, backend: MediaBackend, key: str = DEFAULT_KEY) -> Snapshot:
        account = backend.accounts[key]
        return cls(
            balance=account.balance,
            spent=account.spent,
            jobs=len(backend.store.jobs),
            media=len(backend.store.media),
            files=len(backend.store.files),
            processing=account.processing,
        )


def assert_invalid_parameter(reply: Reply, param: str) -> None:
    """400 ``invalid_parameter`` naming ``param`` in error.param and in the message."""
    assert reply.status == 400, reply.body
    body = reply.json()
    assert list(body) == ["error", "detail"], body
    error = body["error"]
    assert list(error) == ERROR_KEYS_WITH_PARAM, error
    assert error["code"] == "invalid_parameter"
    assert error["param"] == param
    assert error["status"] == 400
    assert param in error["message"], error["message"]
    assert body["detail"] == error["message"]


def assert_invalid_prompt(reply: Reply) -> None:
    """400 ``invalid_prompt``: decision 3's envelope, without ``param``."""
    assert reply.status == 400, reply.body
    body = reply.json()
    assert list(body) == ["error", "detail"], body
    error = body["error"]
    assert list(error) == ERROR_KEYS, error
    assert error["code"] == "invalid_prompt"
    assert error["status"] == 400
    assert isinstance(error["message"], str) and error["message"]
    assert body["detail"] == error["message"]
