"""Pricing: the doc's price tables, cost_usd on the wire, the balance, and 402.

Decision 8: prices are exact decimals, charged in full when a request is accepted; a request
the balance cannot cover is 402 ``insufficient_balance`` and charges nothing.

Every test runs through every door except ``test_money__ten_thousand_charges_do_not_drift``,
which charges the backend directly: it is about exact decimal arithmetic over many charges,
and 10,000 requests through each door (the live one alone would take seconds) would test the
doors, not the sum; the doors' own cost_usd is checked by the tests around it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mock_media import Kind, MediaBackend, MockConfig
from tests.doc_tables import DOC_VARIATION_PRICES, IMAGE_PATH, IMAGE_PRICES, VIDEO_PATH, VIDEO_PRICES
from tests.doors import DEFAULT_KEY, Api, Reply
from tests.helpers import Snapshot, assert_error, assert_journaled_rejection, balance, exact


def open_account(api: Api, balance_usd: str, plan: str = "pro", **limits: Any) -> None:
    api.backend.register_account(DEFAULT_KEY, plan, balance_usd, **limits)


def assert_charged(api: Api, reply: Reply, opening: str, price: str) -> None:
    """A 200 whose cost_usd is exactly ``price``, taken from an account that held ``opening``."""
    assert reply.status == 200, reply.body
    assert exact(reply)["cost_usd"] == Decimal(price)
    assert balance(api) == Decimal(opening) - Decimal(price)


@pytest.mark.parametrize(("n", "price"), DOC_VARIATION_PRICES)
def test_image__variations_cost_the_doc_price(api: Api, n: int, price: str) -> None:
    open_account(api, "10.00")

    r = api.image({"prompt": "a cat", "n": n})

    assert_charged(api, r, "10.00", price)


@pytest.mark.parametrize(("quality", "n", "price"), IMAGE_PRICES)
def test_image__price_is_per_image_price_times_n(api: Api, quality: str, n: int, price: str) -> None:
    open_account(api, "1.00")

    r = api.image({"prompt": "a cat", "quality": quality, "n": n})

    assert_charged(api, r, "1.00", price)
    assert api.backend.accounts[DEFAULT_KEY].spent == Decimal(price)
    [entry] = api.backend.journal.query(path=IMAGE_PATH)
    assert entry.cost_usd == Decimal(price)


@pytest.mark.parametrize(("duration", "quality", "price"), VIDEO_PRICES)
def test_video__price_follows_the_doc_table(api: Api, duration: int, quality: str, price: str) -> None:
    open_account(api, "100.00")

    r = api.video({"prompt": "a crab", "duration_seconds": duration, "quality": quality})

    assert_charged(api, r, "100.00", price)  # charged on acceptance


@pytest.mark.parametrize(("duration", "quality", "price"), [(5, "standard", "4.00"), (30, "hd", "48.00")])
def test_video__price_through_every_door_and_unchanged_on_completion(
    api: Api, duration: int, quality: str, price: str
) -> None:
    open_account(api, "100.00")
    job_id = api.video({"prompt": "a crab", "duration_seconds": duration, "quality": quality}).json()[
        "job_id"
    ]

    api.advance(3600)
    r = api.job(job_id)

    assert r.json()["status"] == "completed"
    assert_charged(api, r, "100.00", price)


@pytest.mark.parametrize("fps", [24, 30])
@pytest.mark.parametrize("aspect_ratio", ["16:9", "9:16", "1:1"])
def test_video__price_does_not_depend_on_fps_or_aspect_ratio(api: Api, fps: int, aspect_ratio: str) -> None:
    r = api.video({"prompt": "a crab", "fps": fps, "aspect_ratio": aspect_ratio})

    assert exact(r)["cost_usd"] == Decimal("4.00")


@pytest.mark.parametrize(
    ("body", "price"),
    [
        ({"aspect_ratio": "16:9"}, "0.04"),
        ({"style": "anime", "negative_prompt": "dogs", "seed": 3}, "0.04"),
        ({"aspect_ratio": "9:16", "quality": "hd"}, "0.08"),
    ],
)
def test_image__price_does_not_depend_on_other_parameters(api: Api, body: dict[str, Any], price: str) -> None:
    r = api.image({"prompt": "a cat", **body})

    assert exact(r)["cost_usd"] == Decimal(price)


def test_money__cost_usd_is_a_json_number_with_the_cents(api: Api) -> None:
    r = api.image({"prompt": "a cat", "quality": "hd", "n": 3})

    assert b'"cost_usd":0.24' in r.body
    assert isinstance(r.json()["cost_usd"], float)


@pytest.mark.parametrize(
    ("path", "body", "text"),
    [
        ("image", {"prompt": "a cat"}, b'"cost_usd":0.04}'),
        ("image", {"prompt": "a cat", "quality": "hd", "n": 4}, b'"cost_usd":0.32}'),
        ("video", {"prompt": "a crab"}, b'"cost_usd":4.00}'),
        ("video", {"prompt": "a crab", "quality": "hd", "duration_seconds": 30}, b'"cost_usd":48.00}'),
    ],
)
def test_money__cost_usd_is_written_with_its_cents_as_the_doc_prints_it(
    api: Api, path: str, body: dict[str, Any], text: bytes
) -> None:
    # The doc prints "cost_usd": 0.04 and "cost_usd": 4.00: a number, with two decimals.
    r = api.image(body) if path == "image" else api.video(body)

    assert r.body.endswith(text)


def test_money__ten_thousand_charges_do_not_drift() -> None:
    backend = MediaBackend(MockConfig())
    account = backend.register_account("bulk", "enterprise", "1000", image_rpm=20_000)
    standard = b'{"prompt": "a cat"}'
    hd = b'{"prompt": "a cat", "quality": "hd"}'

    for i in range(10_000):
        backend.generate(account, Kind.IMAGE, hd if i % 2 else standard)

    # 5,000 x $0.04 + 5,000 x $0.08 = $600; a float running sum would be off in the 1e-10s.
    assert account.balance == Decimal("400")
    assert account.spent == Decimal("600")
    assert isinstance(account.balance, Decimal)
    assert str(account.balance) == "400.00"
    assert sum((job.cost for job in backend.store.jobs.values()), Decimal(0)) == Decimal("600")


# --- 402 insufficient_balance --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "short", "enough"),
    [
        (IMAGE_PATH, {"prompt": "a cat"}, "0.03", "0.04"),
        (IMAGE_PATH, {"prompt": "a cat", "quality": "hd", "n": 4}, "0.31", "0.32"),
        (VIDEO_PATH, {"prompt": "a crab"}, "3.99", "4.00"),
        (VIDEO_PATH, {"prompt": "a crab", "duration_seconds": 30, "quality": "hd"}, "47.99", "48"),
    ],
)
def test_generation__balance_just_short_is_402_and_exactly_enough_succeeds(
    api: Api, path: str, body: dict[str, Any], short: str, enough: str
) -> None:
    open_account(api, short)
    before = Snapshot.of(api.backend)

    refused = api.request("POST", path, json=body)

    assert_error(refused, 402, "insufficient_balance")
    assert Snapshot.of(api.backend) == before
    assert balance(api) == Decimal(short)

    open_account(api, enough)
    accepted = api.request("POST", path, json=body)

    assert accepted.status == 200, accepted.body
    assert exact(accepted)["cost_usd"] == Decimal(enough)
    assert balance(api) == 0
    assert len(api.backend.store.jobs) == 1


def test_image__insufficient_balance_body_is_exact(api: Api) -> None:
    open_account(api, "0.03")

    r = api.image({"prompt": "a cat"})

    # Exactly {"error": {"code", "message", "status"}, "detail"}: no "param", which is only for
    # invalid_parameter.
    message = "Account balance $0.03 is too low for this request ($0.04)"
    assert_error(r, 402, "insufficient_balance", message=message)
    assert r.headers["x-ratelimit-remaining"] == "29"  # decision 14: the slot is used
    assert balance(api) == Decimal("0.03")
    assert api.backend.store.jobs == {} and api.backend.store.media == {}
    assert_journaled_rejection(api, IMAGE_PATH, 402, "insufficient_balance")


def test_image__balance_runs_down_to_exactly_zero_then_402(api: Api) -> None:
    open_account(api, "0.12")

    statuses = [api.image({"prompt": "a cat"}).status for _ in range(4)]

    assert statuses == [200, 200, 200, 402]
    assert balance(api) == 0
    assert len(api.backend.store.jobs) == 3


def test_generation__zero_balance_refuses_the_cheapest_requests(api: Api) -> None:
    open_account(api, "0")

    assert api.image({"prompt": "a cat"}).status == 402
    assert api.video({"prompt": "a crab", "duration_seconds": 1}).status == 402
    assert api.backend.store.jobs == {}
    assert api.backend.accounts[DEFAULT_KEY].processing == 0
