"""A small, well-behaved agent that the bad-day and determinism tests run under a scenario.

It makes images and videos (every fifth job a video), honours ``Retry-After`` on a 429 or a
503, backs off after a 500, and polls its processing videos between jobs, then until they are
all done. It moves the fake's virtual clock instead of sleeping, and records every reply, how
each job ended and every second it chose to wait.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.doors import Api, Reply

MAX_ATTEMPTS = 12
BACKOFF_SECONDS = 5  # after a 500, which carries no Retry-After
POLL_SECONDS = 30
PAUSE_SECONDS = 20  # between jobs
VIDEO_EVERY = 5


@dataclass
class AgentRun:
    """What the agent saw: every reply in order, each job's last answer, the seconds it waited."""

    replies: list[Reply] = field(default_factory=list)
    finished: dict[str, dict[str, Any]] = field(default_factory=dict)
    waited: float = 0.0


def run_agent(api: Api, jobs: int = 40) -> AgentRun:
    """Generate ``jobs`` items until each is completed or failed, retrying what may be retried.

    Raises:
        AssertionError: an answer the agent cannot handle (a status other than 200, 429, 500
            or 503), or a job that was never accepted.
    """
    run = AgentRun()
    processing: list[str] = []

    def wait(seconds: float) -> None:
        api.advance(seconds)
        run.waited += seconds

    def poll() -> None:
        for job_id in list(processing):
            reply = api.job(job_id)
            run.replies.append(reply)
            assert reply.status == 200, reply.body
            job = reply.json()
            if job["status"] != "processing":
                processing.remove(job_id)
                run.finished[job_id] = job

    for index in range(jobs):
        body = {"prompt": f"scene number {index}"}
        video = index % VIDEO_EVERY == 0
        for _ in range(MAX_ATTEMPTS):
            reply = api.video(body) if video else api.image(body)
            run.replies.append(reply)
            if reply.status == 200:
                break
            assert reply.status in (429, 500, 503), (reply.status, reply.body)
            wait(int(reply.headers.get("retry-after", BACKOFF_SECONDS)))
        else:
            raise AssertionError(f"job {index} was never accepted")
        job = reply.json()
        if job["status"] == "processing":
            processing.append(job["job_id"])
        else:
            run.finished[job["job_id"]] = job
        wait(PAUSE_SECONDS)
        poll()
    while processing:
        wait(POLL_SECONDS)
        poll()
    return run
