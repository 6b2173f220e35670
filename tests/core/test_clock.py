"""Clocks: the injected time the core reads, and the doc's timestamp format."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mock_media.core.clock import Clock, ManualClock, SystemClock, iso8601, to_epoch
from tests.doc_tables import START_EPOCH, START_ISO


@pytest.mark.parametrize(
    "value",
    [
        float(START_EPOCH),
        START_EPOCH,
        START_ISO,
        "2025-03-14T12:00:00+00:00",
        "2025-03-14T13:00:00+01:00",
        "2025-03-14T12:00:00",  # naive: UTC
        datetime(2025, 3, 14, 12, 0, 0, tzinfo=UTC),
        datetime(2025, 3, 14, 12, 0, 0),  # naive: UTC
        datetime(2025, 3, 14, 7, 0, 0, tzinfo=timezone(timedelta(hours=-5))),
    ],
)
def test_to_epoch__accepts_every_spelling_of_the_doc_example(value: datetime | float | str) -> None:
    assert to_epoch(value) == START_EPOCH


def test_to_epoch__rejects_a_boolean() -> None:
    with pytest.raises(TypeError):
        to_epoch(True)


def test_to_epoch__rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        to_epoch("yesterday")


@pytest.mark.parametrize(
    ("epoch", "text"),
    [
        (START_EPOCH, START_ISO),
        (START_EPOCH + 8, "2025-03-14T12:00:08Z"),
        (START_EPOCH + 135, "2025-03-14T12:02:15Z"),
        (START_EPOCH + 0.999, START_ISO),  # whole seconds, not rounded up
        (START_EPOCH + 86400 * 366, "2026-03-15T12:00:00Z"),
        (0, "1970-01-01T00:00:00Z"),
    ],
)
def test_iso8601__whole_seconds_utc_with_z(epoch: float, text: str) -> None:
    assert iso8601(epoch) == text


def test_manual_clock__starts_where_told_and_moves_only_when_told() -> None:
    clock = ManualClock(START_ISO)
    assert clock.now() == START_EPOCH
    assert clock.now() == START_EPOCH
    clock.advance(0.25)
    clock.advance(59.75)
    assert clock.now() == START_EPOCH + 60
    clock.advance(0)
    assert clock.now() == START_EPOCH + 60


def test_manual_clock__cannot_go_backwards() -> None:
    clock = ManualClock(START_EPOCH)
    with pytest.raises(ValueError):
        clock.advance(-1)
    with pytest.raises(ValueError):
        clock.set(START_EPOCH - 1)
    assert clock.now() == START_EPOCH


def test_manual_clock__set_jumps_forward() -> None:
    clock = ManualClock(START_EPOCH)
    clock.set("2025-03-14T12:02:00Z")
    assert clock.now() == START_EPOCH + 120
    clock.set(START_EPOCH + 120)  # the same instant is fine
    assert clock.now() == START_EPOCH + 120


def test_manual_clock__repr_shows_the_time() -> None:
    assert repr(ManualClock(START_EPOCH)) == f"ManualClock('{START_ISO}')"


def test_clocks__satisfy_the_protocol() -> None:
    assert isinstance(ManualClock(START_EPOCH), Clock)
    assert isinstance(SystemClock(), Clock)


def test_system_clock__follows_the_wall_clock() -> None:
    before = time.time()
    now = SystemClock().now()
    after = time.time()
    assert before - 1 <= now <= after + 1


def test_system_clock__advance_skips_ahead() -> None:
    clock = SystemClock()
    before = clock.now()
    clock.advance(3600)
    assert 3600 <= clock.now() - before < 3660
    with pytest.raises(ValueError):
        clock.advance(-1)


def test_system_clock__runs_faster_when_sped_up() -> None:
    clock = SystemClock(speed=1000)
    wall = time.monotonic()
    start = clock.now()
    time.sleep(0.02)
    elapsed_wall = time.monotonic() - wall
    assert clock.now() - start >= 1000 * 0.02 * 0.9
    assert clock.now() - start <= 1000 * (elapsed_wall + 0.5)


@pytest.mark.parametrize("speed", [0, -1])
def test_system_clock__speed_must_be_positive(speed: float) -> None:
    with pytest.raises(ValueError):
        SystemClock(speed)
