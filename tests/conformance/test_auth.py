"""Authentication and accounts: decision 6 and [KEYS]; isolation (decision 4).

Every test runs through every door but two on the wire door only,
``test_auth__whitespace_only_credentials__count_as_missing`` and
``test_auth__surrounding_whitespace_is_not_part_of_the_key``: HTTP clients refuse to send a
header value with leading or trailing blanks, so only the wire handler can receive one.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest

from mock_media import MediaBackend, MockConfig
from mock_media.core.errors import InvalidParameter
from tests.doc_tables import API_PREFIX, FIRST_RESET, IMAGE_PATH, VIDEO_PATH
from tests.doors import Api
from tests.helpers import assert_error, assert_no_rate_headers, path_of, rate

MISSING = "Missing API key: send it as X-API-Key or as Authorization: Bearer <token>"
INVALID = "Invalid API key"

# Every public operation, with a body where it takes one.
OPERATIONS: list[tuple[str, str, bytes]] = [
    ("POST", IMAGE_PATH, b'{"prompt": "a cat"}'),
    ("POST", VIDEO_PATH, b'{"prompt": "a crab"}'),
    ("GET", f"{API_PREFIX}/img_000000000000", b""),
    ("GET", API_PREFIX, b""),
    ("DELETE", f"{API_PREFIX}/media_000000000000", b""),
]


@pytest.fixture
def closed(api_for: Callable[[MediaBackend], Api]) -> Api:
    """Closed mode (decision 6) through every door: only registered keys are accepted."""
    return api_for(MediaBackend(MockConfig(closed=True)))


def assert_counts_as_missing(api: Api, headers: dict[str, str]) -> None:
    """401 with the "missing" message, no rate-limit headers, and no account opened."""
    r = api.image(key=None, headers=headers)
    assert_error(r, 401, "unauthorized", message=MISSING)
    assert_no_rate_headers(r)
    assert api.backend.accounts == {}


# --- the two headers ------------------------------------------------------------------------
def test_auth__x_api_key_opens_account_on_first_use(api: Api) -> None:
    r = api.image(key="agent-key")
    assert r.status == 200, r.body
    account = api.backend.accounts["agent-key"]
    # Decision 6 / assumptions: the default plan is Pro (the doc's "X-RateLimit-Limit: 30")
    # and the default balance $100.00; this request then cost the doc's $0.04.
    assert account.plan == "pro"
    assert account.balance == Decimal("99.96")
    assert rate(r)[0] == 30


def test_auth__bearer_token_works(api: Api) -> None:
    r = api.image(key=None, headers={"Authorization": "Bearer human-token"})
    assert r.status == 200, r.body
    assert list(api.backend.accounts) == ["human-token"]
    job_id = r.json()["job_id"]
    assert api.job(job_id, key=None, headers={"Authorization": "Bearer human-token"}).status == 200
    assert api.job(job_id, key="human-token").status == 200  # the same account, either header


def test_auth__bearer_scheme_is_case_insensitive(api: Api) -> None:
    r = api.image(key=None, headers={"Authorization": "bearer lower-token"})
    assert r.status == 200, r.body
    assert list(api.backend.accounts) == ["lower-token"]


def test_auth__bearer_takes_precedence_over_x_api_key(api: Api) -> None:
    api.backend.register_account("human", "starter")
    api.backend.register_account("agent", "business")
    r = api.image(key="agent", headers={"Authorization": "Bearer human"})
    assert r.status == 200, r.body
    assert rate(r)[0] == 10  # Starter's image limit: the Bearer's account answered
    job_id = r.json()["job_id"]
    assert api.job(job_id, key="human").status == 200
    assert_error(api.job(job_id, key="agent"), 404, "not_found")
    assert api.backend.accounts["human"].balance == Decimal("99.96")
    assert api.backend.accounts["agent"].balance == Decimal("100.00")


# --- missing, blank and rejected credentials ------------------------------------------------
@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_auth__missing_credentials__401_without_rate_headers(
    api: Api, method: str, path: str, body: bytes
) -> None:
    r = api.request(method, path, content=body, key=None)
    assert_error(r, 401, "unauthorized", message=MISSING)
    assert_no_rate_headers(r)
    assert "retry-after" not in r.headers
    assert api.backend.accounts == {}


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": ""},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic dXNlcjpwYXNz"},
        {"Authorization": "Token abc"},
        {"X-API-Key": "", "Authorization": "Bearer"},
    ],
    ids=["empty-key", "empty-authorization", "bearer-no-token", "basic", "token-scheme", "both-blank"],
)
def test_auth__blank_or_non_bearer_credentials__count_as_missing(api: Api, headers: dict[str, str]) -> None:
    assert_counts_as_missing(api, headers)


@pytest.mark.parametrize(
    "headers",
    [{"X-API-Key": "   "}, {"Authorization": "Bearer    "}, {"Authorization": "  Bearer  "}],
    ids=["spaces-key", "bearer-spaces", "padded-bearer"],
)
def test_auth__whitespace_only_credentials__count_as_missing(wire: Api, headers: dict[str, str]) -> None:
    # Wire door only: HTTP clients refuse to send header values with leading or trailing blanks.
    assert_counts_as_missing(wire, headers)


@pytest.mark.parametrize(
    ("headers", "account"),
    [
        ({"X-API-Key": "", "Authorization": "Bearer human"}, "human"),
        ({"X-API-Key": "agent", "Authorization": "Bearer"}, "agent"),
        ({"X-API-Key": "agent", "Authorization": "Basic dXNlcjpwYXNz"}, "agent"),
    ],
    ids=["blank-key-bearer", "blank-bearer-key", "basic-and-key"],
)
def test_auth__blank_credential__the_other_header_is_used(
    api: Api, headers: dict[str, str], account: str
) -> None:
    r = api.image(key=None, headers=headers)
    assert r.status == 200, r.body
    assert list(api.backend.accounts) == [account]


def test_auth__surrounding_whitespace_is_not_part_of_the_key(wire: Api) -> None:
    # Wire door only, as above: no HTTP client sends " padded " as it is.
    wire.backend.register_account("padded", "starter")
    r = wire.image(key=" padded ")
    assert r.status == 200, r.body
    assert list(wire.backend.accounts) == ["padded"]


# --- closed mode ----------------------------------------------------------------------------
@pytest.mark.parametrize(("method", "path", "body"), OPERATIONS)
def test_auth__closed_mode_unregistered_key__401_invalid(
    closed: Api, method: str, path: str, body: bytes
) -> None:
    r = closed.request(method, path, content=body, key="stranger")
    assert_error(r, 401, "unauthorized", message=INVALID)
    assert_no_rate_headers(r)
    assert closed.backend.accounts == {}


def test_auth__closed_mode_unregistered_bearer__401(closed: Api) -> None:
    r = closed.image(key=None, headers={"Authorization": "Bearer stranger"})
    assert_error(r, 401, "unauthorized", message=INVALID)
    assert_no_rate_headers(r)


def test_auth__closed_mode_missing_key__401_missing(closed: Api) -> None:
    assert_error(closed.image(key=None), 401, "unauthorized", message=MISSING)


def test_auth__closed_mode_registered_key__accepted(closed: Api) -> None:
    closed.backend.register_account("member", "business", "12.50")
    r = closed.image(key="member")
    assert r.status == 200, r.body
    assert rate(r)[0] == 60
    assert closed.backend.accounts["member"].balance == Decimal("12.46")
    r = closed.video(key=None, headers={"Authorization": "Bearer member"})
    assert r.status == 200, r.body
    assert list(closed.backend.accounts) == ["member"]


def test_auth__open_mode_default_plan_and_balance_are_configurable(
    api_for: Callable[[MediaBackend], Api],
) -> None:
    backend = MediaBackend(MockConfig(default_plan="starter", default_balance_usd="1.00"))
    api = api_for(backend)
    r = api.image(key="fresh")
    assert r.status == 200, r.body
    assert rate(r) == (10, 9, FIRST_RESET)
    account = backend.accounts["fresh"]
    assert (account.plan, account.balance) == ("starter", Decimal("0.96"))


def test_auth__register_account_blank_key__invalid_parameter(backend: MediaBackend) -> None:
    for key in ("", "   "):
        with pytest.raises(InvalidParameter) as caught:
            backend.register_account(key, "pro")
        assert caught.value.param == "api_key"
    assert backend.accounts == {}


# --- isolation ------------------------------------------------------------------------------
def test_auth__accounts_are_isolated(api: Api) -> None:
    image = api.image({"prompt": "mine", "n": 2}, key="alice").json()
    video = api.video(key="alice").json()
    api.advance(120)
    video = api.job(video["job_id"], key="alice").json()
    assert video["status"] == "completed"
    alice_media = [o["media_id"] for o in image["outputs"] + video["outputs"]]

    # Bob sees none of it: status and delete are 404 not_found, his list is empty.
    for job_id in (image["job_id"], video["job_id"]):
        assert_error(api.job(job_id, key="bob"), 404, "not_found", message=f"No job with id '{job_id}'")
    for media_id in alice_media:
        assert_error(
            api.delete(media_id, key="bob"), 404, "not_found", message=f"No media with id '{media_id}'"
        )
    assert api.list(key="bob").json() == {"media": [], "count": 0, "next_cursor": None}
    bob_image = api.image({"prompt": "his"}, key="bob").json()
    bob_list = api.list(key="bob").json()
    assert [m["media_id"] for m in bob_list["media"]] == [bob_image["outputs"][0]["media_id"]]

    # Alice still has everything; Bob's job is not hers.
    listed = api.list(key="alice").json()
    assert sorted(m["media_id"] for m in listed["media"]) == sorted(alice_media)
    assert_error(api.job(bob_image["job_id"], key="alice"), 404, "not_found")
    for media_id in alice_media:
        assert api.backend.store.media[media_id].account == "alice"


def test_auth__foreign_id_is_indistinguishable_from_unknown(api: Api) -> None:
    job_id = api.image(key="alice").json()["job_id"]
    foreign = api.job(job_id, key="bob")
    unknown = api.job("img_000000000000", key="bob")
    assert foreign.status == unknown.status == 404
    foreign_message = foreign.error["message"].replace(job_id, "ID")
    assert foreign_message == unknown.error["message"].replace("img_000000000000", "ID")
    assert {h for h in foreign.headers if h.startswith("x-")} == {
        h for h in unknown.headers if h.startswith("x-")
    }


def test_auth__foreign_delete__leaves_the_media_and_file(api: Api) -> None:
    out = api.image(key="alice").json()["outputs"][0]
    assert_error(api.delete(out["media_id"], key="bob"), 404, "not_found")
    assert api.request("GET", path_of(out["url"]), key=None).status == 200
    assert [m["media_id"] for m in api.list(key="alice").json()["media"]] == [out["media_id"]]
