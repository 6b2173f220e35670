"""Plans and rate limits: the doc's plan table, decisions 7, 14, 15, 16, 21 and 24."""

from __future__ import annotations

import math
from collections.abc import Callable
from decimal import Decimal

import pytest

from mock_media import MediaBackend, MockConfig
from mock_media.core.errors import InvalidParameter
from tests.doc_tables import API_PREFIX, DOC_PLANS, FIRST_RESET, IMAGE_PATH, MIB, PLAN_IDS, VIDEO_PATH
from tests.doors import Api, Reply
from tests.helpers import assert_error, assert_no_rate_headers, one_mib_body, rate

TOO_BIG = one_mib_body(MIB + 1)  # decision 4: over 1 MiB is 413
BAD_IMAGE = {"prompt": ""}  # 400 invalid_prompt: rejected after the limiter


def _enterprise(api: Api, key: str = "ent", balance: str = "100", **limits: int) -> None:
    api.backend.register_account(key, "enterprise", balance, **limits)


def test_plan_table__parsed_from_the_doc() -> None:
    assert DOC_PLANS == [("starter", 10, 2, 2), ("pro", 30, 5, 5), ("business", 60, 10, 10)]


# --- plans ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("plan", "image_rpm", "video_rpm", "concurrent"), DOC_PLANS, ids=PLAN_IDS)
def test_plan__headers_state_the_plan_limits(
    api: Api, plan: str, image_rpm: int, video_rpm: int, concurrent: int
) -> None:
    api.backend.register_account("k", plan)
    assert rate(api.image(key="k")) == (image_rpm, image_rpm - 1, FIRST_RESET)
    assert rate(api.video(key="k")) == (video_rpm, video_rpm - 1, FIRST_RESET)
    assert rate(api.list(key="k")) == (image_rpm, image_rpm - 1, FIRST_RESET)


@pytest.mark.parametrize(("plan", "image_rpm", "video_rpm", "concurrent"), DOC_PLANS, ids=PLAN_IDS)
def test_plan__buckets_hold_exactly_the_limit(
    api: Api, plan: str, image_rpm: int, video_rpm: int, concurrent: int
) -> None:
    api.backend.register_account("k", plan, 1000)
    for i in range(image_rpm):
        r = api.image(key="k")
        assert r.status == 200, (i, r.body)
        assert rate(r) == (image_rpm, image_rpm - 1 - i, FIRST_RESET)
    assert_error(api.image(key="k"), 429, "rate_limit_exceeded")
    for i in range(video_rpm):
        r = api.video(key="k")
        assert r.status == 200, (i, r.body)
        assert rate(r) == (video_rpm, video_rpm - 1 - i, FIRST_RESET)
    assert_error(api.video(key="k"), 429, "rate_limit_exceeded")


@pytest.mark.parametrize(("plan", "image_rpm", "video_rpm", "concurrent"), DOC_PLANS, ids=PLAN_IDS)
def test_plan__concurrent_jobs_limit(
    api: Api, plan: str, image_rpm: int, video_rpm: int, concurrent: int
) -> None:
    api.backend.register_account("k", plan, 1000)
    for i in range(concurrent):  # every doc plan's video rpm allows this many in one minute
        assert api.video(key="k").status == 200, i
    api.advance(60)  # a fresh window: only the concurrent-jobs limit can refuse now
    r = api.video(key="k")
    assert_error(r, 429, "rate_limit_exceeded")
    assert r.headers["retry-after"] == "60"  # the first videos are due at 120 s
    assert rate(r) == (video_rpm, video_rpm, FIRST_RESET + 60)  # no slot used
    assert api.image(key="k").status == 200  # images are not jobs that wait
    api.advance(60)
    assert api.video(key="k").status == 200


def test_plan__enterprise_defaults_300_50_50(api: Api) -> None:
    _enterprise(api)
    assert rate(api.image(key="ent")) == (300, 299, FIRST_RESET)
    assert rate(api.video(key="ent")) == (50, 49, FIRST_RESET)
    limits = api.backend.accounts["ent"].limits
    assert (limits.image_rpm, limits.video_rpm, limits.concurrent_jobs) == (300, 50, 50)


@pytest.mark.parametrize(
    ("custom", "expected"),
    [
        ({"image_rpm": 3, "video_rpm": 1, "concurrent_jobs": 1}, (3, 1, 1)),
        ({"image_rpm": 7}, (7, 50, 50)),
        ({"video_rpm": 2}, (300, 2, 50)),
        ({"concurrent_jobs": 4}, (300, 50, 4)),
        ({"image_rpm": 1000, "video_rpm": 200, "concurrent_jobs": 100}, (1000, 200, 100)),
    ],
)
def test_plan__enterprise_custom_limits(
    api: Api, custom: dict[str, int], expected: tuple[int, int, int]
) -> None:
    api.backend.register_account("ent", "enterprise", "100", **custom)
    image_rpm, video_rpm, concurrent = expected
    assert rate(api.image(key="ent")) == (image_rpm, image_rpm - 1, FIRST_RESET)
    assert rate(api.video(key="ent")) == (video_rpm, video_rpm - 1, FIRST_RESET)
    assert api.backend.accounts["ent"].limits.concurrent_jobs == concurrent


def test_plan__enterprise_custom_limits_are_enforced(api: Api) -> None:
    _enterprise(api, image_rpm=3, video_rpm=2, concurrent_jobs=1)
    for _ in range(3):
        assert api.image(key="ent").status == 200
    assert_error(api.image(key="ent"), 429, "rate_limit_exceeded")
    assert api.video(key="ent").status == 200
    r = api.video(key="ent")  # the video rpm has room; one job is already processing
    assert_error(r, 429, "rate_limit_exceeded")
    assert r.headers["retry-after"] == "120"


@pytest.mark.parametrize("plan", PLAN_IDS)
@pytest.mark.parametrize("field", ["image_rpm", "video_rpm", "concurrent_jobs"])
def test_plan__custom_limits_on_another_plan__invalid_parameter(
    backend: MediaBackend, plan: str, field: str
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        backend.register_account("k", plan, **{field: 5})
    error = caught.value
    assert (error.status, str(error.code), error.param) == (400, "invalid_parameter", field)
    assert backend.accounts == {}


@pytest.mark.parametrize("value", [0, -1, True, "5", 2.5])
def test_plan__enterprise_custom_limit_not_a_positive_integer__invalid_parameter(
    backend: MediaBackend, value: object
) -> None:
    with pytest.raises(InvalidParameter) as caught:
        backend.register_account("k", "enterprise", image_rpm=value)
    assert caught.value.param == "image_rpm"
    assert backend.accounts == {}


def test_plan__unknown_plan__invalid_parameter(backend: MediaBackend) -> None:
    with pytest.raises(InvalidParameter) as caught:
        backend.register_account("k", "platinum")
    assert caught.value.param == "plan"


def test_plan__admin_api_refuses_custom_limits_on_another_plan(api: Api) -> None:
    r = api.request("POST", "/_mock/accounts", json={"api_key": "k", "plan": "pro", "image_rpm": 5}, key=None)
    assert_error(r, 400, "invalid_parameter", param="image_rpm")
    assert api.backend.accounts == {}
    r = api.request(
        "POST", "/_mock/accounts", json={"api_key": "k", "plan": "enterprise", "video_rpm": 9}, key=None
    )
    assert r.status == 200, r.body
    assert (r.json()["image_rpm"], r.json()["video_rpm"], r.json()["concurrent_jobs"]) == (300, 9, 50)
    assert rate(api.video(key="k")) == (9, 8, FIRST_RESET)


# --- headers --------------------------------------------------------------------------------
def test_rate_headers__doc_example_after_three_requests(api: Api) -> None:
    assert rate(api.image()) == (30, 29, FIRST_RESET)
    assert rate(api.image()) == (30, 28, FIRST_RESET)
    # The doc's example, exactly: X-RateLimit-Limit: 30, -Remaining: 27, -Reset: 1741953660.
    assert rate(api.image()) == (30, 27, FIRST_RESET)


Scenario = Callable[[Api], Reply]


def _exhaust_images(api: Api) -> Reply:
    for _ in range(4):
        api.image(key="ent")
    return api.image(key="ent")


def _exhaust_videos(api: Api) -> Reply:
    for _ in range(3):
        api.video(key="ent")
    return api.video(key="ent")


def _delete_one(api: Api) -> Reply:
    media_id = api.image(key="ent").json()["outputs"][0]["media_id"]
    return api.delete(media_id, key="ent")


def _poll_video(api: Api) -> Reply:
    return api.job(api.video(key="ent").json()["job_id"], key="ent")


def _poll_image(api: Api) -> Reply:
    return api.job(api.image(key="ent").json()["job_id"], key="ent")


def _broke(api: Api) -> Reply:
    _enterprise(api, balance="0", image_rpm=4, video_rpm=3)
    return api.image(key="ent")


def _failing(api: Api) -> Reply:
    api.backend.faults.fail_next("image")
    return api.image(key="ent")


def _video_down(api: Api) -> Reply:
    api.backend.faults.model_down("video", seconds=30)
    return api.video(key="ent")


# (name, scenario, status, (X-RateLimit-Limit, -Remaining)); the account has 4 image and 3 video rpm.
HEADER_CASES: list[tuple[str, Scenario, int, tuple[int, int]]] = [
    ("image-200", lambda api: api.image(key="ent"), 200, (4, 3)),
    ("video-200", lambda api: api.video(key="ent"), 200, (3, 2)),
    ("status-of-image-200", _poll_image, 200, (4, 3)),
    ("status-of-video-200", _poll_video, 200, (4, 4)),
    ("list-200", lambda api: api.list(key="ent"), 200, (4, 4)),
    ("delete-200", _delete_one, 200, (4, 3)),
    ("image-400", lambda api: api.image(BAD_IMAGE, key="ent"), 400, (4, 3)),
    ("video-400", lambda api: api.video({"prompt": "a", "fps": 25}, key="ent"), 400, (3, 2)),
    ("list-400", lambda api: api.list(key="ent", params={"limit": "0"}), 400, (4, 4)),
    ("image-402", _broke, 402, (4, 3)),
    ("status-404", lambda api: api.job("vid_000000000000", key="ent"), 404, (4, 4)),
    ("delete-404", lambda api: api.delete("media_000000000000", key="ent"), 404, (4, 4)),
    ("unknown-path-404", lambda api: api.request("GET", "/v1/hosting/nothing", key="ent"), 404, (4, 4)),
    ("get-image-405", lambda api: api.request("GET", IMAGE_PATH, key="ent"), 405, (4, 4)),
    ("get-video-405", lambda api: api.request("GET", VIDEO_PATH, key="ent"), 405, (4, 4)),
    ("post-list-405", lambda api: api.request("POST", API_PREFIX, json={}, key="ent"), 405, (4, 4)),
    ("image-413", lambda api: api.request("POST", IMAGE_PATH, content=TOO_BIG, key="ent"), 413, (4, 4)),
    ("video-413", lambda api: api.request("POST", VIDEO_PATH, content=TOO_BIG, key="ent"), 413, (3, 3)),
    ("image-429", _exhaust_images, 429, (4, 0)),
    ("video-429", _exhaust_videos, 429, (3, 0)),
    ("image-500", _failing, 500, (4, 3)),
    ("video-503", _video_down, 503, (3, 2)),
]


@pytest.mark.parametrize(
    ("scenario", "status", "expected"),
    [case[1:] for case in HEADER_CASES],
    ids=[case[0] for case in HEADER_CASES],
)
def test_rate_headers__on_every_response_with_valid_credentials(
    api: Api, scenario: Scenario, status: int, expected: tuple[int, int]
) -> None:
    _enterprise(api, image_rpm=4, video_rpm=3)
    r = scenario(api)
    assert r.status == status, r.body
    assert rate(r) == (*expected, FIRST_RESET)


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("GET", "/v1/hosting/nothing", b"", 404),
        ("GET", IMAGE_PATH, b"", 405),
        ("DELETE", VIDEO_PATH, b"", 405),
        ("POST", IMAGE_PATH, TOO_BIG, 413),
        ("POST", IMAGE_PATH, b'{"prompt": "a cat"}', 401),
        ("GET", API_PREFIX, b"", 401),
    ],
)
def test_rate_headers__absent_without_credentials(
    api: Api, method: str, path: str, body: bytes, status: int
) -> None:
    r = api.request(method, path, content=body, key=None)
    assert r.status == status, r.body
    assert_no_rate_headers(r)


def test_rate_headers__on_a_video_poll_describe_the_image_bucket(api: Api) -> None:
    api.backend.register_account("k", "starter")
    job_id = api.video(key="k").json()["job_id"]
    api.advance(120)
    r = api.job(job_id, key="k")
    assert r.json()["status"] == "completed"
    assert rate(r) == (10, 10, FIRST_RESET + 120)


# --- windows --------------------------------------------------------------------------------
def test_rate_limit__reads_consume_nothing(api: Api) -> None:
    out = api.image({"prompt": "a", "n": 2}).json()
    job_id, media_id = out["job_id"], out["outputs"][0]["media_id"]
    for _ in range(3):
        assert rate(api.job(job_id)) == (30, 29, FIRST_RESET)
        assert rate(api.list()) == (30, 29, FIRST_RESET)
        assert rate(api.list(params={"type": "video"})) == (30, 29, FIRST_RESET)
    assert rate(api.delete(media_id)) == (30, 29, FIRST_RESET)
    assert rate(api.delete(media_id)) == (30, 29, FIRST_RESET)  # now a 404
    assert rate(api.image()) == (30, 28, FIRST_RESET)


@pytest.mark.parametrize(
    ("elapsed", "retry_after"),
    [(0, 60), (0.5, 60), (1, 59), (30.2, 30), (58.01, 2), (59, 1), (59.5, 1), (59.999, 1)],
)
def test_rate_limit__429_with_retry_after_until_the_reset(api: Api, elapsed: float, retry_after: int) -> None:
    _enterprise(api, image_rpm=1)
    assert api.image(key="ent").status == 200
    api.advance(elapsed)
    r = api.image(key="ent")
    assert_error(r, 429, "rate_limit_exceeded")
    assert r.headers["retry-after"] == str(retry_after)
    assert rate(r) == (1, 0, FIRST_RESET)


def test_rate_limit__429_through_the_doors(api: Api) -> None:
    _enterprise(api, image_rpm=1)
    assert api.image(key="ent").status == 200
    api.advance(59.5)
    r = api.image(key="ent")
    assert_error(r, 429, "rate_limit_exceeded")
    assert r.headers["retry-after"] == "1"
    assert rate(r) == (1, 0, FIRST_RESET)


def test_rate_limit__429_uses_no_slot_creates_nothing_charges_nothing(api: Api) -> None:
    _enterprise(api, image_rpm=2, video_rpm=1)
    assert api.image(key="ent").status == 200
    assert api.image(key="ent").status == 200
    assert api.video(key="ent").status == 200
    backend = api.backend
    jobs_before = set(backend.store.jobs)
    media_before = set(backend.store.media)
    for _ in range(3):
        assert_error(api.image({"prompt": "x", "n": 4}, key="ent"), 429, "rate_limit_exceeded")
        assert_error(api.video(key="ent"), 429, "rate_limit_exceeded")
    assert backend.accounts["ent"].balance == Decimal("100") - Decimal("0.08") - Decimal("4.00")
    assert set(backend.store.jobs) == jobs_before
    assert set(backend.store.media) == media_before
    assert api.list(key="ent").json()["count"] == 2
    assert [e.cost_usd for e in backend.journal.query(status=429)] == [None] * 6


@pytest.mark.parametrize(
    "reject",
    [
        pytest.param(lambda api: api.image({"prompt": ""}, key="ent"), id="400-invalid-prompt"),
        pytest.param(lambda api: api.image({"prompt": "a", "n": 5}, key="ent"), id="400-invalid-parameter"),
        pytest.param(lambda api: api.request("POST", IMAGE_PATH, content=b"{", key="ent"), id="400-bad-json"),
        pytest.param(lambda api: api.image({"prompt": "a", "n": 4, "quality": "hd"}, key="ent"), id="402"),
        pytest.param(
            lambda api: (api.backend.faults.fail_next("image"), api.image(key="ent"))[1], id="500-injected"
        ),
        pytest.param(
            lambda api: (api.backend.faults.model_down("image"), api.image(key="ent"))[1], id="503-injected"
        ),
    ],
)
def test_rate_limit__rejection_after_the_limiter_uses_a_slot(api: Api, reject: Scenario) -> None:
    _enterprise(api, balance="0.10", image_rpm=2)
    first = reject(api)
    assert first.status in (400, 402, 500, 503), first.body
    assert rate(first) == (2, 1, FIRST_RESET)
    assert reject(api).status == first.status
    api.backend.faults.clear()
    r = api.image(key="ent")  # valid and affordable, but the window's two slots are used
    assert_error(r, 429, "rate_limit_exceeded")
    assert api.backend.accounts["ent"].balance == Decimal("0.10")


def test_rate_limit__a_new_window_restores_the_bucket(api: Api) -> None:
    _enterprise(api, image_rpm=2)
    api.image(key="ent")
    api.image(key="ent")
    api.advance(59.999)
    assert_error(api.image(key="ent"), 429, "rate_limit_exceeded")
    api.advance(0.001)  # exactly 12:01:00
    r = api.image(key="ent")
    assert r.status == 200, r.body
    assert rate(r) == (2, 1, FIRST_RESET + 60)


def test_rate_limit__windows_are_aligned_to_the_minute(api: Api) -> None:
    _enterprise(api, image_rpm=2)
    api.advance(30)
    assert rate(api.image(key="ent")) == (2, 1, FIRST_RESET)  # not 30 s after the first request
    api.advance(29)
    assert rate(api.image(key="ent")) == (2, 0, FIRST_RESET)
    api.advance(1)  # 12:01:00: a fixed window, not a sliding one
    assert rate(api.image(key="ent")) == (2, 1, FIRST_RESET + 60)
    api.advance(150)  # 12:03:30
    assert rate(api.image(key="ent")) == (2, 1, FIRST_RESET + 180)


def test_rate_limit__window_alignment_does_not_depend_on_the_start_time(
    api_for: Callable[[MediaBackend], Api],
) -> None:
    backend = MediaBackend(MockConfig(start="2025-03-14T12:00:17.250Z"))
    api = api_for(backend)
    assert rate(api.image()) == (30, 29, FIRST_RESET)
    api.advance(42.75)  # 12:01:00
    assert rate(api.image()) == (30, 29, FIRST_RESET + 60)


def test_rate_limit__image_and_video_buckets_are_independent(api: Api) -> None:
    api.backend.register_account("a", "pro")
    for _ in range(30):
        api.image(key="a")
    assert_error(api.image(key="a"), 429, "rate_limit_exceeded")
    assert rate(api.video(key="a")) == (5, 4, FIRST_RESET)
    api.backend.register_account("b", "pro")
    for _ in range(5):
        api.video(key="b")
    assert_error(api.video(key="b"), 429, "rate_limit_exceeded")
    assert rate(api.image(key="b")) == (30, 29, FIRST_RESET)


def test_rate_limit__buckets_are_per_account(api: Api) -> None:
    for _ in range(30):
        api.image(key="a")
    assert_error(api.image(key="a"), 429, "rate_limit_exceeded")
    assert rate(api.image(key="b")) == (30, 29, FIRST_RESET)


# --- concurrent jobs ------------------------------------------------------------------------
def test_concurrent_jobs__retry_after_is_until_the_earliest_job_is_due(api: Api) -> None:
    api.backend.register_account("s", "starter")
    long = api.video({"prompt": "five", "duration_seconds": 5}, key="s").json()
    assert long["estimated_completion_seconds"] == 120
    short = api.video({"prompt": "one", "duration_seconds": 1}, key="s").json()
    short_due = short["estimated_completion_seconds"]  # decision 9: it completes then
    assert 60.25 < short_due < 120
    api.advance(60.25)
    r = api.video(key="s")
    assert_error(r, 429, "rate_limit_exceeded")
    assert r.headers["retry-after"] == str(math.ceil(short_due - 60.25))
    assert rate(r) == (2, 2, FIRST_RESET + 60)  # the 429 used no video slot
    assert api.image(key="s").status == 200  # the concurrency limit is about videos
    assert api.video(key="other").status == 200  # and about this account's videos only


def test_concurrent_jobs__frees_when_a_video_completes(api: Api) -> None:
    api.backend.register_account("s", "starter")
    api.video({"prompt": "five", "duration_seconds": 5}, key="s")
    short = api.video({"prompt": "one", "duration_seconds": 1}, key="s").json()
    due = short["estimated_completion_seconds"]
    assert due < 120
    api.advance(due - 0.5)  # half a second before the short one is due
    r = api.video(key="s")
    assert_error(r, 429, "rate_limit_exceeded")
    assert r.headers["retry-after"] == "1"
    api.advance(0.5)
    assert api.job(short["job_id"], key="s").json()["status"] == "completed"
    assert api.video(key="s").status == 200
    assert_error(api.video(key="s"), 429, "rate_limit_exceeded")  # two processing again


def test_concurrent_jobs__a_failed_video_frees_its_slot(api: Api) -> None:
    api.backend.register_account("s", "starter")
    api.backend.faults.fail_next_video_jobs()
    failed = api.video(key="s").json()
    api.video(key="s")
    api.advance(60)
    assert_error(api.video(key="s"), 429, "rate_limit_exceeded")
    api.advance(60)
    assert api.job(failed["job_id"], key="s").json()["status"] == "failed"
    assert api.video(key="s").status == 200
    assert api.video(key="s").status == 200
