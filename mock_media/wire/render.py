"""Domain objects -> the exact JSON shapes of the doc's examples, and the rate-limit headers."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..core.backend import Page
from ..core.clock import iso8601
from ..core.errors import ApiError, MethodNotAllowed
from ..core.facts import (
    MODEL,
    RATE_LIMIT_LIMIT,
    RATE_LIMIT_REMAINING,
    RATE_LIMIT_RESET,
    URL_EXPIRES_AT,
    JobStatus,
    Kind,
)
from ..core.ratelimit import RateState
from ..core.requests import VideoRequest
from ..core.store import Job, Media
from .messages import WireResponse, json_response


def output(media: Media, media_base: str) -> dict[str, Any]:
    """One entry of a job's ``outputs``, field for field as the doc's examples."""
    url = media_base + media.path
    if media.kind is Kind.VIDEO:
        return {
            "media_id": media.media_id,
            "url": url,
            "duration_seconds": media.duration_seconds,
            "width": media.width,
            "height": media.height,
            "fps": media.fps,
            "format": media.format,
            "size_bytes": media.size_bytes,
        }
    return {
        "media_id": media.media_id,
        "url": url,
        "expires_at": URL_EXPIRES_AT,
        "width": media.width,
        "height": media.height,
        "format": media.format,
        "size_bytes": media.size_bytes,
    }


def job(job: Job, outputs: list[Media], media_base: str) -> dict[str, Any]:
    """A job as ``POST /image``, ``POST /video`` and ``GET /media/{job_id}`` answer it.

    The doc's examples fix the fields: processing videos carry ``estimated_completion_seconds``
    and no outputs; finished jobs carry ``completed_at`` and ``outputs``. ``model`` and
    ``cost_usd`` appear in every state; a failed video adds ``error`` and costs 0 (refunded).
    """
    body: dict[str, Any] = {
        "job_id": job.job_id,
        "status": str(job.status),
        "created_at": iso8601(job.created_at),
    }
    if job.completed_at is not None and job.status is not JobStatus.PROCESSING:
        body["completed_at"] = iso8601(job.completed_at)
    body["model"] = MODEL[job.kind]
    if job.status is JobStatus.PROCESSING:
        body["estimated_completion_seconds"] = job.estimated_seconds
    else:
        body["outputs"] = [output(m, media_base) for m in outputs]
    if job.error is not None:
        code, message = job.error
        body["error"] = {"code": code, "message": message}
    body["prompt"] = job.request.prompt
    if isinstance(job.request, VideoRequest):
        body["duration_seconds"] = job.request.duration_seconds
    failed = job.status is JobStatus.FAILED
    body["cost_usd"] = Decimal(0) if failed else job.cost
    return body


def list_item(media: Media, media_base: str) -> dict[str, Any]:
    """Decision 12: a listed media item."""
    item: dict[str, Any] = {
        "media_id": media.media_id,
        "job_id": media.job_id,
        "type": str(media.kind),
        "url": media_base + media.path,
        "width": media.width,
        "height": media.height,
        "format": media.format,
        "size_bytes": media.size_bytes,
        "created_at": iso8601(media.created_at),
    }
    if media.kind is Kind.VIDEO:
        item["duration_seconds"] = media.duration_seconds
        item["fps"] = media.fps
    return item


def page(result: Page, media_base: str) -> dict[str, Any]:
    """Decision 12: ``{"media": [...], "count": n, "next_cursor": ...}``."""
    return {
        "media": [list_item(m, media_base) for m in result.items],
        "count": len(result.items),
        "next_cursor": result.next_cursor,
    }


def rate_headers(state: RateState) -> dict[str, str]:
    """The doc's three headers, on every response to a request with valid credentials."""
    return {
        RATE_LIMIT_LIMIT: str(state.limit),
        RATE_LIMIT_REMAINING: str(state.remaining),
        RATE_LIMIT_RESET: str(state.reset),
    }


def error(exc: ApiError, headers: dict[str, str] | None = None) -> WireResponse:
    """Decision 3's envelope, with ``Retry-After`` on a 429 and ``Allow`` on a 405."""
    extra = dict(headers or {})
    if isinstance(exc, MethodNotAllowed):
        extra["Allow"] = ", ".join(exc.allowed)
    if exc.retry_after is not None:
        extra["Retry-After"] = str(exc.retry_after)
    return json_response(exc.status, exc.body(), extra)
