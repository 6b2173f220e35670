"""Each bundled scenario's documented effect, through every door, with exact codes and bodies.

Every test opens its door (``api_for``, parametrized over all doors by tests/conftest.py) over
a fresh fake built as ``MockConfig(scenario=load_scenario(name))``. Expected values come from
the scenario's one-line description and the doc (``tests/doc_tables.py``), never from the
engine: the error messages are the doc's error table as the fake words them (an em dash
becomes "; ").
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from mock_media import MediaBackend, MockConfig
from mock_media.scenario_files import load_scenario
from tests.doc_tables import (
    DOC_IMAGE_PRICE,
    DOC_MINIMAL_IMAGE_REQUEST,
    DOC_PLANS,
    DOC_VIDEO_ESTIMATE,
    DOC_VIDEO_REQUEST,
    FIRST_RESET,
    GENERATION_FAILED,
    IMAGE_MODEL_DOWN,
    PLAN_IDS,
    START_EPOCH,
    VIDEO_MODEL_DOWN,
)
from tests.doors import DEFAULT_KEY, Api, Reply, wire_api
from tests.helpers import Snapshot, assert_error, balance, exact, rate

from .agent import run_agent

# The doc's error table, "| 429 | rate_limit_exceeded | Too many requests — back off and retry |"
# and "| 503 | model_unavailable | Upstream model temporarily unavailable — retry |".
RATE_LIMITED = "Too many requests; back off and retry"
# A scripted outage names the model of the route it hits, as a hand-injected one does.
MODEL_UNAVAILABLE = (IMAGE_MODEL_DOWN, VIDEO_MODEL_DOWN)
IMAGE = DOC_IMAGE_PRICE["standard"]  # $0.04
VIDEO = Decimal("4.00")  # the doc's 5 s standard video: 5 x $0.80
PRO_IMAGE_RPM, PRO_VIDEO_RPM = 30, 5  # the doc's plan table; the fake's accounts are Pro by default

Under = Callable[..., Api]


@pytest.fixture
def under(api_for: Callable[[MediaBackend], Api]) -> Under:
    """``under(name, **config)``: this run's door over a fresh fake with the bundled scenario."""

    def open_under(name: str, **config: Any) -> Api:
        return api_for(MediaBackend(MockConfig(scenario=load_scenario(name), **config)))

    return open_under


def _elapsed(api: Api) -> float:
    return api.backend.now() - START_EPOCH


def _injected(api: Api) -> list[tuple[int, tuple[str, ...]]]:
    return [(e.status, e.injected) for e in api.backend.journal]


# --- 429-storm --------------------------------------------------------------------------------
def test_429_storm__burst_of_429s_with_honest_headers_then_recovery(under: Under) -> None:
    api = under("429-storm")
    image, video = api.image(), api.video()
    assert (image.status, video.status) == (200, 200)
    before = Snapshot.of(api.backend)
    storm_end = START_EPOCH + 45

    # From the third generation on, for 45 s: Retry-After counts down to the window's end.
    answers: list[tuple[float, Reply]] = []
    for wait, send in ((0, api.image), (10, api.video), (20, api.image), (14, api.video)):
        api.advance(wait)
        answers.append((_elapsed(api), send()))
    for (elapsed, reply), limit in zip(answers, (PRO_IMAGE_RPM, PRO_VIDEO_RPM) * 2, strict=True):
        assert_error(reply, 429, "rate_limit_exceeded", message=RATE_LIMITED)
        assert int(reply.headers["retry-after"]) == 45 - elapsed
        assert rate(reply) == (limit, 0, storm_end)
    assert [int(r.headers["retry-after"]) for _, r in answers] == [45, 35, 15, 1]
    # Reads are not generations: they pass, and the storm charges and creates nothing.
    assert api.job(image.json()["job_id"]).status == 200
    assert Snapshot.of(api.backend) == before

    api.advance(1)  # 45 s: over
    after_image, after_video = api.image(), api.video()

    assert (after_image.status, after_video.status) == (200, 200)
    # Scripted 429s used no slot: the first minute's buckets hold only the real requests.
    assert rate(after_image) == (PRO_IMAGE_RPM, PRO_IMAGE_RPM - 2, FIRST_RESET)
    assert rate(after_video) == (PRO_VIDEO_RPM, PRO_VIDEO_RPM - 2, FIRST_RESET)
    assert api.backend.accounts[DEFAULT_KEY].spent == 2 * IMAGE + 2 * VIDEO
    storm = [e for e in api.backend.journal if e.status == 429]
    assert [(e.injected, e.retry_after, e.cost_usd, e.job_id) for e in storm] == [
        (("storm",), 45, None, None),
        (("storm",), 35, None, None),
        (("storm",), 15, None, None),
        (("storm",), 1, None, None),
    ]


# --- slow-videos ------------------------------------------------------------------------------
def test_slow_videos__take_six_times_the_estimate_which_stays_optimistic(under: Under) -> None:
    api = under("slow-videos")
    accepted = exact(api.video(DOC_VIDEO_REQUEST))
    assert (accepted["status"], accepted["estimated_completion_seconds"]) == (
        "processing",
        DOC_VIDEO_ESTIMATE,
    )
    assert accepted["cost_usd"] == VIDEO
    job_id = accepted["job_id"]

    api.advance(DOC_VIDEO_ESTIMATE)  # when the estimate says it is done
    late = api.job(job_id).json()
    assert (late["status"], late["estimated_completion_seconds"]) == ("processing", DOC_VIDEO_ESTIMATE)
    api.advance(6 * DOC_VIDEO_ESTIMATE - DOC_VIDEO_ESTIMATE - 1)  # 719 s
    assert api.job(job_id).json()["status"] == "processing"
    api.advance(1)  # 720 s: six times the estimate

    done = api.job(job_id).json()
    assert done["status"] == "completed"
    assert done["completed_at"] == "2025-03-14T12:12:00Z"  # decision 23: when it became due
    assert len(done["outputs"]) == 1
    # Images are not videos: they still complete at once.
    assert api.image().json()["status"] == "completed"
    assert [e.injected for e in api.backend.journal if e.operation == "generate_video"] == [("slow",)]


# --- model-outage -----------------------------------------------------------------------------
def test_model_outage__503_from_30_s_to_150_s_then_recovery(under: Under) -> None:
    api = under("model-outage")
    assert api.image().status == 200
    api.advance(29)
    first_video = api.video()
    assert first_video.status == 200
    before = Snapshot.of(api.backend)

    api.advance(1)  # 30 s: the outage starts
    down = [api.image(), api.video()]
    api.advance(119)  # 149 s: still down
    down += [api.image(), api.video()]

    for reply, message in zip(down, MODEL_UNAVAILABLE * 2, strict=True):
        assert_error(reply, 503, "model_unavailable", message=message)
        assert reply.headers["retry-after"] == "30"
    # Headers stay on (decision 15); an outage uses no rate-limit slot.
    assert rate(down[0]) == (PRO_IMAGE_RPM, PRO_IMAGE_RPM - 1, FIRST_RESET)
    assert rate(down[1]) == (PRO_VIDEO_RPM, PRO_VIDEO_RPM - 1, FIRST_RESET)
    # Only generations are down: status polls and the list still answer.
    assert api.job(first_video.json()["job_id"]).status == 200
    assert api.list().status == 200
    after = Snapshot.of(api.backend)  # the first video finished meanwhile; nothing new was made
    assert (after.balance, after.spent, after.jobs) == (before.balance, before.spent, before.jobs)

    api.advance(1)  # 150 s: recovered
    assert (api.image().status, api.video().status) == (200, 200)
    assert api.backend.accounts[DEFAULT_KEY].spent == 2 * IMAGE + 2 * VIDEO
    assert [e.injected for e in api.backend.journal if e.status == 503] == [("outage",)] * 4


# --- flaky-generation -------------------------------------------------------------------------
def _flaky_positions(api: Api, count: int = 50) -> list[int]:
    """Which of ``count`` image requests, 2 s apart, failed; each failure checked exactly."""
    failed = []
    for index in range(count):
        reply = api.image(DOC_MINIMAL_IMAGE_REQUEST)
        if reply.status != 200:
            assert_error(reply, 500, "generation_failed", message=GENERATION_FAILED)
            assert "retry-after" not in reply.headers
            failed.append(index)
        api.advance(2)
    return failed


def test_flaky_generation__one_in_five_fails_at_the_same_places_every_run(under: Under) -> None:
    api = under("flaky-generation")

    failed = _flaky_positions(api)

    assert 5 <= len(failed) <= 16, failed  # one in five of 50 is 10
    account = api.backend.accounts[DEFAULT_KEY]
    assert account.spent == IMAGE * (50 - len(failed))  # a 500 charges nothing
    assert {e.injected for e in api.backend.journal if e.status == 500} == {("flaky",)}
    assert {e.injected for e in api.backend.journal if e.status == 200} == {()}
    # Deterministic: a reset replays the same failures; so does a fresh fake through the wire
    # door, even with another fake seed (the scenario has its own, seed = 5).
    api.backend.reset()
    assert _flaky_positions(api) == failed
    other = wire_api(MediaBackend(MockConfig(seed=99, scenario=load_scenario("flaky-generation"))))
    assert _flaky_positions(other) == failed


# --- balance-drain ----------------------------------------------------------------------------
def test_balance_drain__one_dollar_buys_25_images_then_402(under: Under) -> None:
    api = under("balance-drain")

    for _ in range(25):
        reply = api.image()
        assert reply.status == 200, reply.body
        assert exact(reply)["cost_usd"] == IMAGE
    assert balance(api) == Decimal("0.00")
    assert api.backend.accounts[DEFAULT_KEY].spent == Decimal("1.00")

    broke = api.image()

    assert_error(
        broke,
        402,
        "insufficient_balance",
        message="Account balance $0.00 is too low for this request ($0.04)",
    )
    assert balance(api) == Decimal("0.00")  # set once per account, not topped up again
    # Every account gets its own dollar: enough for an image, not for a $4.00 video.
    assert api.image(key="second").status == 200
    assert balance(api, "second") == Decimal("0.96")
    assert_error(
        api.video(key="third"),
        402,
        "insufficient_balance",
        message="Account balance $1.00 is too low for this request ($4.00)",
    )


# --- concurrency-squeeze ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("plan", "image_rpm", "video_rpm", "concurrent"),
    [row for row in DOC_PLANS if row[0] != "starter"],
    ids=[p for p in PLAN_IDS if p != "starter"],
)
def test_concurrency_squeeze__videos_get_starters_limits_on_any_plan(
    under: Under, plan: str, image_rpm: int, video_rpm: int, concurrent: int
) -> None:
    api = under("concurrency-squeeze")
    api.backend.register_account("squeezed", plan)
    starter_video_rpm = starter_concurrent = 2  # the doc's plan table: Starter | 10 | 2 | 2

    first, second, third = (api.video(key="squeezed") for _ in range(3))

    assert (first.status, second.status) == (200, 200)
    assert rate(first) == (starter_video_rpm, 1, FIRST_RESET)
    assert rate(second) == (starter_video_rpm, 0, FIRST_RESET)
    assert_error(
        third,
        429,
        "rate_limit_exceeded",
        message="Rate limit of 2 video requests per minute exceeded; retry after 60s",
    )
    assert third.headers["retry-after"] == "60"
    # Images keep the account's own plan.
    assert rate(api.image(key="squeezed")) == (image_rpm, image_rpm - 1, FIRST_RESET)

    api.advance(61)  # a fresh minute, but both videos still processing (due at 120 s)
    crowded = api.video(key="squeezed")

    assert_error(
        crowded,
        429,
        "rate_limit_exceeded",
        message=f"Concurrent job limit of {starter_concurrent} reached; retry after 59s",
    )
    assert crowded.headers["retry-after"] == "59"
    assert rate(crowded) == (starter_video_rpm, starter_video_rpm, FIRST_RESET + 60)
    # The plan was the request's only: the account is back on its own limits.
    limits = api.backend.accounts["squeezed"].limits
    assert (limits.image_rpm, limits.video_rpm, limits.concurrent_jobs) == (image_rpm, video_rpm, concurrent)

    api.advance(59)  # 120 s: both videos done, slots free
    assert api.video(key="squeezed").status == 200


# --- moderation -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("prompt", "word"),
    [
        ("A man holding a gun in the rain", "gun"),
        ("BLOOD moon over a lake", "blood"),
        ("Deepfake of a celebrity at the beach", "deepfake"),
    ],
    ids=["gun", "any-case", "first-word-named"],
)
def test_moderation__word_list_prompt_is_400_invalid_prompt_naming_the_word(
    under: Under, prompt: str, word: str
) -> None:
    api = under("moderation")

    for send in (api.image, api.video):
        assert_error(
            send({"prompt": prompt}),
            400,
            "invalid_prompt",
            message=f"prompt contains disallowed content: '{word}'",
        )
    assert api.backend.accounts[DEFAULT_KEY].spent == 0
    assert api.backend.store.jobs == {}


def test_moderation__clean_prompts_pass(under: Under) -> None:
    api = under("moderation")

    clean = [
        api.image(DOC_MINIMAL_IMAGE_REQUEST),
        api.image({"prompt": "a gunnery museum, begun in 1900"}),  # whole words only
        api.video(DOC_VIDEO_REQUEST),
    ]

    assert [r.status for r in clean] == [200, 200, 200]
    assert _injected(api) == [(200, ()), (200, ()), (200, ())]
    assert_error(api.image({"prompt": "a gun"}), 400, "invalid_prompt")
    assert _injected(api)[-1] == (400, ("word-list",))


# --- video-failures ---------------------------------------------------------------------------
def _video_outcomes(api: Api, count: int = 12) -> list[int]:
    """Which of ``count`` videos (one every 120 s) ended failed; every answer checked exactly."""
    job_ids = []
    for _ in range(count):
        accepted = exact(api.video(DOC_VIDEO_REQUEST))
        assert (accepted["status"], accepted["cost_usd"]) == ("processing", VIDEO)  # charged up front
        job_ids.append(accepted["job_id"])
        api.advance(DOC_VIDEO_ESTIMATE)
    failed = []
    for index, job_id in enumerate(job_ids):
        job = exact(api.job(job_id))
        if job["status"] == "failed":
            assert job["error"] == {
                "code": "generation_failed",
                "message": "Video generation failed; safe to retry",
            }
            assert job["cost_usd"] == Decimal("0.00")
            assert job["outputs"] == []
            failed.append(index)
        else:
            assert job["status"] == "completed"
            assert job["cost_usd"] == VIDEO
            assert len(job["outputs"]) == 1
    return failed


def test_video_failures__one_in_three_ends_failed_and_refunded(under: Under) -> None:
    api = under("video-failures")

    failed = _video_outcomes(api)

    assert 2 <= len(failed) <= 8, failed  # one in three of 12 is 4
    account = api.backend.accounts[DEFAULT_KEY]
    assert account.refunded == VIDEO * len(failed)
    assert account.spent == VIDEO * (12 - len(failed))
    assert balance(api) == Decimal("100.00") - VIDEO * (12 - len(failed))
    # Deterministic: a reset, and a fresh fake with another seed, fail the same videos.
    api.backend.reset()
    assert _video_outcomes(api) == failed
    other = wire_api(MediaBackend(MockConfig(seed=99, scenario=load_scenario("video-failures"))))
    assert _video_outcomes(other) == failed


# --- bad-day ----------------------------------------------------------------------------------
def test_bad_day__an_agent_gets_through_a_realistic_mix_of_scripted_trouble(under: Under) -> None:
    api = under("bad-day")
    rule_names = {rule.name for rule in load_scenario("bad-day").rules}

    run = run_agent(api)

    journal = list(api.backend.journal)
    # Nothing but what the day scripted goes wrong: every 429, 500 and 503 is a rule's doing.
    scripted = {429: "429-burst", 500: "flaky", 503: "outage"}
    for entry in journal:
        assert entry.status in (200, *scripted), entry
        if entry.status != 200:
            assert scripted[entry.status] in entry.injected, entry
    assert {name for e in journal for name in e.injected} == rule_names
    assert {e.status for e in journal} == {200, 429, 500, 503}
    # Every job ended; the failed videos are exactly the ones "video-failures" picked.
    assert len(run.finished) == 40
    picked = {e.job_id for e in journal if "video-failures" in e.injected and e.status == 200}
    failed = {job_id for job_id, job in run.finished.items() if job["status"] == "failed"}
    assert failed and failed == picked
    # slow-videos: a completed video took three times its 120 s estimate.
    for job in run.finished.values():
        if job["job_id"].startswith("vid_") and job["status"] == "completed":
            taken = datetime.fromisoformat(job["completed_at"]) - datetime.fromisoformat(job["created_at"])
            assert taken.total_seconds() == 3 * DOC_VIDEO_ESTIMATE
    # sluggish: 2.5 s of latency on the fake's clock for each request it slowed.
    slowed = sum(1 for e in journal if "sluggish" in e.injected)
    assert slowed and _elapsed(api) == run.waited + 2.5 * slowed
