"""Injected time: the core never reads the system clock itself."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from functools import lru_cache
from typing import Protocol, runtime_checkable


@runtime_checkable
class Clock(Protocol):
    """Where the core gets "now", as epoch seconds."""

    def now(self) -> float:
        """The current instant, in seconds since the Unix epoch."""
        ...

    def advance(self, seconds: float) -> None:
        """Move time forward, so tests and the admin API need not wait."""
        ...


def to_epoch(value: datetime | float | int | str) -> float:
    """Accept the ways people write an instant: epoch seconds, a datetime, ISO-8601."""
    if isinstance(value, bool):
        raise TypeError("an instant cannot be a boolean")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


class ManualClock:
    """A virtual clock that moves only when told: two-minute videos finish instantly."""

    def __init__(self, start: datetime | float | str) -> None:
        self._now = to_epoch(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if not seconds >= 0 or seconds == float("inf"):
            raise ValueError(f"time moves forward by a finite number of seconds, not {seconds}")
        self._now += seconds

    def set(self, instant: datetime | float | str) -> None:
        """Jump to an instant, never backwards (jobs and windows rely on monotony)."""
        target = to_epoch(instant)
        if not target >= self._now or target == float("inf"):
            raise ValueError("time cannot go backwards")
        self._now = target

    def __repr__(self) -> str:
        return f"ManualClock({iso8601(self._now)!r})"


class SystemClock:
    """The real clock, optionally sped up, plus any time the admin API skipped ahead."""

    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._wall0 = time.time()
        self._mono0 = time.monotonic()
        self._offset = 0.0

    def now(self) -> float:
        return self._wall0 + (time.monotonic() - self._mono0) * self.speed + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        self._offset += seconds


def iso8601(epoch: float) -> str:
    """The doc's timestamp format: whole seconds, UTC, with a ``Z``."""
    return _iso8601(int(epoch))


@lru_cache(maxsize=4096)
def _iso8601(seconds: int) -> str:
    # Every answer formats a few instants, mostly the same ones (a virtual clock stands still).
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
