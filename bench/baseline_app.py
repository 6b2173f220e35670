"""The standalone server's baseline: a minimal Starlette app answering a fixed 640-byte JSON.

It imports Starlette only, so that the start-up benchmark's bare ``uvicorn
bench.baseline_app:app`` loads no more than such an app would. ``BODY`` is shaped like an
image job, so that the load generator's mixed workload reads a job id and a file path from
it as it does from the fake's answers.
"""

from __future__ import annotations

import json

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

BODY_SIZE = 640


def _body() -> bytes:
    job = {
        "job_id": "img_QGVPmITauVHk",
        "status": "completed",
        "created_at": "2025-03-14T12:00:00Z",
        "completed_at": "2025-03-14T12:00:00Z",
        "model": "imagen-4",
        "outputs": [
            {
                "media_id": "media_cFuyotJjtgT6",
                "url": "https://media.moltbotden.com/generated/img_QGVPmITauVHk_0.webp",
                "expires_at": None,
                "width": 1024,
                "height": 1024,
                "format": "webp",
                "size_bytes": 142486,
            }
        ],
        "prompt": "",
        "cost_usd": 0.04,
    }
    short = len(json.dumps(job, separators=(",", ":")).encode())
    job["prompt"] = "a cat " + "." * (BODY_SIZE - short - 6)
    body = json.dumps(job, separators=(",", ":")).encode()
    assert len(body) == BODY_SIZE, len(body)
    return body


BODY = _body()
JSON_HEADERS = {"Content-Type": "application/json", "Content-Length": str(len(BODY))}


async def _fixed(request: Request) -> Response:
    return Response(BODY, media_type="application/json")


# Every path and method the benchmarks send, one fixed answer.
app = Starlette(routes=[Route("/{path:path}", _fixed, methods=["GET", "POST", "DELETE"])])
