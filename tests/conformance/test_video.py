"""POST /video: parameters, defaults, resolutions and the processing and completed shapes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mock_media.core.requests import VideoRequest
from tests.doc_tables import (
    DOC_FPS,
    DOC_VIDEO_DEFAULTS,
    DOC_VIDEO_ESTIMATE,
    DOC_VIDEO_REQUEST,
    JOB_ID_VIDEO,
    MEDIA_HOST,
    MEDIA_ID,
    START_ISO,
    TIMESTAMP,
    VIDEO_RESOLUTION_ROWS,
)
from tests.doors import Api
from tests.helpers import assert_served_file, exact, stored_request

# The doc's processing example has job_id, status, created_at, estimated_completion_seconds,
# prompt, duration_seconds; the fake adds model and cost_usd (charged on acceptance, decision 8).
PROCESSING_KEYS = [
    "job_id",
    "status",
    "created_at",
    "model",
    "estimated_completion_seconds",
    "prompt",
    "duration_seconds",
    "cost_usd",
]
# The doc's completed example has job_id, status, completed_at, outputs, cost_usd; the fake
# keeps created_at, model, prompt and duration_seconds from the other states.
COMPLETED_KEYS = [
    "job_id",
    "status",
    "created_at",
    "completed_at",
    "model",
    "outputs",
    "prompt",
    "duration_seconds",
    "cost_usd",
]
DOC_OUTPUT_KEYS = ["media_id", "url", "duration_seconds", "width", "height", "fps", "format", "size_bytes"]
LONG_ENOUGH = 3600.0  # every video is due by then


def finished(api: Api, body: Any) -> dict[str, Any]:
    """Let the video's time pass, then poll it; it must have completed."""
    api.advance(LONG_ENOUGH)
    r = api.job(body["job_id"])
    assert r.status == 200, r.body
    polled: dict[str, Any] = r.json()
    assert polled["status"] == "completed", polled
    return polled


def test_video__doc_example_answers_processing_in_the_doc_shape(api: Api) -> None:
    r = api.video(DOC_VIDEO_REQUEST)

    assert r.status == 200, r.body
    body = r.json()
    assert list(body) == PROCESSING_KEYS
    assert JOB_ID_VIDEO.fullmatch(body["job_id"])
    assert body["status"] == "processing"
    assert body["created_at"] == START_ISO
    assert body["model"] == "veo-3"
    assert body["estimated_completion_seconds"] == DOC_VIDEO_ESTIMATE  # for a 5 s standard clip
    assert body["prompt"] == DOC_VIDEO_REQUEST["prompt"]
    assert type(body["duration_seconds"]) is int and body["duration_seconds"] == 5
    assert exact(r)["cost_usd"] == Decimal("4.00")


def test_video__doc_example_completes_in_the_doc_shape(api: Api) -> None:
    submitted = api.video(DOC_VIDEO_REQUEST).json()
    job_id = submitted["job_id"]

    api.advance(DOC_VIDEO_ESTIMATE - 1)
    assert api.job(job_id).json()["status"] == "processing"
    api.advance(1)
    r = api.job(job_id)

    assert r.status == 200, r.body
    body = r.json()
    assert list(body) == COMPLETED_KEYS
    assert body["job_id"] == job_id
    assert body["status"] == "completed"
    assert body["created_at"] == START_ISO
    assert body["completed_at"] == "2025-03-14T12:02:00Z"
    assert TIMESTAMP.fullmatch(body["completed_at"])
    assert body["model"] == "veo-3"
    assert body["prompt"] == DOC_VIDEO_REQUEST["prompt"]
    assert exact(r)["cost_usd"] == Decimal("4.00")
    [out] = body["outputs"]
    assert list(out) == DOC_OUTPUT_KEYS
    assert MEDIA_ID.fullmatch(out["media_id"])
    assert out["url"] == f"{MEDIA_HOST}/generated/{job_id}.mp4"
    assert type(out["duration_seconds"]) is float and out["duration_seconds"] == 5.0
    assert (out["width"], out["height"]) == (1920, 1080)
    assert type(out["fps"]) is int and out["fps"] == 24
    assert out["format"] == "mp4"
    assert type(out["size_bytes"]) is int and out["size_bytes"] > 0


def test_video__prompt_only_applies_every_default(api: Api) -> None:
    r = api.video({"prompt": "a crab"})

    assert r.status == 200, r.body
    body = r.json()
    assert body["duration_seconds"] == 5
    assert exact(r)["cost_usd"] == Decimal("4.00")
    assert stored_request(api, body["job_id"], VideoRequest) == VideoRequest(
        prompt="a crab", **DOC_VIDEO_DEFAULTS
    )
    [out] = finished(api, body)["outputs"]
    assert (out["width"], out["height"], out["fps"], out["duration_seconds"]) == (1920, 1080, 24, 5.0)


@pytest.mark.parametrize("field", ["duration_seconds", "aspect_ratio", "quality", "fps", "seed"])
def test_video__null_optional_field_means_its_default(api: Api, field: str) -> None:
    r = api.video({"prompt": "a crab", field: None})

    assert r.status == 200, r.body
    body = r.json()
    assert body["duration_seconds"] == 5
    assert exact(r)["cost_usd"] == Decimal("4.00")
    assert stored_request(api, body["job_id"], VideoRequest) == VideoRequest(prompt="a crab")


@pytest.mark.parametrize(("aspect_ratio", "quality", "size"), VIDEO_RESOLUTION_ROWS)
def test_video__resolution_follows_the_image_table(
    api: Api, aspect_ratio: str, quality: str, size: tuple[int, int]
) -> None:
    body = api.video({"prompt": "a crab", "aspect_ratio": aspect_ratio, "quality": quality}).json()

    [out] = finished(api, body)["outputs"]

    assert (out["width"], out["height"]) == size


def test_video__hd_vertical_resolution_through_every_door(api: Api) -> None:
    body = api.video({"prompt": "a crab", "aspect_ratio": "9:16", "quality": "hd"}).json()

    [out] = finished(api, body)["outputs"]

    assert (out["width"], out["height"]) == (2160, 3840)


@pytest.mark.parametrize("fps", DOC_FPS)
def test_video__every_documented_fps_is_accepted(api: Api, fps: int) -> None:
    body = api.video({"prompt": "a crab", "fps": fps}).json()

    [out] = finished(api, body)["outputs"]

    assert out["fps"] == fps


@pytest.mark.parametrize("duration", [1, 2, 5, 10, 29, 30])
def test_video__duration_in_range_is_accepted_and_reported(api: Api, duration: int) -> None:
    r = api.video({"prompt": "a crab", "duration_seconds": duration})

    assert r.status == 200, r.body
    body = r.json()
    assert body["duration_seconds"] == duration
    [out] = finished(api, body)["outputs"]
    assert type(out["duration_seconds"]) is float and out["duration_seconds"] == float(duration)


@pytest.mark.parametrize("seed", [0, 42, 2**32 - 1])
def test_video__seed_is_accepted(api: Api, seed: int) -> None:
    r = api.video({"prompt": "a crab", "seed": seed})

    assert r.status == 200, r.body
    assert stored_request(api, r.json()["job_id"], VideoRequest).seed == seed


def test_video__processing_has_no_outputs_and_completion_keeps_the_ids(api: Api) -> None:
    submitted = api.video({"prompt": "a crab"}).json()

    assert "outputs" not in submitted and "completed_at" not in submitted
    polled = finished(api, submitted)
    assert polled["job_id"] == submitted["job_id"]
    assert polled["created_at"] == submitted["created_at"]
    assert polled["prompt"] == submitted["prompt"]
    assert "estimated_completion_seconds" not in polled


def test_video__output_file_is_an_mp4_of_size_bytes(api: Api) -> None:
    body = api.video({"prompt": "a crab", "duration_seconds": 1, "aspect_ratio": "1:1"}).json()
    out = finished(api, body)["outputs"][0]

    data = assert_served_file(api, out, "video/mp4")

    assert data[4:8] == b"ftyp"
