"""The admin API under ``/_mock``, through every door (wire handler, ASGI, live server).

Expected values come from the doc and beyond-the-doc.md, never from the code under test: the
virtual clock starts at 2025-03-14T12:00:00Z (epoch 1741953600), Pro is 30/5/5, Business
60/10/10, Enterprise defaults 300/50/50 (decision 21), a standard image costs $0.04 and a
5-second standard video $4.00 that is estimated at 120 s (the doc's example).

Every door's caller here is in-process or on loopback, and the handler has no admin token, so
the admin API lets it in; tests/test_admin_security.py covers whom it refuses.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.doc_tables import API_PREFIX, IMAGE_PATH, JOB_ID_IMAGE, START_EPOCH, START_ISO, VIDEO_PATH
from tests.doors import DEFAULT_KEY, Api, Reply
from tests.helpers import assert_error, assert_no_rate_headers


def admin(api: Api, method: str, route: str, json: Any = None, **kwargs: Any) -> Reply:
    """An admin call; it needs no key, so none is sent unless asked."""
    kwargs.setdefault("key", None)
    return api.request(method, "/_mock" + route, json=json, **kwargs)


def ok(reply: Reply) -> Any:
    assert reply.status == 200, reply.body
    assert reply.headers["content-type"] == "application/json"
    return reply.json()


def image_job(api: Api, key: str = "k") -> dict[str, Any]:
    body: dict[str, Any] = ok(api.image(key=key))
    return body


# --- health ---------------------------------------------------------------------------------
def test_health__ok_with_seed_and_clock(api: Api) -> None:
    body = ok(admin(api, "GET", "/health"))
    assert body["status"] == "ok"
    assert body["seed"] == 0
    assert body["clock"]["epoch"] == START_EPOCH
    assert body["clock"]["mode"] == "virtual"


def test_health__admin_answers_carry_no_rate_limit_headers(api: Api) -> None:
    reply = admin(api, "GET", "/health", key="k")
    assert reply.status == 200
    assert_no_rate_headers(reply)


# --- reset ----------------------------------------------------------------------------------
def test_reset__forgets_jobs_media_accounts_journal_and_time(api: Api) -> None:
    job = image_job(api)
    ok(admin(api, "POST", "/clock/advance", {"seconds": 100}))
    body = ok(admin(api, "POST", "/reset"))
    assert body == {"status": "reset", "seed": 0}
    assert ok(admin(api, "GET", "/accounts")) == {"accounts": [], "count": 0}
    journal = ok(admin(api, "GET", "/journal"))
    assert (journal["count"], journal["total"], journal["entries"]) == (0, 0, [])
    assert ok(admin(api, "GET", "/clock"))["epoch"] == START_EPOCH
    assert api.job(job["job_id"]).status == 404
    assert ok(api.list())["media"] == []
    assert api.request("GET", "/generated/" + job["outputs"][0]["url"].rsplit("/", 1)[1]).status == 404


def test_reset__same_seed_gives_the_same_ids_again(api: Api) -> None:
    first = image_job(api)
    ok(admin(api, "POST", "/reset"))
    again = image_job(api)
    assert again["job_id"] == first["job_id"]
    assert again["outputs"][0]["media_id"] == first["outputs"][0]["media_id"]
    assert again["outputs"][0]["size_bytes"] == first["outputs"][0]["size_bytes"]


def test_reset__new_seed_changes_ids_and_sticks(api: Api) -> None:
    seed0 = image_job(api)["job_id"]
    body = ok(admin(api, "POST", "/reset", {"seed": 5}))
    assert body == {"status": "reset", "seed": 5}
    assert ok(admin(api, "GET", "/health"))["seed"] == 5
    seed5 = image_job(api)["job_id"]
    assert seed5 != seed0
    assert JOB_ID_IMAGE.fullmatch(seed5)
    ok(admin(api, "POST", "/reset", {}))  # no seed: a fresh start with the current one
    assert image_job(api)["job_id"] == seed5
    ok(admin(api, "POST", "/reset", {"seed": 0}))
    assert image_job(api)["job_id"] == seed0


@pytest.mark.parametrize("seed", ["5", True, 1.5, [5]])
def test_reset__bad_seed_is_invalid_parameter(api: Api, seed: Any) -> None:
    image_job(api)
    assert_error(admin(api, "POST", "/reset", {"seed": seed}), 400, "invalid_parameter", param="seed")
    assert len(ok(admin(api, "GET", "/accounts"))["accounts"]) == 1  # nothing was reset


def test_reset__body_not_json_is_invalid_parameter(api: Api) -> None:
    assert_error(admin(api, "POST", "/reset", content=b"please"), 400, "invalid_parameter", param="body")


# --- clock ----------------------------------------------------------------------------------
def test_clock__starts_at_the_doc_example_time(api: Api) -> None:
    body = ok(admin(api, "GET", "/clock"))
    assert body["epoch"] == START_EPOCH
    assert body["iso"] == START_ISO
    assert body["mode"] == "virtual"


def test_clock__advance_moves_time_and_answers_the_new_time(api: Api) -> None:
    body = ok(admin(api, "POST", "/clock/advance", {"seconds": 90}))
    assert body["epoch"] == START_EPOCH + 90
    assert body["iso"] == "2025-03-14T12:01:30Z"
    assert ok(admin(api, "POST", "/clock/advance", {"seconds": 0.5}))["epoch"] == START_EPOCH + 90.5
    assert ok(admin(api, "POST", "/clock/advance", {"seconds": 0}))["epoch"] == START_EPOCH + 90.5
    assert ok(admin(api, "GET", "/clock"))["epoch"] == START_EPOCH + 90.5
    # The rate-limit window follows the fake's clock: 12:01:30 is in the window ending 12:02:00.
    assert api.image().headers["x-ratelimit-reset"] == str(START_EPOCH + 120)


def test_clock__advance_finishes_a_due_video(api: Api) -> None:
    job = ok(api.video())
    assert job["status"] == "processing"
    assert job["estimated_completion_seconds"] == 120
    ok(admin(api, "POST", "/clock/advance", {"seconds": 119}))
    assert ok(api.job(job["job_id"]))["status"] == "processing"
    ok(admin(api, "POST", "/clock/advance", {"seconds": 1}))
    done = ok(api.job(job["job_id"]))
    assert done["status"] == "completed"
    assert done["completed_at"] == "2025-03-14T12:02:00Z"


@pytest.mark.parametrize(
    "body",
    [
        {"seconds": -1},
        {"seconds": "10"},
        {"seconds": True},
        {"seconds": None},
        {},
        {"seconds": [1]},
        {"seconds": 1e12},
        {"secs": 10},
    ],
    ids=["negative", "string", "bool", "null", "missing", "list", "huge", "misspelt"],
)
def test_clock__advance_bad_seconds_is_invalid_parameter(api: Api, body: dict[str, Any]) -> None:
    assert_error(admin(api, "POST", "/clock/advance", body), 400, "invalid_parameter", param="seconds")
    assert ok(admin(api, "GET", "/clock"))["epoch"] == START_EPOCH


def test_clock__advance_without_body_is_invalid_parameter(api: Api) -> None:
    assert_error(admin(api, "POST", "/clock/advance"), 400, "invalid_parameter", param="body")


# --- accounts -------------------------------------------------------------------------------
def test_accounts__create_answers_the_account(api: Api) -> None:
    body = ok(admin(api, "POST", "/accounts", {"api_key": "a", "plan": "business", "balance_usd": "12.50"}))
    assert body["api_key"] == "a"
    assert body["plan"] == "business"
    assert (body["image_rpm"], body["video_rpm"], body["concurrent_jobs"]) == (60, 10, 10)
    assert body["balance_usd"] == "12.50"
    assert body["processing_jobs"] == 0
    reply = api.image(key="a")
    assert reply.status == 200
    assert reply.headers["x-ratelimit-limit"] == "60"
    after = ok(admin(api, "GET", "/accounts/a"))
    assert after["balance_usd"] == "12.46"
    assert after["spent_usd"] == "0.04"


def test_accounts__plan_and_balance_default_to_the_configured_ones(api: Api) -> None:
    body = ok(admin(api, "POST", "/accounts", {"api_key": "a"}))
    assert body["plan"] == "pro"
    assert (body["image_rpm"], body["video_rpm"], body["concurrent_jobs"]) == (30, 5, 5)
    assert body["balance_usd"] == "100.00"


def test_accounts__plan_name_is_case_insensitive(api: Api) -> None:
    assert ok(admin(api, "POST", "/accounts", {"api_key": "a", "plan": "Starter"}))["plan"] == "starter"


def test_accounts__numeric_balance_is_accepted(api: Api) -> None:
    body = ok(admin(api, "POST", "/accounts", {"api_key": "a", "balance_usd": 0.05}))
    assert body["balance_usd"] == "0.05"
    assert api.image(key="a").status == 200
    assert api.image(key="a").status == 402


def test_accounts__enterprise_custom_limits_apply(api: Api) -> None:
    body = ok(
        admin(
            api,
            "POST",
            "/accounts",
            {"api_key": "e", "plan": "enterprise", "image_rpm": 7, "video_rpm": 3, "concurrent_jobs": 1},
        )
    )
    assert (body["plan"], body["image_rpm"], body["video_rpm"], body["concurrent_jobs"]) == (
        "enterprise",
        7,
        3,
        1,
    )
    assert api.image(key="e").headers["x-ratelimit-limit"] == "7"
    first = api.video(key="e")
    assert first.status == 200
    assert first.headers["x-ratelimit-limit"] == "3"
    second = api.video(key="e")  # one concurrent job only
    assert_error(second, 429, "rate_limit_exceeded")


def test_accounts__enterprise_without_custom_limits_gets_the_defaults(api: Api) -> None:
    body = ok(admin(api, "POST", "/accounts", {"api_key": "e", "plan": "enterprise"}))
    assert (body["image_rpm"], body["video_rpm"], body["concurrent_jobs"]) == (300, 50, 50)
    partial = ok(admin(api, "POST", "/accounts", {"api_key": "f", "plan": "enterprise", "video_rpm": 8}))
    assert (partial["image_rpm"], partial["video_rpm"], partial["concurrent_jobs"]) == (300, 8, 50)


@pytest.mark.parametrize(
    ("plan", "field"),
    [("starter", "image_rpm"), ("pro", "video_rpm"), ("business", "concurrent_jobs"), (None, "image_rpm")],
)
def test_accounts__custom_limits_off_enterprise_are_refused(api: Api, field: str, plan: str | None) -> None:
    body: dict[str, Any] = {"api_key": "a", field: 9}
    if plan is not None:
        body["plan"] = plan
    assert_error(admin(api, "POST", "/accounts", body), 400, "invalid_parameter", param=field)
    assert api.request("GET", "/_mock/accounts/a", key=None).status == 404


@pytest.mark.parametrize(
    ("field", "value"),
    [("image_rpm", 0), ("video_rpm", -1), ("concurrent_jobs", "5"), ("image_rpm", True), ("video_rpm", 1.5)],
)
def test_accounts__bad_enterprise_limit_is_refused(api: Api, field: str, value: Any) -> None:
    reply = admin(api, "POST", "/accounts", {"api_key": "e", "plan": "enterprise", field: value})
    assert_error(reply, 400, "invalid_parameter", param=field)


@pytest.mark.parametrize("plan", ["gold", "", 5, True])
def test_accounts__bad_plan_is_refused(api: Api, plan: Any) -> None:
    reply = admin(api, "POST", "/accounts", {"api_key": "a", "plan": plan})
    assert_error(reply, 400, "invalid_parameter", param="plan")


@pytest.mark.parametrize("balance", ["abc", -1, "-0.01", True, [], "NaN", "Infinity"])
def test_accounts__bad_balance_is_refused(api: Api, balance: Any) -> None:
    reply = admin(api, "POST", "/accounts", {"api_key": "a", "balance_usd": balance})
    assert_error(reply, 400, "invalid_parameter", param="balance_usd")


@pytest.mark.parametrize(
    "body", [{}, {"api_key": ""}, {"api_key": "   "}, {"api_key": " k "}, {"api_key": 5}, {"plan": "pro"}]
)
def test_accounts__missing_or_bad_api_key_is_refused(api: Api, body: dict[str, Any]) -> None:
    assert_error(admin(api, "POST", "/accounts", body), 400, "invalid_parameter", param="api_key")
    assert ok(admin(api, "GET", "/accounts"))["count"] == 0


def test_accounts__update_changes_what_is_given_and_keeps_the_rest(api: Api) -> None:
    ok(admin(api, "POST", "/accounts", {"api_key": "a", "plan": "pro", "balance_usd": "10"}))
    assert api.image(key="a").status == 200  # spends 0.04
    body = ok(admin(api, "POST", "/accounts", {"api_key": "a", "plan": "starter"}))
    assert (body["plan"], body["image_rpm"], body["video_rpm"], body["concurrent_jobs"]) == (
        "starter",
        10,
        2,
        2,
    )
    assert body["balance_usd"] == "9.96"
    assert body["spent_usd"] == "0.04"
    body = ok(admin(api, "POST", "/accounts", {"api_key": "a", "balance_usd": "3"}))
    assert (body["plan"], body["balance_usd"]) == ("starter", "3.00")
    assert api.image(key="a").headers["x-ratelimit-limit"] == "10"
    accounts = ok(admin(api, "GET", "/accounts"))
    assert accounts["count"] == 1


def test_accounts__update_of_enterprise_keeps_limits_left_out(api: Api) -> None:
    ok(
        admin(
            api, "POST", "/accounts", {"api_key": "e", "plan": "enterprise", "image_rpm": 7, "video_rpm": 3}
        )
    )
    body = ok(admin(api, "POST", "/accounts", {"api_key": "e", "concurrent_jobs": 2}))
    assert (body["plan"], body["image_rpm"], body["video_rpm"], body["concurrent_jobs"]) == (
        "enterprise",
        7,
        3,
        2,
    )
    moved = ok(admin(api, "POST", "/accounts", {"api_key": "e", "plan": "pro"}))
    assert (moved["image_rpm"], moved["video_rpm"], moved["concurrent_jobs"]) == (30, 5, 5)


def test_accounts__get_unknown_is_not_found(api: Api) -> None:
    assert_error(admin(api, "GET", "/accounts/nobody"), 404, "not_found")


def test_accounts__list_shows_registered_and_auto_opened_in_order(api: Api) -> None:
    ok(admin(api, "POST", "/accounts", {"api_key": "first", "plan": "starter"}))
    assert api.list(key="second").status == 200  # opens an account on first use, costs nothing
    ok(admin(api, "POST", "/accounts", {"api_key": "third", "plan": "enterprise"}))
    body = ok(admin(api, "GET", "/accounts"))
    assert body["count"] == 3
    assert [a["api_key"] for a in body["accounts"]] == ["first", "second", "third"]
    assert [a["plan"] for a in body["accounts"]] == ["starter", "pro", "enterprise"]
    assert body["accounts"][1]["balance_usd"] == "100.00"
    assert ok(admin(api, "GET", "/accounts/second")) == body["accounts"][1]


def test_accounts__processing_jobs_counts_running_videos(api: Api) -> None:
    ok(api.video())
    ok(api.video())
    assert ok(admin(api, "GET", f"/accounts/{DEFAULT_KEY}"))["processing_jobs"] == 2
    ok(admin(api, "POST", "/clock/advance", {"seconds": 120}))
    body = ok(admin(api, "GET", f"/accounts/{DEFAULT_KEY}"))
    assert body["processing_jobs"] == 0
    assert body["spent_usd"] == "8.00"


# --- journal --------------------------------------------------------------------------------
def _journal(api: Api, **params: Any) -> dict[str, Any]:
    body: dict[str, Any] = ok(admin(api, "GET", "/journal", params=params))
    return body


def _fill_journal(api: Api) -> None:
    assert api.image(key="k1").status == 200  # seq 1
    assert api.image({"prompt": "x", "n": 9}, key="k2").status == 400  # seq 2
    assert api.video(key="k1").status == 200  # seq 3
    assert api.list(key="k1").status == 200  # seq 4
    assert api.image(key=None).status == 401  # seq 5
    ok(admin(api, "GET", "/health"))  # admin calls are not journaled


def test_journal__records_every_api_request_in_order(api: Api) -> None:
    _fill_journal(api)
    body = _journal(api)
    assert (body["count"], body["total"], body["dropped"]) == (5, 5, 0)
    entries = body["entries"]
    assert [e["seq"] for e in entries] == [1, 2, 3, 4, 5]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [
        ("POST", IMAGE_PATH, 200),
        ("POST", IMAGE_PATH, 400),
        ("POST", VIDEO_PATH, 200),
        ("GET", API_PREFIX, 200),
        ("POST", IMAGE_PATH, 401),
    ]
    assert [e["account"] for e in entries] == ["k1", "k2", "k1", "k1", None]
    assert [e["error_code"] for e in entries] == [None, "invalid_parameter", None, None, "unauthorized"]
    assert entries[0]["cost_usd"] == "0.04"
    assert entries[2]["cost_usd"] == "4.00"
    assert entries[1]["cost_usd"] is None
    assert entries[0]["job_id"].startswith("img_")
    assert entries[2]["job_id"].startswith("vid_")
    assert entries[0]["at"] == START_ISO


@pytest.mark.parametrize(
    ("params", "seqs"),
    [
        ({"account": "k1"}, [1, 3, 4]),
        ({"account": "k2"}, [2]),
        ({"method": "post"}, [1, 2, 3, 5]),
        ({"method": "GET"}, [4]),
        ({"path": IMAGE_PATH}, [1, 2, 5]),
        ({"status": 400}, [2]),
        ({"status": 200}, [1, 3, 4]),
        ({"error_code": "unauthorized"}, [5]),
        ({"since": 3}, [4, 5]),
        ({"since": 0}, [1, 2, 3, 4, 5]),
        ({"account": "k1", "method": "POST"}, [1, 3]),
        ({"account": "nobody"}, []),
    ],
)
def test_journal__filters(api: Api, params: dict[str, Any], seqs: list[int]) -> None:
    _fill_journal(api)
    body = _journal(api, **params)
    assert [e["seq"] for e in body["entries"]] == seqs
    assert body["count"] == len(seqs)
    assert body["total"] == 5


@pytest.mark.parametrize(("name", "value"), [("status", "abc"), ("since", "-1"), ("status", "4.0")])
def test_journal__bad_numeric_filter_is_invalid_parameter(api: Api, name: str, value: str) -> None:
    assert_error(admin(api, "GET", "/journal", params={name: value}), 400, "invalid_parameter", param=name)


def test_journal__notes_ignored_fields(api: Api) -> None:
    assert api.image({"prompt": "x", "colour": "red"}).status == 200
    (entry,) = _journal(api)["entries"]
    assert entry["ignored_fields"] == ["colour"]


def test_journal__records_rejections_with_retry_after(api: Api) -> None:
    ok(admin(api, "POST", "/accounts", {"api_key": "s", "plan": "starter"}))
    for _ in range(10):
        assert api.image(key="s").status == 200
    assert api.image(key="s").status == 429
    (entry,) = _journal(api, status=429)["entries"]
    assert entry["error_code"] == "rate_limit_exceeded"
    assert entry["retry_after"] == 60


# --- faults ---------------------------------------------------------------------------------
def _faults(api: Api) -> list[dict[str, Any]]:
    faults: list[dict[str, Any]] = ok(admin(api, "GET", "/faults"))["faults"]
    return faults


def test_faults__none_armed_at_start(api: Api) -> None:
    assert _faults(api) == []


def test_faults__default_fails_the_next_generation_with_500_and_charges_nothing(api: Api) -> None:
    rule = ok(admin(api, "POST", "/faults", {}))
    assert (rule["stage"], rule["code"], rule["kind"], rule["remaining"]) == (
        "request",
        "generation_failed",
        None,
        1,
    )
    assert len(_faults(api)) == 1
    assert_error(api.image(), 500, "generation_failed")
    assert ok(admin(api, "GET", f"/accounts/{DEFAULT_KEY}"))["balance_usd"] == "100.00"
    assert _faults(api) == []
    assert api.image().status == 200
    assert ok(admin(api, "GET", f"/accounts/{DEFAULT_KEY}"))["balance_usd"] == "99.96"


def test_faults__times_fails_that_many_requests(api: Api) -> None:
    ok(admin(api, "POST", "/faults", {"times": 2, "kind": "image"}))
    assert api.video().status == 200  # another kind: untouched
    assert [api.image().status for _ in range(3)] == [500, 500, 200]


def test_faults__model_unavailable_for_seconds_is_503_then_recovers(api: Api) -> None:
    rule = ok(admin(api, "POST", "/faults", {"code": "model_unavailable", "kind": "video", "seconds": 30}))
    assert rule["code"] == "model_unavailable"
    assert rule["until"] == START_EPOCH + 30
    assert_error(api.video(), 503, "model_unavailable")
    assert api.video().status == 503  # every request in the window, not just one
    assert api.image().status == 200
    ok(admin(api, "POST", "/clock/advance", {"seconds": 30}))
    assert api.video().status == 200


def test_faults__account_narrows_the_fault(api: Api) -> None:
    ok(admin(api, "POST", "/faults", {"account": "victim"}))
    assert api.image(key="bystander").status == 200
    assert api.image(key="victim").status == 500


def test_faults__custom_message_is_the_error_message(api: Api) -> None:
    ok(admin(api, "POST", "/faults", {"code": "model_unavailable", "message": "Imagen is napping"}))
    assert_error(api.image(), 503, "model_unavailable", message="Imagen is napping")


def test_faults__job_stage_fails_the_video_and_refunds_it(api: Api) -> None:
    rule = ok(admin(api, "POST", "/faults", {"stage": "job"}))
    assert (rule["stage"], rule["kind"]) == ("job", "video")
    job = ok(api.video())
    assert job["status"] == "processing"
    assert ok(admin(api, "GET", f"/accounts/{DEFAULT_KEY}"))["balance_usd"] == "96.00"
    ok(admin(api, "POST", "/clock/advance", {"seconds": 120}))
    done = ok(api.job(job["job_id"]))
    assert done["status"] == "failed"
    assert done["error"]["code"] == "generation_failed"
    account = ok(admin(api, "GET", f"/accounts/{DEFAULT_KEY}"))
    assert account["balance_usd"] == "100.00"
    assert account["refunded_usd"] == "4.00"


def test_faults__clear_disarms_everything(api: Api) -> None:
    ok(admin(api, "POST", "/faults", {"times": 3}))
    ok(admin(api, "POST", "/faults", {"code": "model_unavailable", "seconds": 60}))
    assert len(_faults(api)) == 2
    assert ok(admin(api, "DELETE", "/faults")) == {"faults": []}
    assert _faults(api) == []
    assert api.image().status == 200
    assert api.video().status == 200


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"code": "not_found"}, "code"),
        ({"code": "invalid_prompt"}, "code"),
        ({"code": 500}, "code"),
        ({"kind": "audio"}, "kind"),
        ({"stage": "later"}, "stage"),
        ({"times": 0}, "times"),
        ({"times": "2"}, "times"),
        ({"times": True}, "times"),
        ({"seconds": -5}, "seconds"),
        ({"seconds": 0}, "seconds"),
        ({"seconds": "30"}, "seconds"),
        ({"stage": "job", "kind": "image"}, "kind"),
        ({"stage": "job", "seconds": 30}, "seconds"),
        ({"times": 2, "seconds": 30}, "seconds"),
        ({"account": 7}, "account"),
        ({"message": ["x"]}, "message"),
    ],
)
def test_faults__bad_rule_is_invalid_parameter(api: Api, body: dict[str, Any], param: str) -> None:
    assert_error(admin(api, "POST", "/faults", body), 400, "invalid_parameter", param=param)
    assert _faults(api) == []


# --- routing --------------------------------------------------------------------------------
@pytest.mark.parametrize("route", ["/nope", "", "/health/extra", "/clock/advance/now", "/accounts/a/b"])
def test_admin__unknown_route_is_404(api: Api, route: str) -> None:
    assert_error(admin(api, "GET", route), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "route", "allow"),
    [
        ("POST", "/health", "GET"),
        ("GET", "/reset", "POST"),
        ("POST", "/clock", "GET"),
        ("GET", "/clock/advance", "POST"),
        ("DELETE", "/accounts", "GET, POST"),
        ("POST", "/accounts/a", "GET"),
        ("POST", "/journal", "GET"),
        ("PUT", "/faults", "GET, POST, DELETE"),
    ],
)
def test_admin__wrong_method_is_405_with_allow(api: Api, method: str, route: str, allow: str) -> None:
    reply = admin(api, method, route)
    assert_error(reply, 405, "method_not_allowed")
    assert reply.headers["allow"] == allow


def test_admin__off_when_the_handler_is_built_without_it() -> None:
    from mock_media import MediaBackend, WireRequest, build_handler

    handler = build_handler(MediaBackend(), admin=False)
    for route in ("/_mock/health", "/_mock/reset", "/_mock"):
        reply = handler(WireRequest.build("GET", route))
        assert reply.status == 404
        assert_error(
            reply.json(), 404, "not_found", message=f"No route for GET {route}"
        )  # as any unknown path
