"""MediaBackend: the one root object that owns all of the fake's state and behaviour.

Each API operation is a method here, free of HTTP: the wire layer parses and renders, this
decides. Checks run in decision 14's order: credentials, rate limiter, body and parameters,
balance, injected faults, success. Videos are settled lazily: before every operation, the
jobs whose time has come on the clock (kept in a heap, so only due jobs are touched) become
``completed`` or ``failed``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import hmac
import math
import random
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .accounts import Account, parse_usd, plan_limits
from .assumptions import (
    CUSTOM_LIMIT_FIELDS,
    JOURNAL_MAX_BYTES,
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    LIST_LIMIT_MIN,
    MAX_ADVANCE_SECONDS,
    MAX_EPOCH,
)
from .clock import Clock, ManualClock, SystemClock, iso8601
from .config import MockConfig
from .content import FileSpec, Renderer, StdlibRenderer, seeded_content_seed, size_bytes
from .errors import (
    ApiError,
    InsufficientBalance,
    InvalidParameter,
    NotFound,
    RateLimitExceeded,
)
from .facts import FORMAT, GENERATED_DIR, JOB_PREFIX, MEDIA_PREFIX, JobStatus, Kind, Limits
from .faults import Faults, FaultSource, GenerationContext
from .ids import IdFactory
from .journal import Journal
from .ratelimit import RateState
from .requests import GenerationRequest, ImageRequest, VideoRequest
from .scenario import Effects, Scenario, ScenarioRun
from .store import Job, Media, Store
from .validation import Moderation, parse_json_object, parse_query_int, validate


@dataclass(frozen=True, slots=True)
class Page:
    """One page of ``GET /media``."""

    items: list[Media]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class Accepted:
    """A generation the backend accepted, with the fields it ignored (decision 5)."""

    job: Job
    ignored_fields: tuple[str, ...]


class MediaBackend:
    """The fake Media API's state and operations.

    Args:
        config: settings; ``reset()`` rebuilds from it.
        clock: an injected clock that outlives resets (default: one built from ``config``).
        renderer: makes the files' bytes when they are downloaded, and outlives resets
            (default: ``StdlibRenderer``, one-colour pictures; ``MockMedia`` and the server use
            ``mock_media.media.default_renderer()``, which draws them with Pillow).
    """

    def __init__(
        self,
        config: MockConfig | None = None,
        *,
        clock: Clock | None = None,
        renderer: Renderer | None = None,
    ) -> None:
        self.config = config or MockConfig()
        self._injected_clock = clock
        self.renderer: Renderer = renderer or StdlibRenderer()
        self._scenario: Scenario | None = self.config.scenario
        # One lock for every door and for direct Python calls: a test thread moving the clock
        # while a server thread answers sees one consistent state.
        self.lock = threading.RLock()
        self._pinned: float | None = None  # "now" while a request is answered (see one_instant)
        self._build()

    def _build(self) -> None:
        config = self.config
        if self._injected_clock is not None:
            self.clock: Clock = self._injected_clock
        elif config.clock == "virtual":
            self.clock = ManualClock(config.start)
        else:
            self.clock = SystemClock(config.speed)
        self.rng = random.Random(config.seed)
        self.ids = IdFactory(self.rng)
        self._cursor_key = self.rng.randbytes(16)
        self.store = Store()
        self.accounts: dict[str, Account] = {}
        self.journal = Journal(config.journal_cap, JOURNAL_MAX_BYTES)
        self.started = self.clock.now()
        self.faults = Faults(self.clock, lambda key: self.now(self.accounts.get(key)), self._note)
        self.fault_sources: list[FaultSource] = [self.faults]
        self.moderation = Moderation(config.blocked_terms)
        self._waiting: dict[str, Account] = {}  # accounts with videos processing
        self._job_seq = 0
        self._finish_seq = 0  # jobs in the order they completed: the list's order (decision 18)
        self.generation_requests = 0
        self.scenario_run: ScenarioRun | None = (
            None
            if self._scenario is None
            else ScenarioRun(self._scenario, self.config.seed, self.clock.now())
        )
        self._effects: Effects | None = None
        self._saved_limits: Limits | None = None
        # What scenario rules and injected faults did to the request in progress: rule names,
        # and the same written as one scenario action (the journal keeps both).
        self._injected: tuple[list[str], dict[str, Any]] = ([], {})
        if self._scenario is not None:
            self._note("scenario", scenario=self._scenario.to_dict())

    def _note(self, action: str, **args: Any) -> None:
        """Journal a control event (a replay makes it again at the same point)."""
        self.journal.note(action, self.clock.now(), **args)

    def session_header(self) -> dict[str, Any]:
        """What an export's first line says: the settings a replay starts a fresh fake with."""
        config = self.config
        return {
            "seed": config.seed,
            "scenario": None if self._scenario is None else self._scenario.name,
            "clock": config.clock,
            "started": iso8601(self.started),
            "started_epoch": self.started,
            "config": {
                "closed": config.closed,
                "default_plan": config.default_plan,
                "default_balance_usd": str(parse_usd(config.default_balance_usd)),
                "media_base": config.media_base,
                "strict": config.strict,
                "blocked_terms": list(config.blocked_terms),
            },
            "requests": self.journal.total,
        }

    def reset(self, *, seed: int | None = None) -> None:
        """Back to the state of a fresh start (decision 20); optionally with another seed."""
        with self.lock:
            if seed is not None:
                self.config = MockConfig(**{**_config_fields(self.config), "seed": seed})
            self._build()

    # --- scenarios --------------------------------------------------------------------------
    @property
    def scenario(self) -> Scenario | None:
        """The scripted scenario in force, if any."""
        return self._scenario

    def load_scenario(self, scenario: Scenario | None) -> None:
        """Put a scenario in force from now (its windows count from this instant), or none.

        It stays in force across ``reset()``, which restarts its counters and windows.
        """
        with self.lock:
            self._scenario = scenario
            self.scenario_run = (
                None if scenario is None else ScenarioRun(scenario, self.config.seed, self.clock.now())
            )
            self._note("scenario", scenario=None if scenario is None else scenario.to_dict())

    def begin_request(self, route: str, method: str, account: Account, body: bytes = b"") -> Effects | None:
        """Ask the scenario what it does to this request and apply what lasts beyond it.

        A latency moves a virtual clock on at once (a real clock leaves the waiting to the
        door); a plan holds for this request only, a balance is set for good. Call
        ``end_request`` once the response (and its headers) are made, whatever this returns.
        """
        account.offered += 1
        self._injected = ([], {})
        run = self.scenario_run
        if run is None:
            return None
        effects = run.effects(route, method, account.api_key, self.now(account), lambda: _prompt_of(body))
        if not effects.rules:
            return None
        self._inject(effects.rules, effects.action())
        if effects.latency and isinstance(self.clock, ManualClock):
            self.clock.advance(effects.latency)
            if self._pinned is not None:
                self._pinned = self.clock.now()
            effects.latency = 0.0
        elif effects.latency and isinstance(self.clock, SystemClock):
            effects.latency /= self.clock.speed  # seconds of the fake's clock, waited in real ones
        if effects.balance_usd is not None:
            account.balance = effects.balance_usd
        if effects.plan is not None:
            self._saved_limits = account.limits
            self._set_limits(account, plan_limits(effects.plan)[1])
        self._effects = effects
        return effects

    def end_request(self, account: Account) -> tuple[tuple[str, ...], dict[str, Any] | None]:
        """Undo what ``begin_request`` changed for one request only.

        Returns:
            What was injected into the request: the rules' names, and the same as a scenario
            action (None if nothing was).
        """
        if self._saved_limits is not None:
            self._set_limits(account, self._saved_limits)
            self._saved_limits = None
        self._effects = None
        names, action = self._injected
        self._injected = ([], {})
        return tuple(names), action or None

    def _inject(self, names: list[str], action: dict[str, Any]) -> None:
        self._injected[0].extend(names)
        self._injected[1].update(action)

    @staticmethod
    def _set_limits(account: Account, limits: Limits) -> None:
        account.limits = limits
        account.buckets[Kind.IMAGE].limit = limits.image_rpm
        account.buckets[Kind.VIDEO].limit = limits.video_rpm

    def reset_account(self, api_key: str) -> None:
        """Forget one account: its jobs, media, files, journal entries, limits, clock and the
        faults injected for it alone.

        Other accounts (and faults for everybody) are untouched, so tests sharing one server
        can each start afresh. In open mode the key opens a fresh account on its next use; in
        closed mode it must be registered again.
        """
        with self.lock:
            self.accounts.pop(api_key, None)
            self._waiting.pop(api_key, None)
            self.store.forget_account(api_key)
            self.journal.forget(api_key)
            self.faults.rules[:] = [rule for rule in self.faults.rules if rule.account != api_key]
            self._note("reset_account", api_key=api_key)

    # --- time -------------------------------------------------------------------------------
    def now(self, account: Account | None = None) -> float:
        """The fake's current instant in epoch seconds, on ``account``'s clock if given."""
        now = self.clock.now() if self._pinned is None else self._pinned
        return now if account is None else now + account.offset

    def one_instant(self) -> _OneInstant:
        """Answer one request at one instant: a real clock would otherwise move between its
        checks (a window's edge crossed between the limiter and the timestamps), which no
        replay could follow. Only a scripted latency moves it on. ``with`` gives the instant."""
        return _OneInstant(self)

    def advance(self, seconds: float, *, api_key: str | None = None) -> None:
        """Move the clock on and settle every video that became due.

        With ``api_key``, only that account's time moves (a shared server's tests each keep
        their own clock); without, everybody's does.

        Raises:
            InvalidParameter: ``seconds`` is negative, not finite, more than ten years, or
                would take the clock past what timestamps can show (``assumptions.MAX_EPOCH``).
            NotFound: ``api_key`` names no account.
        """
        if not seconds >= 0:  # NaN fails this too
            raise InvalidParameter(
                "seconds", f"time cannot go backwards: seconds must be 0 or more; got {seconds}"
            )
        if seconds > MAX_ADVANCE_SECONDS:
            raise InvalidParameter("seconds", f"seconds must be at most {MAX_ADVANCE_SECONDS}; got {seconds}")
        with self.lock:
            account = None if api_key is None else self.account(api_key)
            ahead = account.offset if account else max((a.offset for a in self.accounts.values()), default=0)
            if self.clock.now() + ahead + seconds > MAX_EPOCH:
                raise InvalidParameter("seconds", "seconds would take the clock past the year 9000")
            self._note("advance", seconds=seconds, api_key=api_key)  # dated before it moves
            if account is None:
                self.clock.advance(seconds)
            else:
                account.offset += seconds
            self.settle()

    def settle(self, account: Account | None = None) -> None:
        """Finish the videos whose processing time has passed (of one account, or all)."""
        if account is not None and not account.pending and account.api_key not in self._waiting:
            return  # nothing to finish, and nothing to forget (every request asks this)
        with self.lock:
            targets = [account] if account is not None else list(self._waiting.values())
            for target in targets:
                now = self.now(target)
                pending = target.pending
                while pending and pending[0][0] <= now:
                    _, _, job_id = heapq.heappop(pending)
                    self._finish_video(self.store.jobs[job_id])
                if not pending:
                    self._waiting.pop(target.api_key, None)

    def pending_videos(self) -> list[Job]:
        """Video jobs still processing, soonest due first."""
        with self.lock:
            return [
                self.store.jobs[job_id]
                for _, _, job_id in sorted(p for a in self._waiting.values() for p in a.pending)
            ]

    def finish_videos(self, *, api_key: str | None = None) -> list[Job]:
        """Move time on just far enough for every processing video (of one account) to finish.

        Returns:
            The jobs that were processing, now completed or failed.
        """
        with self.lock:
            self.settle()
            accounts = list(self._waiting.values()) if api_key is None else [self.account(api_key)]
            jobs = [self.store.jobs[j] for a in accounts for _, _, j in sorted(a.pending)]
            if jobs:
                wait = max(max(due for due, _, _ in a.pending) - self.now(a) for a in accounts if a.pending)
                self.advance(max(0.0, wait), api_key=api_key)
            return jobs

    # --- accounts ---------------------------------------------------------------------------
    def authenticate(
        self, bearer: str | None, api_key: str | None, *, open_new: bool = True
    ) -> Account | None:
        """Decision 6: a Bearer token is tried first, then X-API-Key; None means 401.

        In open mode an unknown key opens its account; with ``open_new=False`` (a request
        refused before its credentials count: 404, 405, 413) it gets a stand-in account that
        is not stored, so its rate-limit headers can be told and nothing is created.
        """
        for credential in (bearer, api_key):
            if credential:
                account = self.accounts.get(credential)
                if account is None and not self.config.closed:
                    if not open_new:
                        return self._new_account(
                            credential, self.config.default_plan, self.config.default_balance_usd
                        )
                    account = self._open(
                        credential, self.config.default_plan, self.config.default_balance_usd
                    )
                if account is not None:
                    return account
        return None

    def register_account(
        self,
        api_key: str,
        plan: str | None = None,
        balance_usd: Decimal | float | int | str | None = None,
        **custom_limits: Any,
    ) -> Account:
        """Create an account, or change an existing one.

        An update keeps whatever it leaves out (``None``): the plan, the balance, and an
        Enterprise account's custom limits while it stays Enterprise.

        Raises:
            InvalidParameter: a blank key or one with surrounding blanks (credentials are read
                stripped, so it could never log in), an unknown plan, a bad balance, or custom
                limits on a plan other than Enterprise (decision 24).
        """
        if not isinstance(api_key, str) or not api_key.strip():
            raise InvalidParameter("api_key", "api_key must be a non-empty string")
        if api_key != api_key.strip():
            raise InvalidParameter("api_key", "api_key must not start or end with whitespace")
        with self.lock:
            account = self.accounts.get(api_key)
            if account is not None:
                plan = account.plan if plan is None else plan
                balance_usd = account.balance if balance_usd is None else balance_usd
                if plan.lower() == account.plan == "enterprise":
                    kept = {name: getattr(account.limits, name) for name in CUSTOM_LIMIT_FIELDS}
                    custom_limits = kept | {k: v for k, v in custom_limits.items() if v is not None}
            plan_name, limits = plan_limits(self.config.default_plan if plan is None else plan, custom_limits)
            balance = parse_usd(self.config.default_balance_usd if balance_usd is None else balance_usd)
            if account is None:
                account = self._open(api_key, plan_name, balance, limits)
            else:
                account.plan, account.balance = plan_name, balance
                self._set_limits(account, limits)
            custom = {n: getattr(limits, n) for n in CUSTOM_LIMIT_FIELDS if plan_name == "enterprise"}
            self._note(
                "register_account", api_key=api_key, plan=plan_name, balance_usd=str(balance), **custom
            )
            return account

    def account(self, api_key: str) -> Account:
        """An existing account.

        Raises:
            NotFound: no account has that key.
        """
        try:
            return self.accounts[api_key]
        except KeyError:
            raise NotFound(f"No account with api_key '{api_key}'") from None

    def _open(
        self,
        api_key: str,
        plan: str,
        balance: Decimal | float | int | str,
        limits: Any = None,
    ) -> Account:
        account = self._new_account(api_key, plan, balance, limits)
        self.accounts[api_key] = account
        return account

    def _new_account(
        self, api_key: str, plan: str, balance: Decimal | float | int | str, limits: Any = None
    ) -> Account:
        plan_name, plan_lim = plan_limits(plan)
        return Account(
            api_key=api_key,
            plan=plan_name,
            limits=limits or plan_lim,
            balance=parse_usd(balance),
            created_at=self.now(),
        )

    def rate_state(self, account: Account, kind: Kind) -> RateState:
        """The bucket the ``X-RateLimit-*`` headers describe, read without using a slot."""
        return account.buckets[kind].state(self.now(account))

    # --- generation -------------------------------------------------------------------------
    def generate(self, account: Account, kind: Kind, body: bytes) -> Accepted:
        """``POST /image`` or ``POST /video`` after credentials (decision 14's order).

        Raises:
            RateLimitExceeded: the window's bucket is empty, or (videos) the concurrent-jobs
                limit is reached; no slot is used.
            InvalidParameter, InvalidPrompt: the body is wrong; the slot stays used.
            InsufficientBalance: the balance cannot cover the price; nothing is charged.
            ApiError: an injected fault (500/503); nothing is charged.
        """
        self.settle(account)
        self.generation_requests += 1
        now = self.now(account)
        self._admit(account, kind, now)
        request, ignored = validate(
            kind,
            parse_json_object(body),
            moderation=self.moderation,
            strict=self.config.strict,
        )
        cost = request.cost
        if account.balance < cost:
            raise InsufficientBalance(
                f"Account balance ${account.balance:.2f} is too low for this request (${cost:.2f})"
            )
        ctx = GenerationContext(
            kind, account.api_key, now, request, self.generation_requests, fake_now=self.now()
        )
        for source in self.fault_sources:
            error = source.request_error(ctx)
            if error is not None:
                self._inject([f"fault {error.code}"], {"error": str(error.code), "message": error.message})
                raise error
        account.charge(cost)
        job = self._new_job(account, request, cost, now)
        if isinstance(request, VideoRequest):
            self._start_video(job, request, ctx, account)
        else:
            self._complete_image(job, request)
        return Accepted(job, ignored)

    def _admit(self, account: Account, kind: Kind, now: float) -> None:
        bucket = account.buckets[kind]
        state = bucket.state(now)
        if state.remaining == 0:
            raise RateLimitExceeded(
                f"Rate limit of {state.limit} {kind} requests per minute exceeded; "
                f"retry after {state.retry_after(now)}s",
                retry_after=state.retry_after(now),
            )
        if kind is Kind.VIDEO and account.processing >= account.limits.concurrent_jobs:
            due = account.pending[0][0]
            wait = max(1, math.ceil(due - now))
            raise RateLimitExceeded(
                f"Concurrent job limit of {account.limits.concurrent_jobs} reached; retry after {wait}s",
                retry_after=wait,
            )
        bucket.take(now)

    def _new_job(self, account: Account, request: GenerationRequest, cost: Decimal, now: float) -> Job:
        self._job_seq += 1
        job = Job(
            job_id=self.ids.new(JOB_PREFIX[request.kind], self.store.jobs.__contains__),
            seq=self._job_seq,
            account=account.api_key,
            request=request,
            cost=cost,
            created_at=now,
            status=JobStatus.PROCESSING,
            due_at=now,
        )
        self.store.add_job(job)
        return job

    def _outputs(self, request: GenerationRequest) -> list[tuple[str, int]]:
        """(media_id, content_seed) for each output, drawn when the job is accepted."""
        outputs = []
        for index in range(request.outputs):
            media_id = self.ids.new(MEDIA_PREFIX, self.store.media.__contains__)
            seed = (
                seeded_content_seed(request, index) if request.seed is not None else self.rng.getrandbits(64)
            )
            outputs.append((media_id, seed))
        return outputs

    def _complete_image(self, job: Job, request: ImageRequest) -> None:
        job.status = JobStatus.COMPLETED
        job.completed_at = job.created_at
        self._finish_seq += 1
        for index, (media_id, seed) in enumerate(self._outputs(request)):
            path = f"{GENERATED_DIR}/{job.job_id}_{index}.{FORMAT[Kind.IMAGE]}"
            self._store_media(job, request, index, media_id, seed, path)

    def _start_video(self, job: Job, request: VideoRequest, ctx: GenerationContext, account: Account) -> None:
        job.estimated_seconds = request.estimated_seconds
        effects = self._effects
        factor = effects.video_time_factor if effects is not None and effects.video_time_factor else 1.0
        # The estimate stays what the API would say; only the time actually taken changes.
        job.due_at = job.created_at + request.estimated_seconds * factor
        if effects is not None and effects.video_fail is not None:
            job.outcome_failure = effects.video_fail
        job.planned = self._outputs(request)
        for source in self.fault_sources if job.outcome_failure is None else ():
            failure = source.job_failure(ctx)
            if failure is not None:
                job.outcome_failure = failure
                self._inject([f"fault {failure[0]}"], {"video_fail": failure[0], "message": failure[1]})
                break
        heapq.heappush(account.pending, (job.due_at, job.seq, job.job_id))
        self._waiting[account.api_key] = account

    def _finish_video(self, job: Job) -> None:
        account = self.accounts[job.account]
        job.completed_at = job.due_at  # decision 23
        if job.outcome_failure is not None:
            job.status = JobStatus.FAILED
            job.error = job.outcome_failure
            account.refund(job.cost)
            return
        job.status = JobStatus.COMPLETED
        self._finish_seq += 1
        media_id, seed = job.planned[0]
        path = f"{GENERATED_DIR}/{job.job_id}.{FORMAT[Kind.VIDEO]}"
        self._store_media(job, job.request, 0, media_id, seed, path)

    def _store_media(
        self,
        job: Job,
        request: GenerationRequest,
        index: int,
        media_id: str,
        content_seed: int,
        path: str,
    ) -> None:
        width, height = request.resolution
        video = request if isinstance(request, VideoRequest) else None
        self.store.add_media(
            Media(
                media_id=media_id,
                job_id=job.job_id,
                finish_seq=self._finish_seq,
                account=job.account,
                kind=request.kind,
                index=index,
                path=path,
                width=width,
                height=height,
                format=FORMAT[request.kind],
                size_bytes=size_bytes(request, content_seed),
                content_seed=content_seed,
                created_at=job.completed_at if job.completed_at is not None else job.created_at,
                duration_seconds=float(video.duration_seconds) if video else None,
                fps=video.fps if video else None,
            )
        )

    # --- reads ------------------------------------------------------------------------------
    def get_job(self, account: Account, job_id: str) -> Job:
        """``GET /media/{job_id}``: the job, if this account owns it (decision 4).

        Raises:
            NotFound: no such job, or another account's.
        """
        self.settle(account)
        job = self.store.jobs.get(job_id)
        if job is None or job.account != account.api_key:
            raise NotFound(f"No job with id '{job_id}'")
        return job

    def job_media(self, job: Job) -> list[Media]:
        """The job's outputs that still exist (decision 19: deleted ones drop out)."""
        return self.store.live_media(job)

    def list_media(self, account: Account, query: Mapping[str, str]) -> Page:
        """``GET /media?limit=&cursor=&type=`` (decisions 12, 18, 25).

        Raises:
            InvalidParameter: a malformed or out-of-range ``limit``, an unknown ``type``, or
                a ``cursor`` this account was never given.
        """
        self.settle(account)
        limit = _parse_limit(query.get("limit"))
        kind = _parse_type(query.get("type"))
        cursor = query.get("cursor")
        after = None if cursor is None else self._decode_cursor(account, cursor)
        items, more = self.store.page(account.api_key, kind, after, limit)
        next_cursor = self._encode_cursor(account, items[-1].sort_key) if more else None
        return Page(items, next_cursor)

    def delete_media(self, account: Account, media_id: str) -> Media:
        """``DELETE /media/{media_id}`` (decision 13).

        Raises:
            NotFound: no such media (or already deleted), or another account's.
        """
        self.settle(account)
        media = self.store.media.get(media_id)
        if media is None or media.account != account.api_key:
            raise NotFound(f"No media with id '{media_id}'")
        self.store.delete_media(media)
        return media

    def media_file(self, path: str) -> Media:
        """The media a ``/generated/...`` URL path serves.

        Raises:
            NotFound: no such file, or it was deleted.
        """
        self.settle()
        media_id = self.store.files.get(path)
        if media_id is None:
            raise NotFound(f"No file at '{path}'")
        return self.store.media[media_id]

    def file_spec(self, media: Media) -> FileSpec:
        """What the renderer needs to make ``media``'s bytes (cheap: nothing is rendered)."""
        request = self.store.jobs[media.job_id].request
        return FileSpec(
            kind=media.kind,
            format=media.format,
            width=media.width,
            height=media.height,
            size_bytes=media.size_bytes,
            content_seed=media.content_seed,
            job_id=None if request.seed is not None else media.job_id,  # decision 20
            index=media.index,
            prompt=request.prompt,
            fps=media.fps,
            duration_seconds=media.duration_seconds,
        )

    # --- cursors ----------------------------------------------------------------------------
    def _cursor_mac(self, account: Account, payload: bytes) -> bytes:
        message = account.api_key.encode() + b"\0" + payload
        return hmac.new(self._cursor_key, message, hashlib.sha256).digest()[:10]

    def _encode_cursor(self, account: Account, key: tuple[int, int]) -> str:
        payload = struct.pack(">QI", key[0], -key[1])
        raw = payload + self._cursor_mac(account, payload)
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    def _decode_cursor(self, account: Account, cursor: str) -> tuple[int, int]:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        except (binascii.Error, ValueError):
            raw = b""
        payload, mac = raw[:12], raw[12:]
        if len(raw) != 22 or not hmac.compare_digest(mac, self._cursor_mac(account, payload)):
            raise InvalidParameter("cursor", "cursor is not one this account was given")
        seq, index = struct.unpack(">QI", payload)
        return (seq, -index)


def _prompt_of(body: bytes) -> str | None:
    """The prompt of a generation body, or None if it has none (validation says why later)."""
    try:
        data = parse_json_object(body)
    except ApiError:
        return None
    prompt = data.get("prompt")
    return prompt if isinstance(prompt, str) else None


def _parse_limit(raw: str | None) -> int:
    if raw is None:
        return LIST_LIMIT_DEFAULT
    return parse_query_int(raw, "limit", LIST_LIMIT_MIN, LIST_LIMIT_MAX)


def _parse_type(raw: str | None) -> Kind | None:
    if raw is None:
        return None
    try:
        return Kind(raw)
    except ValueError:
        raise InvalidParameter("type", f'type must be one of "image", "video"; got {raw[:40]!r}') from None


def _config_fields(config: MockConfig) -> dict[str, Any]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}


__all__ = ["Accepted", "ApiError", "MediaBackend", "Page"]


class _OneInstant:
    """``MediaBackend.one_instant``'s context (a class: a generator's costs more per request)."""

    __slots__ = ("_backend", "_outer")

    def __init__(self, backend: MediaBackend) -> None:
        self._backend = backend
        self._outer: float | None = None

    def __enter__(self) -> float:
        backend = self._backend
        self._outer = backend._pinned
        pinned = backend._pinned = backend.clock.now()
        return pinned

    def __exit__(self, *exc: object) -> None:
        self._backend._pinned = self._outer
