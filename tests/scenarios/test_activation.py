"""Every way to put a scenario in force, and the transport faults a scenario can script.

- ``mock-media serve --scenario NAME|PATH``: a real subprocess on a free port (bounded waits,
  always stopped), and the one-line error for a bad name or a malformed file;
- ``POST /_mock/scenario`` (by name, inline, ``{"name": null}`` to stop, and refused ones) and
  ``GET /_mock/scenario``;
- the pytest plugin: ``@pytest.mark.mock_media(scenario=...)``, ``--mock-media-scenario`` and
  the ini key, through ``pytester``; a bad name fails before any test runs;
- ``MockMedia.use_scenario``;
- ``transport = "reset" | "timeout"`` and ``latency``: each in-process door raises its
  library's connection or timeout error; over a socket the server drops the connection (or
  says nothing, then drops it) and keeps serving.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import httpx
import httpx2
import pytest
import requests
from starlette.testclient import TestClient

from mock_media import MediaBackend, MockConfig, MockMedia
from mock_media.adapters import asgi
from mock_media.adapters.asgi import create_app
from mock_media.cli import main
from mock_media.core.scenario import Scenario, ScenarioError
from mock_media.scenario_files import bundled, load_scenario
from tests.doc_tables import API_PREFIX, IMAGE_MODEL_DOWN, IMAGE_PATH, START_EPOCH
from tests.doors import Api, wire_transport
from tests.helpers import assert_error, spawned_server

from ..plugin.project import API, make_ini, run

MODEL_UNAVAILABLE = IMAGE_MODEL_DOWN  # a scripted outage names the model, as an injected one does
BODY = {"prompt": "A futuristic city skyline at sunset"}
IMAGE_URL = "https://api.moltbotden.com" + IMAGE_PATH
# Inline scenarios, as JSON: an outage of the first 10 s, and a reset then two timeouts.
OUTAGE = {
    "name": "inline-outage",
    "description": "10 s of 503",
    "seed": 3,
    "rules": [{"name": "down", "match": {"window": [0, 10]}, "action": {"error": "model_unavailable"}}],
}
FAULTS = Scenario.from_dict(
    {
        "name": "wires-cut",
        "rules": [
            {
                "name": "drop",
                "match": {"route": "generate_image", "requests": [1, 1]},
                "action": {"transport": "reset"},
            },
            {
                "name": "hang",
                "match": {"route": "generate_image", "requests": [2, 3]},
                "action": {"transport": "timeout"},
            },
        ],
    }
)


# === mock-media serve --scenario =============================================================
@contextmanager
def _serve(log: Path, *options: str) -> Iterator[httpx.Client]:
    """``python -m mock_media serve --clock virtual`` on a free port; always stopped, and it
    must shut down cleanly with no traceback in its log."""
    command = [sys.executable, "-m", "mock_media"]
    serve_options = ["--clock", "virtual", *options]
    with spawned_server(command, lambda _: serve_options, log, {"X-API-Key": "ci-key"}) as (_, _, client):
        yield client


def test_serve_scenario__bundled_name_in_force_from_the_start(tmp_path: Path) -> None:
    with _serve(tmp_path / "server.log", "--scenario", "model-outage") as client:
        shown = client.get("/_mock/scenario").json()
        before = client.post(IMAGE_PATH, json=BODY)
        client.post("/_mock/clock/advance", json={"seconds": 30})
        during = client.post(IMAGE_PATH, json=BODY)
        journal = client.get("/_mock/journal").json()["entries"]

    assert shown == {
        "scenario": {
            "name": "model-outage",
            "description": load_scenario("model-outage").description,
            "seed": None,
            "rules": ["outage"],
        }
    }
    assert before.status_code == 200
    assert during.status_code == 503
    assert during.headers["retry-after"] == "30"
    assert_error(during.json(), 503, "model_unavailable", message=MODEL_UNAVAILABLE)
    assert [e["injected"] for e in journal] == [[], ["outage"]]


def test_serve_scenario__file_with_a_reset_drops_the_connection_and_keeps_serving(tmp_path: Path) -> None:
    path = tmp_path / "drops.toml"
    path.write_text(
        'name = "drops"\n[[rules]]\nname = "drop"\n'
        'match = { route = "generate_image", requests = [1, 1] }\naction = { transport = "reset" }\n'
    )
    with _serve(tmp_path / "server.log", "--scenario", str(path)) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(IMAGE_PATH, json=BODY)
        after = client.post(IMAGE_PATH, json=BODY)
        journal = client.get("/_mock/journal").json()["entries"]

    assert after.status_code == 200
    # The dropped request was served (charged) before its answer was lost, as on a real network.
    assert [(e["status"], e["injected"]) for e in journal] == [(200, ["drop"]), (200, [])]
    # (_serve checked the log: a scripted reset is no crash, so no traceback.)


def test_serve_scenario__unknown_name_is_one_line_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--scenario", "no-such"])

    assert exited.value.code == 2
    out, err = capsys.readouterr()
    names = ", ".join(bundled())
    assert out == ""
    assert err == (
        "mock-media: error: argument --scenario: no-such: no such scenario file, "
        f"and not a bundled scenario ({names})\n"
    )


def test_serve_scenario__malformed_file_names_file_rule_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(
        'name = "bad"\n[[rules]]\nname = "storm"\nmatch = { window = [5, 1] }\naction = { latency = 1 }\n'
    )

    with pytest.raises(SystemExit) as exited:
        main(["serve", "--scenario", str(path)])

    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(f"mock-media: error: argument --scenario: {path}: rule 1 (storm): match.window "), (
        err
    )
    assert err.count("\n") == 1


# === the admin API ==============================================================================
def test_admin_scenario__inline_in_force_from_now_then_stopped(api: Api) -> None:
    api.advance(100)  # windows count from when the scenario comes into force, not the start

    put = api.request("POST", "/_mock/scenario", json={"scenario": OUTAGE})
    shown = api.request("GET", "/_mock/scenario")
    down = api.image()
    api.advance(10)
    up = api.image()
    api.request("POST", "/_mock/scenario", json={"scenario": OUTAGE})  # again: a fresh window
    down_again = api.image()
    stopped = api.request("POST", "/_mock/scenario", json={"name": None})
    after = api.image()

    view = {"name": "inline-outage", "description": "10 s of 503", "seed": 3, "rules": ["down"]}
    assert (put.status, put.json()) == (200, {"scenario": view})
    assert (shown.status, shown.json()) == (200, {"scenario": view})
    assert_error(down, 503, "model_unavailable", message=MODEL_UNAVAILABLE)
    assert up.status == 200
    assert_error(down_again, 503, "model_unavailable")
    assert (stopped.status, stopped.json()) == (200, {"scenario": None})
    assert api.request("GET", "/_mock/scenario").json() == {"scenario": None}
    assert after.status == 200
    assert api.backend.scenario is None


def test_admin_scenario__malformed_inline_is_400_naming_the_field(api: Api) -> None:
    bad = {"name": "x", "rules": [{"name": "r", "action": {"error": "teapot"}}]}
    with pytest.raises(ScenarioError) as expected:
        Scenario.from_dict(bad, "scenario")

    refused = api.request("POST", "/_mock/scenario", json={"scenario": bad})
    not_an_object = api.request("POST", "/_mock/scenario", json={"scenario": "429-storm"})
    name_not_a_string = api.request("POST", "/_mock/scenario", json={"name": 5})

    body = assert_error(refused, 400, "invalid_parameter", param="scenario", message=str(expected.value))
    assert body["error"]["message"].startswith(
        "scenario: rule 1 (r): action.error 'teapot' is not an error code"
    )
    assert_error(
        not_an_object,
        400,
        "invalid_parameter",
        param="scenario",
        message="scenario must be an object (a scenario file as JSON)",
    )
    assert_error(
        name_not_a_string, 400, "invalid_parameter", param="name", message="name must be a string; got 5"
    )
    assert api.backend.scenario is None  # nothing refused was put in force


def _admin(fake: MockMedia) -> Api:
    """The fake's own handler (it can load scenarios by name) over the wire door."""
    return Api(fake.backend, wire_transport(fake.handler), "wire")


def test_admin_scenario__by_name_through_the_fake_and_the_asgi_app() -> None:
    fake = MockMedia()
    admin = _admin(fake)

    put = admin.request("POST", "/_mock/scenario", json={"name": "429-storm"})
    storm = [admin.image() for _ in range(3)]

    assert put.status == 200
    assert put.json()["scenario"]["name"] == "429-storm"
    assert [r.status for r in storm] == [200, 200, 429]
    # create_app(backend), as `mock-media serve` builds it, loads names too.
    with TestClient(create_app(MediaBackend())) as client:
        answer = client.post("/_mock/scenario", json={"name": "slow-videos"})
    assert (answer.status_code, answer.json()["scenario"]["rules"]) == (200, ["slow"])


def test_admin_scenario__unknown_name_is_400_with_the_scenario_error() -> None:
    admin = _admin(MockMedia())
    with pytest.raises(ScenarioError) as expected:
        load_scenario("no-such")

    refused = admin.request("POST", "/_mock/scenario", json={"name": "no-such"})

    assert refused.status == 400
    error = refused.json()["error"]
    message = f"name 'no-such': {expected.value}"  # names the field, then the loader's reason
    assert (error["code"], error["param"], error["message"]) == ("invalid_parameter", "name", message)
    assert refused.json()["detail"] == message


# === the pytest plugin ==========================================================================
PLUGIN_TESTS = f"""
import httpx
import pytest

API = "{API}"
KEY = {{"X-API-Key": "agent-key"}}
BODY = {{"prompt": "a cat"}}


def image():
    return httpx.post(f"{{API}}/image", headers=KEY, json=BODY)


@pytest.mark.mock_media(scenario="model-outage")
def test_marked(mock_media):
    assert mock_media.backend.scenario.name == "model-outage"
    assert image().status_code == 200
    mock_media.advance(30)
    down = image()
    assert down.status_code == 503
    assert down.json()["error"]["code"] == "model_unavailable"
    assert mock_media.last_call("generate_image").injected == ("outage",)


def test_unmarked(mock_media):
    mock_media.advance(30)
    assert image().status_code == 200
    name = mock_media.backend.scenario and mock_media.backend.scenario.name
    open(f"unmarked-{{name}}", "w").close()
"""


def test_plugin__marker_puts_a_scenario_in_force_for_its_test_only(pytester: pytest.Pytester) -> None:
    make_ini(pytester)
    pytester.makepyfile(test_scenarios=PLUGIN_TESTS)

    result = run(pytester)

    result.assert_outcomes(passed=2)
    assert [p.name for p in pytester.path.glob("unmarked-*")] == ["unmarked-None"]


def test_plugin__command_line_scenario_for_every_test_marker_wins(pytester: pytest.Pytester) -> None:
    make_ini(pytester)
    # The marked test still runs under its marker's model-outage; the unmarked one runs under
    # 429-storm (its one image is its first generation, so 200) and records the name.
    pytester.makepyfile(test_scenarios=PLUGIN_TESTS)

    result = run(pytester, "--mock-media-scenario", "429-storm")

    result.assert_outcomes(passed=2)
    assert [p.name for p in pytester.path.glob("unmarked-*")] == ["unmarked-429-storm"]


def test_plugin__ini_scenario_file(pytester: pytest.Pytester) -> None:
    path = pytester.path / "always-down.toml"
    path.write_text(
        'name = "always-down"\n[[rules]]\nname = "down"\naction = { error = "model_unavailable" }\n'
    )
    make_ini(pytester, f"mock_media_scenario = {path}")
    pytester.makepyfile(
        test_down=f"""
import httpx

def test_down(mock_media):
    r = httpx.post("{API}/image", headers={{"X-API-Key": "k"}}, json={{"prompt": "a cat"}})
    assert r.status_code == 503
    assert mock_media.last_call().injected == ("down",)
"""
    )

    run(pytester).assert_outcomes(passed=1)


def test_plugin__bad_marker_scenario_fails_collection_with_the_scenario_error(
    pytester: pytest.Pytester,
) -> None:
    make_ini(pytester)
    pytester.makepyfile(
        test_bad="""
import pytest

@pytest.mark.mock_media(scenario="no-such")
def test_never(mock_media):
    open("ran-never", "w").close()
"""
    )

    result = run(pytester)

    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*ERROR collecting test_bad.py*",
            "*@pytest.mark.mock_media: mock_media scenario: no-such: no such scenario file, "
            "and not a bundled scenario (*",
        ]
    )
    assert list(pytester.path.glob("ran-*")) == []


def test_plugin__bad_command_line_scenario_is_a_usage_error(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('name = "bad"\n[[rules]]\nname = "r"\naction = { transport = "smoke" }\n')
    make_ini(pytester)
    pytester.makepyfile(test_ok="def test_ok(mock_media):\n    pass\n")

    result = run(pytester, "--mock-media-scenario", str(path))

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"ERROR: command line (--mock-media-scenario): mock_media scenario: {path}: rule 1 (r): "
            "action.transport must be one of reset, timeout"
        ]
    )


# === MockMedia.use_scenario ====================================================================
def test_use_scenario__by_name_from_now_and_across_reset() -> None:
    fake = MockMedia()
    fake.advance(100)

    used = fake.use_scenario("model-outage")

    assert used is not None and used.name == "model-outage"
    with fake.client() as client:
        assert client.post(IMAGE_PATH, json=BODY).status_code == 200  # 0 s into the scenario
        fake.advance(30)
        assert client.post(IMAGE_PATH, json=BODY).status_code == 503
        fake.reset()  # still in force; its window starts again with the fresh fake
        assert fake.backend.scenario is used
        assert fake.now() == START_EPOCH
        assert client.post(IMAGE_PATH, json=BODY).status_code == 200
        fake.advance(30)
        assert client.post(IMAGE_PATH, json=BODY).status_code == 503


def test_use_scenario__object_path_and_none(tmp_path: Path) -> None:
    fake = MockMedia()
    path = tmp_path / "down.toml"
    path.write_text('name = "down"\n[[rules]]\nname = "d"\naction = { error = "generation_failed" }\n')

    with fake.client() as client:
        assert fake.use_scenario(Scenario.from_dict(OUTAGE)) == Scenario.from_dict(OUTAGE)
        assert client.post(IMAGE_PATH, json=BODY).status_code == 503
        assert fake.use_scenario(path) == load_scenario(path)
        assert client.post(IMAGE_PATH, json=BODY).status_code == 500
        assert fake.use_scenario(None) is None
        assert client.post(IMAGE_PATH, json=BODY).status_code == 200
    assert fake.backend.scenario is None
    with pytest.raises(ScenarioError, match=r"^nope: no such scenario file"):
        fake.use_scenario("nope")


# === transport faults and latency ==============================================================
Send = Callable[[], int]


@contextmanager
def _httpx_respx(fake: MockMedia) -> Iterator[Send]:
    with fake.router(), httpx.Client() as client:
        yield lambda: client.post(IMAGE_URL, json=BODY, headers={"X-API-Key": "k"}).status_code


@contextmanager
def _httpx_transport(fake: MockMedia) -> Iterator[Send]:
    with fake.client() as client:
        yield lambda: client.post(IMAGE_PATH, json=BODY).status_code


@contextmanager
def _httpx_async(fake: MockMedia) -> Iterator[Send]:
    async def post() -> int:
        async with fake.async_client() as client:
            return (await client.post(IMAGE_PATH, json=BODY)).status_code

    yield lambda: asyncio.run(post())


@contextmanager
def _httpx2_transport(fake: MockMedia) -> Iterator[Send]:
    with httpx2.Client(transport=fake.transport(httpx2)) as client:
        yield lambda: client.post(IMAGE_URL, json=BODY, headers={"X-API-Key": "k"}).status_code


@contextmanager
def _httpx2_patched(fake: MockMedia) -> Iterator[Send]:
    with fake.patch_httpx2(), httpx2.Client() as client:
        yield lambda: client.post(IMAGE_URL, json=BODY, headers={"X-API-Key": "k"}).status_code


@contextmanager
def _requests_session(fake: MockMedia) -> Iterator[Send]:
    with fake.session() as session:
        yield lambda: session.post(IMAGE_URL, json=BODY, headers={"X-API-Key": "k"}, timeout=5).status_code


@contextmanager
def _requests_patched(fake: MockMedia) -> Iterator[Send]:
    with fake.patch_requests():
        yield lambda: requests.post(IMAGE_URL, json=BODY, headers={"X-API-Key": "k"}, timeout=5).status_code


# door -> (how to send an image request through it, its reset error, its timeout error)
IN_PROCESS: dict[
    str, tuple[Callable[[MockMedia], AbstractContextManager[Send]], type[Exception], type[Exception]]
] = {
    "httpx-respx": (_httpx_respx, httpx.ConnectError, httpx.ReadTimeout),
    "httpx-transport": (_httpx_transport, httpx.ConnectError, httpx.ReadTimeout),
    "httpx-async-transport": (_httpx_async, httpx.ConnectError, httpx.ReadTimeout),
    "httpx2-transport": (_httpx2_transport, httpx2.ConnectError, httpx2.ReadTimeout),
    "httpx2-patched": (_httpx2_patched, httpx2.ConnectError, httpx2.ReadTimeout),
    "requests-session": (_requests_session, requests.ConnectionError, requests.ReadTimeout),
    "requests-patched": (_requests_patched, requests.ConnectionError, requests.ReadTimeout),
}


@pytest.mark.parametrize("client_door", IN_PROCESS)
def test_transport_fault__in_process_door_raises_its_librarys_errors(client_door: str) -> None:
    opener, reset_error, timeout_error = IN_PROCESS[client_door]
    fake = MockMedia(MockConfig(scenario=FAULTS))

    with opener(fake) as send:
        started = time.monotonic()
        with pytest.raises(reset_error, match="mock-media scenario"):
            send()
        with pytest.raises(timeout_error, match="mock-media scenario"):
            send()
        with pytest.raises(timeout_error):
            send()
        assert send() == 200
        assert time.monotonic() - started < 5  # in process, a timeout is raised at once

    assert [(e.status, e.injected) for e in fake.journal] == [
        (200, ("drop",)),
        (200, ("hang",)),
        (200, ("hang",)),
        (200, ()),
    ]


def test_transport_fault__requests_errors_are_what_retry_code_catches() -> None:
    # requests' ReadTimeout is a Timeout and a RequestException; ConnectionError likewise.
    assert issubclass(requests.ReadTimeout, requests.Timeout)
    assert issubclass(requests.ConnectionError, requests.RequestException)
    assert issubclass(httpx.ConnectError, httpx.TransportError)
    assert issubclass(httpx2.ReadTimeout, httpx2.TimeoutException)


def test_transport_fault__server_drops_or_stalls_the_connection_and_keeps_serving(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The server's silence before it drops a "timeout" (120 s), shortened for the test.
    monkeypatch.setattr(asgi, "TRANSPORT_TIMEOUT_SECONDS", 1.5)
    image = {"route": "generate_image"}
    fake = MockMedia(
        MockConfig(
            scenario=Scenario.from_dict(
                {
                    "name": "socket-trouble",
                    "rules": [
                        {
                            "name": "drop",
                            "match": {**image, "requests": [1, 1]},
                            "action": {"transport": "reset"},
                        },
                        {
                            "name": "hang",
                            "match": {**image, "requests": [2, 2]},
                            "action": {"transport": "timeout"},
                        },
                        {
                            "name": "stall",
                            "match": {**image, "requests": [4, 4]},
                            "action": {"transport": "timeout"},
                        },
                    ],
                }
            )
        )
    )

    def timed(timeout: float) -> tuple[float, httpx.Response | Exception]:
        started = time.monotonic()
        try:
            outcome: httpx.Response | Exception = client.post(IMAGE_PATH, json=BODY, timeout=timeout)
        except httpx.TransportError as exc:
            outcome = exc
        return time.monotonic() - started, outcome

    with fake.serve() as server, httpx.Client(base_url=server.url, headers={"X-API-Key": "k"}) as client:
        _, reset = timed(5)  # dropped mid-response
        gave_up, hung = timed(0.5)  # silence: an impatient client gives up...
        answered, after = timed(5)  # ...and the server answers others while it stays silent
        dropped, stalled = timed(5)  # a patient client sees the silence end in a drop

    assert isinstance(reset, httpx.RemoteProtocolError), reset
    assert isinstance(hung, httpx.ReadTimeout) and 0.5 <= gave_up < 1.5, (hung, gave_up)
    assert isinstance(after, httpx.Response) and after.status_code == 200, after
    assert answered < 1.0  # within the first stall's 1.5 s: it blocked nobody
    assert isinstance(stalled, httpx.RemoteProtocolError) and 1.5 <= dropped < 5, (stalled, dropped)
    assert [e.injected for e in fake.journal] == [("drop",), ("hang",), (), ("stall",)]


LATE = Scenario.from_dict(
    {
        "name": "late",
        "rules": [{"name": "slow", "match": {"route": "list_media"}, "action": {"latency": 0.4}}],
    }
)


def test_latency__virtual_clock_moves_on_without_waiting() -> None:
    slow = Scenario.from_dict(
        {
            "name": "late",
            "rules": [{"name": "slow", "match": {"route": "list_media"}, "action": {"latency": 30}}],
        }
    )
    fake = MockMedia(MockConfig(scenario=slow))

    with fake.client() as client:
        started = time.monotonic()
        assert client.get(API_PREFIX).status_code == 200
        waited = time.monotonic() - started
        assert client.post(IMAGE_PATH, json=BODY).json()["created_at"] == "2025-03-14T12:00:30Z"

    assert waited < 1.0
    assert fake.now() == START_EPOCH + 30
    assert fake.last_call("list_media").injected == ("slow",)


@pytest.mark.parametrize("client_door", ["httpx-transport", "requests-session", "live"])
def test_latency__real_clock_makes_the_door_wait(client_door: str) -> None:
    fake = MockMedia(MockConfig(clock="real", scenario=LATE))

    def timed(send: Callable[[], Any]) -> float:
        started = time.monotonic()
        send()
        return time.monotonic() - started

    if client_door == "httpx-transport":
        with fake.client() as client:
            fast, slow = (
                timed(lambda: client.post(IMAGE_PATH, json=BODY)),
                timed(lambda: client.get(API_PREFIX)),
            )
    elif client_door == "requests-session":
        with fake.session() as session:
            session.headers["X-API-Key"] = "k"
            url = "https://api.moltbotden.com" + API_PREFIX
            fast, slow = timed(lambda: session.get(url + "/nope")), timed(lambda: session.get(url))
    else:
        with fake.serve() as server, httpx.Client(base_url=server.url, headers={"X-API-Key": "k"}) as client:
            fast, slow = (
                timed(lambda: client.post(IMAGE_PATH, json=BODY)),
                timed(lambda: client.get(API_PREFIX)),
            )

    assert slow >= 0.4
    assert fast < 0.4
