"""MockConfig: the single home of the fake's settings and their defaults.

The command line, the pytest plugin and Python callers all build one of these, so a default
changes in one place. Invalid values raise ``ValueError`` with the setting named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Literal

from .accounts import parse_usd, plan_limits
from .assumptions import (
    DEFAULT_BALANCE_USD,
    DEFAULT_PLAN,
    DEFAULT_START,
    JOURNAL_CAP,
    MAX_ADVANCE_SECONDS,
    MAX_EPOCH,
)
from .clock import to_epoch
from .errors import ApiError
from .facts import MEDIA_HOST
from .scenario import Scenario

ClockMode = Literal["virtual", "real"]


@dataclass(frozen=True, slots=True)
class MockConfig:
    """How a fake is built; ``MediaBackend.reset()`` rebuilds from the same one.

    Args:
        seed: drives every id, generated value and unseeded file (decision 20).
        start: where the virtual clock starts (default: the doc's example time).
        clock: ``"virtual"`` moves only when told; ``"real"`` follows the wall clock.
        speed: how much faster than the wall a real clock runs.
        closed: accept only registered keys (decision 6); open mode makes accounts on first use.
        default_plan, default_balance_usd: what an account opened on first use gets.
        media_base: the scheme and host of output URLs (decision 10).
        strict: reject unknown request fields instead of ignoring them (decision 5).
        blocked_terms: words the moderation rules block in prompts (``invalid_prompt``).
        journal_cap: how many journal entries are kept.
        scenario: a scripted scenario in force from the start (and again after each reset).
    """

    seed: int = 0
    start: datetime | float | str = DEFAULT_START
    clock: ClockMode = "virtual"
    speed: float = 1.0
    closed: bool = False
    default_plan: str = DEFAULT_PLAN
    default_balance_usd: Decimal | float | int | str = DEFAULT_BALANCE_USD
    media_base: str = MEDIA_HOST
    strict: bool = False
    blocked_terms: tuple[str, ...] = field(default=())
    journal_cap: int = JOURNAL_CAP
    scenario: Scenario | None = None

    def __post_init__(self) -> None:
        if isinstance(self.seed, bool) or not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        try:
            if not 0 <= to_epoch(self.start) <= MAX_EPOCH - MAX_ADVANCE_SECONDS:
                raise ValueError
        except (TypeError, ValueError, OverflowError):
            raise ValueError(
                f"start must be an ISO-8601 instant or epoch seconds, got {self.start!r}"
            ) from None
        if self.clock not in ("virtual", "real"):
            raise ValueError(f"clock must be 'virtual' or 'real', got {self.clock!r}")
        if not isinstance(self.speed, int | float) or not self.speed > 0:
            raise ValueError(f"speed must be a positive number, got {self.speed!r}")
        try:
            plan_limits(self.default_plan)
        except ApiError as exc:
            raise ValueError("default_" + exc.message) from None
        try:
            parse_usd(self.default_balance_usd, "default_balance_usd")
        except ApiError as exc:
            raise ValueError(exc.message) from None
        if not self.media_base.startswith(("http://", "https://")) or self.media_base.endswith("/"):
            raise ValueError(
                f"media_base must be an http(s) URL without a trailing slash, got {self.media_base!r}"
            )
        if (
            isinstance(self.journal_cap, bool)
            or not isinstance(self.journal_cap, int)
            or self.journal_cap < 1
        ):
            raise ValueError(f"journal_cap must be a positive integer, got {self.journal_cap!r}")
        object.__setattr__(self, "blocked_terms", tuple(self.blocked_terms))
