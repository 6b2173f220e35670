"""404/405/413, the order of checks (decisions 4, 14, 15, 19) and request-stage faults (500/503)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from mock_media import MediaBackend, MockConfig
from tests.doc_tables import (
    API_PREFIX,
    FIRST_RESET,
    GENERATION_FAILED,
    IMAGE_MODEL_DOWN,
    IMAGE_PATH,
    MIB,
    VIDEO_MODEL_DOWN,
    VIDEO_PATH,
)
from tests.doors import DEFAULT_KEY, Api, Reply
from tests.helpers import assert_error, assert_no_rate_headers, one_mib_body, rate


@pytest.fixture
def closed(api_for: Callable[[MediaBackend], Api]) -> Api:
    """Closed mode (decision 6) through every door: only registered keys are accepted."""
    return api_for(MediaBackend(MockConfig(closed=True)))


def _nothing_happened(api: Api, key: str = DEFAULT_KEY, balance: str = "100.00") -> None:
    """No money moved and no job or media exists (decision 14's "costs nothing")."""
    backend = api.backend
    account = backend.accounts.get(key)
    if account is not None:
        assert account.balance == Decimal(balance)
    assert backend.store.jobs == {}
    assert backend.store.media == {}


# --- 404 ------------------------------------------------------------------------------------
UNKNOWN_PATHS = [
    ("GET", "/"),
    ("GET", "/v1"),
    ("GET", "/v1/hosting"),
    ("POST", "/v1/hosting/media/image/extra"),
    ("GET", "/v1/hosting/media/a/b"),
    ("GET", "/v2/hosting/media"),
    ("GET", "/v1/hosting/mediax"),
    ("GET", "/generated/"),
    ("GET", "/generated/a/b.webp"),
]


@pytest.mark.parametrize(("method", "path"), UNKNOWN_PATHS)
def test_unknown_path__404_before_credentials_and_no_slot(api: Api, method: str, path: str) -> None:
    r = api.request(method, path, json={"prompt": "a cat"} if method == "POST" else None)
    assert_error(r, 404, "not_found")
    assert rate(r) == (30, 30, FIRST_RESET)
    assert_no_rate_headers(api.request(method, path, key=None))
    assert_error(api.request(method, path, key=None), 404, "not_found")


def test_unknown_path__404_through_the_doors(api: Api) -> None:
    r = api.request("POST", "/v1/hosting/media/image/x", json={"prompt": "a cat"}, key=None)
    assert_error(r, 404, "not_found")
    assert_no_rate_headers(r)
    assert rate(api.request("GET", "/v1/hosting", key="k")) == (30, 30, FIRST_RESET)


def test_unknown_path__404_even_with_a_rejected_key(closed: Api) -> None:
    r = closed.request("GET", "/v1/hosting/nothing", key="stranger")
    assert_error(r, 404, "not_found")
    assert_no_rate_headers(r)


# --- 405 ------------------------------------------------------------------------------------
WRONG_METHODS = [
    ("GET", IMAGE_PATH, {"POST"}),
    ("DELETE", IMAGE_PATH, {"POST"}),
    ("PUT", IMAGE_PATH, {"POST"}),
    ("GET", VIDEO_PATH, {"POST"}),
    ("DELETE", VIDEO_PATH, {"POST"}),
    ("PATCH", VIDEO_PATH, {"POST"}),
    ("POST", API_PREFIX, {"GET"}),
    ("DELETE", API_PREFIX, {"GET"}),
    ("PUT", API_PREFIX, {"GET"}),
    ("POST", f"{API_PREFIX}/img_000000000000", {"GET", "DELETE"}),
    ("PUT", f"{API_PREFIX}/media_000000000000", {"GET", "DELETE"}),
    ("POST", f"{API_PREFIX}/images", {"GET", "DELETE"}),  # [SNAP]'s route is not served (decision 1)
]


def _allowed(reply: Reply) -> set[str]:
    return {m.strip() for m in reply.headers["allow"].split(",")}


@pytest.mark.parametrize(("method", "path", "allowed"), WRONG_METHODS)
def test_wrong_method__405_with_allow_before_credentials_and_no_slot(
    api: Api, method: str, path: str, allowed: set[str]
) -> None:
    r = api.request(method, path, json={"prompt": "a cat"})
    assert_error(r, 405, "method_not_allowed")
    assert _allowed(r) == allowed
    assert rate(r) == (30, 30, FIRST_RESET)
    anonymous = api.request(method, path, key=None)
    assert_error(anonymous, 405, "method_not_allowed")
    assert _allowed(anonymous) == allowed
    assert_no_rate_headers(anonymous)
    assert api.backend.store.jobs == {}


@pytest.mark.parametrize(
    ("path", "allowed"),
    [(IMAGE_PATH, {"POST"}), (API_PREFIX, {"GET"}), (f"{API_PREFIX}/img_000000000000", {"GET", "DELETE"})],
)
def test_head_on_an_api_route__405_told_by_its_headers_with_no_body(
    api: Api, path: str, allowed: set[str]
) -> None:
    # FastAPI's GET routes do not answer HEAD; and no server sends a body to a HEAD, so an
    # in-process door must not either (urllib3, under requests, refuses one).
    r = api.request("HEAD", path)
    assert r.status == 405
    assert _allowed(r) == allowed
    assert int(r.headers["content-length"]) > 0
    assert r.body == b""
    entry = api.backend.journal.latest()
    assert entry is not None and entry.response_body == b""  # journaled as it was sent


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", IMAGE_PATH), ("DELETE", IMAGE_PATH), ("GET", VIDEO_PATH), ("DELETE", VIDEO_PATH)],
)
def test_wrong_method__get_or_delete_on_the_generation_routes(api: Api, method: str, path: str) -> None:
    # Decision 19: not a lookup or deletion of a job or media called "image" or "video".
    r = api.request(method, path)
    assert_error(r, 405, "method_not_allowed")
    assert _allowed(r) == {"POST"}


def test_wrong_method__405_even_with_a_rejected_key(closed: Api) -> None:
    r = closed.request("GET", IMAGE_PATH, key="stranger")
    assert_error(r, 405, "method_not_allowed")
    assert_no_rate_headers(r)


# --- 413 ------------------------------------------------------------------------------------
@pytest.mark.parametrize("path", [IMAGE_PATH, VIDEO_PATH])
def test_payload__exactly_1_mib_is_accepted(api: Api, path: str) -> None:
    r = api.request("POST", path, content=one_mib_body(MIB), headers={"Content-Type": "application/json"})
    assert r.status == 200, r.body[:300]


@pytest.mark.parametrize("path", [IMAGE_PATH, VIDEO_PATH])
def test_payload__over_1_mib__413_uses_no_slot_and_creates_nothing(api: Api, path: str) -> None:
    r = api.request("POST", path, content=one_mib_body(MIB + 1), headers={"Content-Type": "application/json"})
    assert_error(r, 413, "payload_too_large")
    limit = 30 if path == IMAGE_PATH else 5
    assert rate(r) == (limit, limit, FIRST_RESET)
    _nothing_happened(api)


def test_payload__413_before_credentials(api: Api) -> None:
    r = api.request("POST", IMAGE_PATH, content=one_mib_body(4 * MIB), key=None)
    assert_error(r, 413, "payload_too_large")
    assert_no_rate_headers(r)


def test_payload__413_before_a_rejected_key(closed: Api) -> None:
    r = closed.request("POST", IMAGE_PATH, content=one_mib_body(MIB + 1), key="stranger")
    assert_error(r, 413, "payload_too_large")
    assert_no_rate_headers(r)


# --- order of checks (decision 14) ----------------------------------------------------------
def _exhaust(api: Api) -> None:
    api.backend.register_account(DEFAULT_KEY, "enterprise", "100", image_rpm=1)
    assert api.image().status == 200


def _broke(api: Api) -> None:
    api.backend.register_account(DEFAULT_KEY, "pro", "0.00")


def _exhaust_and_broke(api: Api) -> None:
    api.backend.register_account(DEFAULT_KEY, "enterprise", "0.04", image_rpm=1)
    assert api.image().status == 200


def _fault(api: Api) -> None:
    api.backend.faults.fail_next()


def _down(api: Api) -> None:
    api.backend.faults.model_down()


Setup = Callable[[Api], None]
BIG = one_mib_body(MIB + 1)
INVALID = b'{"prompt": ""}'
VALID = b'{"prompt": "a cat"}'

# (name, setups, body, send the key?, expected status, expected code)
ORDER_CASES: list[tuple[str, tuple[Setup, ...], bytes, bool, int, str]] = [
    ("413-before-401", (), BIG, False, 413, "payload_too_large"),
    ("413-before-429", (_exhaust,), BIG, True, 413, "payload_too_large"),
    ("401-before-400", (), INVALID, False, 401, "unauthorized"),
    ("429-before-400", (_exhaust,), INVALID, True, 429, "rate_limit_exceeded"),
    ("429-before-402", (_exhaust_and_broke,), VALID, True, 429, "rate_limit_exceeded"),
    ("429-before-500", (_exhaust, _fault), VALID, True, 429, "rate_limit_exceeded"),
    ("400-before-402", (_broke,), INVALID, True, 400, "invalid_prompt"),
    ("400-before-500", (_fault,), INVALID, True, 400, "invalid_prompt"),
    ("400-before-503", (_down,), INVALID, True, 400, "invalid_prompt"),
    ("402-before-500", (_broke, _fault), VALID, True, 402, "insufficient_balance"),
    ("402-before-503", (_broke, _down), VALID, True, 402, "insufficient_balance"),
]


@pytest.mark.parametrize(
    ("setups", "body", "with_key", "status", "code"),
    [case[1:] for case in ORDER_CASES],
    ids=[case[0] for case in ORDER_CASES],
)
def test_order_of_checks(
    api: Api, setups: tuple[Setup, ...], body: bytes, with_key: bool, status: int, code: str
) -> None:
    for setup in setups:
        setup(api)
    jobs_before = set(api.backend.store.jobs)
    r = api.request("POST", IMAGE_PATH, content=body, key=DEFAULT_KEY if with_key else None)
    assert_error(r, status, code)
    assert set(api.backend.store.jobs) == jobs_before


def test_order_of_checks__an_earlier_rejection_leaves_the_fault_armed(api: Api) -> None:
    api.backend.faults.fail_next("image")
    assert_error(api.image({"prompt": ""}), 400, "invalid_prompt")
    api.backend.register_account("poor", "pro", "0.01")
    assert_error(api.image(key="poor"), 402, "insufficient_balance")
    assert_error(api.image(), 500, "generation_failed", message=GENERATION_FAILED)
    assert api.image().status == 200


def test_order_of_checks__404_and_405_before_401(api: Api) -> None:
    assert_error(api.request("GET", "/v1/hosting/nothing", key=None), 404, "not_found")
    assert_error(api.request("GET", VIDEO_PATH, key=None), 405, "method_not_allowed")


# --- injected faults: 500 -------------------------------------------------------------------
def test_fault__fail_next__500_charges_nothing_creates_nothing(api: Api) -> None:
    api.backend.faults.fail_next()
    r = api.image({"prompt": "a cat", "n": 4})
    assert_error(r, 500, "generation_failed", message=GENERATION_FAILED)
    assert rate(r) == (30, 29, FIRST_RESET)  # decision 14: it passed the limiter
    _nothing_happened(api)
    assert api.list().json()["count"] == 0
    r = api.image()
    assert r.status == 200, r.body
    assert api.backend.accounts[DEFAULT_KEY].balance == Decimal("99.96")


def test_fault__fail_next_video__nothing_processing(api: Api) -> None:
    api.backend.register_account(DEFAULT_KEY, "starter")
    api.backend.faults.fail_next("video", times=2)
    assert_error(api.video(), 500, "generation_failed")
    assert_error(api.video(), 500, "generation_failed")
    _nothing_happened(api)
    api.advance(60)
    # no job is counted against Starter's two concurrent jobs
    assert api.video().status == 200
    assert api.video().status == 200


def test_fault__fail_next_times(api: Api) -> None:
    api.backend.faults.fail_next(times=3)
    for _ in range(3):
        assert_error(api.image(), 500, "generation_failed")
    assert api.image().status == 200


@pytest.mark.parametrize(
    ("kind", "failing", "working"), [("image", IMAGE_PATH, VIDEO_PATH), ("video", VIDEO_PATH, IMAGE_PATH)]
)
def test_fault__for_one_kind_does_not_affect_the_other(
    api: Api, kind: str, failing: str, working: str
) -> None:
    api.backend.faults.fail_next(kind)
    assert api.request("POST", working, json={"prompt": "fine"}).status == 200
    assert_error(api.request("POST", failing, json={"prompt": "boom"}), 500, "generation_failed")
    assert api.request("POST", failing, json={"prompt": "fine again"}).status == 200


def test_fault__for_one_account(api: Api) -> None:
    api.backend.faults.fail_next(account="unlucky")
    assert api.image(key="lucky").status == 200
    assert_error(api.image(key="unlucky"), 500, "generation_failed")
    assert api.image(key="unlucky").status == 200


def test_fault__custom_code_and_message(api: Api) -> None:
    api.backend.faults.fail_next(code="model_unavailable", message="Imagen 4 is being redeployed")
    assert_error(api.image(), 503, "model_unavailable", message="Imagen 4 is being redeployed")


# --- injected faults: 503 -------------------------------------------------------------------
def test_fault__model_down_for_30_seconds_then_recovers(api: Api) -> None:
    api.advance(10)
    api.backend.faults.model_down("image", seconds=30)
    r = api.image()
    assert_error(r, 503, "model_unavailable", message=IMAGE_MODEL_DOWN)
    assert rate(r) == (30, 29, FIRST_RESET)
    assert api.video().status == 200  # the video model is up
    api.advance(29.5)
    assert_error(api.image(), 503, "model_unavailable", message=IMAGE_MODEL_DOWN)
    api.advance(0.5)  # 30 s after it went down
    r = api.image()
    assert r.status == 200, r.body
    assert len(api.backend.store.jobs) == 2  # the video and this image; the 503s made nothing
    assert api.backend.accounts[DEFAULT_KEY].balance == Decimal("100.00") - Decimal("4.00") - Decimal("0.04")


def test_fault__video_model_down(api: Api) -> None:
    api.backend.faults.model_down("video", seconds=30)
    assert_error(api.video(), 503, "model_unavailable", message=VIDEO_MODEL_DOWN)
    assert api.image().status == 200
    api.advance(30)
    assert api.video().status == 200


def test_fault__model_down_for_every_kind_until_cleared(api: Api) -> None:
    api.backend.faults.model_down()
    api.advance(86400)
    assert_error(api.image(), 503, "model_unavailable", message=IMAGE_MODEL_DOWN)
    assert_error(api.video(), 503, "model_unavailable", message=VIDEO_MODEL_DOWN)
    _nothing_happened(api)
    api.backend.faults.clear()
    assert api.image().status == 200
    assert api.video().status == 200


def test_fault__admin_api_injects_and_clears(api: Api) -> None:
    r = api.request("POST", "/_mock/faults", json={"kind": "image", "seconds": 30}, key=None)
    assert r.status == 200, r.body
    assert_error(api.image(), 503, "model_unavailable", message=IMAGE_MODEL_DOWN)
    assert api.request("DELETE", "/_mock/faults", key=None).json() == {"faults": []}
    assert api.image().status == 200
    r = api.request("POST", "/_mock/faults", json={"times": 1}, key=None)
    assert r.status == 200, r.body
    assert_error(api.video(), 500, "generation_failed", message=GENERATION_FAILED)


def test_fault__a_rejected_key_never_reaches_the_faults(closed: Api) -> None:
    closed.backend.register_account("member", "pro")
    closed.backend.faults.fail_next()
    assert_error(closed.image(key="stranger"), 401, "unauthorized")
    assert_error(closed.image(key="member"), 500, "generation_failed")
