"""RemoteMockMedia and the admin API it speaks, against a live server (``MediaServer``) over a
``MockMedia`` whose ``media_base`` is the server, as the pytest plugin and ``mock-media serve``
run it.

Two keys on one server never see each other's jobs, 429s, journal or time: ``/_mock/reset``,
``/_mock/clock/advance``, ``/_mock/clock`` and ``/_mock/clock/finish-videos`` take an
``api_key`` that scopes them to one account. Expected values come from the doc: the clock
starts at epoch 1741953600 (2025-03-14T12:00:00Z), a 5-second standard video costs $4.00 and
is due after 120 s, Starter allows 10 images a minute, a new account is Pro with $100.00.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mock_media import MisconductError, MockConfig, MockMedia, build_handler, replay
from mock_media.adapters.server import MediaServer
from mock_media.remote import MockMediaAdminError, RemoteMockMedia
from mock_media.wire.control import ADMIN_TOKEN_ENV
from tests.doc_tables import API_PREFIX, DOC_VIDEO_ESTIMATE, IMAGE_PATH, START_EPOCH, VIDEO_PATH
from tests.doors import Switch
from tests.helpers import assert_error

CAT = {"prompt": "a cat"}
TOKEN = "t0ken-of-the-admin-api"
CRAB = {"prompt": "a crab"}


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[MediaServer, Switch]]:
    """One live server for the module; each test installs its own fake behind it."""
    switch = Switch()
    with MediaServer(switch) as live:
        yield live, switch


@pytest.fixture
def fake(server: tuple[MediaServer, Switch]) -> Iterator[MockMedia]:
    live, switch = server
    fake = MockMedia(MockConfig(media_base=live.url))
    switch.target = fake.handler
    yield fake
    switch.target = None


@pytest.fixture
def http(server: tuple[MediaServer, Switch], fake: MockMedia) -> Iterator[httpx.Client]:
    """A client of the server, with this test's fake behind it."""
    with httpx.Client(base_url=server[0].url) as client:
        yield client


@pytest.fixture
def remotes(server: tuple[MediaServer, Switch], fake: MockMedia) -> Iterator[dict[str, RemoteMockMedia]]:
    """Two tests' handles on the one server: keys "alice" and "bob"."""
    handles = {key: RemoteMockMedia(server[0].url, api_key=key, fake=fake) for key in ("alice", "bob")}
    yield handles
    for handle in handles.values():
        handle.close()


class Agent:
    """An agent's requests to the server under one key."""

    def __init__(self, http: httpx.Client, key: str) -> None:
        self.http = http
        self.headers = {"X-API-Key": key}

    def image(self, body: dict[str, Any] = CAT) -> httpx.Response:
        return self.http.post(IMAGE_PATH, json=body, headers=self.headers)

    def video(self, body: dict[str, Any] = CRAB) -> httpx.Response:
        return self.http.post(VIDEO_PATH, json=body, headers=self.headers)

    def job(self, job_id: str) -> httpx.Response:
        return self.http.get(f"{API_PREFIX}/{job_id}", headers=self.headers)


@pytest.fixture
def alice(http: httpx.Client) -> Agent:
    return Agent(http, "alice")


@pytest.fixture
def bob(http: httpx.Client) -> Agent:
    return Agent(http, "bob")


# --- the handle ---------------------------------------------------------------------------------
def test_remote__urls_headers_and_the_fake_behind_it(
    server: tuple[MediaServer, Switch], fake: MockMedia, remotes: dict[str, RemoteMockMedia]
) -> None:
    url = server[0].url
    alice = remotes["alice"]

    assert (alice.url, alice.api_base, alice.media_base) == (url, url, url)
    assert alice.endpoint() == url + API_PREFIX
    assert alice.endpoint("image") == url + IMAGE_PATH
    assert alice.endpoint("vid_x") == f"{url}{API_PREFIX}/vid_x"
    assert alice.headers == {"X-API-Key": "alice"}
    assert alice.fake is fake
    assert repr(alice) == f"RemoteMockMedia({url!r}, api_key='alice')"


def test_remote__output_urls_download_from_the_server(
    http: httpx.Client, alice: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    url = alice.image().json()["outputs"][0]["url"]

    assert url.startswith(remotes["alice"].media_base + "/generated/")
    file = http.get(url)
    assert (file.status_code, file.headers["content-type"]) == (200, "image/webp")


def test_remote__register_account_balance_and_account(
    alice: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    remote = remotes["alice"]

    view = remote.register_account(plan="business", balance_usd="12.50")
    alice.image()

    assert (view["api_key"], view["plan"], view["image_rpm"]) == ("alice", "business", 60)
    assert remote.balance() == Decimal("12.46")
    assert remote.account()["spent_usd"] == "0.04"
    assert remote.register_account(plan="enterprise", image_rpm=3)["image_rpm"] == 3


def test_remote__admin_refusal__error_with_the_servers_message(remotes: dict[str, RemoteMockMedia]) -> None:
    remote = remotes["alice"]

    with pytest.raises(MockMediaAdminError, match=r"^POST /_mock/clock/advance: 400 time cannot go back"):
        remote.advance(-1)
    with pytest.raises(MockMediaAdminError, match=r"^POST /_mock/accounts: 400 plan must be one of"):
        remote.register_account(plan="platinum")


def test_remote__sends_the_admin_token_given_else_the_one_in_the_environment(
    server: tuple[MediaServer, Switch], fake: MockMedia, monkeypatch: pytest.MonkeyPatch
) -> None:
    live, switch = server
    switch.target = build_handler(fake.backend, admin_token=TOKEN)  # as `serve --admin-token`
    monkeypatch.delenv(ADMIN_TOKEN_ENV, raising=False)
    handles: list[RemoteMockMedia] = []

    def handle(**kwargs: Any) -> RemoteMockMedia:
        handles.append(RemoteMockMedia(live.url, api_key="alice", **kwargs))
        return handles[-1]

    try:
        with pytest.raises(MockMediaAdminError, match=r"^POST /_mock/reset: 403 .* X-Mock-Admin-Token$"):
            handle().reset()
        handle(admin_token=TOKEN).reset()
        monkeypatch.setenv(ADMIN_TOKEN_ENV, TOKEN)  # what a CI job sets for --mock-media-url
        from_env = handle()
        from_env.advance(5)
        assert from_env.now() == START_EPOCH + 5
        assert from_env.export_journal().startswith("{")
        monkeypatch.setenv(ADMIN_TOKEN_ENV, "stale")
        assert handle(admin_token=TOKEN).account()["api_key"] == "alice"  # given beats the environment
        with pytest.raises(MockMediaAdminError, match=r"^GET /_mock/journal: 403 X-Mock-Admin-Token is not"):
            handle().journal()
    finally:
        for remote in handles:
            remote.close()


# --- reset --------------------------------------------------------------------------------------
def test_reset__forgets_only_its_own_account(
    http: httpx.Client, alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    mine = alice.image().json()
    theirs = bob.image().json()

    remotes["alice"].reset()

    assert remotes["alice"].journal() == []
    assert alice.job(mine["job_id"]).status_code == 404
    assert http.get(mine["outputs"][0]["url"]).status_code == 404
    assert alice.image().status_code == 200
    assert remotes["alice"].balance() == Decimal("99.96")  # a fresh account: $100.00 less one image
    assert bob.job(theirs["job_id"]).status_code == 200
    assert [e["path"] for e in remotes["bob"].journal()] == [IMAGE_PATH, f"{API_PREFIX}/{theirs['job_id']}"]


def test_reset__balance_before_the_next_request_is_the_default(remotes: dict[str, RemoteMockMedia]) -> None:
    remotes["alice"].reset()

    assert remotes["alice"].balance() == Decimal("100.00")


def test_reset__admin_api_answers_the_key(http: httpx.Client, alice: Agent) -> None:
    alice.image()

    r = http.post("/_mock/reset", json={"api_key": "alice"})

    assert (r.status_code, r.json()) == (200, {"status": "reset", "api_key": "alice"})


def test_reset__with_a_key_and_a_seed__invalid_parameter(http: httpx.Client) -> None:
    r = http.post("/_mock/reset", json={"api_key": "alice", "seed": 3})

    assert_error(r.json(), 400, "invalid_parameter", param="seed")


def test_reset__disarms_the_faults_it_injected(alice: Agent, remotes: dict[str, RemoteMockMedia]) -> None:
    remotes["alice"].fail_next(times=3)

    remotes["alice"].reset()

    assert alice.image().status_code == 200


# --- clock --------------------------------------------------------------------------------------
def test_advance__moves_only_its_own_time(
    http: httpx.Client, alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    alice.image()
    bob.image()

    remotes["alice"].advance(90)
    alice.image()
    bob.image()

    assert remotes["alice"].now() == START_EPOCH + 90
    assert remotes["bob"].now() == START_EPOCH
    assert http.get("/_mock/clock").json()["epoch"] == START_EPOCH
    assert [e["time"] for e in remotes["alice"].journal()] == [START_EPOCH, START_EPOCH + 90]
    assert [e["time"] for e in remotes["bob"].journal()] == [START_EPOCH, START_EPOCH]


def test_advance__admin_api_answers_that_accounts_time(http: httpx.Client) -> None:
    r = http.post("/_mock/clock/advance", json={"seconds": 61.5, "api_key": "carol"})

    assert r.status_code == 200
    assert (r.json()["epoch"], r.json()["iso"]) == (START_EPOCH + 61.5, "2025-03-14T12:01:01Z")
    clock = http.get("/_mock/clock", params={"api_key": "carol"}).json()
    assert clock["epoch"] == START_EPOCH + 61.5
    assert http.get("/_mock/clock", params={"api_key": "dave"}).json()["epoch"] == START_EPOCH


def test_advance__an_unregistered_key_in_closed_mode__404(
    server: tuple[MediaServer, Switch], http: httpx.Client
) -> None:
    server[1].target = MockMedia(MockConfig(closed=True)).handler

    r = http.post("/_mock/clock/advance", json={"seconds": 1, "api_key": "stranger"})

    assert_error(r.json(), 404, "not_found", message="No account with api_key 'stranger'")


def test_finish_videos__only_its_own_videos(
    alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    mine = alice.video().json()["job_id"]
    theirs = bob.video().json()["job_id"]

    assert remotes["alice"].finish_videos() == [mine]

    assert alice.job(mine).json()["status"] == "completed"
    assert bob.job(theirs).json()["status"] == "processing"
    assert remotes["alice"].now() == START_EPOCH + DOC_VIDEO_ESTIMATE
    assert remotes["bob"].now() == START_EPOCH


def test_finish_videos__admin_api_without_a_key_finishes_everybodys(
    http: httpx.Client, alice: Agent, bob: Agent
) -> None:
    ids = [alice.video().json()["job_id"], bob.video().json()["job_id"]]

    r = http.post("/_mock/clock/finish-videos")

    assert r.status_code == 200
    assert sorted(r.json()["job_ids"]) == sorted(ids)
    assert r.json()["clock"]["epoch"] == START_EPOCH + DOC_VIDEO_ESTIMATE
    assert [alice.job(ids[0]).json()["status"], bob.job(ids[1]).json()["status"]] == ["completed"] * 2


# --- isolation ----------------------------------------------------------------------------------
def test_two_keys__never_see_each_others_jobs(alice: Agent, bob: Agent) -> None:
    job_id = alice.image().json()["job_id"]

    assert_error(bob.job(job_id).json(), 404, "not_found")
    assert bob.http.get(API_PREFIX, headers=bob.headers).json()["count"] == 0


def test_two_keys__never_see_each_others_429s(
    alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    remotes["alice"].register_account(plan="starter")
    statuses = [alice.image().status_code for _ in range(11)]

    theirs = bob.image()

    assert statuses == [200] * 10 + [429]
    assert (theirs.status_code, theirs.headers["x-ratelimit-remaining"]) == (200, "29")
    assert [e["status"] for e in remotes["alice"].journal(status=429)] == [429]
    assert remotes["bob"].journal(status=429) == []


def test_two_keys__a_new_window_on_one_clock_only(
    alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    for remote in remotes.values():
        remote.register_account(plan="starter")
    for agent in (alice, bob):
        for _ in range(10):
            agent.image()

    remotes["alice"].advance(60)

    assert alice.image().status_code == 200
    refused = bob.image()
    assert (refused.status_code, refused.headers["retry-after"]) == (429, "60")


def test_journal__only_its_own_entries_filtered(
    alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    alice.image()
    alice.image({"prompt": ""})
    bob.image()

    entries = remotes["alice"].journal()
    refused = remotes["alice"].journal(status=400)

    assert [(e["account"], e["status"]) for e in entries] == [("alice", 200), ("alice", 400)]
    assert [e["error_code"] for e in refused] == ["invalid_prompt"]
    assert remotes["alice"].journal(method="GET") == []


# --- faults -------------------------------------------------------------------------------------
def test_fail_next__only_its_own_requests(
    alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    remotes["alice"].fail_next("image", times=2)

    assert bob.image().status_code == 200
    assert [alice.image().status_code for _ in range(3)] == [500, 500, 200]


def test_fail_next__with_code_model_unavailable(alice: Agent, remotes: dict[str, RemoteMockMedia]) -> None:
    remotes["alice"].fail_next(code="model_unavailable")

    assert_error(alice.image().json(), 503, "model_unavailable")


def test_model_down__for_its_seconds_of_its_own_time(
    alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    remotes["alice"].model_down("video", seconds=30)

    assert alice.video().status_code == 503
    assert alice.image().status_code == 200
    assert bob.video().status_code == 200
    remotes["alice"].advance(30)
    assert alice.video().status_code == 200


def test_model_down__after_its_own_clock_moved_ahead(
    alice: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    alice.image()
    remotes["alice"].advance(100)

    remotes["alice"].model_down("image", seconds=30)

    assert alice.image().status_code == 503


def test_fail_next_video_jobs__its_video_fails_and_is_refunded(
    alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    remotes["alice"].fail_next_video_jobs()
    mine = alice.video().json()["job_id"]
    theirs = bob.video().json()["job_id"]
    assert remotes["alice"].balance() == Decimal("96.00")

    remotes["alice"].finish_videos()
    remotes["bob"].finish_videos()

    assert alice.job(mine).json()["status"] == "failed"
    assert bob.job(theirs).json()["status"] == "completed"
    assert remotes["alice"].balance() == Decimal("100.00")
    assert remotes["alice"].account()["refunded_usd"] == "4.00"


# --- recording and conduct over the wire ----------------------------------------------------------
def test_export__the_servers_session_replays_with_zero_differences(
    alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia], http: httpx.Client
) -> None:
    remotes["alice"].register_account("starter")
    remotes["bob"].fail_next("image")
    for _ in range(11):
        alice.image()
    bob.image()
    job = bob.video().json()["job_id"]
    remotes["bob"].advance(200)
    bob.job(job)

    answer = http.get("/_mock/journal/export")
    text = remotes["alice"].export_journal()

    assert answer.headers["content-type"] == "application/x-ndjson"
    assert text == answer.text
    report = replay(text)
    assert report.identical, str(report)
    assert report.replayed == 14


def test_conduct__judges_only_its_own_accounts_client(
    alice: Agent, bob: Agent, remotes: dict[str, RemoteMockMedia]
) -> None:
    remotes["alice"].register_account("starter")
    for _ in range(12):  # the 11th is a 429 and the 12th comes at once: an early retry
        alice.image()
    job = bob.video().json()["job_id"]
    remotes["bob"].advance(10)
    bob.job(job)

    assert [f.rule for f in remotes["alice"].conduct().findings] == ["early_retry"]
    with pytest.raises(MisconductError, match="early_retry"):
        remotes["alice"].assert_well_behaved()
    assert remotes["bob"].assert_well_behaved().ok
    assert not remotes["bob"].conduct(poll_interval=30).ok
