"""The conduct judge end to end: small agents, each badly behaved in one way, drive the fake
through the wire door; the judge reads ``backend.journal`` and must name what they did. Each
has a well-behaved twin that it must not blame, and the suite's own agent (``agent.py``) must
come through every bundled scenario it can run under without a finding."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest

from mock_media import MediaBackend, MockConfig
from mock_media.core.conduct import ConductPolicy, ConductReport, MisconductError, check, judge
from mock_media.core.scenario import Scenario
from mock_media.scenario_files import bundled, load_scenario
from tests.doc_tables import IMAGE_PATH, VIDEO_PATH
from tests.doors import Api, Reply, wire_api

from .agent import run_agent

KEY = "k"


def fake(scenario: dict[str, Any] | Scenario | None = None) -> Api:
    if isinstance(scenario, dict):
        scenario = Scenario.from_dict(scenario)
    return wire_api(MediaBackend(MockConfig(scenario=scenario)))


def starter() -> Api:
    """An account on Starter: 10 images a minute."""
    api = fake()
    api.backend.register_account(KEY, "starter")
    return api


def spend_the_minute(api: Api) -> None:
    for n in range(10):
        assert api.image({"prompt": f"warm-up {n}"}, key=KEY).status == 200


def found(report: ConductReport) -> list[tuple[str, int, int | None]]:
    return [(f.rule, f.seq, f.earlier) for f in report.findings]


def seqs(api: Api, status: int) -> list[int]:
    return [e.seq for e in api.backend.journal.query(account=KEY, status=status)]


# --- early_retry ----------------------------------------------------------------------------------
def impatient(api: Api, body: dict[str, Any], hammer: int) -> Reply:
    """Retries a 429 at once ``hammer`` times, then waits what Retry-After said."""
    reply = api.image(body, key=KEY)
    for _ in range(hammer):
        if reply.status != 429:
            return reply
        reply = api.image(body, key=KEY)
    while reply.status == 429:
        api.advance(int(reply.headers["retry-after"]))
        reply = api.image(body, key=KEY)
    return reply


def test_early_retry__an_agent_that_retries_a_429_at_once_is_named() -> None:
    api = starter()
    spend_the_minute(api)

    assert impatient(api, {"prompt": "one more"}, hammer=3).status == 200
    report = judge(api.backend.journal)

    limited = seqs(api, 429)
    assert len(limited) == 4
    assert found(report) == [("early_retry", later, earlier) for earlier, later in pairwise(limited)]
    assert report.findings[0].message.startswith(f"#{limited[1]} POST {IMAGE_PATH} came 0.0 s after")
    assert (
        "Retry-After: 60, X-RateLimit-Remaining: 0, X-RateLimit-Reset: 1741953660"
        in report.findings[0].message
    )


def test_early_retry__an_agent_that_waits_what_retry_after_says_is_not() -> None:
    api = starter()
    spend_the_minute(api)

    assert impatient(api, {"prompt": "one more"}, hammer=0).status == 200
    assert len(seqs(api, 429)) == 1
    check(api.backend.journal)


def test_early_retry__a_scripted_429_with_its_own_retry_after() -> None:
    api = fake(
        {
            "name": "burst",
            "rules": [
                {
                    "match": {"route": "generate_image", "requests": [1, 2]},
                    "action": {"error": "rate_limit_exceeded", "retry_after": 10},
                }
            ],
        }
    )
    assert api.image(key=KEY).status == 429
    api.advance(3)
    assert api.image(key=KEY).status == 429  # 3 s after a 429 that said 10
    api.advance(10)
    assert api.image(key=KEY).status == 200

    assert [f.message for f in judge(api.backend.journal).findings] == [
        f"#2 POST {IMAGE_PATH} came 3.0 s after #1's 429 said Retry-After: 10, X-RateLimit-Remaining: 0, "
        "X-RateLimit-Reset: 1741953610 (7.0 s early)"
    ]


def test_early_retry__the_docs_own_backoff_example_ignores_retry_after() -> None:
    """The doc's ``generate_with_backoff`` sleeps 2**attempt + 1 s whatever the 429 said: on a
    spent minute it comes back 2, 5, 10 and 19 s in, each time before Retry-After."""
    api = starter()
    spend_the_minute(api)
    for attempt in range(5):  # the doc's loop, with the fake's clock for time.sleep
        if api.image({"prompt": "a cat", "aspect_ratio": "1:1"}, key=KEY).status == 200:
            break
        api.advance(2**attempt + 1)

    assert [f.rule for f in judge(api.backend.journal).findings] == ["early_retry"] * 4


# --- resubmitted_refusal ------------------------------------------------------------------------
def stubborn(api: Api, body: dict[str, Any], attempts: int) -> list[Reply]:
    """Treats every failure as passing trouble: waits and sends the same body again."""
    replies = [api.video(body, key=KEY)]
    while replies[-1].status != 200 and len(replies) < attempts:
        api.advance(30)
        replies.append(api.video(body, key=KEY))
    return replies


def test_resubmitted_refusal__an_agent_that_resends_after_402_is_named() -> None:
    api = fake()
    api.backend.register_account(KEY, "pro", balance_usd="0.00")

    replies = stubborn(api, {"prompt": "a crab", "duration_seconds": 5}, attempts=4)
    report = judge(api.backend.journal)

    assert [r.status for r in replies] == [402] * 4
    assert found(report) == [("resubmitted_refusal", n, n - 1) for n in (2, 3, 4)]
    assert report.findings[0].message == (
        f"#2 POST {VIDEO_PATH} sent the same body again after #1 was refused 402 insufficient_balance"
    )


def test_resubmitted_refusal__an_agent_that_fixes_its_request_is_not() -> None:
    api = fake()
    api.backend.register_account(KEY, "pro", balance_usd="1.00")
    body: dict[str, Any] = {"prompt": "a crab", "duration_seconds": 5, "aspect_ratio": "2:1"}

    first = api.video(body, key=KEY)
    assert first.status == 400
    body["aspect_ratio"] = "16:9"
    assert api.video(body, key=KEY).status == 402  # $4.00 on a $1.00 balance
    body["duration_seconds"] = 1
    assert api.video(body, key=KEY).status == 200

    check(api.backend.journal)


def test_resubmitted_refusal__the_same_body_after_a_top_up_is_not_blamed() -> None:
    api = fake()
    api.backend.register_account(KEY, "pro", balance_usd="0.00")
    body = {"prompt": "a crab"}
    assert api.video(body, key=KEY).status == 402
    api.backend.register_account(KEY, balance_usd="10.00")  # the owner topped it up

    assert api.video(body, key=KEY).status == 200
    check(api.backend.journal)


# --- polled_too_fast ----------------------------------------------------------------------------
def watcher(api: Api, every: float) -> dict[str, Any]:
    """Makes one video and looks at it every ``every`` seconds until it is done."""
    job: dict[str, Any] = api.video({"prompt": "a crab"}, key=KEY).json()
    while job["status"] == "processing":
        api.advance(every)
        job = api.job(job["job_id"], key=KEY).json()
    return job


def test_polled_too_fast__an_agent_that_polls_every_second_is_named() -> None:
    api = fake()

    assert watcher(api, every=1)["status"] == "completed"
    report = judge(api.backend.journal)

    looks = [e.seq for e in api.backend.journal.query(account=KEY, method="GET")]
    assert len(looks) == 120  # the doc's 120 s for a 5-second clip
    assert found(report) == [("polled_too_fast", s, s - 1) for s in looks]
    assert report.findings[0].message.endswith("came 1.0 s after #1 created it (poll interval 5.0 s)")


def test_polled_too_fast__an_agent_that_polls_every_ten_seconds_is_not() -> None:
    api = fake()

    assert watcher(api, every=10)["status"] == "completed"
    check(api.backend.journal)


def test_polled_too_fast__a_team_may_set_its_own_interval() -> None:
    api = fake()
    watcher(api, every=10)

    with pytest.raises(MisconductError, match=r"polled_too_fast: 12\)"):
        check(api.backend.journal, ConductPolicy(poll_interval=30))


# --- never_gave_up ------------------------------------------------------------------------------
DOWN = {
    "name": "down-all-day",
    "rules": [
        {"match": {"route": "generate_image"}, "action": {"error": "model_unavailable", "retry_after": 30}}
    ],
}


def persistent(api: Api, attempts: int) -> list[int]:
    """Honours Retry-After every time, and tries ``attempts`` times."""
    statuses = []
    for _ in range(attempts):
        reply = api.image(key=KEY)
        statuses.append(reply.status)
        if reply.status == 200:
            break
        api.advance(int(reply.headers["retry-after"]))
    return statuses


def test_never_gave_up__an_agent_that_retries_an_outage_forever_is_named_once() -> None:
    api = fake(DOWN)

    assert persistent(api, attempts=25) == [503] * 25
    report = judge(api.backend.journal)

    assert found(report) == [("never_gave_up", 10, 1)]  # polite each time: no early_retry
    assert report.findings[0].message == (
        f"#10 POST {IMAGE_PATH} was failure 10 in a row since #1 (503 x10) without a success; "
        "give up after 10"
    )


def test_never_gave_up__an_agent_that_gives_up_after_five_is_not() -> None:
    api = fake(DOWN)

    assert persistent(api, attempts=5) == [503] * 5
    check(api.backend.journal)


# --- the suite's well-behaved agent -------------------------------------------------------------
def test_the_well_behaved_agent__has_no_findings_on_a_bad_day() -> None:
    api = fake(load_scenario("bad-day"))

    run_agent(api)
    report = check(api.backend.journal)

    assert report.requests > 100
    # Not a quiet day: it met 429s, 500s and a 503 outage, and waited them out.
    assert {e.status for e in api.backend.journal} >= {200, 429, 500, 503}


@pytest.mark.parametrize("name", sorted(set(bundled()) - {"balance-drain"}))
def test_the_well_behaved_agent__has_no_findings_under_any_bundled_scenario(name: str) -> None:
    """(Under balance-drain the agent stops at its first 402, as it should.)"""
    api = fake(load_scenario(name))

    run_agent(api)

    check(api.backend.journal)
