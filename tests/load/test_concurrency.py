"""Many clients at once: 64 keep-alive clients against a real ``mock-media serve`` over
loopback, and 1,000 concurrent ``httpx.AsyncClient`` requests in process. Whatever the
interleaving, the fake's books must balance: see ``tests/load/traffic.py``."""

from __future__ import annotations

import asyncio
import random
from contextlib import AsyncExitStack

import httpx
import pytest

from mock_media import MockMedia
from tests.doc_tables import MEDIA_HOST
from tests.doors import API_HOST, ssl_context

from .harness import Server, load_seconds
from .traffic import TENANTS, Call, Traffic, admin_over, audit, drive, gather_calls

pytestmark = pytest.mark.load

CLIENTS = 64
PER_CLIENT = 8  # requests each client sends, one after another, in a wave
CONCURRENT = 1000  # requests in flight at once in process, per wave


def test_standalone_server__64_clients__every_request_journaled_limits_exact_books_balance(
    live: Server,
) -> None:
    asyncio.run(_against_server(live))


async def _against_server(server: Server) -> None:
    traffic = Traffic()
    async with AsyncExitStack() as stack:

        def client() -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=server.url, timeout=30, verify=ssl_context())

        admin = admin_over(await stack.enter_async_context(client()))
        await admin("POST", "/reset")
        await traffic.arm(admin)
        clients = [await stack.enter_async_context(client()) for _ in range(CLIENTS)]

        async def one_client(wave: int, index: int) -> None:
            rng = random.Random(f"server-{wave}-{index}")
            tenant = TENANTS[index % len(TENANTS)]
            for _ in range(PER_CLIENT):
                await traffic.send(clients[index], traffic.plan(rng, tenant))

        async def wave(number: int) -> None:
            await asyncio.gather(*(one_client(number, i) for i in range(CLIENTS)))

        async def send_all(calls: list[Call]) -> None:
            for start in range(0, len(calls), CLIENTS):
                batch = zip(clients, calls[start : start + CLIENTS], strict=False)
                await asyncio.gather(*(traffic.send(c, call) for c, call in batch))

        entries = await drive(traffic, admin, wave, send_all, load_seconds())
        accounts = {a["api_key"]: a for a in (await admin("GET", "/accounts"))["accounts"]}
        export = await admin("GET", "/journal/export")
    audit(traffic, entries, accounts, export)


@pytest.mark.parametrize("through", ["transport", "respx"])
def test_in_process__1000_concurrent_requests__every_request_journaled_limits_exact_books_balance(
    through: str,
) -> None:
    """``MockMedia().async_client()`` (a MockTransport), or a plain ``httpx.AsyncClient`` under
    ``fake.router()``: the same audit as over the socket."""
    fake = MockMedia()
    if through == "respx":
        with fake.router():
            asyncio.run(_in_process(httpx.AsyncClient(verify=ssl_context(), timeout=30)))
    else:
        asyncio.run(_in_process(fake.async_client(headers={})))
    assert fake.media_base == MEDIA_HOST  # the downloads went to the doc's CDN host


async def _in_process(client: httpx.AsyncClient) -> None:
    traffic = Traffic(api_base=API_HOST)
    async with client:
        admin = admin_over(client, API_HOST)
        await traffic.arm(admin)

        async def wave(number: int) -> None:
            rng = random.Random(f"in-process-{number}")
            calls = [traffic.plan(rng, TENANTS[i % len(TENANTS)]) for i in range(CONCURRENT)]
            await gather_calls(traffic, client, calls)

        async def send_all(calls: list[Call]) -> None:
            await gather_calls(traffic, client, calls)

        entries = await drive(traffic, admin, wave, send_all, load_seconds())
        accounts = {a["api_key"]: a for a in (await admin("GET", "/accounts"))["accounts"]}
        export = await admin("GET", "/journal/export")
    audit(traffic, entries, accounts, export)
