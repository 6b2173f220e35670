"""MockMedia, as a test uses it: accounts, clock, faults, journal queries, and every door it
builds over the one fake (clients, session, router, transports, live server, ``activate``).

Expected values come from the doc (tests/doc_tables.py) and beyond-the-doc.md: a new account
is Pro with $100.00 (decision 6), a standard image costs $0.04, a 5-second standard video
$4.00 and is estimated at 120 s, Starter allows 10 images a minute.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import httpx2
import pytest
import requests
import respx

from mock_media import (
    MediaBackend,
    MisconductError,
    MockConfig,
    MockMedia,
    MockMediaAssertionError,
    WireRequest,
    assert_well_behaved,
)
from mock_media.adapters.server import MediaServer
from mock_media.core.accounts import Account
from mock_media.core.journal import Recording
from tests.doc_tables import (
    API_PREFIX,
    DOC_VIDEO_ESTIMATE,
    GENERATION_FAILED,
    IMAGE_PATH,
    MEDIA_HOST,
    START_EPOCH,
    VIDEO_MODEL_DOWN,
    VIDEO_PATH,
)
from tests.doors import API_HOST, patch_points, ssl_context
from tests.helpers import assert_error

KEY = "fake-key"
CAT = {"prompt": "a cat"}
CRAB = {"prompt": "a crab"}


@pytest.fixture
def fake() -> MockMedia:
    return MockMedia(api_key=KEY)


@pytest.fixture
def client(fake: MockMedia) -> Iterator[httpx.Client]:
    with fake.client() as c:
        yield c


@pytest.fixture
def elsewhere() -> Iterator[MediaServer]:
    """A live server of another fake: a host that is not the API's, reachable without a network."""
    with MockMedia().serve() as server:
        yield server


def limits(account: Account) -> tuple[int, int, int]:
    return account.limits.image_rpm, account.limits.video_rpm, account.limits.concurrent_jobs


# --- state --------------------------------------------------------------------------------------
def test_mock_media__is_a_wire_handler(fake: MockMedia) -> None:
    answer = fake(WireRequest.build("POST", IMAGE_PATH, headers={"X-API-Key": "k"}, body=b'{"prompt": "a"}'))

    assert answer.status == 200
    assert answer.json()["status"] == "completed"


def test_mock_media__defaults_seed_0_virtual_clock_at_the_doc_example(fake: MockMedia) -> None:
    assert (fake.config.seed, fake.config.clock) == (0, "virtual")
    assert fake.now() == START_EPOCH
    assert fake.media_base == MEDIA_HOST
    assert fake.api_base == API_HOST
    assert repr(fake) == f"MockMedia(seed=0, clock='virtual', api_key={KEY!r})"


def test_reset__forgets_everything_and_restarts_the_clock(fake: MockMedia, client: httpx.Client) -> None:
    first = client.post(IMAGE_PATH, json=CAT).json()["job_id"]
    fake.advance(90)
    fake.fail_next()

    fake.reset()

    assert (list(fake.journal), fake.backend.accounts, fake.faults.rules) == ([], {}, [])
    assert fake.now() == START_EPOCH
    assert client.post(IMAGE_PATH, json=CAT).json()["job_id"] == first  # same seed, same ids


def test_reset__with_another_seed_changes_the_ids(fake: MockMedia, client: httpx.Client) -> None:
    first = client.post(IMAGE_PATH, json=CAT).json()["job_id"]

    fake.reset(seed=1)

    assert fake.config.seed == 1
    assert client.post(IMAGE_PATH, json=CAT).json()["job_id"] != first


# --- accounts -----------------------------------------------------------------------------------
def test_register_account__defaults_to_the_fakes_key(fake: MockMedia) -> None:
    account = fake.register_account(plan="starter", balance_usd="5")

    assert (account.api_key, account.plan, limits(account)) == (KEY, "starter", (10, 2, 2))
    assert account.balance == Decimal("5")
    assert fake.account() is account


def test_register_account__enterprise_takes_custom_limits(fake: MockMedia, client: httpx.Client) -> None:
    account = fake.register_account("ent", "enterprise", 100, image_rpm=3, concurrent_jobs=7)

    assert limits(account) == (3, 50, 7)
    r = client.post(IMAGE_PATH, json=CAT, headers={"X-API-Key": "ent"})
    assert r.headers["x-ratelimit-limit"] == "3"


def test_account__open_mode_opens_it_on_first_look(fake: MockMedia) -> None:
    account = fake.account("new-key")

    assert (account.plan, account.balance) == ("pro", Decimal("100.00"))
    assert list(fake.backend.accounts) == ["new-key"]


def test_account__closed_mode_unknown_key__assertion_error_names_it() -> None:
    fake = MockMedia(MockConfig(closed=True))

    with pytest.raises(
        MockMediaAssertionError, match=r"no account with api_key 'ghost' \(the fake is in closed"
    ):
        fake.account("ghost")
    with pytest.raises(MockMediaAssertionError):
        fake.balance("ghost")


def test_balance_and_spent__exact_decimals_after_requests(fake: MockMedia, client: httpx.Client) -> None:
    client.post(IMAGE_PATH, json=CAT)
    client.post(IMAGE_PATH, json={"prompt": "a cat", "quality": "hd", "n": 2})

    assert fake.balance() == Decimal("99.80")
    assert fake.spent() == Decimal("0.20")
    assert isinstance(fake.balance(), Decimal)
    assert (fake.balance("other"), fake.spent("other")) == (Decimal("100.00"), Decimal("0"))


def test_balance__a_failed_video_is_refunded(fake: MockMedia, client: httpx.Client) -> None:
    fake.fail_next_video_jobs()
    client.post(VIDEO_PATH, json=CRAB)
    assert fake.balance() == Decimal("96.00")  # charged in full on acceptance

    fake.advance(DOC_VIDEO_ESTIMATE)

    assert fake.balance() == Decimal("100.00")
    assert fake.spent() == Decimal("0")


# --- clock --------------------------------------------------------------------------------------
def test_advance__moves_the_clock_and_finishes_due_videos(fake: MockMedia, client: httpx.Client) -> None:
    job_id = client.post(VIDEO_PATH, json=CRAB).json()["job_id"]

    fake.advance(DOC_VIDEO_ESTIMATE - 1)
    assert fake.now() == START_EPOCH + DOC_VIDEO_ESTIMATE - 1
    assert client.get(f"{API_PREFIX}/{job_id}").json()["status"] == "processing"
    fake.advance(1)

    assert client.get(f"{API_PREFIX}/{job_id}").json()["status"] == "completed"


def test_advance__backwards__value_error(fake: MockMedia) -> None:
    with pytest.raises(ValueError, match="backwards"):
        fake.advance(-1)


def test_finish_videos__moves_to_the_last_due_video_and_returns_them(
    fake: MockMedia, client: httpx.Client
) -> None:
    five = client.post(VIDEO_PATH, json=CRAB).json()["job_id"]
    fake.advance(10)
    one = client.post(VIDEO_PATH, json={"prompt": "short", "duration_seconds": 1}).json()["job_id"]

    finished = fake.finish_videos()

    assert sorted(job.job_id for job in finished) == sorted([five, one])
    assert fake.now() == START_EPOCH + DOC_VIDEO_ESTIMATE  # the 5 s video, due at 120 s, is last
    statuses = [client.get(f"{API_PREFIX}/{j}").json()["status"] for j in (five, one)]
    assert statuses == ["completed", "completed"]


def test_finish_videos__nothing_processing__clock_stays(fake: MockMedia, client: httpx.Client) -> None:
    client.post(IMAGE_PATH, json=CAT)

    assert fake.finish_videos() == []
    assert fake.now() == START_EPOCH


def test_finish_videos__an_account_clock_ahead__moves_no_further_than_needed(
    fake: MockMedia, client: httpx.Client
) -> None:
    # A shared server's test moved its own account's clock (admin API); the fake's own
    # finish_videos must still stop when the last video is due, on that account's clock.
    ahead = client.post("/_mock/clock/advance", json={"seconds": 100, "api_key": "ahead"})
    assert ahead.json()["epoch"] == START_EPOCH + 100
    client.post(VIDEO_PATH, json=CRAB, headers={"X-API-Key": "ahead"})

    [job] = fake.finish_videos()

    assert job.status == "completed"
    assert fake.now() == START_EPOCH + DOC_VIDEO_ESTIMATE


# --- faults -------------------------------------------------------------------------------------
def test_fail_next__one_500_then_recovers(fake: MockMedia, client: httpx.Client) -> None:
    rule = fake.fail_next("image")

    assert (rule.stage, rule.code, rule.kind, rule.remaining) == ("request", "generation_failed", "image", 1)
    r = client.post(IMAGE_PATH, json=CAT)
    assert_error(r.json(), 500, "generation_failed", message=GENERATION_FAILED)
    assert r.status_code == 500
    assert client.post(VIDEO_PATH, json=CRAB).status_code == 200  # images only
    assert client.post(IMAGE_PATH, json=CAT).status_code == 200
    assert fake.balance() == Decimal("95.96")  # the 500 charged nothing


def test_fail_next__times_code_and_account(fake: MockMedia, client: httpx.Client) -> None:
    fake.fail_next(times=2, code="model_unavailable", account="unlucky")
    unlucky = {"X-API-Key": "unlucky"}

    assert client.post(IMAGE_PATH, json=CAT).status_code == 200
    statuses = [client.post(IMAGE_PATH, json=CAT, headers=unlucky).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]


def test_model_down__503_for_its_seconds_for_its_kind(fake: MockMedia, client: httpx.Client) -> None:
    fake.model_down("video", seconds=30)

    assert_error(
        client.post(VIDEO_PATH, json=CRAB).json(), 503, "model_unavailable", message=VIDEO_MODEL_DOWN
    )
    assert client.post(IMAGE_PATH, json=CAT).status_code == 200
    fake.advance(29.5)
    assert client.post(VIDEO_PATH, json=CRAB).status_code == 503
    fake.advance(0.5)
    assert client.post(VIDEO_PATH, json=CRAB).status_code == 200


def test_fail_next_video_jobs__accepted_then_failed_with_an_error(
    fake: MockMedia, client: httpx.Client
) -> None:
    fake.fail_next_video_jobs(times=1)
    failing = client.post(VIDEO_PATH, json=CRAB).json()
    fine = client.post(VIDEO_PATH, json=CRAB).json()
    assert failing["status"] == fine["status"] == "processing"

    fake.finish_videos()

    failed = client.get(f"{API_PREFIX}/{failing['job_id']}").json()
    assert (failed["status"], failed["error"]["code"], failed["cost_usd"]) == (
        "failed",
        "generation_failed",
        0,
    )
    assert client.get(f"{API_PREFIX}/{fine['job_id']}").json()["status"] == "completed"


# --- journal ------------------------------------------------------------------------------------
def _traffic(fake: MockMedia, client: httpx.Client) -> str:
    """Two images, a list, a 404 path, a 400, a download, and one for "other"; the first job id."""
    job = client.post(IMAGE_PATH, json=CAT).json()
    client.post(IMAGE_PATH, json={"prompt": "a cat", "n": 2, "quality": "hd"}, headers={"X-API-Key": "other"})
    client.get(API_PREFIX)
    client.get("/v1/hosting/nothing")
    client.post(IMAGE_PATH, json={"prompt": ""})
    client.get(job["outputs"][0]["url"])
    job_id: str = job["job_id"]
    return job_id


def test_calls__filter_by_operation_status_key_code_method_and_path(
    fake: MockMedia, client: httpx.Client
) -> None:
    job_id = _traffic(fake, client)

    assert [e.status for e in fake.calls("generate_image")] == [200, 200, 400]
    assert [e.account for e in fake.calls("generate_image", api_key="other")] == ["other"]
    assert [e.path for e in fake.calls(status=404)] == ["/v1/hosting/nothing"]
    assert [e.operation for e in fake.calls(error_code="invalid_prompt")] == ["generate_image"]
    assert [e.operation for e in fake.calls(method="get")] == ["list_media", None, "get_file"]
    assert [e.job_id for e in fake.calls(path=IMAGE_PATH, status=200, api_key=KEY)] == [job_id]
    assert fake.calls("delete_media") == []
    assert len(fake.calls()) == 6


def test_last_call__the_newest_match(fake: MockMedia, client: httpx.Client) -> None:
    _traffic(fake, client)

    assert fake.last_call().operation == "get_file"
    assert fake.last_call("generate_image").error_code == "invalid_prompt"
    assert fake.last_call("generate_image", status=200).account == "other"


def test_last_call__nothing_matched__the_message_lists_what_was_called(
    fake: MockMedia, client: httpx.Client
) -> None:
    client.post(IMAGE_PATH, json=CAT)
    client.post(IMAGE_PATH, json=CAT)
    client.get(API_PREFIX)
    client.get("/v1/hosting/nothing")

    with pytest.raises(MockMediaAssertionError) as caught:
        fake.last_call("get_job", status=404)

    assert str(caught.value) == (
        "no call matched (operation='get_job', status=404); the fake saw: "
        "generate_image x2, list_media x1, GET /v1/hosting/nothing x1"
    )


def test_last_call__empty_journal__says_nothing_was_called(fake: MockMedia) -> None:
    with pytest.raises(MockMediaAssertionError, match=r"^no call matched \(any\); the fake saw: nothing$"):
        fake.last_call()


def test_calls_per_route__counts_each_route(fake: MockMedia, client: httpx.Client) -> None:
    _traffic(fake, client)

    assert fake.calls_per_route() == {
        "generate_image": 3,
        "list_media": 1,
        "GET /v1/hosting/nothing": 1,
        "get_file": 1,
    }


def test_rate_limited__the_429s_of_one_key_or_of_all(fake: MockMedia, client: httpx.Client) -> None:
    fake.register_account("slow", "starter")
    slow = {"X-API-Key": "slow"}
    statuses = [client.post(IMAGE_PATH, json=CAT, headers=slow).status_code for _ in range(12)]
    fake.register_account("slower", "starter")
    for _ in range(11):
        client.post(IMAGE_PATH, json=CAT, headers={"X-API-Key": "slower"})

    assert statuses == [200] * 10 + [429] * 2
    assert [e.retry_after for e in fake.rate_limited("slow")] == [60, 60]
    assert len(fake.rate_limited()) == 3
    assert fake.rate_limited(KEY) == []


def test_total_spent__sums_the_charges_before_refunds(fake: MockMedia, client: httpx.Client) -> None:
    fake.fail_next_video_jobs()
    client.post(VIDEO_PATH, json=CRAB)
    client.post(IMAGE_PATH, json={"prompt": "a cat", "n": 3})
    client.post(IMAGE_PATH, json=CAT, headers={"X-API-Key": "other"})
    fake.finish_videos()

    assert fake.total_spent(KEY) == Decimal("4.12")
    assert fake.total_spent() == Decimal("4.16")
    assert fake.spent() == Decimal("0.12")  # the failed video was refunded


# --- doors --------------------------------------------------------------------------------------
def test_client__based_at_the_api_sending_the_key(fake: MockMedia, client: httpx.Client) -> None:
    r = client.post(IMAGE_PATH, json=CAT)

    assert str(client.base_url).rstrip("/") == API_HOST
    assert r.status_code == 200
    assert fake.last_call().account == KEY


def test_client__downloads_an_output_url(client: httpx.Client) -> None:
    url = client.post(IMAGE_PATH, json=CAT).json()["outputs"][0]["url"]

    r = client.get(url)

    assert url.startswith(MEDIA_HOST + "/generated/")
    assert (r.status_code, r.headers["content-type"]) == (200, "image/webp")
    assert r.content[:4] == b"RIFF"


def test_client__keyword_arguments_override_the_defaults(fake: MockMedia) -> None:
    with fake.client(headers={"Authorization": "Bearer someone"}) as client:
        assert client.post(IMAGE_PATH, json=CAT).status_code == 200

    assert fake.last_call().account == "someone"


def test_async_client__answers_like_the_sync_one(fake: MockMedia) -> None:
    async def run() -> tuple[int, str]:
        async with fake.async_client() as client:
            job = (await client.post(IMAGE_PATH, json=CAT)).json()
            polled = await client.get(f"{API_PREFIX}/{job['job_id']}")
            return polled.status_code, polled.json()["status"]

    assert asyncio.run(run()) == (200, "completed")
    assert fake.calls_per_route() == {"generate_image": 1, "get_job": 1}


def test_session__requests_to_the_api_and_media_hosts(fake: MockMedia) -> None:
    with fake.session() as session:
        r = session.post(API_HOST + IMAGE_PATH, json=CAT, headers={"X-API-Key": KEY})
        file = session.get(r.json()["outputs"][0]["url"])

    assert r.status_code == 200
    assert (file.status_code, file.headers["Content-Type"]) == (200, "image/webp")
    assert fake.calls_per_route() == {"generate_image": 1, "get_file": 1}


def test_router__serves_httpx_sync_and_async_clients(fake: MockMedia) -> None:
    async def poll(job_id: str) -> int:
        async with httpx.AsyncClient(verify=ssl_context()) as client:
            r = await client.get(f"{API_HOST}{API_PREFIX}/{job_id}", headers={"X-API-Key": KEY})
            return r.status_code

    with fake.router() as router, httpx.Client(verify=ssl_context()) as client:
        job_id = client.post(API_HOST + IMAGE_PATH, json=CAT, headers={"X-API-Key": KEY}).json()["job_id"]
        assert asyncio.run(poll(job_id)) == 200
        assert router.calls.call_count == 2  # respx forgets its calls on the way out
    assert fake.calls_per_route() == {"generate_image": 1, "get_job": 1}


def test_router__media_host_serves_only_generated_files(fake: MockMedia) -> None:
    with fake.router(), httpx.Client(verify=ssl_context()) as client:
        assert client.get(MEDIA_HOST + "/generated/nothing.webp").status_code == 404
        with pytest.raises(respx.models.AllMockedAssertionError):
            client.get(MEDIA_HOST + IMAGE_PATH)


def test_transport__for_httpx2_clients(fake: MockMedia) -> None:
    with httpx2.Client(transport=fake.transport(httpx2), base_url=API_HOST) as client:
        r = client.post(IMAGE_PATH, json=CAT, headers={"X-API-Key": KEY})

    assert r.status_code == 200
    assert isinstance(r, httpx2.Response)
    assert fake.balance() == Decimal("99.96")


def test_serve__a_live_server_over_the_same_fake(fake: MockMedia) -> None:
    with fake.serve() as server, httpx.Client(base_url=server.url) as client:
        r = client.post(IMAGE_PATH, json=CAT, headers={"X-API-Key": KEY})
        fake.advance(60)
        clock = client.get("/_mock/clock").json()
        assert server.url.startswith("http://127.0.0.1:")

    assert r.status_code == 200
    assert fake.last_call().job_id == r.json()["job_id"]
    assert clock["epoch"] == START_EPOCH + 60


# --- activate -----------------------------------------------------------------------------------
def test_activate__plain_httpx_requests_and_httpx2_reach_the_fake(fake: MockMedia) -> None:
    headers = {"X-API-Key": KEY}
    with fake.activate() as active:
        assert active is fake
        with httpx.Client(verify=ssl_context()) as client:
            by_httpx = client.post(API_HOST + IMAGE_PATH, json=CAT, headers=headers)
        by_requests = requests.post(API_HOST + IMAGE_PATH, json=CAT, headers=headers, timeout=5)
        with httpx2.Client(verify=ssl_context()) as client2:
            by_httpx2 = client2.post(API_HOST + IMAGE_PATH, json=CAT, headers=headers)
            file = client2.get(by_httpx2.json()["outputs"][0]["url"])

    assert [r.status_code for r in (by_httpx, by_requests, by_httpx2, file)] == [200, 200, 200, 200]
    assert fake.calls_per_route() == {"generate_image": 3, "get_file": 1}
    assert fake.balance() == Decimal("99.88")


def test_activate__httpx_to_another_host_is_blocked(fake: MockMedia, elsewhere: MediaServer) -> None:
    with fake.activate(), httpx.Client() as client, pytest.raises(respx.models.AllMockedAssertionError):
        client.get(elsewhere.url + "/_mock/health")


def test_activate__requests_and_httpx2_to_another_host_are_refused(
    fake: MockMedia, elsewhere: MediaServer
) -> None:
    # One except catches the refusal whichever library sent the request.
    with fake.activate(), httpx2.Client() as client2:
        with pytest.raises(respx.models.AllMockedAssertionError, match="is not the Media API"):
            requests.get(elsewhere.url + "/_mock/health", timeout=5)
        with pytest.raises(respx.models.AllMockedAssertionError, match="is not the Media API"):
            client2.get(elsewhere.url + "/_mock/health")

    assert list(fake.journal) == []


def test_activate__allowed_hosts_reach_the_network(fake: MockMedia, elsewhere: MediaServer) -> None:
    health = elsewhere.url + "/_mock/health"
    with fake.activate(allowed=(elsewhere.url,)), httpx.Client() as client, httpx2.Client() as client2:
        statuses = [client.get(health).status_code, client2.get(health).status_code]
        statuses.append(requests.get(health, timeout=5).status_code)
        mocked = requests.post(API_HOST + IMAGE_PATH, json=CAT, headers={"X-API-Key": KEY}, timeout=5)

    assert statuses == [200, 200, 200]
    assert mocked.status_code == 200
    assert fake.calls_per_route() == {"generate_image": 1}


def test_activate__pass_through_lets_every_library_reach_another_host(
    fake: MockMedia, elsewhere: MediaServer
) -> None:
    health_url = elsewhere.url + "/_mock/health"
    with fake.activate(pass_through=True), httpx.Client() as client, httpx2.Client() as client2:
        health = client.get(health_url)
        others = [requests.get(health_url, timeout=5).status_code, client2.get(health_url).status_code]
        mocked = client.post(API_HOST + IMAGE_PATH, json=CAT, headers={"X-API-Key": KEY})

    assert (health.status_code, health.json()["status"]) == (200, "ok")
    assert others == [200, 200]
    assert mocked.status_code == 200
    assert fake.calls_per_route() == {"generate_image": 1}


def test_activate__leaving_it_undoes_every_patch(fake: MockMedia) -> None:
    before = patch_points()

    with fake.activate():
        assert patch_points() != before
    with pytest.raises(KeyError), fake.activate(pass_through=True):
        raise KeyError("the test failed")

    assert patch_points() == before


def test_patch_requests__alone_answers_the_api_and_leaves_other_hosts_alone(
    fake: MockMedia, elsewhere: MediaServer
) -> None:
    before = patch_points()
    with fake.patch_requests():
        r = requests.post(API_HOST + IMAGE_PATH, json=CAT, headers={"X-API-Key": KEY}, timeout=5)
        other = requests.get(elsewhere.url + "/_mock/health", timeout=5)
        during = patch_points()

    assert r.status_code == 200
    assert r.json()["status"] == "completed"
    assert (other.status_code, other.json()["status"]) == (200, "ok")  # not intercepted
    assert during["httpx2-sync"] == before["httpx2-sync"]
    assert during["respx-routers"] == before["respx-routers"]
    assert patch_points() == before


def test_patch_httpx2__sync_and_async_clients(fake: MockMedia) -> None:
    async def poll(job_id: str) -> int:
        async with httpx2.AsyncClient(verify=ssl_context()) as client:
            r = await client.get(f"{API_HOST}{API_PREFIX}/{job_id}", headers={"X-API-Key": KEY})
            return int(r.status_code)

    with fake.patch_httpx2(), httpx2.Client(verify=ssl_context()) as client:
        job_id = client.post(API_HOST + IMAGE_PATH, json=CAT, headers={"X-API-Key": KEY}).json()["job_id"]
        assert asyncio.run(poll(job_id)) == 200

    assert fake.calls_per_route() == {"generate_image": 1, "get_job": 1}


def test_mock_media__shares_a_clock_with_another_fake() -> None:
    first = MockMedia()
    second = MockMedia(clock=first.clock)

    first.advance(30)

    assert second.now() == START_EPOCH + 30
    assert isinstance(second.backend, MediaBackend)


def test_respx_mock__ready_router_starts_a_fresh_fake_each_use() -> None:
    import mock_media

    router = mock_media.respx_mock
    seen: list[tuple[int, str, int]] = []

    @router
    def agent() -> None:
        r = httpx.post(
            "https://api.moltbotden.com/v1/hosting/media/image",
            headers={"X-API-Key": "k"},
            json={"prompt": "a cat"},
        )
        assert router.fake is not None
        seen.append((r.status_code, r.json()["job_id"], len(router.fake.calls())))

    agent()
    agent()

    assert seen[0] == seen[1]  # same seed, fresh state: the same first job id, one call each
    assert seen[0][0] == 200 and seen[0][2] == 1
    assert mock_media.respx_mock is router  # one ready router per process


def test_router__knows_its_fake() -> None:
    fake = MockMedia()

    with fake.router() as router:
        reply = httpx.get("https://api.moltbotden.com/v1/hosting/media", headers={"X-API-Key": "k"})

    assert router.fake is fake
    assert reply.json() == {"media": [], "count": 0, "next_cursor": None}
    assert [e.operation for e in fake.calls()] == ["list_media"]


# --- recording and conduct ----------------------------------------------------------------------
def _impatient(fake: MockMedia) -> None:
    """Eleven images on Starter (the 11th a 429), then a twelfth at once: an early retry."""
    fake.register_account(plan="starter")
    with fake.client() as client:
        for _ in range(12):
            client.post(IMAGE_PATH, json={"prompt": "a cat"})


def test_conduct__any_source_judges_the_same(tmp_path: Path) -> None:
    fake = MockMedia()
    _impatient(fake)
    path = tmp_path / "run.jsonl"
    text = fake.export_journal(path)

    assert path.read_text(encoding="utf-8") == text
    assert [f.rule for f in fake.conduct().findings] == ["early_retry"]
    assert fake.conduct(api_key="somebody-else").ok
    for source in (fake, path, str(path), Recording.parse(text.splitlines()), list(fake.journal)):
        with pytest.raises(MisconductError, match="early_retry") as raised:
            assert_well_behaved(source)
        assert raised.value.report.findings[0].seq == 12


def test_conduct__a_patient_client_passes_and_the_policy_is_checked() -> None:
    fake = MockMedia()
    with fake.client() as client:
        job = client.post(VIDEO_PATH, json={"prompt": "a crab"}).json()["job_id"]
        fake.advance(60)
        client.get(f"{API_PREFIX}/{job}")

    assert fake.assert_well_behaved().ok
    assert not fake.conduct(poll_interval=61).ok
    with pytest.raises(ValueError, match="give_up_after"):
        fake.conduct(give_up_after=0)
