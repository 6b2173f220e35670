"""Inputs found by review that once crashed the fake or bent its state; each now gets the
documented error and leaves everything as it was."""

from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest
import requests

from mock_media import MockConfig, MockMedia, WireRequest
from mock_media.core.errors import InvalidParameter

from .doc_tables import API_PREFIX, IMAGE_PATH
from .doors import Api
from .helpers import assert_error, rate

HUGE = "9" * 5000  # past int()'s 4,300-digit limit


def test_list__limit_of_5000_digits__invalid_parameter(api: Api) -> None:
    assert_error(api.list(params={"limit": HUGE}), 400, "invalid_parameter", param="limit")


def test_journal__since_of_5000_digits__invalid_parameter(api: Api) -> None:
    reply = api.request("GET", "/_mock/journal", key=None, params={"since": HUGE})

    assert_error(reply, 400, "invalid_parameter", param="since")


def test_clock__cannot_pass_the_year_9000_and_stays_put() -> None:
    ten_years = 315360000
    fake = MockMedia(MockConfig(start="8990-01-03T00:00:00Z"))  # ten years before 9000-01-01
    advance = WireRequest.build(
        "POST", "/_mock/clock/advance", body=json.dumps({"seconds": ten_years}).encode()
    )

    assert fake(advance).status == 200  # exactly at the limit
    at_limit = fake.now()
    refused = fake(WireRequest.build("POST", "/_mock/clock/advance", body=b'{"seconds": 1}'))

    assert_error(refused.json(), 400, "invalid_parameter", param="seconds")
    assert fake.now() == at_limit == 221845392000.0
    image = fake(
        WireRequest.build("POST", IMAGE_PATH, headers={"X-API-Key": "k"}, body=b'{"prompt": "a cat"}')
    )
    assert image.json()["created_at"] == "9000-01-01T00:00:00Z"  # timestamps still render


@pytest.mark.parametrize("seconds", [float("nan"), float("inf"), -1.0])
def test_advance__not_a_finite_forward_step__refused_and_clock_unchanged(seconds: float) -> None:
    fake = MockMedia()
    before = fake.now()

    with pytest.raises(InvalidParameter):
        fake.advance(seconds)

    assert fake.now() == before


@pytest.mark.parametrize("balance", ["0.035", "1e1000000", "1000000000000.01"])
def test_register_account__balance_not_whole_cents_or_huge__invalid_parameter(api: Api, balance: str) -> None:
    reply = api.request("POST", "/_mock/accounts", key=None, json={"api_key": "rich", "balance_usd": balance})

    assert_error(reply, 400, "invalid_parameter", param="balance_usd")
    assert "rich" not in api.backend.accounts


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/typo", 404), ("GET", IMAGE_PATH, 405), ("POST", IMAGE_PATH, 413)],
)
def test_early_errors__unknown_key_opens_no_account_but_gets_headers(
    api: Api, method: str, path: str, status: int
) -> None:
    body = b"x" * (1024 * 1024 + 1) if status == 413 else None

    reply = api.request(method, path, key="typo-key", content=body)

    assert reply.status == status
    assert rate(reply)[:2] == (30, 30)  # a fresh Pro bucket, told but not kept
    assert "typo-key" not in api.backend.accounts


def test_requests_door__streamed_download() -> None:
    fake = MockMedia()
    with fake.patch_requests():
        answer = requests.post(
            f"https://api.moltbotden.com{IMAGE_PATH}", headers={"X-API-Key": "k"}, json={"prompt": "a cat"}
        ).json()
        output = answer["outputs"][0]
        with requests.get(output["url"], stream=True) as download:
            size = sum(len(chunk) for chunk in download.iter_content(8192))
        head = requests.head(output["url"])

    assert size == output["size_bytes"]
    assert (head.status_code, head.headers["Content-Length"], head.content) == (
        200,
        str(output["size_bytes"]),
        b"",
    )


def test_journal_helpers__read_safely_while_another_thread_writes() -> None:
    fake = MockMedia()
    errors: list[BaseException] = []
    stop = threading.Event()

    def post() -> None:
        with fake.session() as session:
            for _ in range(200):
                session.get(f"https://api.moltbotden.com{API_PREFIX}", headers={"X-API-Key": "k"})
        stop.set()

    def read() -> None:
        try:
            while not stop.is_set():
                fake.calls()
                fake.calls_per_route()
                fake.total_spent()
        except BaseException as exc:  # pragma: no cover - the failure being tested for
            errors.append(exc)

    threads = [threading.Thread(target=post), threading.Thread(target=read)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert errors == []
    assert fake.calls_per_route() == {"list_media": 200}
    assert fake.total_spent() == Decimal("0")


@pytest.mark.parametrize(
    ("headers", "fits"),
    [
        ({f"x-h-{i}": "v" for i in range(98)}, True),  # with X-API-Key and Content-Type: 100
        ({f"x-h-{i}": "v" for i in range(99)}, False),
        ({"x-junk": "a" * (64 * 1024 - 200)}, True),
        ({"x-junk": "a" * (64 * 1024)}, False),
    ],
    ids=["100 headers", "101 headers", "just under 64 KiB", "over 64 KiB"],
)
@pytest.mark.parametrize("path", [IMAGE_PATH, "/_mock/health", "/generated/img_x_0.webp", "/nowhere"])
def test_headers__past_the_limits__400_naming_headers_before_anything_else(
    headers: dict[str, str], fits: bool, path: str
) -> None:
    fake = MockMedia()
    method = "POST" if path == IMAGE_PATH else "GET"
    sent = {"X-API-Key": "k", "Content-Type": "application/json"}
    answer = fake(WireRequest.build(method, path, headers={**sent, **headers}, body=b'{"prompt": "a cat"}'))

    if fits:
        assert answer.status != 400
    else:
        assert_error(answer.json(), 400, "invalid_parameter", param="headers")
        assert "x-ratelimit-limit" not in {k.lower() for k in answer.headers}
        assert (list(fake.journal), fake.backend.accounts) == ([], {})
