"""The route table as data: (path pattern) -> {method: operation}, like moto's urls.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from ..core.facts import API_PREFIX, GENERATED_DIR, IMAGE_PATH, VIDEO_PATH

ADMIN_PREFIX = "/_mock"


class Operation(StrEnum):
    """Everything the public surface can do."""

    GENERATE_IMAGE = "generate_image"
    GENERATE_VIDEO = "generate_video"
    GET_JOB = "get_job"
    LIST_MEDIA = "list_media"
    DELETE_MEDIA = "delete_media"
    GET_FILE = "get_file"


# The routes without a parameter; a request for one is found by a dict lookup.
_FIXED: tuple[tuple[str, dict[str, Operation]], ...] = (
    (IMAGE_PATH, {"POST": Operation.GENERATE_IMAGE}),
    (VIDEO_PATH, {"POST": Operation.GENERATE_VIDEO}),
    (API_PREFIX, {"GET": Operation.LIST_MEDIA}),
)
# Order matters only where patterns overlap: /image and /video before /{job_id}, so that
# GET /media/image is 405 (decision 19), not a lookup of a job called "image".
ROUTES: tuple[tuple[re.Pattern[str], dict[str, Operation]], ...] = (
    *((re.compile(re.escape(path)), methods) for path, methods in _FIXED),
    (
        re.compile(re.escape(API_PREFIX) + r"/(?P<id>[^/]+)"),
        {"GET": Operation.GET_JOB, "DELETE": Operation.DELETE_MEDIA},
    ),
    (
        re.compile(re.escape(GENERATED_DIR) + r"/(?P<file>[^/]+)"),
        {"GET": Operation.GET_FILE, "HEAD": Operation.GET_FILE},
    ),
)
_BY_PATH = {path: (methods, tuple(methods)) for path, methods in _FIXED}
_WITH_PARAMETER = ROUTES[len(_FIXED) :]  # each has one group: the id, or the file


@dataclass(frozen=True, slots=True)
class Match:
    """A resolved path: the operation for the method (None: 405), and the path's id."""

    operation: Operation | None
    allowed: tuple[str, ...]
    param: str | None


def resolve(method: str, path: str) -> Match | None:
    """The route for a request, or None for an unknown path (404)."""
    fixed = _BY_PATH.get(path)
    if fixed is not None:  # the fixed routes come first in ROUTES
        return Match(fixed[0].get(method), fixed[1], None)
    for pattern, methods in _WITH_PARAMETER:
        found = pattern.fullmatch(path)
        if found:
            return Match(methods.get(method), tuple(methods), found.group(1))
    return None
