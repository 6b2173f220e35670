"""Bucket and RateState: fixed one-minute windows aligned to the minute (decisions 7, 16)."""

from __future__ import annotations

import pytest

from mock_media.core.ratelimit import Bucket, RateState
from tests.doc_tables import FIRST_RESET, START_EPOCH


def test_bucket__fresh_is_full_with_the_next_minute_as_reset() -> None:
    assert Bucket(30).state(START_EPOCH) == RateState(limit=30, remaining=30, reset=FIRST_RESET)


@pytest.mark.parametrize(
    ("offset", "reset"),
    [
        (0, FIRST_RESET),
        (0.001, FIRST_RESET),
        (30, FIRST_RESET),
        (59.999, FIRST_RESET),
        (60, FIRST_RESET + 60),
        (61, FIRST_RESET + 60),
        (3599.5, FIRST_RESET + 3540),
    ],
)
def test_bucket__reset_is_the_end_of_the_current_minute(offset: float, reset: int) -> None:
    assert Bucket(5).state(START_EPOCH + offset).reset == reset


def test_bucket__take_uses_one_slot_each() -> None:
    bucket = Bucket(3)
    for seconds, remaining in ((0, 2), (10, 1), (20, 0)):
        assert bucket.take(START_EPOCH + seconds) is True
        assert bucket.state(START_EPOCH + seconds) == RateState(3, remaining, FIRST_RESET)


def test_bucket__a_refused_take_uses_nothing() -> None:
    bucket = Bucket(1)
    assert bucket.take(START_EPOCH) is True
    for _ in range(3):
        assert bucket.take(START_EPOCH + 1) is False
        assert bucket.state(START_EPOCH + 1) == RateState(1, 0, FIRST_RESET)
    assert bucket.used == 1


def test_bucket__state_consumes_nothing() -> None:
    bucket = Bucket(2)
    for _ in range(5):
        assert bucket.state(START_EPOCH).remaining == 2
    bucket.take(START_EPOCH)
    for _ in range(5):
        assert bucket.state(START_EPOCH + 1).remaining == 1


def test_bucket__a_new_window_restores_it() -> None:
    bucket = Bucket(2)
    bucket.take(START_EPOCH + 58)
    bucket.take(START_EPOCH + 59.999)
    assert bucket.take(START_EPOCH + 59.9999) is False
    assert bucket.state(START_EPOCH + 60) == RateState(2, 2, FIRST_RESET + 60)
    assert bucket.take(START_EPOCH + 60) is True
    assert bucket.state(START_EPOCH + 60) == RateState(2, 1, FIRST_RESET + 60)


def test_bucket__windows_are_fixed_not_sliding() -> None:
    bucket = Bucket(1)
    bucket.take(START_EPOCH + 59)
    assert bucket.take(START_EPOCH + 60) is True  # one second later, a new window


def test_bucket__a_stale_window_reads_as_full() -> None:
    bucket = Bucket(4)
    for _ in range(4):
        bucket.take(START_EPOCH)
    assert bucket.state(START_EPOCH + 3600).remaining == 4


def test_bucket__raised_limit_applies_to_the_current_window() -> None:
    bucket = Bucket(1)
    bucket.take(START_EPOCH)
    bucket.limit = 3  # re-registering an account on another plan changes it in place
    assert bucket.state(START_EPOCH) == RateState(3, 2, FIRST_RESET)
    assert bucket.take(START_EPOCH) is True


def test_bucket__lowered_limit_never_shows_negative_remaining() -> None:
    bucket = Bucket(5)
    for _ in range(4):
        bucket.take(START_EPOCH)
    bucket.limit = 2
    assert bucket.state(START_EPOCH).remaining == 0
    assert bucket.take(START_EPOCH) is False


@pytest.mark.parametrize(
    ("now", "retry_after"),
    [
        (START_EPOCH, 60),
        (START_EPOCH + 0.5, 60),
        (START_EPOCH + 1, 59),
        (START_EPOCH + 30.2, 30),
        (START_EPOCH + 58.01, 2),
        (START_EPOCH + 59, 1),
        (START_EPOCH + 59.5, 1),
        (START_EPOCH + 59.999999, 1),
        (float(FIRST_RESET), 1),  # at least 1
        (FIRST_RESET + 10.0, 1),
    ],
)
def test_rate_state__retry_after_rounds_up_to_whole_seconds(now: float, retry_after: int) -> None:
    assert RateState(10, 0, FIRST_RESET).retry_after(now) == retry_after
