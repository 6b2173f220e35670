"""The fault seam: what may go wrong with a generation, decided per request.

The backend asks every ``FaultSource`` it holds, in order, at two points: when a generation
request has passed every other check (an ``ApiError`` here answers the request and charges
nothing), and when a video job is accepted (a failure here makes the job end ``failed`` and
refunds it). :class:`Faults` is the hand-driven source tests use; the scenario engine plugs
in as another source.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal, Protocol

from .assumptions import GENERATION_FAILED_MESSAGE, MODEL_UNAVAILABLE_MESSAGE
from .clock import Clock
from .errors import ApiError, error_for
from .facts import MODEL, ErrorCode, Kind
from .requests import GenerationRequest


@dataclass(frozen=True, slots=True)
class GenerationContext:
    """What a fault source may look at to decide."""

    kind: Kind
    account: str
    now: float  # on the account's clock
    request: GenerationRequest
    ordinal: int  # 1-based count of generation requests the fake has seen
    fake_now: float | None = None  # on the fake's clock (None: the same as ``now``)


class FaultSource(Protocol):
    """Something that can make a generation fail."""

    def request_error(self, ctx: GenerationContext) -> ApiError | None:
        """An error to answer this accepted-so-far request with, or None."""
        ...

    def job_failure(self, ctx: GenerationContext) -> tuple[str, str] | None:
        """``(code, message)`` if this video job is to end failed, or None."""
        ...


Stage = Literal["request", "job"]


@dataclass(slots=True)
class FaultRule:
    """One injected fault: where, for whom, how often, and when."""

    stage: Stage
    code: ErrorCode
    kind: Kind | None = None
    account: str | None = None
    remaining: int | None = 1  # None: every matching request until ``until``
    start: float | None = None
    until: float | None = None
    message: str | None = None

    def matches(self, ctx: GenerationContext) -> bool:
        """Whether this rule applies to the request.

        A rule for one account keeps its window on that account's clock; a rule for
        everybody on the fake's, so an account that moved its own time ahead still sees it.
        """
        now = ctx.now if self.account is not None or ctx.fake_now is None else ctx.fake_now
        return (
            (self.kind is None or self.kind == ctx.kind)
            and (self.account is None or self.account == ctx.account)
            and (self.start is None or now >= self.start)
            and (self.until is None or now < self.until)
            and (self.remaining is None or self.remaining > 0)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the admin API, journal events)."""
        data = asdict(self)
        data["code"] = str(self.code)
        data["kind"] = None if self.kind is None else str(self.kind)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultRule:
        """The inverse of ``to_dict`` (a replayed journal event)."""
        kind = data.get("kind")
        return cls(
            stage=data["stage"],
            code=ErrorCode(data["code"]),
            kind=None if kind is None else Kind(kind),
            account=data.get("account"),
            remaining=data.get("remaining"),
            start=data.get("start"),
            until=data.get("until"),
            message=data.get("message"),
        )

    def describe(self, kind: Kind) -> str:
        """The error message, defaulting to the doc's meaning of the code."""
        if self.message is not None:
            return self.message
        if self.code is ErrorCode.MODEL_UNAVAILABLE:
            return MODEL_UNAVAILABLE_MESSAGE.format(model=MODEL[kind])
        if self.code is ErrorCode.GENERATION_FAILED:
            return GENERATION_FAILED_MESSAGE
        return f"Injected {self.code}"


class Faults:
    """Hand-injected faults, e.g. "fail the next video job", "images are down for 30 s"."""

    def __init__(
        self,
        clock: Clock,
        account_now: Callable[[str], float] | None = None,
        on_change: Callable[..., None] | None = None,
    ) -> None:
        self._clock = clock
        self._account_now = account_now
        self._on_change = on_change  # the journal notes each change, so a replay can make it too
        self.rules: list[FaultRule] = []

    def fail_next(
        self,
        kind: Kind | str | None = None,
        *,
        times: int = 1,
        code: ErrorCode | str = ErrorCode.GENERATION_FAILED,
        account: str | None = None,
        message: str | None = None,
    ) -> FaultRule:
        """Answer the next ``times`` matching generation requests with an error (500 default)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        return self._add("request", code, kind, account, times, None, None, message)

    def model_down(
        self,
        kind: Kind | str | None = None,
        *,
        seconds: float | None = None,
        until: float | None = None,
        account: str | None = None,
        code: ErrorCode | str = ErrorCode.MODEL_UNAVAILABLE,
        message: str | None = None,
    ) -> FaultRule:
        """503 ``model_unavailable`` (or ``code``) from now for ``seconds`` (or until an
        epoch; else forever).

        With ``account``, "now" and the window are on that account's clock.
        """
        now = self._clock.now()
        if account is not None and self._account_now is not None:
            now = self._account_now(account)
        if seconds is not None:
            until = now + seconds
        return self._add("request", code, kind, account, None, now, until, message)

    def fail_next_video_jobs(
        self,
        *,
        times: int = 1,
        code: ErrorCode | str = ErrorCode.GENERATION_FAILED,
        account: str | None = None,
        message: str | None = None,
    ) -> FaultRule:
        """Accept the next ``times`` videos, then have them end ``failed`` (and refunded)."""
        if times < 1:
            raise ValueError("times must be at least 1")
        return self._add("job", code, Kind.VIDEO, account, times, None, None, message)

    def clear(self) -> None:
        """Remove every injected fault."""
        self.rules.clear()
        if self._on_change is not None:
            self._on_change("clear_faults")

    def restore(self, data: Mapping[str, Any]) -> FaultRule:
        """Arm a rule as ``FaultRule.to_dict`` wrote it (a replayed journal event)."""
        rule = FaultRule.from_dict(data)
        self.rules.append(rule)
        if self._on_change is not None:
            self._on_change("fault", **rule.to_dict())
        return rule

    def _add(
        self,
        stage: Stage,
        code: ErrorCode | str,
        kind: Kind | str | None,
        account: str | None,
        remaining: int | None,
        start: float | None,
        until: float | None,
        message: str | None,
    ) -> FaultRule:
        rule = FaultRule(
            stage=stage,
            code=ErrorCode(code),
            kind=None if kind is None else Kind(kind),
            account=account,
            remaining=remaining,
            start=start,
            until=until,
            message=message,
        )
        self.rules.append(rule)
        if self._on_change is not None:
            self._on_change("fault", **rule.to_dict())
        return rule

    def _take(self, stage: Stage, ctx: GenerationContext) -> FaultRule | None:
        fake_now = ctx.now if ctx.fake_now is None else ctx.fake_now
        if any(r.account is None and r.until is not None and fake_now >= r.until for r in self.rules):
            # A window for everybody that has closed can never match again (time only moves
            # forward): drop it, so a long-lived server does not walk dead rules forever.
            self.rules[:] = [
                r
                for r in self.rules
                if not (r.account is None and r.until is not None and fake_now >= r.until)
            ]
        for rule in self.rules:
            if rule.stage == stage and rule.matches(ctx):
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self.rules.remove(rule)
                return rule
        return None

    def request_error(self, ctx: GenerationContext) -> ApiError | None:
        """The first matching request-stage rule's error."""
        rule = self._take("request", ctx)
        if rule is None:
            return None
        error = error_for(rule.code, rule.describe(ctx.kind))
        if error.code is ErrorCode.RATE_LIMIT_EXCEEDED:
            # Decision 7: a 429 says when to retry; here, when the fault's window closes (as a
            # scenario's storm does), rounded up, at least 1 s.
            now = ctx.now if rule.account is not None or ctx.fake_now is None else ctx.fake_now
            error.retry_after = 1 if rule.until is None else max(1, math.ceil(rule.until - now))
        return error

    def job_failure(self, ctx: GenerationContext) -> tuple[str, str] | None:
        """The first matching job-stage rule's failure."""
        rule = self._take("job", ctx)
        return None if rule is None else (str(rule.code), rule.describe(ctx.kind))
