"""Virtual time: an agent's backoff-and-poll loop for a 30-second HD video under the bundled
``slow-videos`` scenario (videos take six times their estimate), in process through the
respx door, where the agent's sleep advances the fake's clock instead of waiting.

Target: generation to ``completed`` in under 50 ms of wall time. The baseline is the same
number of HTTP calls through a bare respx route (what the loop would cost if the fake took
no time at all), measured alternately; the ratio shows the fake's share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from mock_media import MockMedia

from .baseline import bare_router
from .common import API, BENCH_KEY, Row, Settings, alternate, median

SECTION = "virtual time"
LIMIT_MS = 50.0
VIDEO = {
    "prompt": "A crab walking on a sandy beach at sunset, waves rolling in, cinematic slow motion",
    "duration_seconds": 30,
    "aspect_ratio": "16:9",
    "quality": "hd",
}
HEADERS = {"X-API-Key": BENCH_KEY}
FIRST_WAIT, FACTOR, MAX_WAIT = 5.0, 1.5, 60.0


def agent(client: httpx.Client, sleep: Callable[[float], None]) -> dict[str, Any]:
    """Generate a video and poll with backoff until it is done; answers the final job and
    how many calls it took. Retries 429/500/503 after ``Retry-After`` (or the backoff)."""
    calls = 0
    wait = FIRST_WAIT
    while True:
        calls += 1
        answer = client.post(API + "/v1/hosting/media/video", headers=HEADERS, json=VIDEO)
        if answer.status_code == 200:
            break
        if answer.status_code not in (429, 500, 503):
            raise RuntimeError(f"video refused: {answer.status_code} {answer.text}")
        sleep(float(answer.headers.get("Retry-After", wait)))
    job = answer.json()
    estimate = job.get("estimated_completion_seconds")
    while job["status"] == "processing":
        sleep(wait)
        wait = min(wait * FACTOR, MAX_WAIT)
        calls += 1
        answer = client.get(f"{API}/v1/hosting/media/{job['job_id']}", headers=HEADERS)
        if answer.status_code in (429, 500, 503):
            continue
        answer.raise_for_status()
        job = answer.json()
    return {"job": job, "calls": calls, "estimate": estimate}


def run(settings: Settings) -> list[Row]:
    """The virtual-time row."""
    client = httpx.Client()
    found: dict[str, Any] = {}

    def candidate() -> float:
        fake = MockMedia(api_key=BENCH_KEY)
        fake.use_scenario("slow-videos")
        with fake.router():
            start = time.perf_counter_ns()
            result = agent(client, fake.advance)
            elapsed = (time.perf_counter_ns() - start) / 1e6
        if result["job"]["status"] != "completed":
            raise RuntimeError(f"the video did not complete: {result['job']}")
        found.update(
            calls=result["calls"],
            virtual_seconds=fake.now() - fake.backend.started,
            estimated_seconds=result["estimate"],
        )
        return elapsed

    def baseline() -> float:
        calls = found["calls"]
        with bare_router():
            start = time.perf_counter_ns()
            client.post(API + "/v1/hosting/media/video", headers=HEADERS, json=VIDEO)
            for _ in range(calls - 1):
                client.get(f"{API}/v1/hosting/media/vid_QGVPmITauVHk", headers=HEADERS)
            return (time.perf_counter_ns() - start) / 1e6

    candidate()  # learn the number of calls for the baseline
    base, cand = alternate(baseline, candidate, settings.rounds)
    b, c = median(base), median(cand)
    return [
        Row(
            SECTION,
            "30 s HD video, slow-videos scenario, backoff-and-poll agent (respx door)",
            "ms",
            b,
            c,
            f"< {LIMIT_MS:g} ms",
            c < LIMIT_MS,
            f"{found['calls']} calls; {found['virtual_seconds']:.0f} s of virtual time "
            f"(estimate said {found['estimated_seconds']} s)",
            {"baseline_samples": base, "candidate_samples": cand, **found},
        )
    ]
