"""Memory, measured in a fresh process per question (RSS after a full collection):

``python -m bench.memory store N``: resident bytes per stored image job (one output), over N
    generations through the wire handler, once the journal is already at its cap (so only
    the store grows);
``python -m bench.memory baseline N``: the same for the least a fake could keep, a dict of
    job id to the job's rendered JSON;
``python -m bench.memory journal N``: RSS as N status requests (five times the journal's
    cap, say) go through the wire handler: it must stop growing at the cap.

Each prints one JSON object. Requests are built afresh each time from decoded bytes, as a door
builds them, so the journal keeps what it would keep behind a real door.
"""

from __future__ import annotations

import gc
import json
import sys
from typing import Any

from mock_media import MockMedia, WireRequest
from mock_media.core.assumptions import JOURNAL_CAP

from .common import BENCH_KEY, IMAGE_PATH, rss_bytes
from .inprocess import bench_fake

# What httpx sends besides the key; decoded per request, as a door decodes a wire's bytes.
CLIENT_HEADERS = [
    (b"host", b"api.moltbotden.com"),
    (b"accept", b"*/*"),
    (b"accept-encoding", b"gzip, deflate"),
    (b"connection", b"keep-alive"),
    (b"user-agent", b"python-httpx/0.28.1"),
    (b"x-api-key", BENCH_KEY.encode()),
]
IMAGE_BODY = b'{"prompt": "a cat"}'


def request(method: str, path: str, body: bytes = b"") -> WireRequest:
    """A request as a door would build it: every string new."""
    headers = [(k.decode(), v.decode()) for k, v in CLIENT_HEADERS]
    if body:
        headers += [("content-type", "application/json"), ("content-length", str(len(body)))]
    return WireRequest.build(method, path, headers=headers, body=bytes(body))


def settled_rss() -> int:
    """RSS after a full collection."""
    gc.collect()
    return rss_bytes()


def generate(fake: MockMedia, count: int) -> str:
    """``count`` image generations; answers the last job's id."""
    job_id = ""
    for _ in range(count):
        answer = fake.handler(request("POST", IMAGE_PATH, IMAGE_BODY))
        if answer.status != 200:
            raise RuntimeError(f"generation refused: {answer.status} {answer.body[:200]!r}")
        job_id = answer.json()["job_id"]
    return job_id


def store(jobs: int) -> dict[str, Any]:
    fake = bench_fake()
    generate(fake, fake.journal.cap)  # the journal is full from here on: it no longer grows
    before = settled_rss()
    generate(fake, jobs)
    after = settled_rss()
    return {"jobs": jobs, "rss_before": before, "rss_after": after, "bytes_per_job": (after - before) / jobs}


def baseline(jobs: int) -> dict[str, Any]:
    fake = bench_fake()
    sample = fake.handler(request("POST", IMAGE_PATH, IMAGE_BODY)).body
    kept: dict[str, bytes] = {}
    before = settled_rss()
    for number in range(jobs):
        job_id = f"img_{number:012d}"
        kept[job_id] = sample.replace(b"img_QGVPmITauVHk", job_id.encode())
    after = settled_rss()
    return {"jobs": jobs, "rss_before": before, "rss_after": after, "bytes_per_job": (after - before) / jobs}


def journal(requests: int) -> dict[str, Any]:
    fake = bench_fake()
    job_id = generate(fake, 1)
    path = f"/v1/hosting/media/{job_id}"
    cap = fake.journal.cap
    step = max(1, cap // 2)
    points = [(1, settled_rss())]
    sent = 1
    while sent < requests:
        for _ in range(min(step, requests - sent)):
            fake.handler(request("GET", path))
        sent = min(requests, sent + step)
        points.append((sent, settled_rss()))
    at_cap = next(rss for count, rss in points if count >= cap)
    twice = next(rss for count, rss in points if count >= 2 * cap)
    last_count, last = points[-1]
    return {
        "cap": cap,
        "requests": requests,
        "points": points,
        "kept": len(list(fake.journal)),
        "bytes_per_request_to_cap": (at_cap - points[0][1]) / cap,
        "bytes_per_request_after_cap": (last - twice) / max(1, last_count - 2 * cap),
    }


def main() -> None:
    mode, count = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 5 * JOURNAL_CAP
    result = {"store": store, "baseline": baseline, "journal": journal}[mode](count)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
