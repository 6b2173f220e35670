"""The ``mock_media`` fixture family as a user meets it: documented fixtures, every in-process
door, fresh state per test, other hosts blocked, and virtual sleep under sync and async tests.

Each test writes a small inner project and runs pytest on it with ``pytester``, in process
(the plugin's patches are global, and undone when the inner test ends).
"""

from __future__ import annotations

import inspect
import re

import pytest

import pytest_plugin.plugin as plugin
from mock_media import MockMedia
from pytest_plugin.options import SETTINGS

from .project import API, image_ids, make_ini, run

FIXTURES = ("mock_media", "mock_media_server", "mock_media_virtual_sleep", "mock_media_options")


def test_fixtures__listed_by_pytest_fixtures_with_a_one_line_help(pytester: pytest.Pytester) -> None:
    make_ini(pytester)

    result = run(pytester, "--fixtures")

    assert result.ret == pytest.ExitCode.OK
    listing = result.stdout.str()
    for name in FIXTURES:
        found = re.search(rf"^{name} -- \S+\n    (\S.*)\n\n", listing, re.M)
        assert found, f"{name} is not listed with exactly one line of help:\n{listing}"
        first_line = (inspect.getdoc(getattr(plugin, name)) or "").splitlines()[0]
        assert found.group(1) == first_line


def test_fixtures__help_names_the_settings_as_options_and_ini_keys(pytester: pytest.Pytester) -> None:
    make_ini(pytester)

    help_text = run(pytester, "--help").stdout.str()
    markers = run(pytester, "--markers").stdout.str()

    for setting in SETTINGS:
        assert setting.option in help_text
        assert setting.ini in help_text
    assert "@pytest.mark.mock_media(seed=..., plan=..., balance_usd=..., api_key=..." in markers


DOORS = f"""
import asyncio
from decimal import Decimal

import httpx
import httpx2
import pytest
import requests

API = "{API}"
KEY = {{"X-API-Key": "agent-key"}}
BODY = {{"prompt": "A futuristic city skyline at sunset"}}


def test_requests(mock_media):
    assert requests.post(f"{{API}}/image", headers=KEY, json=BODY).json()["status"] == "completed"


def test_httpx(mock_media):
    assert httpx.post(f"{{API}}/image", headers=KEY, json=BODY).json()["status"] == "completed"


@pytest.mark.asyncio
async def test_httpx_async(mock_media):
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{{API}}/image", headers=KEY, json=BODY)
    assert response.json()["status"] == "completed"


def test_httpx2(mock_media):
    assert httpx2.post(f"{{API}}/image", headers=KEY, json=BODY).json()["status"] == "completed"


def test_httpx2_async(mock_media):
    async def generate():
        async with httpx2.AsyncClient() as client:
            return await client.post(f"{{API}}/image", headers=KEY, json=BODY)

    assert asyncio.run(generate()).json()["status"] == "completed"


def test_every_door_reaches_the_same_fake(mock_media):
    answers = [
        requests.post(f"{{API}}/image", headers=KEY, json=BODY).json(),
        httpx.post(f"{{API}}/image", headers=KEY, json=BODY).json(),
        httpx2.post(f"{{API}}/image", headers=KEY, json=BODY).json(),
    ]

    assert [e.job_id for e in mock_media.calls("generate_image")] == [a["job_id"] for a in answers]
    assert mock_media.spent("agent-key") == Decimal("0.12")
    output = answers[0]["outputs"][0]
    assert output["url"].startswith("https://media.moltbotden.com/generated/")
    for get in (requests.get, httpx.get, httpx2.get):
        assert len(get(output["url"]).content) == output["size_bytes"]
"""


def test_mock_media__requests_httpx_and_httpx2_reach_the_fake(pytester: pytest.Pytester) -> None:
    make_ini(pytester)
    pytester.makepyfile(test_doors=DOORS)

    result = run(pytester)

    result.assert_outcomes(passed=6)


FRESH = f"""
from decimal import Decimal

import pytest
import requests

from pytest_plugin.options import MockMediaOptions

API = "{API}"
KEY = {{"X-API-Key": "test-key"}}
START = 1741953600.0  # 2025-03-14T12:00:00Z, the doc's example time
SEEN = {{}}


def generate():
    return requests.post(f"{{API}}/image", headers=KEY, json={{"prompt": "a cat"}}).json()["job_id"]


def test_defaults(mock_media, mock_media_options):
    assert mock_media_options == MockMediaOptions()
    assert mock_media.api_key == "test-key"
    assert mock_media.account().plan == "pro"
    assert mock_media.balance() == Decimal("100.00")
    assert mock_media.now() == START
    assert [generate(), generate()] == {image_ids(0)!r}


@pytest.mark.mock_media(seed=7)
def test_first(mock_media):
    SEEN["jobs"] = [generate(), generate()]
    mock_media.register_account("other-key", plan="starter")
    mock_media.advance(300)

    assert SEEN["jobs"] == {image_ids(7)!r}
    assert len(mock_media.calls()) == 2


@pytest.mark.mock_media(seed=7)
def test_second(mock_media):
    assert mock_media.calls() == []
    assert mock_media.now() == START
    assert "other-key" not in mock_media.backend.accounts
    assert requests.get(f"{{API}}/{{SEEN['jobs'][0]}}", headers=KEY).status_code == 404
    assert requests.get(API, headers=KEY).json()["count"] == 0
    assert mock_media.balance() == Decimal("100.00")

    assert [generate(), generate()] == SEEN["jobs"]
"""


def test_mock_media__every_test_gets_a_fresh_fake_with_the_same_ids(pytester: pytest.Pytester) -> None:
    make_ini(pytester)
    pytester.makepyfile(test_fresh=FRESH)

    result = run(pytester)

    result.assert_outcomes(passed=3)
    assert image_ids(0) != image_ids(7)


PASS_THROUGH = """
import httpx
import httpx2
import pytest
import requests
from respx.models import AllMockedAssertionError

API = "{api}"
OTHER = "{other}/v1/hosting/media"  # another host: a real server on a socket
OTHER_KEY = {{"X-API-Key": "outer-key"}}


def test_other_hosts_fail(mock_media):
    for get in (httpx.get, requests.get, httpx2.get):
        with pytest.raises(AllMockedAssertionError):
            get(OTHER, headers=OTHER_KEY)


@pytest.mark.asyncio
async def test_other_hosts_fail_async(mock_media):
    for client in (httpx.AsyncClient(), httpx2.AsyncClient()):
        async with client:
            with pytest.raises(AllMockedAssertionError):
                await client.get(OTHER, headers=OTHER_KEY)


@pytest.mark.mock_media(pass_through=True)
def test_pass_through_reaches_other_hosts(mock_media):
    for get in (httpx.get, requests.get, httpx2.get):
        assert get(OTHER, headers=OTHER_KEY).json() == {{"media": [], "count": 0, "next_cursor": None}}

    assert requests.post(f"{{API}}/image", headers={{"X-API-Key": "k"}}, json={{"prompt": "a"}}).ok
    assert len(mock_media.calls()) == 1  # the API itself is still the fake
"""


def test_mock_media__other_hosts_fail_unless_pass_through(pytester: pytest.Pytester) -> None:
    other = MockMedia()
    make_ini(pytester)
    with other.serve() as server:
        pytester.makepyfile(test_hosts=PASS_THROUGH.format(api=API, other=server.url))

        result = run(pytester)

    result.assert_outcomes(passed=3)
    # Only the pass-through test's three requests reached the other host.
    assert [e.status for e in other.calls("list_media")] == [200, 200, 200]


SLEEP = f"""
import asyncio
import threading
import time
from decimal import Decimal

import httpx
import pytest
import requests

API = "{API}"
KEY = {{"X-API-Key": "your_moltbotden_api_key"}}
REAL_SLEEP, REAL_ASYNC_SLEEP = time.sleep, asyncio.sleep


# The doc's own backoff loop, verbatim.
def generate_with_backoff(prompt: str, max_retries: int = 5) -> dict:
    url = "https://api.moltbotden.com/v1/hosting/media/image"
    headers = {{"X-API-Key": "your_moltbotden_api_key", "Content-Type": "application/json"}}
    payload = {{"prompt": prompt, "aspect_ratio": "1:1"}}

    for attempt in range(max_retries):
        response = requests.post(url, headers=headers, json=payload)
        if response.status_code == 200:
            return response.json()
        elif response.status_code == 429:
            wait = (2 ** attempt) + 1
            print(f"Rate limited. Waiting {{wait}}s...")
            time.sleep(wait)
        else:
            response.raise_for_status()

    raise Exception(f"Failed after {{max_retries}} retries")


@pytest.mark.mock_media(plan="starter", api_key="your_moltbotden_api_key")
def test_backoff_through_a_429_burst(mock_media_virtual_sleep, capsys):
    fake = mock_media_virtual_sleep
    fake.advance(45)  # 12:00:45: this minute's window resets at 12:01:00
    for _ in range(10):  # Starter: 10 image requests a minute
        assert requests.post(f"{{API}}/image", headers=KEY, json={{"prompt": "warm-up"}}).ok
    virtual, real = fake.now(), time.perf_counter()

    result = generate_with_backoff("A futuristic city skyline at sunset")

    assert result["status"] == "completed"
    assert fake.now() - virtual == 2 + 3 + 5 + 9  # the sleeps, on the virtual clock
    assert time.perf_counter() - real < 10  # not 19 s of real time (a loose bound: CI may be loaded)
    assert [e.status for e in fake.calls("generate_image")] == [200] * 10 + [429] * 4 + [200]
    assert capsys.readouterr().out.splitlines() == [f"Rate limited. Waiting {{w}}s..." for w in (2, 3, 5, 9)]
    assert fake.balance() == Decimal("100.00") - 11 * Decimal("0.04")


def test_video_polling_loop(mock_media_virtual_sleep):
    fake = mock_media_virtual_sleep
    body = {{"prompt": "A crab walking on a sandy beach", "duration_seconds": 5}}
    job = requests.post(f"{{API}}/video", headers=KEY, json=body).json()
    assert (job["status"], job["estimated_completion_seconds"]) == ("processing", 120)
    virtual, real = fake.now(), time.perf_counter()

    for polls in range(1, 30):
        status = requests.get(f"{{API}}/{{job['job_id']}}", headers=KEY).json()
        if status["status"] == "completed":
            break
        time.sleep(10)

    assert (polls, fake.now() - virtual) == (13, 120)
    assert status["completed_at"] == "2025-03-14T12:02:00Z"
    assert time.perf_counter() - real < 10  # well below the real waits


def test_other_threads_still_sleep(mock_media_virtual_sleep):
    fake = mock_media_virtual_sleep
    virtual, slept = fake.now(), []

    def worker():
        start = time.perf_counter()
        time.sleep(0.05)
        slept.append(time.perf_counter() - start)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()

    assert slept[0] >= 0.05
    assert fake.now() == virtual
    with pytest.raises(ValueError):
        time.sleep(-1)


@pytest.mark.asyncio
async def test_asyncio_polling(mock_media_virtual_sleep):
    fake = mock_media_virtual_sleep
    virtual, real = fake.now(), time.perf_counter()
    async with httpx.AsyncClient(base_url=API, headers=KEY) as client:
        job = (await client.post("/video", json={{"prompt": "a crab", "duration_seconds": 10}})).json()
        for polls in range(1, 30):
            if (await client.get(f"/{{job['job_id']}}")).json()["status"] == "completed":
                break
            await asyncio.sleep(30)

    assert (polls, fake.now() - virtual) == (7, 180)  # 60 s plus 12 s per second of standard video
    assert time.perf_counter() - real < 10  # well below the real waits


@pytest.mark.anyio
@pytest.mark.mock_media(plan="starter")
async def test_anyio_retry_after(mock_media_virtual_sleep):
    fake = mock_media_virtual_sleep
    virtual, real = fake.now(), time.perf_counter()
    async with httpx.AsyncClient(base_url=API, headers=KEY) as client:
        statuses = [(await client.post("/image", json={{"prompt": "a cat"}})).status_code for _ in range(11)]
        for retries in range(5):
            response = await client.post("/image", json={{"prompt": "a cat"}})
            if response.status_code != 429:
                break
            await asyncio.sleep(int(response.headers["Retry-After"]))

    assert statuses == [200] * 10 + [429]
    assert (retries, response.status_code) == (1, 200)
    assert fake.now() - virtual == 60
    assert time.perf_counter() - real < 10  # well below the real waits


def test_sleep_is_real_again_after_those_tests(mock_media):
    assert time.sleep is REAL_SLEEP
    assert asyncio.sleep is REAL_ASYNC_SLEEP
"""


def test_mock_media_virtual_sleep__backoff_and_polling_finish_on_the_virtual_clock(
    pytester: pytest.Pytester,
) -> None:
    make_ini(pytester)
    pytester.makepyfile(test_sleep=SLEEP)

    result = run(pytester)

    result.assert_outcomes(passed=6)
