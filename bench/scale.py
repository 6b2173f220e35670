"""Scale: list, status and delete through the wire handler with 100 vs 100,000 stored media
per account (target: within 2x), and memory: resident bytes per stored job, and the journal
bounded at its cap (both in fresh processes, see ``bench/memory.py``).

The stores are filled through the wire handler with ``n=4`` images per request. Deletes take
random media; after each block the deleted count is generated again (untimed), so both stores
keep their size.
"""

from __future__ import annotations

import json
import random
import subprocess
import time
from collections.abc import Callable
from typing import Any

from mock_media import MockMedia, WireRequest
from mock_media.core.assumptions import JOURNAL_CAP

from .common import BENCH_KEY, IMAGE_PATH, PYTHON, ROOT, Row, Settings, alternate, per_call_us, timing_row
from .inprocess import bench_fake

SECTION = "scale"
LIMIT = 2.0
SMALL = 100
HEADERS = {"X-API-Key": BENCH_KEY}
FILL = WireRequest.build("POST", IMAGE_PATH, headers=HEADERS, body=b'{"prompt": "a cat", "n": 4}')
LIST = WireRequest.build("GET", "/v1/hosting/media", query="limit=50", headers=HEADERS)


def filled(media: int) -> tuple[MockMedia, float]:
    """A fake whose bench account holds ``media`` images; and microseconds per fill request."""
    fake = bench_fake()
    requests = media // 4
    start = time.perf_counter_ns()
    for _ in range(requests):
        answer = fake.handler(FILL)
        if answer.status != 200:
            raise RuntimeError(f"fill refused: {answer.status} {answer.body[:200]!r}")
    return fake, (time.perf_counter_ns() - start) / requests / 1000


def _ids(fake: MockMedia) -> tuple[list[str], list[str]]:
    store = fake.backend.store
    return list(store.jobs), list(store.media)


class Probe:
    """Timed blocks of one operation against one fake."""

    def __init__(self, fake: MockMedia, seed: int) -> None:
        self.fake = fake
        self.rng = random.Random(seed)

    def list_block(self) -> float:
        handler = self.fake.handler
        return per_call_us(lambda: handler(LIST), 200)

    def status_block(self) -> float:
        jobs, _ = _ids(self.fake)
        picks = iter(
            [
                WireRequest.build("GET", f"/v1/hosting/media/{job}", headers=HEADERS)
                for job in self.rng.choices(jobs, k=500)
            ]
        )
        handler = self.fake.handler
        return per_call_us(lambda: handler(next(picks)), 500)

    def delete_block(self) -> float:
        _, media = _ids(self.fake)
        count = 20
        picks = iter(
            [
                WireRequest.build("DELETE", f"/v1/hosting/media/{media_id}", headers=HEADERS)
                for media_id in self.rng.sample(media, count)
            ]
        )
        handler = self.fake.handler

        def delete() -> None:
            if handler(next(picks)).status != 200:
                raise RuntimeError("delete failed")

        elapsed = per_call_us(delete, count)
        for _ in range(count // 4):  # keep the store's size
            handler(FILL)
        return elapsed


def run(settings: Settings) -> list[Row]:
    """The scale and memory rows."""
    rows: list[Row] = []
    rounds = max(settings.rounds, 11)
    small, small_fill = filled(SMALL)
    large, large_fill = filled(settings.large_store)
    a, b = Probe(small, 1), Probe(large, 2)
    label = f"{SMALL} vs {settings.large_store:,} media"
    checks: list[tuple[str, Callable[[], float], Callable[[], float]]] = [
        ("list (GET /media?limit=50)", a.list_block, b.list_block),
        ("status (GET /media/{job_id})", a.status_block, b.status_block),
        ("delete (DELETE /media/{media_id})", a.delete_block, b.delete_block),
    ]
    for name, base, cand in checks:
        base_samples, cand_samples = alternate(base, cand, rounds)
        rows.append(timing_row(SECTION, f"{name}, {label}", base_samples, cand_samples, limit=LIMIT))
    rows[-1].detail = f"fill: {small_fill:.0f} vs {large_fill:.0f} us per n=4 generation"
    rows.extend(memory_rows(settings))
    return rows


def _memory(mode: str, count: int) -> dict[str, Any]:
    done = subprocess.run(
        [PYTHON, "-m", "bench.memory", mode, str(count)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bench.memory {mode} failed: {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def memory_rows(settings: Settings) -> list[Row]:
    """Bytes per stored job (vs a dict of rendered answers), and the journal's bound."""
    jobs = settings.memory_jobs
    fake, least = _memory("store", jobs), _memory("baseline", jobs)
    journal = _memory("journal", (3 if settings.quick else 5) * JOURNAL_CAP)
    to_cap, after = journal["bytes_per_request_to_cap"], journal["bytes_per_request_after_cap"]
    return [
        Row(
            SECTION,
            f"resident memory per stored image job (RSS delta over {jobs:,} jobs)",
            "bytes/job",
            least["bytes_per_job"],
            fake["bytes_per_job"],
            "-",
            None,
            "baseline: a dict of job id to its rendered JSON",
            {"baseline": least, "candidate": fake},
        ),
        Row(
            SECTION,
            f"journal bounded: RSS growth per request past 2x its cap ({journal['cap']:,}) vs up to it",
            "bytes/req",
            to_cap,
            after,
            "<= 0.05x",
            after <= 0.05 * to_cap,
            f"{journal['requests']:,} requests, {journal['kept']:,} kept; "
            f"RSS {journal['points'][0][1] / 2**20:.0f} -> {journal['points'][-1][1] / 2**20:.0f} MiB",
            journal,
        ),
    ]
