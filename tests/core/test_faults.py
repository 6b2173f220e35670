"""Faults: the hand-driven fault source (request-stage errors, job-stage failures)."""

from __future__ import annotations

import pytest

from mock_media.core.clock import ManualClock
from mock_media.core.errors import ApiError, GenerationFailed, ModelUnavailable
from mock_media.core.facts import ErrorCode, Kind
from mock_media.core.faults import Faults, GenerationContext
from mock_media.core.requests import ImageRequest, VideoRequest
from tests.doc_tables import GENERATION_FAILED, IMAGE_MODEL_DOWN, START_EPOCH, VIDEO_MODEL_DOWN
from tests.helpers import assert_error


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START_EPOCH)


@pytest.fixture
def faults(clock: ManualClock) -> Faults:
    return Faults(clock)


def ctx(kind: str = "image", account: str = "a", now: float = START_EPOCH) -> GenerationContext:
    request = ImageRequest(prompt="i") if kind == "image" else VideoRequest(prompt="v")
    return GenerationContext(Kind(kind), account, now, request, 1)


def _code(error: ApiError | None) -> str | None:
    return None if error is None else str(error.code)


def test_faults__none_armed__nothing_happens(faults: Faults) -> None:
    assert faults.request_error(ctx()) is None
    assert faults.job_failure(ctx("video")) is None


def test_fail_next__one_generation_failed_then_gone(faults: Faults) -> None:
    faults.fail_next()
    error = faults.request_error(ctx())
    assert isinstance(error, GenerationFailed)
    assert (error.status, error.message) == (500, GENERATION_FAILED)
    assert_error(error.body(), 500, "generation_failed", message=GENERATION_FAILED)
    assert faults.request_error(ctx()) is None
    assert faults.rules == []


def test_fail_next__times(faults: Faults) -> None:
    faults.fail_next(times=3)
    assert [_code(faults.request_error(ctx())) for _ in range(4)] == ["generation_failed"] * 3 + [None]


@pytest.mark.parametrize("times", [0, -1])
def test_fail_next__times_must_be_positive(faults: Faults, times: int) -> None:
    with pytest.raises(ValueError):
        faults.fail_next(times=times)
    with pytest.raises(ValueError):
        faults.fail_next_video_jobs(times=times)


@pytest.mark.parametrize("kind", [Kind.IMAGE, "image"])
def test_fail_next__only_its_kind(faults: Faults, kind: Kind | str) -> None:
    faults.fail_next(kind)
    assert faults.request_error(ctx("video")) is None
    assert _code(faults.request_error(ctx("image"))) == "generation_failed"


def test_fail_next__only_its_account(faults: Faults) -> None:
    faults.fail_next(account="b")
    assert faults.request_error(ctx(account="a")) is None
    assert _code(faults.request_error(ctx(account="b"))) == "generation_failed"


def test_fail_next__custom_code_and_message(faults: Faults) -> None:
    faults.fail_next(code="model_unavailable", message="down for maintenance")
    error = faults.request_error(ctx())
    assert isinstance(error, ModelUnavailable)
    assert (error.status, error.message) == (503, "down for maintenance")


def test_fail_next__unknown_code_is_refused(faults: Faults) -> None:
    with pytest.raises(ValueError):
        faults.fail_next(code="teapot")


def test_model_down__503_for_its_window_only(faults: Faults, clock: ManualClock) -> None:
    clock.advance(10)
    rule = faults.model_down("image", seconds=30)
    assert (rule.start, rule.until) == (START_EPOCH + 10, START_EPOCH + 40)
    for offset in (10, 25, 39.999):
        error = faults.request_error(ctx(now=START_EPOCH + offset))
        assert isinstance(error, ModelUnavailable), offset
        assert error.message == IMAGE_MODEL_DOWN
    assert faults.request_error(ctx("video", now=START_EPOCH + 20)) is None
    assert faults.request_error(ctx(now=START_EPOCH + 40)) is None
    assert faults.request_error(ctx(now=START_EPOCH + 9)) is None  # before it went down


def test_model_down__until_an_instant(faults: Faults) -> None:
    faults.model_down("video", until=START_EPOCH + 5)
    error = faults.request_error(ctx("video", now=START_EPOCH + 4))
    assert error is not None and error.message == VIDEO_MODEL_DOWN
    assert faults.request_error(ctx("video", now=START_EPOCH + 5)) is None


def test_model_down__forever_for_every_kind_until_cleared(faults: Faults) -> None:
    faults.model_down()
    for now in (START_EPOCH, START_EPOCH + 86400 * 365):
        assert _code(faults.request_error(ctx("image", now=now))) == "model_unavailable"
        assert _code(faults.request_error(ctx("video", now=now))) == "model_unavailable"
    faults.clear()
    assert faults.request_error(ctx()) is None


def test_fail_next_video_jobs__job_stage_only(faults: Faults) -> None:
    faults.fail_next_video_jobs(times=2)
    assert faults.request_error(ctx("video")) is None  # not a request-stage fault
    assert faults.job_failure(ctx("image")) is None  # images are never jobs that fail later
    assert faults.job_failure(ctx("video")) == ("generation_failed", GENERATION_FAILED)
    assert faults.job_failure(ctx("video")) == ("generation_failed", GENERATION_FAILED)
    assert faults.job_failure(ctx("video")) is None


def test_fail_next_video_jobs__code_message_account(faults: Faults) -> None:
    faults.fail_next_video_jobs(code=ErrorCode.MODEL_UNAVAILABLE, message="Veo capacity", account="b")
    assert faults.job_failure(ctx("video", account="a")) is None
    assert faults.job_failure(ctx("video", account="b")) == ("model_unavailable", "Veo capacity")


def test_faults__request_faults_do_not_feed_job_failures(faults: Faults) -> None:
    faults.fail_next("video")
    assert faults.job_failure(ctx("video")) is None
    assert _code(faults.request_error(ctx("video"))) == "generation_failed"


def test_faults__first_matching_rule_wins(faults: Faults) -> None:
    faults.fail_next("image", message="first")
    faults.fail_next(message="second")
    first = faults.request_error(ctx("image"))
    second = faults.request_error(ctx("image"))
    assert (first and first.message, second and second.message) == ("first", "second")


def test_faults__a_counted_rule_that_does_not_match_is_kept(faults: Faults) -> None:
    faults.fail_next("video")
    for _ in range(3):
        assert faults.request_error(ctx("image")) is None
    assert len(faults.rules) == 1
    assert faults.request_error(ctx("video")) is not None


def test_faults__a_closed_window_for_everybody_is_dropped(faults: Faults, clock: ManualClock) -> None:
    faults.model_down("image", seconds=30)
    faults.model_down("image", seconds=30, account="alice")  # an account's own window stays
    clock.advance(31)

    assert faults.request_error(ctx(account="bob", now=START_EPOCH + 31)) is None
    assert [rule.account for rule in faults.rules] == ["alice"]
