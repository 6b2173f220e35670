"""Per-account clocks and the scoped reset: what lets many tests share one fake.

``MediaBackend.advance(seconds, api_key=K)`` moves only K's time (its videos, rate-limit
windows and journal times); ``finish_videos(api_key=K)`` finishes only K's videos;
``reset_account(K)`` forgets K's jobs, media, files, journal, limits, clock and faults, and
nobody else's. Requests go through the wire handler (the cheapest door). Expected values come
from the doc: the clock starts at epoch 1741953600, a 5-second standard video is due after
120 s, Starter allows 10 images a minute, a new account is Pro with $100.00.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from mock_media import MediaBackend, MockConfig
from mock_media.core.errors import NotFound
from tests.doc_tables import DOC_VIDEO_ESTIMATE, FIRST_RESET, START_EPOCH
from tests.doors import Api, wire_api
from tests.helpers import assert_error, path_of, rate


@pytest.fixture
def api(backend: MediaBackend) -> Api:
    return wire_api(backend)


def status(api: Api, job_id: str, key: str) -> str:
    value: str = api.job(job_id, key=key).json()["status"]
    return value


# --- per-account clocks -------------------------------------------------------------------------
def test_advance__with_a_key_moves_only_that_accounts_time(api: Api) -> None:
    api.image(key="a")
    api.image(key="b")

    api.backend.advance(90, api_key="a")

    backend = api.backend
    assert backend.now(backend.accounts["a"]) == START_EPOCH + 90
    assert backend.now(backend.accounts["b"]) == START_EPOCH
    assert backend.now() == START_EPOCH


def test_advance__with_a_key_finishes_only_that_accounts_videos(api: Api) -> None:
    mine = api.video(key="a").json()["job_id"]
    theirs = api.video(key="b").json()["job_id"]

    api.backend.advance(DOC_VIDEO_ESTIMATE, api_key="a")

    assert status(api, mine, "a") == "completed"
    assert status(api, theirs, "b") == "processing"


def test_advance__with_a_key_opens_a_new_window_for_that_account_only(api: Api) -> None:
    for key in ("a", "b"):
        api.backend.register_account(key, "starter")
        for _ in range(10):
            api.image(key=key)
        assert_error(api.image(key=key), 429, "rate_limit_exceeded")

    api.backend.advance(60, api_key="a")

    assert rate(api.image(key="a")) == (10, 9, FIRST_RESET + 60)
    refused = api.image(key="b")
    assert_error(refused, 429, "rate_limit_exceeded")
    assert refused.headers["retry-after"] == "60"


def test_advance__with_a_key_journals_that_accounts_time(api: Api) -> None:
    api.image(key="a")
    api.backend.advance(42.5, api_key="a")

    api.image(key="a")
    api.image(key="b")

    assert [(e.account, e.time) for e in api.backend.journal] == [
        ("a", START_EPOCH),
        ("a", START_EPOCH + 42.5),
        ("b", START_EPOCH),
    ]
    created = api.list(key="a").json()["media"][0]["created_at"]
    assert created == "2025-03-14T12:00:42Z"


def test_advance__for_everybody_keeps_each_accounts_lead(api: Api) -> None:
    api.image(key="a")
    api.image(key="b")
    api.backend.advance(30, api_key="a")

    api.backend.advance(15)

    backend = api.backend
    assert backend.now(backend.accounts["a"]) == START_EPOCH + 45
    assert backend.now(backend.accounts["b"]) == START_EPOCH + 15


def test_advance__unknown_key__not_found_and_nothing_moves(backend: MediaBackend) -> None:
    with pytest.raises(NotFound, match="No account with api_key 'ghost'"):
        backend.advance(10, api_key="ghost")
    assert backend.now() == START_EPOCH


def test_advance__backwards_with_a_key__value_error(api: Api) -> None:
    api.image(key="a")
    with pytest.raises(ValueError, match="backwards"):
        api.backend.advance(-1, api_key="a")


# --- finish_videos ------------------------------------------------------------------------------
def test_finish_videos__with_a_key_finishes_only_that_accounts_videos(api: Api) -> None:
    mine = api.video(key="a").json()["job_id"]
    theirs = api.video(key="b").json()["job_id"]

    finished = api.backend.finish_videos(api_key="a")

    assert [job.job_id for job in finished] == [mine]
    assert (status(api, mine, "a"), status(api, theirs, "b")) == ("completed", "processing")
    backend = api.backend
    assert backend.now(backend.accounts["a"]) == START_EPOCH + DOC_VIDEO_ESTIMATE
    assert backend.now(backend.accounts["b"]) == START_EPOCH


def test_finish_videos__with_a_key_measures_on_that_accounts_clock(api: Api) -> None:
    api.image(key="a")
    api.backend.advance(100, api_key="a")
    job_id = api.video(key="a").json()["job_id"]

    api.backend.finish_videos(api_key="a")

    backend = api.backend
    assert backend.now(backend.accounts["a"]) == START_EPOCH + 100 + DOC_VIDEO_ESTIMATE
    assert api.job(job_id, key="a").json()["completed_at"] == "2025-03-14T12:03:40Z"


def test_finish_videos__without_a_key_finishes_every_accounts_videos(api: Api) -> None:
    api.image(key="a")
    api.backend.advance(50, api_key="a")
    ids = {key: api.video(key=key).json()["job_id"] for key in ("a", "b")}

    finished = api.backend.finish_videos()

    assert sorted(job.job_id for job in finished) == sorted(ids.values())
    assert [status(api, job_id, key) for key, job_id in ids.items()] == ["completed", "completed"]
    assert api.backend.now() == START_EPOCH + DOC_VIDEO_ESTIMATE  # both were 120 s away


def test_finish_videos__with_a_key_and_nothing_processing__no_time_passes(api: Api) -> None:
    api.video(key="b")
    api.image(key="a")

    assert api.backend.finish_videos(api_key="a") == []
    assert api.backend.now(api.backend.accounts["a"]) == START_EPOCH


# --- reset_account ------------------------------------------------------------------------------
def test_reset_account__forgets_its_jobs_media_files_and_journal(api: Api) -> None:
    mine = api.image({"prompt": "mine", "n": 2}, key="a").json()
    theirs = api.image(key="b").json()
    processing = api.video(key="a").json()["job_id"]

    api.backend.reset_account("a")

    assert_error(api.job(mine["job_id"], key="a"), 404, "not_found")
    assert_error(api.job(processing, key="a"), 404, "not_found")
    assert api.list(key="a").json() == {"media": [], "count": 0, "next_cursor": None}
    for output in mine["outputs"]:
        assert_error(api.request("GET", path_of(output["url"]), key=None), 404, "not_found")
    assert [e.account for e in api.backend.journal][:1] == ["b"]
    assert api.job(theirs["job_id"], key="b").status == 200
    assert api.request("GET", path_of(theirs["outputs"][0]["url"]), key=None).status == 200
    api.backend.advance(DOC_VIDEO_ESTIMATE)  # the forgotten video is no longer settled


def test_reset_account__journal_sequence_keeps_counting(api: Api) -> None:
    api.image(key="a")
    api.image(key="b")

    api.backend.reset_account("a")
    api.image(key="a")

    assert [(e.seq, e.account) for e in api.backend.journal] == [(2, "b"), (3, "a")]
    assert (api.backend.journal.total, api.backend.journal.dropped) == (3, 1)


def test_reset_account__a_fresh_account_with_the_default_plan_balance_and_time(api: Api) -> None:
    api.backend.register_account("a", "starter", "1.00")
    api.image(key="a")
    api.backend.advance(500, api_key="a")

    api.backend.reset_account("a")
    r = api.image(key="a")

    account = api.backend.accounts["a"]
    assert (account.plan, account.balance) == ("pro", Decimal("99.96"))
    assert rate(r) == (30, 29, FIRST_RESET)
    assert api.backend.now(account) == START_EPOCH


def test_reset_account__frees_its_concurrent_jobs(api: Api) -> None:
    api.backend.register_account("a", "starter")
    api.video(key="a")
    api.video(key="a")
    api.backend.advance(60, api_key="a")
    assert_error(api.video(key="a"), 429, "rate_limit_exceeded")

    api.backend.reset_account("a")
    api.backend.register_account("a", "starter")

    assert api.video(key="a").status == 200


def test_reset_account__disarms_its_own_faults_only(api: Api) -> None:
    api.backend.faults.fail_next(account="a")
    api.backend.faults.fail_next(account="b")
    api.backend.faults.fail_next_video_jobs(account="a")

    api.backend.reset_account("a")

    assert api.image(key="a").status == 200
    assert api.video(key="a").status == 200
    assert_error(api.image(key="b"), 500, "generation_failed")


def test_reset_account__faults_for_everybody_stay_armed(api: Api) -> None:
    api.backend.faults.fail_next()

    api.backend.reset_account("a")

    assert_error(api.image(key="a"), 500, "generation_failed")


def test_reset_account__unknown_key_is_harmless(api: Api) -> None:
    api.image(key="b")

    api.backend.reset_account("never-seen")

    assert list(api.backend.accounts) == ["b"]
    assert len(api.backend.journal) == 1


def test_reset_account__closed_mode_key_must_be_registered_again() -> None:
    backend = MediaBackend(MockConfig(closed=True))
    api = wire_api(backend)
    backend.register_account("member", "pro")
    assert api.image(key="member").status == 200

    backend.reset_account("member")

    assert_error(api.image(key="member"), 401, "unauthorized", message="Invalid API key")
