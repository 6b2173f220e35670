"""``mock_media_server`` and parallel runs: one live server per test process, a key per test;
a long-lived external server (``--mock-media-url``) shared by pytest-xdist workers, each
test's state, journal, clock and rate limits its own; reproducible ids on every worker."""

from __future__ import annotations

import json
import re
import threading
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from mock_media import MockMedia

from .project import image_ids, make_ini, run, run_subprocess

SERVER = """
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import requests
from respx.models import AllMockedAssertionError

SEEN = []


def test_first(mock_media_server):
    server = mock_media_server
    assert server.url.startswith("http://127.0.0.1:")
    assert server.api_base == server.media_base == server.url
    answer = requests.post(server.endpoint("image"), headers=server.headers, json={"prompt": "a cat"}).json()
    output = answer["outputs"][0]
    assert output["url"] == f"{server.url}/generated/{answer['job_id']}_0.webp"
    file = httpx.get(output["url"])
    assert file.headers["Content-Type"] == "image/webp"
    assert len(file.content) == output["size_bytes"]
    # the download is keyless, but journaled as its owner's
    journaled = [(e["operation"], e["status"]) for e in server.journal()]
    assert journaled == [("generate_image", 200), ("get_file", 200)]
    SEEN.append((server.url, server.api_key, answer["job_id"]))
    Path("server-url.txt").write_text(server.url)


def test_second(mock_media_server):
    server = mock_media_server
    url, key, job_id = SEEN[0]
    assert server.url == url  # one server for the session
    assert server.api_key != key and server.api_key.startswith("test-key-")
    assert server.journal() == []
    assert requests.get(server.endpoint(job_id), headers=server.headers).status_code == 404
    job = requests.post(server.endpoint("video"), headers=server.headers, json={"prompt": "a crab"}).json()
    assert server.finish_videos() == [job["job_id"]]
    done = requests.get(server.endpoint(job["job_id"]), headers=server.headers).json()
    video = requests.get(done["outputs"][0]["url"])
    assert video.headers["Content-Type"] == "video/mp4"
    assert len(video.content) == done["outputs"][0]["size_bytes"]


@pytest.mark.mock_media(plan="starter", balance_usd=1)
def test_marker(mock_media_server):
    account = mock_media_server.account()
    assert (account["plan"], account["image_rpm"]) == ("starter", 10)
    assert Decimal(account["balance_usd"]) == 1


def test_with_the_in_process_fake_too(mock_media, mock_media_server):
    server = mock_media_server
    answer = httpx.post(server.endpoint("image"), headers=server.headers, json={"prompt": "a cat"}).json()
    assert requests.get(answer["outputs"][0]["url"]).ok
    assert [e["operation"] for e in server.journal()] == ["generate_image", "get_file"]
    assert mock_media.calls() == []  # a different fake
    with pytest.raises(AllMockedAssertionError):
        httpx.get("http://127.0.0.1:9/")
"""


def test_mock_media_server__one_server_a_key_per_test_no_thread_left(pytester: pytest.Pytester) -> None:
    make_ini(pytester)
    pytester.makepyfile(test_server=SERVER)
    before = set(threading.enumerate())

    result = run(pytester)

    result.assert_outcomes(passed=4)
    assert [t for t in threading.enumerate() if t not in before] == []
    url = (pytester.path / "server-url.txt").read_text()
    with pytest.raises(httpx.ConnectError):  # the port is released too
        httpx.get(f"{url}/_mock/health")


# Two files, one per xdist worker (--dist loadfile). A barrier makes them run at the same
# time: each exhausts its own Starter bucket (10 image requests a minute; a shared bucket
# would answer 429 sooner), sees only its own journal and media, then moves its own clock on.
BUCKET = """
import os
import time
from pathlib import Path

import pytest
import requests

BARRIER = Path({barrier!r})


def wait_for(name):
    deadline = time.monotonic() + 30
    while not (BARRIER / name).exists():
        assert time.monotonic() < deadline, f"the other worker never reached {{name}}"
        time.sleep(0.01)


@pytest.mark.mock_media(plan="starter")
def test_exhausts_its_own_bucket(mock_media_server):
    server = mock_media_server
    (BARRIER / "{me}-started").write_text(os.environ["PYTEST_XDIST_WORKER"])
    wait_for("{other}-started")

    def generate():
        return requests.post(server.endpoint("image"), headers=server.headers, json={{"prompt": "a cat"}})

    assert [generate().status_code for _ in range(11)] == [200] * 10 + [429]
    assert [e["status"] for e in server.journal()] == [200] * 10 + [429]
    assert requests.get(server.endpoint(), headers=server.headers).json()["count"] == 10
    (BARRIER / "{me}-burst").touch()
    wait_for("{other}-burst")

    server.advance(60)  # this key's clock only (the outer test checks the server's own time)
    assert generate().status_code == 200
    assert [e["status"] for e in server.journal(method="POST")] == [200] * 10 + [429, 200]
"""


def test_mock_media_url__xdist_workers_share_a_server_and_never_see_each_other(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    barrier = pytester.mkdir("barrier")
    make_ini(pytester)
    pytester.makepyfile(
        test_a=BUCKET.format(barrier=str(barrier), me="a", other="b"),
        test_b=BUCKET.format(barrier=str(barrier), me="b", other="a"),
    )
    external = MockMedia()
    with external.serve() as server:
        with external.client(headers={"X-API-Key": "bystander"}) as bystander:
            bystander_job = bystander.post("/v1/hosting/media/image", json={"prompt": "not yours"}).json()
        start = external.now()

        result = run_subprocess(pytester, "-n", "2", "--dist", "loadfile", "--mock-media-url", server.url)

    result.assert_outcomes(passed=2)
    workers = {(barrier / f"{me}-started").read_text() for me in "ab"}
    assert workers == {"gw0", "gw1"}
    per_key: dict[str | None, list[int]] = defaultdict(list)
    for entry in external.calls("generate_image"):
        per_key[entry.account].append(entry.status)
    assert sorted(per_key.pop("bystander")) == [200]
    assert list(per_key.values()) == [[200] * 10 + [429, 200]] * 2
    # Per-key resets and clocks left the bystander's job and the server's own time alone.
    assert external.calls("generate_image", api_key="bystander")[0].job_id == bystander_job["job_id"]
    assert external.now() == start
    assert external.balance("bystander") == Decimal("100.00") - Decimal("0.04")


RECORD = """
import json
import os
import uuid
from pathlib import Path

import pytest
import requests

RECORDS = Path({records!r})


def record(**fields):
    fields["worker"] = os.environ["PYTEST_XDIST_WORKER"]
    (RECORDS / f"{{uuid.uuid4().hex}}.json").write_text(json.dumps(fields))
"""
IDS = (
    RECORD
    + """
EXPECTED = {expected!r}


@pytest.mark.parametrize("attempt", range(4))
@pytest.mark.parametrize(
    "seed", [0, pytest.param(7, marks=pytest.mark.mock_media(seed=7))]
)
def test_ids(mock_media, seed, attempt):
    answers = [
        requests.post("https://api.moltbotden.com/v1/hosting/media/image", headers={{"X-API-Key": "k"}},
                      json={{"prompt": "a cat"}}).json()
        for _ in range(2)
    ]
    ids = [a["job_id"] for a in answers]
    record(seed=seed, ids=ids)
    assert ids == EXPECTED[seed]


@pytest.mark.parametrize("attempt", range(4))
def test_live_server(mock_media_server, attempt):
    answer = requests.post(mock_media_server.endpoint("image"), headers=mock_media_server.headers,
                           json={{"prompt": "a cat"}}).json()
    assert requests.get(answer["outputs"][0]["url"]).ok
    record(url=mock_media_server.url, key=mock_media_server.api_key)
"""
)


def test_xdist__each_worker_has_its_own_server_and_the_same_ids(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    records_dir = pytester.mkdir("records")
    make_ini(pytester)
    expected = {0: image_ids(0), 7: image_ids(7)}
    pytester.makepyfile(test_parallel=IDS.format(records=str(records_dir), expected=expected))

    result = run_subprocess(pytester, "-n", "2")

    result.assert_outcomes(passed=12)
    records = [json.loads(p.read_text()) for p in Path(records_dir).iterdir()]
    ids = [(r["worker"], r["seed"], r["ids"]) for r in records if "ids" in r]
    assert len(ids) == 8
    assert all(found == expected[seed] for _, seed, found in ids)
    urls_per_worker: dict[str, set[str]] = defaultdict(set)
    for r in records:
        if "url" in r:
            urls_per_worker[r["worker"]].add(r["url"])
    assert {worker for worker, _, _ in ids} | set(urls_per_worker) == {"gw0", "gw1"}
    assert all(len(urls) == 1 for urls in urls_per_worker.values())  # one server per worker...
    urls = [url for urls in urls_per_worker.values() for url in urls]
    assert len(set(urls)) == len(urls)  # ...on a port of its own
    keys = [r["key"] for r in records if "key" in r]
    assert len(set(keys)) == 4
    assert all(re.fullmatch(r"test-key-[0-9a-f]{10}", key) for key in keys)
