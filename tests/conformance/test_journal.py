"""The request journal: every request and its answer, in order, on the fake's clock."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from mock_media import MediaBackend, MockConfig
from tests.doc_tables import API_PREFIX, IMAGE_PATH, START_EPOCH, START_ISO, VIDEO_PATH
from tests.doors import DEFAULT_KEY, Api
from tests.helpers import assert_error, path_of

FIELDS = ("method", "path", "query", "account", "status", "error_code", "cost_usd", "ignored_fields")


def _row(entry: Any) -> tuple[Any, ...]:
    return tuple(getattr(entry, name) for name in FIELDS)


def _session(api: Api) -> dict[str, str]:
    """One of everything; returns the ids it made."""
    image = api.image({"prompt": "a cat", "colour": "red", "mood": "calm"}).json()
    api.advance(5)
    video = api.video().json()
    api.job(video["job_id"])
    api.list(params={"limit": "5"})
    api.delete(image["outputs"][0]["media_id"])
    api.advance(2.5)
    api.image(key=None)
    api.request("GET", "/v1/hosting/nothing")
    api.request("GET", IMAGE_PATH)
    api.backend.faults.fail_next()
    api.image()
    api.image({"prompt": ""})
    api.request("GET", path_of(image["outputs"][0]["url"]), key=None)
    return {"image": image["job_id"], "video": video["job_id"], "media": image["outputs"][0]["media_id"]}


def test_journal__records_every_request_in_order(api: Api) -> None:
    ids = _session(api)
    entries = list(api.backend.journal)
    key = DEFAULT_KEY
    file_path = f"/generated/{ids['image']}_0.webp"
    assert [_row(e) for e in entries] == [
        ("POST", IMAGE_PATH, "", key, 200, None, Decimal("0.04"), ("colour", "mood")),
        ("POST", VIDEO_PATH, "", key, 200, None, Decimal("4.00"), ()),
        ("GET", f"{API_PREFIX}/{ids['video']}", "", key, 200, None, None, ()),
        ("GET", API_PREFIX, "limit=5", key, 200, None, None, ()),
        ("DELETE", f"{API_PREFIX}/{ids['media']}", "", key, 200, None, None, ()),
        ("POST", IMAGE_PATH, "", None, 401, "unauthorized", None, ()),
        ("GET", "/v1/hosting/nothing", "", key, 404, "not_found", None, ()),
        ("GET", IMAGE_PATH, "", key, 405, "method_not_allowed", None, ()),
        ("POST", IMAGE_PATH, "", key, 500, "generation_failed", None, ()),
        ("POST", IMAGE_PATH, "", key, 400, "invalid_prompt", None, ()),
        ("GET", file_path, "", None, 404, "not_found", None, ()),  # deleted above
    ]
    assert [e.seq for e in entries] == list(range(1, 12))
    assert [e.time for e in entries] == [START_EPOCH] + [START_EPOCH + 5] * 4 + [START_EPOCH + 7.5] * 6
    assert [e.job_id for e in entries[:5]] == [ids["image"], ids["video"], ids["video"], None, ids["image"]]


def test_journal__429_records_retry_after(api: Api) -> None:
    api.backend.register_account(DEFAULT_KEY, "enterprise", "100", image_rpm=1)
    api.image()
    api.advance(59.5)
    api.image()
    [entry] = api.backend.journal.query(status=429)
    assert (entry.error_code, entry.retry_after, entry.cost_usd, entry.job_id) == (
        "rate_limit_exceeded",
        1,
        None,
        None,
    )
    assert entry.time == START_EPOCH + 59.5


def test_journal__query_filters(api: Api) -> None:
    _session(api)
    journal = api.backend.journal
    assert len(journal.query()) == 11
    assert [e.status for e in journal.query(account=DEFAULT_KEY, method="post")] == [200, 200, 500, 400]
    assert [e.method for e in journal.query(path=IMAGE_PATH)] == ["POST", "POST", "GET", "POST", "POST"]
    assert [e.path for e in journal.query(status=404)] == ["/v1/hosting/nothing", journal.query()[-1].path]
    assert [e.status for e in journal.query(error_code="unauthorized")] == [401]
    assert [e.seq for e in journal.query(since_seq=9)] == [10, 11]
    assert [e.seq for e in journal.query(account=None, method="GET", status=200)] == [3, 4]
    assert journal.query(account="nobody") == []


def test_journal__served_by_the_admin_api(api: Api) -> None:
    _session(api)
    r = api.request("GET", "/_mock/journal", key=None)
    assert r.status == 200, r.body
    body = r.json()
    assert (body["count"], body["total"], body["dropped"]) == (11, 11, 0)
    first = body["entries"][0]
    assert first["seq"] == 1
    assert (first["method"], first["path"], first["account"], first["status"]) == (
        "POST",
        IMAGE_PATH,
        DEFAULT_KEY,
        200,
    )
    assert first["cost_usd"] == "0.04"  # money as an exact string
    assert first["ignored_fields"] == ["colour", "mood"]
    assert first["time"] == START_EPOCH
    assert first["at"] == START_ISO
    assert first["error_code"] is None
    failed = api.request("GET", "/_mock/journal", params={"status": "500"}, key=None).json()
    assert [e["error_code"] for e in failed["entries"]] == ["generation_failed"]
    since = api.request("GET", "/_mock/journal", params={"since": "9", "method": "post"}, key=None).json()
    assert [(e["seq"], e["status"]) for e in since["entries"]] == [(10, 400)]
    assert since["total"] == 11
    mine = api.request(
        "GET", "/_mock/journal", params={"account": DEFAULT_KEY, "path": VIDEO_PATH}, key=None
    ).json()
    assert [e["cost_usd"] for e in mine["entries"]] == ["4.00"]


@pytest.mark.parametrize("name", ["status", "since"])
def test_journal__admin_api_bad_filter__invalid_parameter(api: Api, name: str) -> None:
    r = api.request("GET", "/_mock/journal", params={name: "many"}, key=None)
    assert_error(r, 400, "invalid_parameter", param=name)


def test_journal__admin_requests_are_not_journaled(api: Api) -> None:
    api.image()
    api.request("GET", "/_mock/journal", key=None)
    api.request("GET", "/_mock/health", key=None)
    assert [e.path for e in api.backend.journal] == [IMAGE_PATH]


def test_journal__keeps_the_newest_entries_up_to_its_cap(api_for: Callable[[MediaBackend], Api]) -> None:
    backend = MediaBackend(MockConfig(journal_cap=3))
    api = api_for(backend)
    for i in range(5):
        api.image({"prompt": f"p{i}"})
    journal = backend.journal
    assert [e.seq for e in journal] == [3, 4, 5]
    assert (len(journal), journal.total, journal.dropped) == (3, 5, 2)
    assert [e.seq for e in journal.query(since_seq=1)] == [3, 4, 5]


def test_journal__reset_clears_it(api: Api) -> None:
    api.image()
    api.backend.reset()
    assert list(api.backend.journal) == []
    assert api.backend.journal.total == 0
    api.image()
    assert [e.seq for e in api.backend.journal] == [1]


def test_journal__entry_to_dict_is_json_ready(api: Api) -> None:
    api.advance(0.75)
    reply = api.image({"prompt": "x", "n": 3, "extra": 1})
    data = api.backend.journal.query()[0].to_dict()
    exchange = {
        key: data.pop(key) for key in ("request_headers", "request_body", "response_headers", "response_body")
    }
    assert data == {
        "seq": 1,
        "time": START_EPOCH + 0.75,
        "clock": START_EPOCH + 0.75,
        "at": START_ISO,
        "method": "POST",
        "path": IMAGE_PATH,
        "query": "",
        "account": DEFAULT_KEY,
        "status": 200,
        "operation": "generate_image",
        "error_code": None,
        "cost_usd": "0.12",
        "job_id": data["job_id"],
        "ignored_fields": ["extra"],
        "retry_after": None,
        "injected": [],
        "ordinal": 1,
        "request_size": len(b'{"prompt": "x", "n": 3, "extra": 1}'),
        "action": None,
    }
    # What a replay needs, as this door delivered it: the request as sent, the answer as given.
    assert exchange["request_body"] == '{"prompt": "x", "n": 3, "extra": 1}'
    assert exchange["request_headers"]["x-api-key"] == DEFAULT_KEY
    assert exchange["response_body"] == reply.body.decode()
    sent = {k.lower(): v for k, v in exchange["response_headers"].items()}
    assert {k: v for k, v in reply.headers.items() if k in sent} == sent
    assert str(data["job_id"]).startswith("img_")
