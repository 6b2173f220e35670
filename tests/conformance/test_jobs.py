"""The job state machine: decisions 8, 9, 19 and 23; job-stage faults (failed videos)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from tests.doc_tables import (
    DOC_VIDEO_ESTIMATE,
    DOC_VIDEO_REQUEST,
    GENERATION_FAILED,
    MEDIA_HOST,
    START_EPOCH,
    START_ISO,
)
from tests.doors import Api
from tests.helpers import assert_error, balance


def iso(epoch: float) -> str:
    """An independent rendering of the doc's timestamp format."""
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_iso_helper__matches_the_doc_example() -> None:
    assert iso(START_EPOCH) == START_ISO == "2025-03-14T12:00:00Z"
    assert iso(START_EPOCH + 135) == "2025-03-14T12:02:15Z"  # the doc's video completed_at


# --- images ---------------------------------------------------------------------------------
def test_image_job__completes_synchronously(api: Api) -> None:
    r = api.image({"prompt": "a robot reading", "n": 2})
    assert r.status == 200, r.body
    body = r.json()
    assert body["status"] == "completed"
    assert body["job_id"].startswith("img_")
    assert body["created_at"] == START_ISO
    assert body["completed_at"] >= body["created_at"]
    assert body["model"] == "imagen-4"
    assert [o["url"] for o in body["outputs"]] == [
        f"{MEDIA_HOST}/generated/{body['job_id']}_0.webp",
        f"{MEDIA_HOST}/generated/{body['job_id']}_1.webp",
    ]
    assert "estimated_completion_seconds" not in body
    assert "error" not in body


def test_image_job__status_repeats_the_generation_answer(api: Api) -> None:
    body = api.image({"prompt": "a robot reading", "n": 3}).json()
    assert api.job(body["job_id"]).json() == body
    api.advance(86400)
    assert api.job(body["job_id"]).json() == body


# --- videos ---------------------------------------------------------------------------------
def test_video_job__answers_processing_as_the_doc_example(api: Api) -> None:
    r = api.video(DOC_VIDEO_REQUEST)
    assert r.status == 200, r.body
    body = r.json()
    assert body["job_id"].startswith("vid_")
    expected = {
        "status": "processing",
        "created_at": START_ISO,
        "estimated_completion_seconds": 120,
        "prompt": DOC_VIDEO_REQUEST["prompt"],
        "duration_seconds": 5,
    }
    assert {k: body[k] for k in expected} == expected
    assert "outputs" not in body
    assert "completed_at" not in body
    assert "error" not in body
    assert api.job(body["job_id"]).json() == body


def test_video_job__charged_in_full_when_accepted(api: Api) -> None:
    api.video(DOC_VIDEO_REQUEST)
    assert balance(api) == Decimal("96.00")  # $100.00 less the doc's $4.00 for a 5 s clip


@pytest.mark.parametrize("early", [1, 0.5, 0.001])
def test_video_job__processing_until_due_then_completed_at_the_due_instant(api: Api, early: float) -> None:
    job_id = api.video(DOC_VIDEO_REQUEST).json()["job_id"]
    api.advance(DOC_VIDEO_ESTIMATE - early)
    body = api.job(job_id).json()
    assert body["status"] == "processing"
    assert "outputs" not in body
    api.advance(early)
    body = api.job(job_id).json()
    assert body["status"] == "completed"
    assert body["completed_at"] == "2025-03-14T12:02:00Z"
    assert body["created_at"] == START_ISO
    [out] = body["outputs"]
    assert out["url"] == f"{MEDIA_HOST}/generated/{job_id}.mp4"
    assert (out["width"], out["height"], out["fps"], out["format"]) == (1920, 1080, 24, "mp4")
    assert out["duration_seconds"] == 5.0
    assert out["media_id"].startswith("media_")
    assert body["cost_usd"] == 4.0
    assert body["model"] == "veo-3"
    assert "estimated_completion_seconds" not in body


def test_video_job__due_instant_through_the_doors(api: Api) -> None:
    job_id = api.video(DOC_VIDEO_REQUEST).json()["job_id"]
    api.advance(DOC_VIDEO_ESTIMATE - 1)
    assert api.job(job_id).json()["status"] == "processing"
    api.advance(1)
    body = api.job(job_id).json()
    assert (body["status"], body["completed_at"]) == ("completed", "2025-03-14T12:02:00Z")
    api.advance(3600)
    assert api.job(job_id).json() == body


@pytest.mark.parametrize("late", [0, 1, 59.5, 3600, 3 * 86400])
def test_video_job__completed_at_is_the_due_instant_however_late_polled(api: Api, late: float) -> None:
    job_id = api.video(DOC_VIDEO_REQUEST).json()["job_id"]
    api.advance(DOC_VIDEO_ESTIMATE + late)
    body = api.job(job_id).json()
    assert body["status"] == "completed"
    assert body["completed_at"] == "2025-03-14T12:02:00Z"
    api.advance(3600)
    assert api.job(job_id).json() == body


def test_video_job__created_later__due_relative_to_its_creation(api: Api) -> None:
    api.advance(45)
    body = api.video(DOC_VIDEO_REQUEST).json()
    assert body["created_at"] == "2025-03-14T12:00:45Z"
    api.advance(119)
    assert api.job(body["job_id"]).json()["status"] == "processing"
    api.advance(1)
    assert api.job(body["job_id"]).json()["completed_at"] == "2025-03-14T12:02:45Z"


@pytest.mark.parametrize(
    "params",
    [
        {"duration_seconds": 1},
        {"duration_seconds": 10, "quality": "hd"},
        {"duration_seconds": 30},
        {"duration_seconds": 30, "quality": "hd"},
        {"fps": 30, "aspect_ratio": "9:16"},
    ],
)
def test_video_job__completes_exactly_when_estimated(api: Api, params: dict[str, Any]) -> None:
    body = api.video({"prompt": "a crab", **params}).json()
    estimate = body["estimated_completion_seconds"]
    assert isinstance(estimate, int) and estimate > 0
    api.advance(estimate - 1)
    assert api.job(body["job_id"]).json()["status"] == "processing"
    api.advance(1)
    done = api.job(body["job_id"]).json()
    assert done["status"] == "completed"
    assert done["completed_at"] == iso(START_EPOCH + estimate)


def test_video_job__longer_or_hd_clips_take_longer(api: Api) -> None:
    short = api.video({"prompt": "a", "duration_seconds": 5}).json()["estimated_completion_seconds"]
    long = api.video({"prompt": "a", "duration_seconds": 10}).json()["estimated_completion_seconds"]
    hd = api.video({"prompt": "a", "duration_seconds": 5, "quality": "hd"}).json()[
        "estimated_completion_seconds"
    ]
    assert short == DOC_VIDEO_ESTIMATE < long
    assert short < hd


def test_video_job__completes_on_the_clock_without_being_polled(api: Api) -> None:
    job_id = api.video(DOC_VIDEO_REQUEST).json()["job_id"]
    api.advance(500)
    [item] = api.list().json()["media"]  # listed without any status poll first
    assert (item["job_id"], item["type"], item["created_at"]) == (job_id, "video", "2025-03-14T12:02:00Z")


def test_video_job__each_job_completes_on_its_own_time(api: Api) -> None:
    slow = api.video({"prompt": "slow", "duration_seconds": 30}).json()
    fast = api.video({"prompt": "fast", "duration_seconds": 1}).json()
    assert fast["estimated_completion_seconds"] < slow["estimated_completion_seconds"]
    api.advance(fast["estimated_completion_seconds"])
    assert api.job(slow["job_id"]).json()["status"] == "processing"
    assert api.job(fast["job_id"]).json()["status"] == "completed"
    api.advance(slow["estimated_completion_seconds"])
    slow_done = api.job(slow["job_id"]).json()
    assert slow_done["completed_at"] == iso(START_EPOCH + slow["estimated_completion_seconds"])


# --- unknown ids ----------------------------------------------------------------------------
@pytest.mark.parametrize("job_id", ["img_000000000000", "vid_000000000000", "nope", "media_000000000000"])
def test_job_status__unknown_id__404(api: Api, job_id: str) -> None:
    api.image()
    assert_error(api.job(job_id), 404, "not_found", message=f"No job with id '{job_id}'")


def test_job_status__a_media_id_is_not_a_job_id(api: Api) -> None:
    media_id = api.image().json()["outputs"][0]["media_id"]
    assert_error(api.job(media_id), 404, "not_found")


# --- failed videos (job-stage faults) -------------------------------------------------------
def test_failed_video__status_failed_with_error_and_refund(api: Api) -> None:
    api.backend.faults.fail_next_video_jobs()
    r = api.video(DOC_VIDEO_REQUEST)
    assert r.status == 200, r.body
    body = r.json()
    assert body["status"] == "processing"  # the failure shows only when the job is due
    assert balance(api) == Decimal("96.00")
    api.advance(DOC_VIDEO_ESTIMATE - 1)
    assert api.job(body["job_id"]).json()["status"] == "processing"
    api.advance(1)
    failed = api.job(body["job_id"]).json()
    assert failed["status"] == "failed"
    assert failed["error"] == {"code": "generation_failed", "message": GENERATION_FAILED}
    assert failed.get("outputs", []) == []
    assert balance(api) == Decimal("100.00")  # decision 8: refunded
    assert api.list().json()["count"] == 0
    assert api.request("GET", f"/generated/{body['job_id']}.mp4", key=None).status == 404
    # the fault was for one job: the next video completes
    again = api.video(DOC_VIDEO_REQUEST).json()
    api.advance(DOC_VIDEO_ESTIMATE)
    assert api.job(again["job_id"]).json()["status"] == "completed"
    assert balance(api) == Decimal("96.00")


def test_failed_video__code_and_message_can_be_chosen(api: Api) -> None:
    api.backend.faults.fail_next_video_jobs(code="model_unavailable", message="Veo 3 capacity exhausted")
    job_id = api.video().json()["job_id"]
    api.advance(DOC_VIDEO_ESTIMATE)
    assert api.job(job_id).json()["error"] == {
        "code": "model_unavailable",
        "message": "Veo 3 capacity exhausted",
    }


def test_failed_video__times_and_account(api: Api) -> None:
    api.backend.faults.fail_next_video_jobs(times=2, account="unlucky")
    lucky = api.video(key="lucky").json()["job_id"]
    unlucky = [api.video(key="unlucky").json()["job_id"] for _ in range(3)]
    api.advance(DOC_VIDEO_ESTIMATE)
    assert api.job(lucky, key="lucky").json()["status"] == "completed"
    statuses = [api.job(job_id, key="unlucky").json()["status"] for job_id in unlucky]
    assert statuses == ["failed", "failed", "completed"]
    assert balance(api, "unlucky") == Decimal("96.00")
    assert balance(api, "lucky") == Decimal("96.00")


def test_failed_video__images_are_not_affected(api: Api) -> None:
    api.backend.faults.fail_next_video_jobs()
    image = api.image().json()
    assert image["status"] == "completed" and len(image["outputs"]) == 1
    job_id = api.video().json()["job_id"]
    api.advance(DOC_VIDEO_ESTIMATE)
    assert api.job(job_id).json()["status"] == "failed"
