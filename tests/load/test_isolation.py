"""Accounts never see each other's jobs or media (decision 6), through every in-process door
and a real ``mock-media serve``: another account's job or media id answers 404 not_found
exactly as an id that never existed (decision 4), lists show only one's own items, and a cursor
works only for the account it was given to (decision 25). Files are another matter: output URLs
are public CDN URLs (the doc's storage table), so anybody holding one downloads it, key or no
key, until its owner deletes the media (decision 13: then it is 404 for everybody).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
from urllib.parse import urlsplit

import pytest

from tests.doc_tables import API_PREFIX
from tests.doors import Api, Reply
from tests.helpers import assert_error

from .harness import Server, usd

pytestmark = pytest.mark.load

OWNER, OTHER = "isolation-owner", "isolation-other"
UNKNOWN_JOB, UNKNOWN_MEDIA = "img_000000000000", "media_000000000000"
Headers = Mapping[str, str] | None
Query = Mapping[str, Any] | None


class Door(Protocol):
    """What the scenario needs of a way in: requests, the clock, one account's journal."""

    def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None,
        json: Any = None,
        headers: Headers = None,
        params: Query = None,
    ) -> Reply: ...

    def advance(self, seconds: float) -> None: ...

    def journal(self, key: str) -> list[tuple[str | None, int]]: ...

    def money(self, key: str) -> tuple[Decimal, Decimal]: ...


@dataclass
class InProcess:
    """A door of ``tests/doors.py`` (wire, ASGI, live thread, respx, httpx2, requests)."""

    api: Api

    def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None,
        json: Any = None,
        headers: Headers = None,
        params: Query = None,
    ) -> Reply:
        return self.api.request(method, path, key=key, json=json, headers=headers, params=params)

    def advance(self, seconds: float) -> None:
        self.api.advance(seconds)

    def journal(self, key: str) -> list[tuple[str | None, int]]:
        return [(e.operation, e.status) for e in self.api.backend.journal.query(account=key)]

    def money(self, key: str) -> tuple[Decimal, Decimal]:
        account = self.api.backend.accounts[key]
        return account.balance, account.spent


@dataclass
class Standalone:
    """The load package's ``mock-media serve`` subprocess, through its socket and admin API."""

    server: Server

    def request(
        self,
        method: str,
        path: str,
        *,
        key: str | None,
        json: Any = None,
        headers: Headers = None,
        params: Query = None,
    ) -> Reply:
        sent = {"X-API-Key": key} if key is not None else {}
        sent.update(headers or {})
        r = self.server.client.request(method, path, json=json, headers=sent, params=params)
        return Reply(r.status_code, {k.lower(): v for k, v in r.headers.items()}, r.content)

    def advance(self, seconds: float) -> None:
        self.server.admin("POST", "/clock/advance", {"seconds": seconds})

    def journal(self, key: str) -> list[tuple[str | None, int]]:
        return [(e["operation"], e["status"]) for e in self.server.entries(key)]

    def money(self, key: str) -> tuple[Decimal, Decimal]:
        account = self.server.admin("GET", f"/accounts/{key}")
        return usd(account["balance_usd"]), usd(account["spent_usd"])


def test_isolation__through_every_in_process_door(api: Api) -> None:
    isolation_scenario(InProcess(api), OWNER, OTHER)


def test_isolation__through_the_standalone_server(live: Server) -> None:
    isolation_scenario(Standalone(live), OWNER + "-served", OTHER + "-served")


def isolation_scenario(door: Door, owner: str, other: str) -> None:
    """The owner makes two pictures and a video; the other account makes one picture, then
    tries every way to read, list, page or delete the owner's, and downloads its files."""
    image = door.request("POST", f"{API_PREFIX}/image", key=owner, json={"prompt": "a cat", "n": 2}).json()
    video = door.request("POST", f"{API_PREFIX}/video", key=owner, json={"prompt": "a crab"}).json()
    mine = door.request("POST", f"{API_PREFIX}/image", key=other, json={"prompt": "a dog"}).json()
    assert_refused(door, other, "GET", video["job_id"], UNKNOWN_JOB)  # still processing
    door.advance(120)
    video = door.request("GET", f"{API_PREFIX}/{video['job_id']}", key=owner).json()
    assert video["status"] == "completed"
    outputs = [*image["outputs"], *video["outputs"]]
    theirs = {o["media_id"] for o in outputs}
    assert {m["media_id"] for m in list_all(door, owner, {})} == theirs
    cursor = door.request("GET", API_PREFIX, key=owner, params={"limit": 1}).json()["next_cursor"]
    owner_journal, owner_money = door.journal(owner), door.money(owner)

    # Status, delete: another account's id is 404 not_found, as if it never existed.
    for job_id in (image["job_id"], video["job_id"]):
        assert_refused(door, other, "GET", job_id, UNKNOWN_JOB)
        assert_refused(door, other, "DELETE", job_id, UNKNOWN_MEDIA)
    for media_id in theirs:
        assert_refused(door, other, "DELETE", media_id, UNKNOWN_MEDIA)
        assert_refused(door, other, "GET", media_id, UNKNOWN_JOB)
    # Decision 6: a Bearer token is tried first; the owner's X-API-Key beside it changes nothing.
    both = {"Authorization": f"Bearer {other}", "X-API-Key": owner}
    reply = door.request("GET", f"{API_PREFIX}/{image['job_id']}", key=None, headers=both)
    assert_error(reply, 404, "not_found")

    # Lists: only one's own media, whatever the filter or page size.
    listed = {m["media_id"] for m in list_all(door, other, {})}
    assert listed == {o["media_id"] for o in mine["outputs"]}
    for kind in ("image", "video"):
        assert {m["media_id"] for m in list_all(door, other, {"type": kind})}.isdisjoint(theirs)
    # Decision 25: a cursor belongs to its account.
    reply = door.request("GET", API_PREFIX, key=other, params={"limit": 1, "cursor": cursor})
    assert_error(reply, 400, "invalid_parameter", param="cursor")

    # Files: public URLs. Anybody downloads the same bytes, with a key, another's, or none;
    # no X-RateLimit headers (no account is metered), journaled as the owner's download.
    for output in outputs:
        path = urlsplit(output["url"]).path
        bodies = set()
        for sender in (other, None, owner):
            reply = door.request("GET", path, key=sender, headers={"Range": "bytes=0-1023"})
            assert reply.status == 206, reply.body[:300]
            assert not [h for h in reply.headers if h.startswith("x-ratelimit")]
            bodies.add(reply.body)
        assert len(bodies) == 1

    # Nothing the other account did touched the owner: journal (but the downloads), money, items.
    downloads = [("get_file", 206)] * 3 * len(outputs)
    assert door.journal(owner) == owner_journal + downloads
    assert door.money(owner) == owner_money
    assert door.money(other)[1] == Decimal("0.04")
    still = door.request("GET", f"{API_PREFIX}/{image['job_id']}", key=owner).json()
    assert still["outputs"] == image["outputs"]
    refused = [entry for entry in door.journal(other) if entry[1] in (400, 404)]
    # Each assert_refused sent two (the owner's id, an unknown one); then the Bearer, the cursor.
    assert len(refused) == 2 * (1 + 2 * 2 + 2 * len(theirs)) + 2  # every refusal is the other's

    # Once the owner deletes a media, its URL is gone for everybody (decision 13).
    gone = image["outputs"][0]
    assert door.request("DELETE", f"{API_PREFIX}/{gone['media_id']}", key=owner).status == 200
    for sender in (other, None, owner):
        assert_error(door.request("GET", urlsplit(gone["url"]).path, key=sender), 404, "not_found")


def assert_refused(door: Door, key: str, method: str, item_id: str, unknown_id: str) -> None:
    """404 not_found, worded exactly as for an id that never existed: no existence oracle."""
    reply = door.request(method, f"{API_PREFIX}/{item_id}", key=key)
    body = assert_error(reply, 404, "not_found")
    never = assert_error(door.request(method, f"{API_PREFIX}/{unknown_id}", key=key), 404, "not_found")
    assert body["detail"].replace(item_id, unknown_id) == never["detail"]


def list_all(door: Door, key: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    """Every page of ``GET /media`` for ``key``, two items a page."""
    items: list[dict[str, Any]] = []
    query = {**params, "limit": 2}
    while True:
        page = door.request("GET", API_PREFIX, key=key, params=query)
        assert page.status == 200, page.body
        data = page.json()
        items.extend(data["media"])
        if data["next_cursor"] is None:
            return items
        query["cursor"] = data["next_cursor"]
