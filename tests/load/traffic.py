"""Mixed API traffic for the load tests, and the audit that holds the fake's books against what
the clients saw.

A few accounts on small plans each receive image and video generations (some invalid),
status polls (some of another account's jobs), lists, file downloads (any account's: the
URLs are public) and deletes, in waves. The fake's virtual clock stands still during a wave
and moves to a later minute between waves, through the admin API, so each wave is exactly one
rate-limit window of every account. The audit then proves, from the journal, the admin API and
the clients' own tally: every request journaled once, no 5xx but the ones scripted, each
window's limiter exact, every balance exact to the cent.
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx

from tests.doc_tables import API_PREFIX, DOC_IMAGE_PRICE, DOC_PLANS, DOC_VIDEO_PRICE_PER_SECOND, IMAGE_PATH
from tests.doc_tables import VIDEO_PATH as VIDEO_ROUTE

from .harness import usd

WINDOW_SECONDS = 60  # decision 7: fixed one-minute windows aligned to the minute
LIMITS = {plan: (image, video) for plan, image, video, _ in DOC_PLANS}
GENERATIONS = ("generate_image", "generate_video")
# Downloads with a body come from this many files of each format (see Traffic.plan).
SAMPLES = {"webp": 8, "mp4": 4}


@dataclass(frozen=True)
class Tenant:
    """An account the traffic uses, and the trouble armed for it through the admin API."""

    key: str
    plan: str
    balance: Decimal
    failing_requests: int = 0  # its next image generations answered 500 generation_failed
    failing_videos: int = 0  # its next accepted videos end failed, and are refunded

    @property
    def image_rpm(self) -> int:
        return LIMITS[self.plan][0]

    @property
    def video_rpm(self) -> int:
        return LIMITS[self.plan][1]

    def limit(self, operation: str) -> int:
        return self.image_rpm if operation == "generate_image" else self.video_rpm


# Small plans, so that demand passes every limit; one account runs dry (402s) within a wave.
TENANTS = (
    Tenant("load-starter-a", "starter", Decimal("900.00"), failing_videos=1),
    Tenant("load-starter-b", "starter", Decimal("1.00")),
    Tenant("load-starter-c", "starter", Decimal("900.00"), failing_requests=3),
    Tenant("load-pro", "pro", Decimal("900.00")),
)


@dataclass(frozen=True)
class Call:
    """One request the traffic sends, and what its answer must be."""

    method: str
    url: str
    operation: str
    account: str  # whose journal entry it makes: the sender's, or a downloaded file's owner
    headers: dict[str, str]
    body: bytes = b""
    price: Decimal | None = None  # a generation that must cost exactly this if it is accepted
    foreign: bool = False  # another account's job or media: must be 404 not_found (decision 4)


Admin = Callable[..., Awaitable[Any]]


def admin_over(client: httpx.AsyncClient, base: str = "") -> Admin:
    """``await admin(method, path, body=None, **query)`` for the ``/_mock`` API; must be 200."""

    async def admin(method: str, path: str, body: Any = None, **params: Any) -> Any:
        reply = await client.request(method, f"{base}/_mock{path}", json=body, params=params or None)
        assert reply.status_code == 200, (method, path, reply.status_code, reply.text[:500])
        return reply.json() if reply.headers["content-type"] == "application/json" else reply.text

    return admin


@dataclass
class Traffic:
    """The traffic's plan and the clients' own tally of what they sent and were answered.

    Args:
        api_base: scheme and host the API calls go to ("" for a client with a base URL).
    """

    api_base: str = ""
    tenants: Sequence[Tenant] = TENANTS
    # (account, operation, status) of every answer; a file gone has no account to journal under
    sent: Counter[tuple[str | None, str, int]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # transport errors and wrong answers
    jobs: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    videos: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    media: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    files: list[tuple[str, str, str]] = field(default_factory=list)  # (owner, url, format)
    samples: list[tuple[str, str, str]] = field(default_factory=list)  # the files GET downloads
    seen_media: set[str] = field(default_factory=set)

    # --- setting up ---------------------------------------------------------------------------
    async def arm(self, admin: Admin) -> None:
        """Register every tenant (plan, balance) and arm its scripted failures."""
        for tenant in self.tenants:
            body = {"api_key": tenant.key, "plan": tenant.plan, "balance_usd": str(tenant.balance)}
            await admin("POST", "/accounts", body)
            if tenant.failing_requests:
                rule = {"kind": "image", "times": tenant.failing_requests, "account": tenant.key}
                await admin("POST", "/faults", rule)
            if tenant.failing_videos:
                rule = {"stage": "job", "times": tenant.failing_videos, "account": tenant.key}
                await admin("POST", "/faults", rule)

    # --- planning -----------------------------------------------------------------------------
    def plan(self, rng: random.Random, tenant: Tenant) -> Call:
        """The next request of a client of ``tenant``, chosen from what the traffic knows now."""
        key = tenant.key
        auth = {"X-API-Key": key}
        item = f"{self.api_base}{API_PREFIX}/"
        roll = rng.random()
        if roll < 0.35:
            return self._image(rng, key)
        if roll < 0.45:
            duration = rng.randint(1, 5)
            body = {"prompt": f"a crab, take {rng.randint(1, 99)}", "duration_seconds": duration}
            price = DOC_VIDEO_PRICE_PER_SECOND["standard"] * duration
            return self._post(VIDEO_ROUTE, "generate_video", key, body, price)
        if roll < 0.65:
            others = [t.key for t in self.tenants if t.key != key and self.jobs[t.key]]
            if others and rng.random() < 0.2:
                job_id = rng.choice(self.jobs[rng.choice(others)])
                return Call("GET", item + job_id, "get_job", key, auth, foreign=True)
            job_id = rng.choice(self.jobs[key]) if self.jobs[key] else "img_000000000000"
            return Call("GET", item + job_id, "get_job", key, auth)
        if 0.80 <= roll < 0.95 and self.files:
            # Any account's file: the URLs are public. Bodies come from the first few files
            # only (each file's picture is drawn once, then cached); the rest answer HEAD.
            owner, url, form = rng.choice(self.files)
            headers = {"X-API-Key": key} if rng.random() < 0.5 else {}
            if rng.random() < 0.5:
                owner, url, form = rng.choice(self.samples)
                if form == "mp4":  # a player's first range request, not the whole 8 MB
                    headers["Range"] = "bytes=0-4095"
                return Call("GET", url, "get_file", owner, headers)
            return Call("HEAD", url, "get_file", owner, headers)
        if roll >= 0.95 and self.media[key]:
            others = [t.key for t in self.tenants if t.key != key and self.media[t.key]]
            if others and rng.random() < 0.2:
                media_id = rng.choice(self.media[rng.choice(others)])
                return Call("DELETE", item + media_id, "delete_media", key, auth, foreign=True)
            return Call("DELETE", item + rng.choice(self.media[key]), "delete_media", key, auth)
        query = f"?limit={rng.randint(1, 10)}" + rng.choice(["", "", "&type=image", "&type=video"])
        return Call("GET", f"{self.api_base}{API_PREFIX}{query}", "list_media", key, auth)

    def _image(self, rng: random.Random, key: str) -> Call:
        quality = rng.choice(["standard", "standard", "standard", "hd"])
        n = rng.choice([1, 1, 1, 2, 4])
        body: dict[str, Any] = {"prompt": f"a cat, take {rng.randint(1, 99)}", "quality": quality, "n": n}
        body["aspect_ratio"] = rng.choice(["1:1", "16:9", "9:16", "4:3", "3:4"])
        if rng.random() < 0.1:
            body["aspect_ratio"] = "2:1"  # 400 invalid_parameter: still uses its slot (decision 14)
            return self._post(IMAGE_PATH, "generate_image", key, body, None)
        return self._post(IMAGE_PATH, "generate_image", key, body, DOC_IMAGE_PRICE[quality] * n)

    def _post(self, path: str, operation: str, key: str, body: Any, price: Decimal | None) -> Call:
        headers = {"X-API-Key": key, "Content-Type": "application/json"}
        return Call("POST", self.api_base + path, operation, key, headers, json.dumps(body).encode(), price)

    def final_polls(self) -> list[Call]:
        """One status poll of every accepted video, once all are finished: the journal then
        says which failed (and were refunded)."""
        return [
            Call("GET", f"{self.api_base}{API_PREFIX}/{job_id}", "get_job", key, {"X-API-Key": key})
            for key, job_ids in self.videos.items()
            for job_id in job_ids
        ]

    # --- sending and tallying -----------------------------------------------------------------
    async def send(self, client: httpx.AsyncClient, call: Call) -> None:
        """Send one call, tally its answer, learn the jobs and files it reveals."""
        try:
            reply = await client.request(call.method, call.url, headers=call.headers, content=call.body)
        except httpx.HTTPError as exc:
            self.problems.append(f"{call.method} {call.url}: {exc!r}")
            return
        self.record(call, reply.status_code, reply.content)

    def record(self, call: Call, status: int, body: bytes) -> None:
        """Tally one answer; a problem if it breaks a rule the client can check alone."""
        # A file that is gone has no owner to journal it under.
        account = None if call.operation == "get_file" and status == 404 else call.account
        self.sent[(account, call.operation, status)] += 1
        where = f"{call.method} {call.url} as {call.account}"
        if call.foreign:
            code = json.loads(body)["error"]["code"] if status == 404 else None
            if (status, code) != (404, "not_found"):
                self.problems.append(f"{where}: another account's item answered {status}")
            return
        if status != 200 or call.operation in ("get_file", "list_media", "delete_media"):
            return
        data = json.loads(body, parse_float=Decimal)
        if call.operation in GENERATIONS:
            if call.price is None or data["cost_usd"] != call.price:
                self.problems.append(f"{where}: cost {data['cost_usd']}, expected {call.price}")
            self.jobs[call.account].append(data["job_id"])
            if call.operation == "generate_video":
                self.videos[call.account].append(data["job_id"])
        self._learn(call.account, data.get("outputs") or [])

    def _learn(self, owner: str, outputs: list[dict[str, Any]]) -> None:
        for output in outputs:
            if output["media_id"] not in self.seen_media:
                self.seen_media.add(output["media_id"])
                self.media[owner].append(output["media_id"])
                file = (owner, output["url"], output["format"])
                self.files.append(file)
                if sum(f[2] == file[2] for f in self.samples) < SAMPLES[file[2]]:
                    self.samples.append(file)

    @property
    def total(self) -> int:
        """Requests answered (transport errors are problems, counted apart)."""
        return sum(self.sent.values())


async def drive(
    traffic: Traffic,
    admin: Admin,
    wave: Callable[[int], Awaitable[None]],
    send_all: Callable[[list[Call]], Awaitable[None]],
    seconds: float,
    min_waves: int = 3,
) -> list[dict[str, Any]]:
    """Run waves for ``seconds`` (at least ``min_waves``), each in its own rate-limit window,
    then poll every video once; returns every journal entry, gathered wave by wave (so that
    the journal's cap can never hide one)."""
    entries: list[dict[str, Any]] = []

    async def collect() -> None:
        since = entries[-1]["seq"] if entries else 0
        entries.extend((await admin("GET", "/journal", since=since))["entries"])

    deadline = time.monotonic() + seconds
    number = 0
    while number < min_waves or time.monotonic() < deadline:
        await wave(number)
        await collect()
        # Every video accepted so far finishes, then time moves to the start of a new minute.
        await admin("POST", "/clock/finish-videos")
        epoch = (await admin("GET", "/clock"))["epoch"]
        await admin("POST", "/clock/advance", {"seconds": WINDOW_SECONDS - epoch % WINDOW_SECONDS})
        number += 1
    await send_all(traffic.final_polls())
    await collect()
    return entries


async def gather_calls(traffic: Traffic, client: httpx.AsyncClient, calls: list[Call]) -> None:
    """Every call at once on one client."""
    await asyncio.gather(*(traffic.send(client, call) for call in calls))


# --- the audit ----------------------------------------------------------------------------------
def audit(
    traffic: Traffic,
    entries: list[dict[str, Any]],
    accounts: dict[str, dict[str, Any]],
    export: str,
) -> None:
    """Hold the fake's books against the clients' tally (see the module's docstring)."""
    assert traffic.problems == [], traffic.problems[:20]
    tenants = {t.key: t for t in traffic.tenants}

    # Every request the clients were answered is journaled exactly once, and nothing else is.
    seqs = [e["seq"] for e in entries]
    assert seqs == list(range(1, len(entries) + 1)), "the journal skipped or repeated a request"
    assert len(entries) == traffic.total
    journaled = Counter((e["account"], e["operation"], e["status"]) for e in entries)
    assert journaled == traffic.sent, (journaled - traffic.sent, traffic.sent - journaled)
    assert set(accounts) == set(tenants), "an account was opened that no tenant registered"

    # The export holds the newest of them, word for word; its header counts the rest.
    lines = [json.loads(line) for line in export.splitlines()]
    header, exported = lines[0], [line for line in lines[1:] if line["type"] == "request"]
    assert header["requests"] == len(entries)
    assert header["dropped"] == len(entries) - len(exported)
    tail = entries[len(entries) - len(exported) :]
    assert [(e["seq"], e["status"], e["response_body"]) for e in exported] == [
        (e["seq"], e["status"], e["response_body"]) for e in tail
    ]

    # No 5xx but the scripted ones: each injected, for the tenant it was armed for.
    server_errors = [e for e in entries if e["status"] >= 500]
    assert all(e["error_code"] == "generation_failed" and e["injected"] for e in server_errors), server_errors
    scripted = Counter(e["account"] for e in server_errors)
    assert scripted == Counter({t.key: t.failing_requests for t in tenants.values() if t.failing_requests})

    _audit_windows(entries, tenants)
    _audit_money(entries, accounts, tenants)


def _audit_windows(entries: list[dict[str, Any]], tenants: dict[str, Tenant]) -> None:
    """Per account, model and window: requests past the limiter = min(demand, plan limit)."""
    demand: Counter[tuple[str, str, int]] = Counter()
    passed: Counter[tuple[str, str, int]] = Counter()
    for e in entries:
        if e["operation"] in GENERATIONS:
            window = (e["account"], e["operation"], int(e["time"] // WINDOW_SECONDS))
            demand[window] += 1
            if e["status"] == 429:
                assert e["error_code"] == "rate_limit_exceeded"
                headers = {k.lower(): v for k, v in e["response_headers"].items()}
                assert headers["x-ratelimit-remaining"] == "0"
                assert int(headers["retry-after"]) >= 1
            else:
                passed[window] += 1
    assert demand, "no generation was sent"
    for window, wanted in demand.items():
        limit = tenants[window[0]].limit(window[1])
        assert passed[window] == min(wanted, limit), (window, wanted, passed[window], limit)
    # The interesting case happened for everybody: demand past a limit in some window.
    saturated = {key for (key, operation, _), n in demand.items() if n > tenants[key].limit(operation)}
    assert saturated == set(tenants), saturated


def _audit_money(
    entries: list[dict[str, Any]], accounts: dict[str, dict[str, Any]], tenants: dict[str, Tenant]
) -> None:
    """Balance = start - charges (cost_usd of accepted generations) + refunds (failed videos)."""
    charges: Counter[str] = Counter()
    charged: dict[str, Decimal] = defaultdict(Decimal)
    video_cost: dict[str, tuple[str, Decimal]] = {}
    final_status: dict[str, str] = {}
    for e in entries:
        accepted = e["operation"] in GENERATIONS and e["status"] == 200
        assert (e["cost_usd"] is not None) == accepted, e  # a refused request costs nothing
        if accepted:
            charged[e["account"]] += usd(e["cost_usd"])
            charges[e["account"]] += 1
            if e["operation"] == "generate_video":
                video_cost[e["job_id"]] = (e["account"], usd(e["cost_usd"]))
        if e["operation"] == "get_job" and e["status"] == 200 and e["job_id"] in video_cost:
            final_status[e["job_id"]] = json.loads(e["response_body"])["status"]
    refunded: dict[str, Decimal] = defaultdict(Decimal)
    failed: Counter[str] = Counter()
    for job_id, (key, cost) in video_cost.items():
        assert final_status.get(job_id) in ("completed", "failed"), (job_id, final_status.get(job_id))
        if final_status[job_id] == "failed":
            refunded[key] += cost
            failed[key] += 1
    accepted_videos = Counter(key for key, _ in video_cost.values())
    for key, tenant in tenants.items():
        view = accounts[key]
        assert failed[key] == min(tenant.failing_videos, accepted_videos[key]), key
        assert usd(view["balance_usd"]) == tenant.balance - charged[key] + refunded[key], (key, view)
        assert usd(view["spent_usd"]) == charged[key] - refunded[key], (key, view)
        assert usd(view["refunded_usd"]) == refunded[key], (key, view)
        assert view["processing_jobs"] == 0
    assert all(charges[t] for t in tenants), charges
