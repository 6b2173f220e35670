"""In-process doors: one image generation through the fake vs the same call to a bare route.

Each measurement is a block of back-to-back ``POST /v1/hosting/media/image`` calls; blocks of
the baseline and the candidate alternate and their medians are compared (target: the door
costs at most 1.5x the bare route).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx
import requests
import respx

from mock_media import MockMedia, WireRequest, WireResponse
from mock_media.adapters.respx_router import build_router

from .baseline import bare_patch_requests, bare_router, bare_session
from .common import (
    API,
    BENCH_ACCOUNT,
    BENCH_KEY,
    IMAGE_PATH,
    Row,
    Settings,
    alternate,
    per_call_us,
    timing_row,
)

SECTION = "in-process"
LIMIT = 1.5
URL = API + IMAGE_PATH
HEADERS = {"X-API-Key": BENCH_KEY}
PAYLOAD = {"prompt": "a cat"}
CALLS = 200  # per block


def bench_fake() -> MockMedia:
    """A fresh fake with the bench account (nothing is refused)."""
    fake = MockMedia(api_key=BENCH_KEY)
    account = dict(BENCH_ACCOUNT)
    fake.register_account(account.pop("api_key"), account.pop("plan"), account.pop("balance_usd"), **account)
    return fake


def _check(response: httpx.Response | requests.Response) -> None:
    if response.status_code != 200:
        raise RuntimeError(f"expected 200, got {response.status_code}: {response.text[:200]}")


def _httpx_sync_block(router_factory: Callable[[], respx.MockRouter]) -> Callable[[], float]:
    client = httpx.Client()

    def block() -> float:
        with router_factory():
            _check(client.post(URL, headers=HEADERS, json=PAYLOAD))
            return per_call_us(lambda: client.post(URL, headers=HEADERS, json=PAYLOAD), CALLS)

    return block


def _httpx_async_block(
    router_factory: Callable[[], respx.MockRouter], loop: asyncio.AbstractEventLoop
) -> Callable[[], float]:
    client = httpx.AsyncClient()

    async def run() -> float:
        _check(await client.post(URL, headers=HEADERS, json=PAYLOAD))
        start = time.thread_time_ns()
        for _ in range(CALLS):
            await client.post(URL, headers=HEADERS, json=PAYLOAD)
        return (time.thread_time_ns() - start) / CALLS / 1000

    def block() -> float:
        with router_factory():
            return loop.run_until_complete(run())

    return block


def run(settings: Settings) -> list[Row]:
    """The in-process rows."""
    rows: list[Row] = []
    rounds = settings.rounds

    fake = bench_fake()
    base, cand = alternate(_httpx_sync_block(bare_router), _httpx_sync_block(fake.router), rounds)
    rows.append(timing_row(SECTION, "respx door, httpx.Client", base, cand, limit=LIMIT))

    fake = bench_fake()
    loop = asyncio.new_event_loop()
    try:
        base, cand = alternate(
            _httpx_async_block(bare_router, loop), _httpx_async_block(fake.router, loop), rounds
        )
    finally:
        loop.close()
    rows.append(timing_row(SECTION, "respx door, httpx.AsyncClient", base, cand, limit=LIMIT))

    fake = bench_fake()
    bare, door = bare_session(), fake.session()
    _check(door.post(URL, headers=HEADERS, json=PAYLOAD))
    base, cand = alternate(
        lambda: per_call_us(lambda: bare.post(URL, headers=HEADERS, json=PAYLOAD), CALLS),
        lambda: per_call_us(lambda: door.post(URL, headers=HEADERS, json=PAYLOAD), CALLS),
        rounds,
    )
    rows.append(timing_row(SECTION, "requests door, fake.session()", base, cand, limit=LIMIT))

    fake = bench_fake()

    def patched_base() -> float:
        with bare_patch_requests():
            return per_call_us(lambda: requests.post(URL, headers=HEADERS, json=PAYLOAD), CALLS)

    def patched_cand() -> float:
        with fake.patch_requests():
            return per_call_us(lambda: requests.post(URL, headers=HEADERS, json=PAYLOAD), CALLS)

    base, cand = alternate(patched_base, patched_cand, rounds)
    rows.append(timing_row(SECTION, "requests door, patch_requests + requests.post", base, cand, limit=LIMIT))

    # Diagnostics: the door with a handler that costs nothing (the fake's own answer, fixed),
    # and the fake's handler with no door; together they split the door's ratio.
    fake = bench_fake()
    request = WireRequest.build("POST", IMAGE_PATH, headers=HEADERS, body=b'{"prompt": "a cat"}')
    fixed = fake.handler(request)

    def instant_door() -> respx.MockRouter:
        return build_router(lambda wire: WireResponse(fixed.status, dict(fixed.headers), fixed.body))

    base, cand = alternate(_httpx_sync_block(bare_router), _httpx_sync_block(instant_door), rounds)
    row = timing_row(
        SECTION, "(respx door over an instant handler, vs bare respx route)", base, cand, limit=LIMIT
    )
    row.passed, row.target = None, "-"
    row.detail = "the door alone: respx side_effect route, to_wire, to_response"
    rows.append(row)

    fake = bench_fake()
    base, cand = alternate(
        _httpx_sync_block(bare_router),
        lambda: per_call_us(lambda: fake.handler(request), CALLS),
        rounds,
    )
    row = timing_row(SECTION, "(wire handler alone, vs bare respx+httpx.Client)", base, cand, limit=LIMIT)
    row.passed, row.target = None, "-"
    row.detail = "the fake alone: its wire handler, no door"
    rows.append(row)
    alone = row.candidate

    # The handler costs more in place than alone: between two of its calls the client, respx
    # and httpx run, and evict its code and data from the CPU's caches.
    fake = bench_fake()
    base, cand = alternate(_httpx_sync_block(instant_door), _httpx_sync_block(fake.router), rounds)
    name = "(respx door over the fake, vs over an instant handler)"
    row = timing_row(SECTION, name, base, cand, limit=LIMIT)
    row.passed, row.target = None, "-"
    row.detail = f"the handler in place: {row.candidate - row.baseline:.0f} us per call, {alone:.0f} us alone"
    rows.append(row)
    return rows
