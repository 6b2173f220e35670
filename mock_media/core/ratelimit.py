"""Fixed one-minute windows aligned to the minute (decision 7)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .facts import RATE_LIMIT_WINDOW_SECONDS


@dataclass(frozen=True, slots=True)
class RateState:
    """What the ``X-RateLimit-*`` headers say about one bucket at one instant."""

    limit: int
    remaining: int
    reset: int  # epoch seconds at which the window ends

    def retry_after(self, now: float) -> int:
        """Decision 16: whole seconds until the reset, rounded up, at least 1."""
        return max(1, math.ceil(self.reset - now))


class Bucket:
    """One account's requests in the current window for one model."""

    __slots__ = ("limit", "used", "window")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.window = -1
        self.used = 0

    def state(self, now: float) -> RateState:
        """The bucket as it stands, without using a slot (reads consume nothing)."""
        window = int(now // RATE_LIMIT_WINDOW_SECONDS)
        used = self.used if window == self.window else 0
        reset = (window + 1) * RATE_LIMIT_WINDOW_SECONDS
        return RateState(self.limit, max(0, self.limit - used), reset)

    def take(self, now: float) -> bool:
        """Use a slot if one is free (True); a refused request uses none. ``state`` tells the
        rest."""
        window = int(now // RATE_LIMIT_WINDOW_SECONDS)
        if window != self.window:
            self.window, self.used = window, 0
        if self.used >= self.limit:
            return False
        self.used += 1
        return True
