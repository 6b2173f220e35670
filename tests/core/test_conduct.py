"""The agent-conduct judge over hand-built journal entries: each rule fires on the misconduct it
names and stays quiet on the well-behaved counterpart, at the exact boundary."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from mock_media.core.assumptions import GIVE_UP_AFTER, POLL_INTERVAL_SECONDS
from mock_media.core.conduct import (
    RULES,
    ConductPolicy,
    ConductReport,
    Finding,
    MisconductError,
    check,
    judge,
)
from mock_media.core.journal import JournalEntry

T0 = 1741953600.0
IMAGE = "/v1/hosting/media/image"
VIDEO = "/v1/hosting/media/video"
OPERATIONS = {IMAGE: "generate_image", VIDEO: "generate_video"}


class Session:
    """Builds a journal by hand: each call appends one entry with the next ``seq``."""

    def __init__(self) -> None:
        self.entries: list[JournalEntry] = []

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries)

    def add(
        self,
        at: float,
        method: str,
        path: str,
        status: int,
        *,
        operation: str | None = None,
        account: str | None = "k",
        job_id: str | None = None,
        error_code: str | None = None,
        headers: Mapping[str, str] | None = None,
        body: Any = None,
        raw: bytes | None = None,
        size: int | None = None,
        action: Mapping[str, Any] | None = None,
    ) -> JournalEntry:
        data = raw if raw is not None else (b"" if body is None else json.dumps(body).encode())
        entry = JournalEntry(
            seq=len(self.entries) + 1,
            time=T0 + at,
            method=method,
            path=path,
            query="",
            account=account,
            status=status,
            operation=operation or OPERATIONS.get(path) or _operation(method, path),
            error_code=error_code,
            job_id=job_id,
            request_body=data,
            request_size=len(data) if size is None else size,
            response_headers=tuple((headers or {}).items()),
            action=action,
        )
        self.entries.append(entry)
        return entry

    def post(self, at: float, status: int = 200, path: str = IMAGE, **kw: Any) -> JournalEntry:
        kw.setdefault("body", {"prompt": "a cat"})
        return self.add(at, "POST", path, status, **kw)

    def limited(self, at: float, retry_after: int, reset: float | None = None, **kw: Any) -> JournalEntry:
        """A 429: Retry-After, and (with ``reset``) nothing left until that epoch."""
        headers = {"Retry-After": str(retry_after), "X-RateLimit-Limit": "30"}
        if reset is not None:
            headers.update({"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(T0 + reset))})
        return self.post(at, 429, headers=headers, error_code="rate_limit_exceeded", **kw)

    def look(self, at: float, job_id: str, status: int = 200, **kw: Any) -> JournalEntry:
        return self.add(
            at, "GET", f"/v1/hosting/media/{job_id}", status, job_id=job_id if status == 200 else None, **kw
        )


def _operation(method: str, path: str) -> str | None:
    if path.startswith("/generated/"):
        return "get_file"
    if path == "/v1/hosting/media":
        return "list_media"
    if path.startswith("/v1/hosting/media/"):
        return "get_job" if method == "GET" else "delete_media"
    return None


def rules(report: ConductReport) -> list[tuple[str, int, int | None]]:
    return [(f.rule, f.seq, f.earlier) for f in report.findings]


# --- policy -------------------------------------------------------------------------------------
def test_policy__defaults_come_from_assumptions() -> None:
    assert ConductPolicy() == ConductPolicy(POLL_INTERVAL_SECONDS, GIVE_UP_AFTER)
    assert (POLL_INTERVAL_SECONDS, GIVE_UP_AFTER) == (5.0, 10)


@pytest.mark.parametrize("value", [-1, -0.001, math.inf, math.nan, True, "5", None])
def test_policy__poll_interval_must_be_a_finite_non_negative_number(value: Any) -> None:
    with pytest.raises(ValueError, match="poll_interval"):
        ConductPolicy(poll_interval=value)


@pytest.mark.parametrize("value", [0, -3, 2.0, True, "10", None])
def test_policy__give_up_after_must_be_an_integer_of_at_least_one(value: Any) -> None:
    with pytest.raises(ValueError, match="give_up_after"):
        ConductPolicy(give_up_after=value)


def test_policy__zero_interval_and_one_attempt_are_allowed() -> None:
    assert ConductPolicy(poll_interval=0, give_up_after=1).to_dict() == {
        "poll_interval": 0,
        "give_up_after": 1,
    }


# --- what is judged -----------------------------------------------------------------------------
def test_judge__an_empty_journal_is_ok() -> None:
    report = judge([])

    assert report.ok and report.requests == 0 and report.findings == ()
    assert str(report) == "Agent conduct: no findings in 0 requests"


def test_judge__keyless_requests_downloads_and_unrouted_paths_are_not_judged() -> None:
    s = Session()
    s.limited(0, 60, account=None)
    s.post(1, account=None)  # a keyless retry is nobody's
    s.add(2, "GET", "/generated/img_x_0.webp", 200)
    s.add(3, "GET", "/generated/img_x_0.webp", 200)
    s.add(4, "GET", "/nowhere", 404)
    s.post(5)

    report = judge(s)

    assert report.ok
    assert report.requests == 1


def test_judge__accounts_are_judged_apart() -> None:
    s = Session()
    s.limited(0, 30, account="a")
    s.post(1, account="b")  # b was never told to wait
    s.look(2, "vid_1", account="a")
    s.look(3, "vid_1", account="b")  # b's first look at that id

    assert judge(s).ok


def test_judge__accepts_a_journal_or_any_iterable_of_entries() -> None:
    s = Session()
    s.limited(0, 30)
    s.post(1)

    assert rules(judge(iter(s.entries))) == rules(judge(tuple(s.entries))) == [("early_retry", 2, 1)]


# --- 1. early_retry -----------------------------------------------------------------------------
def test_early_retry__a_retry_before_retry_after_is_a_finding() -> None:
    s = Session()
    s.post(0)
    s.limited(2, 12)
    s.post(4)

    report = judge(s)

    assert rules(report) == [("early_retry", 3, 2)]
    [finding] = report.findings
    assert finding.account == "k" and finding.operation == "generate_image"
    assert finding.message == (
        f"#3 POST {IMAGE} came 2.0 s after #2's 429 said Retry-After: 12 (10.0 s early)"
    )


def test_early_retry__a_retry_at_the_instant_retry_after_names_is_fine() -> None:
    s = Session()
    s.limited(2, 12)
    s.post(14)

    assert judge(s).ok


def test_early_retry__float_noise_at_the_boundary_is_not_a_finding() -> None:
    s = Session()
    s.limited(0.1 + 0.2, 12)
    s.post(12.3 - 1e-9)

    assert judge(s).ok


def test_early_retry__every_retry_before_the_instant_is_a_finding() -> None:
    s = Session()
    s.limited(0, 10)
    s.post(1, 429, headers={})  # a 429 that says nothing more: the first wait still holds
    s.post(2, 500)

    # Each answer replaces the wait: the 500 said nothing, so from then on nothing holds.
    s.post(3)

    assert rules(judge(s)) == [("early_retry", 2, 1)]


def test_early_retry__each_early_retry_is_a_finding_against_the_latest_answer() -> None:
    s = Session()
    s.limited(0, 10)
    s.limited(1, 9)
    s.limited(2, 8)
    s.post(10)  # the last 429 said 8 s from t=2

    assert rules(judge(s)) == [("early_retry", 2, 1), ("early_retry", 3, 2)]


def test_early_retry__another_operation_may_go_on() -> None:
    s = Session()
    s.limited(0, 60)
    s.post(1, path=VIDEO, body={"prompt": "a crab"})
    s.look(2, "vid_1")
    s.add(3, "GET", "/v1/hosting/media", 200)

    assert judge(s).ok


def test_early_retry__a_spent_limit_holds_until_its_reset() -> None:
    s = Session()
    s.limited(0, 5, reset=60)  # Retry-After says 5 s, X-RateLimit-Reset 60 s from now
    s.post(30)

    [finding] = judge(s).findings
    assert (finding.rule, finding.seq, finding.earlier) == ("early_retry", 2, 1)
    assert "X-RateLimit-Remaining: 0" in finding.message
    assert f"X-RateLimit-Reset: {int(T0 + 60)}" in finding.message


def test_early_retry__the_reset_counts_to_its_whole_second() -> None:
    """A scripted 429 at a fractional instant says Retry-After: 20 with a reset rounded up to
    the next second: honouring Retry-After exactly is not early; a second before the reset is."""
    s = Session()
    s.limited(2.5, 20, reset=23)
    s.post(22.5)
    s.limited(40, 5, reset=60)
    s.post(58.5)  # Retry-After is long past, but more than a second before the reset

    assert rules(judge(s)) == [("early_retry", 4, 3)]


def test_early_retry__the_reset_counts_only_on_a_429_with_nothing_left() -> None:
    s = Session()
    headers = {"Retry-After": "5", "X-RateLimit-Remaining": "3", "X-RateLimit-Reset": str(int(T0 + 60))}
    s.post(0, 429, headers=headers)
    s.post(5)
    s.post(6, 503, headers={**headers, "X-RateLimit-Remaining": "0"})
    s.post(11)

    assert judge(s).ok


def test_early_retry__a_503_or_500_with_retry_after_counts_too() -> None:
    s = Session()
    s.post(0, 503, headers={"Retry-After": "60"}, error_code="model_unavailable")
    s.post(30)
    s.post(31, 500, headers={"retry-after": "10"}, error_code="generation_failed")
    s.post(40)

    assert rules(judge(s)) == [("early_retry", 2, 1), ("early_retry", 4, 3)]


def test_early_retry__an_http_date_retry_after_is_read_too() -> None:
    s = Session()
    s.post(0, 503, headers={"Retry-After": "Fri, 14 Mar 2025 12:01:00 GMT"})  # T0 + 60
    s.post(59)
    s.post(60)

    assert rules(judge(s)) == [("early_retry", 2, 1)]


@pytest.mark.parametrize("value", ["soon", "-5", "1.5", "", "Fri, 99 Foo 2025"])
def test_early_retry__an_unreadable_retry_after_asks_nothing(value: str) -> None:
    s = Session()
    s.post(0, 429, headers={"Retry-After": value})
    s.post(0.5)

    assert judge(s).ok


def test_early_retry__an_answer_lost_to_a_dropped_connection_told_the_client_nothing() -> None:
    s = Session()
    s.limited(0, 30, action={"transport": "reset"})
    s.post(1)

    assert judge(s).ok


def test_early_retry__a_retry_whose_answer_was_lost_is_still_judged_and_keeps_the_wait() -> None:
    s = Session()
    s.limited(0, 30)
    s.post(1, action={"transport": "timeout"})
    s.post(2)
    s.post(30)

    assert rules(judge(s)) == [("early_retry", 2, 1), ("early_retry", 3, 1)]


# --- 2. resubmitted_refusal ---------------------------------------------------------------------
@pytest.mark.parametrize(
    ("status", "code"),
    [
        (400, "invalid_parameter"),
        (400, "invalid_prompt"),
        (401, "unauthorized"),
        (402, "insufficient_balance"),
        (413, "payload_too_large"),
    ],
)
def test_resubmitted_refusal__the_same_body_again_is_a_finding(status: int, code: str) -> None:
    s = Session()
    s.post(0, status, error_code=code, body={"prompt": "a cat", "n": 9})
    s.post(60, status, error_code=code, body={"prompt": "a cat", "n": 9})

    [finding] = judge(s).findings
    assert (finding.rule, finding.seq, finding.earlier) == ("resubmitted_refusal", 2, 1)
    assert finding.message == f"#2 POST {IMAGE} sent the same body again after #1 was refused {status} {code}"


def test_resubmitted_refusal__a_changed_body_is_fine() -> None:
    s = Session()
    s.post(0, 400, error_code="invalid_parameter", body={"prompt": "a cat", "n": 9})
    s.post(1, body={"prompt": "a cat", "n": 4})
    s.post(2, 402, error_code="insufficient_balance", body={"prompt": "a crab"}, path=VIDEO)
    s.post(3, body={"prompt": "a crab", "duration_seconds": 1}, path=VIDEO)

    assert judge(s).ok


def test_resubmitted_refusal__json_is_compared_as_json() -> None:
    s = Session()
    s.post(0, 400, raw=b'{"prompt": "a cat", "n": 9}')
    s.post(1, 400, raw=b'{"n":9,\n "prompt":"a cat"}')
    s.post(2, 400, raw=b'{"n": 9.0, "prompt": "a cat"}')  # 9.0 is not the integer 9 the API wants

    assert rules(judge(s)) == [("resubmitted_refusal", 2, 1)]


def test_resubmitted_refusal__other_bodies_are_compared_byte_for_byte() -> None:
    s = Session()
    s.post(0, 400, raw=b"prompt=a cat")
    s.post(1, 400, raw=b"prompt=a cat")
    s.post(2, 400, raw=b"prompt=a  cat")
    s.post(3, 400, raw=b"\xff\xfe")
    s.post(4, 400, raw=b"\xff\xfe")

    assert rules(judge(s)) == [("resubmitted_refusal", 2, 1), ("resubmitted_refusal", 5, 4)]


def test_resubmitted_refusal__an_oversized_body_is_compared_by_its_length() -> None:
    """Past the body limit the journal keeps only the length, which is all a 413 depends on."""
    s = Session()
    s.post(0, 413, raw=b"", size=2_000_000)
    s.post(1, 413, raw=b"", size=2_000_000)
    s.post(2, 413, raw=b"", size=2_000_001)

    assert rules(judge(s)) == [("resubmitted_refusal", 2, 1)]


def test_resubmitted_refusal__only_the_same_path_and_account() -> None:
    s = Session()
    s.post(0, 402, error_code="insufficient_balance")
    s.post(1, 402, error_code="insufficient_balance", path=VIDEO)
    s.post(2, 402, error_code="insufficient_balance", account="other")

    assert judge(s).ok


def test_resubmitted_refusal__retryable_answers_are_not_refusals() -> None:
    s = Session()
    s.post(0, 500)
    s.post(10, 503)
    s.post(20, 404)
    s.post(30)

    assert judge(s).ok


def test_resubmitted_refusal__each_resubmission_is_a_finding_against_the_latest_refusal() -> None:
    s = Session()
    for at in range(4):
        s.post(at * 10, 402, error_code="insufficient_balance")

    assert rules(judge(s)) == [("resubmitted_refusal", n, n - 1) for n in (2, 3, 4)]


def test_resubmitted_refusal__a_resubmission_that_succeeded_is_not_blamed() -> None:
    """The balance was topped up (or a scripted refusal ended): the judge cannot see it."""
    s = Session()
    s.post(0, 402, error_code="insufficient_balance")
    s.post(10, 402, error_code="insufficient_balance")
    s.post(20)
    s.post(30)

    assert rules(judge(s)) == [("resubmitted_refusal", 2, 1)]


def test_resubmitted_refusal__a_refusal_the_client_never_got_is_not_one() -> None:
    s = Session()
    s.post(0, 402, action={"transport": "reset"})
    s.post(1, 402)

    assert judge(s).ok


# --- 3. polled_too_fast -------------------------------------------------------------------------
def test_polled_too_fast__a_look_sooner_than_the_interval_is_a_finding() -> None:
    s = Session()
    s.post(0, path=VIDEO, job_id="vid_1")
    s.look(5, "vid_1")
    s.look(6, "vid_1")

    report = judge(s)

    assert rules(report) == [("polled_too_fast", 3, 2)]
    assert report.findings[0].operation == "get_job"
    assert report.findings[0].message == (
        "#3 GET /v1/hosting/media/vid_1 came 1.0 s after #2 looked at it (poll interval 5.0 s)"
    )


def test_polled_too_fast__the_creating_post_is_the_first_look() -> None:
    s = Session()
    s.post(0, path=VIDEO, job_id="vid_1")
    s.look(0.5, "vid_1")
    s.post(10, job_id="img_1")  # an image job is a job too
    s.look(10, "img_1")

    report = judge(s)

    assert rules(report) == [("polled_too_fast", 2, 1), ("polled_too_fast", 4, 3)]
    assert "came 0.5 s after #1 created it" in report.findings[0].message


def test_polled_too_fast__looks_at_the_interval_are_fine() -> None:
    s = Session()
    s.post(0, path=VIDEO, job_id="vid_1")
    for n in range(1, 25):
        s.look(5 * n, "vid_1")

    assert judge(s).ok


def test_polled_too_fast__each_job_has_its_own_interval() -> None:
    s = Session()
    s.post(0, path=VIDEO, job_id="vid_1")
    s.post(1, path=VIDEO, job_id="vid_2")
    s.look(6, "vid_1")
    s.look(6, "vid_2")
    s.look(11, "vid_1")
    s.look(11, "vid_2")

    assert judge(s).ok


def test_polled_too_fast__a_404_look_is_named_by_its_path() -> None:
    s = Session()
    s.look(0, "vid_nope", 404)
    s.look(1, "vid_nope", 404)

    assert rules(judge(s)) == [("polled_too_fast", 2, 1)]


def test_polled_too_fast__the_interval_is_configurable_and_zero_turns_it_off() -> None:
    s = Session()
    s.post(0, path=VIDEO, job_id="vid_1")
    for n in range(1, 4):
        s.look(n, "vid_1")

    assert judge(s, ConductPolicy(poll_interval=1)).ok
    assert judge(s, ConductPolicy(poll_interval=0)).ok
    assert len(judge(s, ConductPolicy(poll_interval=1.5)).findings) == 3


def test_polled_too_fast__deleting_and_listing_are_not_looks() -> None:
    s = Session()
    s.post(0, job_id="img_1")
    s.add(1, "GET", "/v1/hosting/media", 200)
    s.add(2, "DELETE", "/v1/hosting/media/media_1", 200, job_id="img_1")
    s.add(3, "DELETE", "/v1/hosting/media/media_2", 200, job_id="img_1")

    assert judge(s).ok


# --- 4. never_gave_up ---------------------------------------------------------------------------
def test_never_gave_up__the_threshold_th_failure_in_a_row_is_one_finding() -> None:
    s = Session()
    for n in range(15):
        s.post(n * 60, 503 if n % 2 else 500)

    report = judge(s, ConductPolicy(give_up_after=4))

    assert rules(report) == [("never_gave_up", 4, 1)]
    assert report.findings[0].message == (
        f"#4 POST {IMAGE} was failure 4 in a row since #1 (500 x2, 503 x2) without a success; give up after 4"
    )


def test_never_gave_up__one_short_of_the_threshold_is_fine() -> None:
    s = Session()
    for n in range(GIVE_UP_AFTER - 1):
        s.post(n * 60, 503)

    assert judge(s).ok


def test_never_gave_up__a_success_ends_the_run() -> None:
    s = Session()
    for n in range(3):
        s.post(n * 60, 429)
    s.post(200)
    for n in range(3):
        s.post(300 + n * 60, 429)

    assert judge(s, ConductPolicy(give_up_after=4)).ok


def test_never_gave_up__another_operation_or_a_refusal_neither_ends_nor_counts() -> None:
    s = Session()
    s.post(0, 503)
    s.post(60, 503)
    s.post(90, path=VIDEO)  # a video succeeded: not the image run's success
    s.post(120, 400, error_code="invalid_parameter", body={"n": 9})
    s.post(180, 503)

    report = judge(s, ConductPolicy(give_up_after=3))

    assert rules(report) == [("never_gave_up", 5, 1)]


def test_never_gave_up__a_new_run_after_a_success_is_found_again() -> None:
    s = Session()
    for n in range(2):
        s.post(n * 60, 503)
    s.post(200)
    for n in range(3):
        s.post(300 + n * 60, 503)

    assert rules(judge(s, ConductPolicy(give_up_after=2))) == [
        ("never_gave_up", 2, 1),
        ("never_gave_up", 5, 4),
    ]


def test_never_gave_up__a_dropped_connection_is_a_failure_even_on_a_200() -> None:
    s = Session()
    s.post(0, 200, action={"transport": "reset"})
    s.post(60, 200, action={"transport": "timeout"})
    s.post(120, 429)

    [finding] = judge(s, ConductPolicy(give_up_after=3)).findings
    assert finding.earlier == 1
    assert "(transport reset x1, transport timeout x1, 429 x1)" in finding.message


def test_never_gave_up__get_job_failures_count_per_operation() -> None:
    s = Session()
    s.post(0, path=VIDEO, job_id="vid_1")
    for n in range(1, 4):
        s.look(n * 60, "vid_1", 503)

    assert rules(judge(s, ConductPolicy(give_up_after=3))) == [("never_gave_up", 4, 2)]


# --- the report -----------------------------------------------------------------------------------
def _messy() -> Session:
    s = Session()
    s.limited(0, 30)
    for n in range(12):
        s.limited(1 + n, 30)  # 12 early retries, each against the 429 before it
    s.post(100, 402, error_code="insufficient_balance", path=VIDEO)
    s.post(200, 402, error_code="insufficient_balance", path=VIDEO)
    return s


def test_report__lists_findings_in_journal_order_grouped_by_rule() -> None:
    report = judge(_messy())

    assert not report.ok
    assert report.requests == 15
    # 12 early 429s in a row (the 10th of them is also where it should have given up), one resubmission.
    assert [(f.seq, f.rule) for f in report.findings][8:11] == [
        (10, "early_retry"),
        (10, "never_gave_up"),
        (11, "early_retry"),
    ]
    assert [f.seq for f in report.findings][-1] == 15
    grouped = report.by_rule()
    assert list(grouped) == list(RULES)
    assert [len(v) for v in grouped.values()] == [12, 1, 0, 1]


def test_report__str_has_a_header_with_counts_and_caps_each_rule() -> None:
    lines = str(judge(_messy())).splitlines()

    assert lines[0] == (
        "Agent conduct: 14 findings in 15 requests "
        "(early_retry: 12, resubmitted_refusal: 1, never_gave_up: 1)"
    )
    assert lines[1].startswith("  early_retry: #2 POST ")
    assert lines[10].startswith("  early_retry: #11 POST ")
    assert lines[11] == "  early_retry: ... and 2 more"
    assert lines[12].startswith("  resubmitted_refusal: #15 POST /v1/hosting/media/video sent the same body")
    assert lines[13].startswith("  never_gave_up: #10 POST /v1/hosting/media/image was failure 10 in a row")
    assert len(lines) == 14


def test_report__to_dict_is_json_ready() -> None:
    report = judge(_messy(), ConductPolicy(poll_interval=2, give_up_after=3))
    data = json.loads(json.dumps(report.to_dict()))

    assert data["ok"] is False
    assert data["requests"] == 15
    assert data["policy"] == {"poll_interval": 2, "give_up_after": 3}
    assert data["counts"] == {
        "early_retry": 12,
        "resubmitted_refusal": 1,
        "polled_too_fast": 0,
        "never_gave_up": 1,
    }
    assert data["findings"][0] == {
        "rule": "early_retry",
        "seq": 2,
        "earlier": 1,
        "account": "k",
        "operation": "generate_image",
        "message": report.findings[0].message,
    }
    assert Finding(**data["findings"][-1]) == report.findings[-1]


def test_report__one_request_one_finding_reads_in_the_singular() -> None:
    s = Session()
    s.post(0)
    assert str(judge(s)) == "Agent conduct: no findings in 1 request"
    s.limited(1, 10)
    s.post(2)
    assert str(judge(s)).splitlines()[0] == "Agent conduct: 1 finding in 3 requests (early_retry: 1)"


def test_check__returns_the_report_when_ok() -> None:
    s = Session()
    s.post(0)

    assert check(s) == judge(s)


def test_check__raises_an_assertion_error_carrying_the_report() -> None:
    s = _messy()

    with pytest.raises(MisconductError) as caught:
        check(s)

    assert isinstance(caught.value, AssertionError)
    assert caught.value.report == judge(s)
    assert str(caught.value) == str(judge(s))


def test_check__uses_the_policy_given() -> None:
    s = Session()
    s.post(0, path=VIDEO, job_id="vid_1")
    s.look(3, "vid_1")

    with pytest.raises(MisconductError, match="polled_too_fast"):
        check(s)
    assert check(s, ConductPolicy(poll_interval=3)).ok
