"""The doc's "Video generation" section: submit the crab video, then poll
``GET /v1/hosting/media/{job_id}`` until its status is ``"completed"``.

A real run waits about two minutes; here the agent's ten-second sleeps move the fake's clock
instead: ``time.sleep`` under ``mock_media_virtual_sleep`` in process, and the live server's
``advance`` when the agent talks to ``mock_media_server`` over a socket.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import pytest
import requests

from mock_media.fake import MockMedia
from mock_media.remote import RemoteMockMedia

API = "https://api.moltbotden.com/v1/hosting/media"
HEADERS = {"X-API-Key": "your_moltbotden_api_key"}
POLL_SECONDS = 10


def submit_crab_video(api: str, headers: Mapping[str, str]) -> dict[str, Any]:
    """The doc's video request; the answer comes back at once, still processing."""
    response = requests.post(
        f"{api}/video",
        headers={**headers, "Content-Type": "application/json"},
        json={
            "prompt": "A crab walking on a sandy beach at sunset, waves rolling in, cinematic slow motion",
            "duration_seconds": 5,
            "aspect_ratio": "16:9",
            "quality": "standard",
        },
    )
    response.raise_for_status()
    job: dict[str, Any] = response.json()
    return job


def wait_for_video(
    api: str, headers: Mapping[str, str], job_id: str, sleep: Callable[[float], object]
) -> tuple[dict[str, Any], int]:
    """Poll the job every ten seconds until it is completed; the final status and the polls."""
    polls = 0
    while True:
        response = requests.get(f"{api}/{job_id}", headers=headers)
        response.raise_for_status()
        status: dict[str, Any] = response.json()
        polls += 1
        if status["status"] == "completed":
            return status, polls
        if status["status"] == "failed":
            raise RuntimeError(f"{job_id} failed: {status['error']['message']}")
        sleep(POLL_SECONDS)


def check_processing(job: dict[str, Any]) -> None:
    assert re.fullmatch(r"vid_[0-9A-Za-z]{12}", job["job_id"])
    assert job["status"] == "processing"
    assert job["estimated_completion_seconds"] == 120
    assert job["duration_seconds"] == 5
    assert job["prompt"].startswith("A crab walking on a sandy beach")


def check_completed(video: dict[str, Any], job_id: str, media_base: str) -> dict[str, Any]:
    assert video["job_id"] == job_id
    assert video["status"] == "completed"
    assert video["completed_at"] == "2025-03-14T12:02:00Z"  # submitted at 12:00:00, 120 s
    assert video["cost_usd"] == 4.00  # 5 s of standard video at $0.80 a second
    [output] = video["outputs"]
    assert output["url"] == f"{media_base}/generated/{job_id}.mp4"
    assert re.fullmatch(r"media_[0-9A-Za-z]{12}", output["media_id"])
    assert output["duration_seconds"] == 5.0
    assert (output["width"], output["height"], output["fps"], output["format"]) == (1920, 1080, 24, "mp4")
    return dict(output)


def check_download(output: Mapping[str, Any]) -> None:
    clip = requests.get(output["url"])
    assert clip.status_code == 200
    assert clip.headers["Content-Type"] == "video/mp4"
    assert len(clip.content) == output["size_bytes"]
    assert clip.content[4:8] == b"ftyp"


@pytest.mark.mock_media(api_key="your_moltbotden_api_key")
def test_poll_until_completed(mock_media_virtual_sleep: MockMedia) -> None:
    mock_media = mock_media_virtual_sleep
    balance_before = mock_media.balance()
    started, wall_started = mock_media.now(), time.perf_counter()

    job = submit_crab_video(API, HEADERS)
    check_processing(job)
    video, polls = wait_for_video(API, HEADERS, job["job_id"], time.sleep)

    # Polled at 0, 10, ..., 120 s: thirteen polls, two virtual minutes, no real waiting.
    assert polls == 13
    assert len(mock_media.calls("get_job")) == 13
    assert mock_media.now() - started == 120
    assert time.perf_counter() - wall_started < 10.0

    output = check_completed(video, job["job_id"], "https://media.moltbotden.com")
    check_download(output)
    assert mock_media.balance() == balance_before - Decimal("4.00")


@pytest.mark.mock_media(balance_usd="25.00")
def test_poll_a_live_server(mock_media_server: RemoteMockMedia) -> None:
    server = mock_media_server
    api = server.endpoint()  # http://127.0.0.1:<port>/v1/hosting/media

    started = server.now()

    job = submit_crab_video(api, server.headers)
    check_processing(job)
    video, polls = wait_for_video(api, server.headers, job["job_id"], server.advance)

    assert polls == 13
    polled = [entry for entry in server.journal(method="GET") if entry["operation"] == "get_job"]
    assert [entry["status"] for entry in polled] == [200] * 13
    assert server.now() - started == 120
    output = check_completed(video, job["job_id"], server.media_base)
    check_download(output)
    assert server.balance() == Decimal("21.00")
