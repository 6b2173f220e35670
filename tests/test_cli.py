"""``mock-media serve``: the command line, then the real thing end to end.

Parse level: bad input is one line on stderr, ``mock-media: error: ...`` naming the option,
and exit status 2 (never a traceback); good input becomes the right MockConfig.

End to end: three servers started as subprocesses (module-scoped, always stopped), driven
with httpx exactly as a CI job in another language would:

* ``python -m mock_media serve --seed 7 --clock virtual --media-base <itself>``: the doc's
  curl bodies, downloads from the URLs the API hands out, a video finished by the admin clock.
* ``mock-media serve --speed 600 --closed``: a real clock 600 times faster, registered keys only.
* ``mock-media serve --plan starter --balance 0.05``: what auto-opened accounts get.

The admin API's protection has its own file (tests/test_admin_security.py); here, the options
that set it and what the banner says. The server runs uvloop and httptools when installed, else
asyncio and h11: both pairs must behave the same (transport faults, uploads, downloads, Nagle).

Expected values are the doc's: resolutions from its table, $0.04/$0.08 per image, $0.80 per
second of standard video, a 5 s video estimated at 120 s, the Starter plan's 10/2 limits.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from mock_media import MockConfig, MockMedia, cli
from mock_media.adapters import asgi
from mock_media.adapters import server as server_module
from mock_media.adapters.server import MediaServer, implementations
from mock_media.adapters.server import serve as real_serve
from mock_media.cli import build_parser, config_from_args, main
from mock_media.core.scenario import Scenario
from mock_media.media import PICTURES_ENV
from mock_media.wire.control import ADMIN_TOKEN_ENV
from tests.doc_tables import (
    API_PREFIX,
    DOC_IMAGE_REQUEST,
    DOC_MINIMAL_IMAGE_REQUEST,
    DOC_PRODUCT_MOCKUP_REQUEST,
    DOC_VIDEO_ESTIMATE,
    DOC_VIDEO_REQUEST,
    FIRST_RESET,
    IMAGE_PATH,
    JOB_ID_IMAGE,
    JOB_ID_VIDEO,
    MEDIA_HOST,
    MEDIA_ID,
    START_EPOCH,
    START_ISO,
    VIDEO_PATH,
)
from tests.helpers import assert_error, one_mib_body, spawned_server

CONSOLE_SCRIPT = Path(sys.executable).with_name("mock-media")
LOOP, HTTP = implementations()  # what this environment runs: the banner must say so
PAIRS = [("asyncio", "h11"), ("uvloop", "httptools")]


# === parse level ============================================================================
@pytest.fixture(autouse=True)
def never_serve(monkeypatch: pytest.MonkeyPatch) -> None:
    """An in-process main() must never block in uvicorn: a test that gets that far fails.
    Nor may a token in the developer's environment change what the tests expect."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("main() tried to serve")

    monkeypatch.setattr(server_module, "serve", refuse)
    monkeypatch.delenv(ADMIN_TOKEN_ENV, raising=False)
    monkeypatch.delenv(PICTURES_ENV, raising=False)


def _one_error_line(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.endswith("\n")
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("mock-media: error: ")
    return lines[0]


@pytest.mark.parametrize(
    ("argv", "option"),
    [
        (["serve", "--port", "70000"], "--port"),
        (["serve", "--port", "abc"], "--port"),
        (["serve", "--port", "-1"], "--port"),
        (["serve", "--port", "\u0663"], "--port"),  # ARABIC-INDIC DIGIT THREE: isdigit(), not a port
        (["serve", "--speed", "0"], "--speed"),
        (["serve", "--speed", "-1"], "--speed"),
        (["serve", "--speed", "fast"], "--speed"),
        (["serve", "--speed", "inf"], "--speed"),
        (["serve", "--speed", "nan"], "--speed"),
        (["serve", "--plan", "gold"], "--plan"),
        (["serve", "--balance", "abc"], "--balance"),
        (["serve", "--balance", "-5"], "--balance"),
        (["serve", "--balance", "NaN"], "--balance"),
        (["serve", "--media-base", "ftp://x"], "--media-base"),
        (["serve", "--media-base", "http://"], "--media-base"),
        (["serve", "--media-base", "media.example.com"], "--media-base"),
        (["serve", "--media-base", "http://x:99999"], "--media-base"),
        (["serve", "--clock", "sideways"], "--clock"),
        (["serve", "--seed", "x"], "--seed"),
        (["serve", "--seed", "1.5"], "--seed"),
        (["serve", "--start", "garbage"], "--start"),
        (["serve", "--start", "2025-13-45T99:00:00Z"], "--start"),
        (["serve", "--bogus"], "--bogus"),
        (["serve", "--port"], "--port"),
        (["serve", "extra"], "extra"),
        (["serve", "--admin-token", ""], "--admin-token"),
        (["serve", "--admin-token", "two words"], "--admin-token"),
        (["serve", "--admin-token", "caf\u00e9"], "--admin-token"),  # a header value could not carry it
        (["serve", "--admin-token", "t", "--no-admin"], "--no-admin"),
        ([], "command"),
        (["bogus"], "bogus"),
    ],
)
def test_main__bad_input_is_one_line_naming_the_option_and_status_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], option: str
) -> None:
    assert option in _one_error_line(capsys, argv)


def test_main__multiline_value_still_gives_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--media-base" in _one_error_line(capsys, ["serve", "--media-base", "ftp://a\nb"])


def test_main__busy_port_is_one_line_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        line = _one_error_line(capsys, ["serve", "--port", str(port)])
    assert "--port" in line
    assert str(port) in line


def test_main__host_that_is_not_ours_is_one_line_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    line = _one_error_line(capsys, ["serve", "--host", "192.0.2.1", "--port", "0"])  # TEST-NET-1
    assert "--host" in line
    assert "192.0.2.1" in line


def _main_served(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> tuple[MockConfig, dict[str, Any]]:
    """Run main() with serve() recorded instead of run; the socket it was given is closed."""
    calls: list[tuple[MockConfig, dict[str, Any]]] = []

    def record(config: MockConfig, *args: Any, **kwargs: Any) -> None:
        calls.append((config, kwargs))

    monkeypatch.setattr(server_module, "serve", record)
    assert main(argv) == 0
    ((config, kwargs),) = calls
    kwargs["bound"] = kwargs["sock"].getsockname()[:2]
    kwargs["sock"].close()
    return config, kwargs


def test_main__good_input_binds_announces_and_serves(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, kwargs = _main_served(
        monkeypatch, ["serve", "--port", "0", "--seed", "3", "--clock", "virtual", "--access-log"]
    )
    host, port = kwargs["bound"]
    assert host == "127.0.0.1"
    assert port > 0  # --port 0: the OS chose, and the announcement shows which
    assert kwargs["access_log"] is True
    assert (kwargs["admin"], kwargs["admin_token"]) == (True, None)  # loopback: no token needed
    assert (kwargs["loop"], kwargs["http"]) == (LOOP, HTTP)
    assert (config.seed, config.clock) == (3, "virtual")
    out, err = capsys.readouterr()
    assert out == ""
    hint = "" if (LOOP, HTTP) == ("uvloop", "httptools") else " (the fast extra adds uvloop and httptools)"
    assert err.splitlines() == [
        f"mock-media: serving on http://127.0.0.1:{port} (seed 3, virtual clock, media at {MEDIA_HOST})",
        f"mock-media: uvicorn with {LOOP} and {HTTP}{hint}; drawn pictures (Pillow)",
        "mock-media: admin API (/_mock): loopback clients only",
    ]


def _admin_line(capsys: pytest.CaptureFixture[str]) -> str:
    out, err = capsys.readouterr()
    assert out == ""
    *_, line = err.splitlines()
    assert line.startswith("mock-media: admin API (/_mock): "), err
    return line.removeprefix("mock-media: admin API (/_mock): ")


def test_main__no_admin_turns_it_off_and_says_so(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "from-the-environment")  # --no-admin wins
    _, kwargs = _main_served(monkeypatch, ["serve", "--port", "0", "--host", "0.0.0.0", "--no-admin"])
    assert (kwargs["admin"], kwargs["admin_token"]) == (False, None)
    assert _admin_line(capsys) == "off"


def test_main__admin_token_is_required_and_never_printed(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, kwargs = _main_served(monkeypatch, ["serve", "--port", "0", "--admin-token", "s3cret-T0ken"])
    assert (kwargs["admin"], kwargs["admin_token"]) == (True, "s3cret-T0ken")
    line = _admin_line(capsys)
    assert line == "every request must send the admin token in X-Mock-Admin-Token"
    assert "s3cret" not in line


def test_main__admin_token_from_the_environment_unless_the_option_gives_one(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "env-token")
    _, kwargs = _main_served(monkeypatch, ["serve", "--port", "0", "--host", "0.0.0.0"])
    assert kwargs["admin_token"] == "env-token"  # beyond loopback, and no token generated
    assert "env-token" not in _admin_line(capsys)
    _, kwargs = _main_served(monkeypatch, ["serve", "--port", "0", "--admin-token", "option-token"])
    assert kwargs["admin_token"] == "option-token"
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "")  # an empty variable (a CI secret not set) is none
    _, kwargs = _main_served(monkeypatch, ["serve", "--port", "0"])
    assert kwargs["admin_token"] is None


def test_main__public_host_without_a_token_generates_one_and_prints_it_once(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens = []
    for _ in range(2):
        _, kwargs = _main_served(monkeypatch, ["serve", "--port", "0", "--host", "0.0.0.0"])
        token = kwargs["admin_token"]
        assert kwargs["admin"] is True
        assert isinstance(token, str) and len(token) >= 32  # 24 random bytes, URL-safe
        _, err = capsys.readouterr()
        assert err.count(token) == 1
        assert err.splitlines()[-1] == (
            f"mock-media: admin API (/_mock): every request must send X-Mock-Admin-Token: {token} "
            "(generated: 0.0.0.0 is not loopback)"
        )
        tokens.append(token)
    assert tokens[0] != tokens[1]


def test_main__localhost_is_loopback_too(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, kwargs = _main_served(monkeypatch, ["serve", "--port", "0", "--host", "localhost"])
    assert kwargs["admin_token"] is None  # decided on the address bound, not the name typed
    assert _admin_line(capsys) == "loopback clients only"


def test_main__bad_admin_token_in_the_environment_is_one_line_naming_it(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ADMIN_TOKEN_ENV, "has spaces")
    line = _one_error_line(capsys, ["serve", "--port", "0"])
    assert ADMIN_TOKEN_ENV in line
    assert "has spaces" not in line  # a secret is never echoed


# --- the loop and HTTP implementation -------------------------------------------------------
def test_implementations__auto_prefers_uvloop_and_httptools_when_importable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(server_module, "_importable", lambda name: True)
    assert implementations() == ("uvloop", "httptools")
    monkeypatch.setattr(server_module, "_importable", lambda name: False)
    assert implementations() == ("asyncio", "h11")
    assert implementations("uvloop", "h11") == ("uvloop", "h11")  # named: taken as named
    with pytest.raises(ValueError, match="loop must be one of"):
        implementations("trio")
    with pytest.raises(ValueError, match="http one of"):
        implementations(http="zttp")


def test_serve__hands_uvicorn_the_named_implementations_and_trusts_only_loopback_proxies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[Any] = []

    def run(self: Any, sockets: list[socket.socket]) -> None:
        seen.append(self.config)

    monkeypatch.setattr(uvicorn.Server, "run", run)
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # must not widen whom X-Forwarded-For is believed from
    for loop, http in [*PAIRS, ("auto", "auto")]:
        sock = server_module.bind_socket("127.0.0.1", 0)
        real_serve(MockConfig(), sock=sock, loop=loop, http=http)
        assert sock.fileno() == -1  # closed when serving ends
    assert [(c.loop, c.http) for c in seen] == [*PAIRS, (LOOP, HTTP)]
    assert {c.forwarded_allow_ips for c in seen} == {"127.0.0.1,::1"}


def _config(*argv: str) -> MockConfig:
    return config_from_args(build_parser().parse_args(["serve", *argv]))


def test_config_from_args__defaults() -> None:
    args = build_parser().parse_args(["serve"])
    assert (args.host, args.port, args.access_log) == ("127.0.0.1", 8000, False)
    config = config_from_args(args)
    assert config.seed == 0
    assert config.clock == "real"  # the standalone server's time passes by default
    assert config.speed == 1.0
    assert config.closed is False
    assert config.default_plan == "pro"
    assert Decimal(str(config.default_balance_usd)) == Decimal("100")
    assert config.media_base == MEDIA_HOST
    assert config.strict is False
    assert config.blocked_terms == ()


def test_config_from_args__every_option() -> None:
    config = _config(
        "--seed", "-7", "--clock", "virtual", "--speed", "2.5", "--start", "2025-01-01T00:00:00Z",
        "--closed", "--plan", "starter", "--balance", "0.05", "--media-base", "http://127.0.0.1:9",
        "--strict", "--block", "crab", "--block", "sand",
    )  # fmt: skip
    assert config.seed == -7
    assert config.clock == "virtual"
    assert config.speed == 2.5
    assert datetime.fromisoformat(str(config.start).replace("Z", "+00:00")).timestamp() == 1735689600
    assert config.closed is True
    assert config.default_plan == "starter"
    assert Decimal(str(config.default_balance_usd)) == Decimal("0.05")
    assert config.media_base == "http://127.0.0.1:9"
    assert config.strict is True
    assert config.blocked_terms == ("crab", "sand")


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000"),
        ("https://cdn.example.com//", "https://cdn.example.com"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("https://proxy.example.com/mock/", "https://proxy.example.com/mock"),
    ],
)
def test_config_from_args__media_base_trailing_slash_is_stripped(given: str, kept: str) -> None:
    assert _config("--media-base", given).media_base == kept


def test_config_from_args__setting_out_of_range_names_its_option() -> None:
    args = build_parser().parse_args(["serve"])
    args.speed = 0.0  # past the parser's own check, e.g. a caller building the Namespace itself
    with pytest.raises(ValueError, match=r"^argument --speed: "):
        config_from_args(args)
    args = argparse.Namespace(**{**vars(build_parser().parse_args(["serve"])), "balance": "-1"})
    with pytest.raises(ValueError, match=r"^argument --balance: "):
        config_from_args(args)


def test_python_m__bad_input_exits_2_without_a_traceback() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mock_media", "serve", "--port", "70000"],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        "mock-media: error: argument --port: port must be an integer from 0 to 65535, got '70000'"
    ]


def test_cli__module_runs_main() -> None:
    assert cli.main is main
    assert CONSOLE_SCRIPT.exists()


# === end to end =============================================================================
@dataclass
class Served:
    """A ``mock-media serve`` subprocess and a client for it."""

    proc: subprocess.Popen[bytes]
    port: int
    log: Path
    client: httpx.Client

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def post(self, path: str, body: Any, key: str | None = "ci-key", **headers: str) -> httpx.Response:
        if key is not None:
            headers["X-API-Key"] = key
        return self.client.post(path, json=body, headers=headers)

    def get(self, path: str, key: str | None = "ci-key") -> httpx.Response:
        return self.client.get(path, headers={"X-API-Key": key} if key else {})

    def reset(self) -> None:
        assert self.client.post("/_mock/reset").status_code == 200


def _spawn(command: list[str], options: Callable[[int], list[str]], log: Path) -> Iterator[Served]:
    """Start the server, wait (bounded) for /_mock/health, and always stop it."""
    with spawned_server(command, options, log) as (proc, port, client):
        yield Served(proc, port, log, client)


@pytest.fixture(scope="module")
def virtual(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``python -m mock_media serve --seed 7 --clock virtual --media-base <itself>``."""
    log = tmp_path_factory.mktemp("virtual") / "server.log"
    yield from _spawn(
        [sys.executable, "-m", "mock_media"],
        lambda port: ["--seed", "7", "--clock", "virtual", "--media-base", f"http://127.0.0.1:{port}"],
        log,
    )


@pytest.fixture(scope="module")
def fast_closed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``mock-media serve --speed 600 --closed``: a real clock, ten minutes per second."""
    log = tmp_path_factory.mktemp("fast") / "server.log"
    yield from _spawn([str(CONSOLE_SCRIPT)], lambda port: ["--speed", "600", "--closed"], log)


@pytest.fixture(scope="module")
def starter(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """``mock-media serve --plan starter --balance 0.05``."""
    log = tmp_path_factory.mktemp("starter") / "server.log"
    yield from _spawn([str(CONSOLE_SCRIPT)], lambda port: ["--plan", "starter", "--balance", "0.05"], log)


def _download(url: str, content_type: str, size: int) -> bytes:
    """Fetch an output URL as handed out (no base URL, no key), checking type and size."""
    reply = httpx.get(url, timeout=5)
    assert reply.status_code == 200, reply.text
    assert reply.headers["content-type"] == content_type
    assert reply.headers["content-length"] == str(size)
    assert len(reply.content) == size
    return reply.content


# --- the virtual-clock server ---------------------------------------------------------------
def test_serve__announces_itself_and_reports_seed_clock_implementations_and_admin(virtual: Served) -> None:
    virtual.reset()
    log = virtual.log.read_text()
    assert (
        f"mock-media: serving on http://127.0.0.1:{virtual.port} "
        f"(seed 7, virtual clock, media at http://127.0.0.1:{virtual.port})\n"
        f"mock-media: uvicorn with {LOOP} and {HTTP}"
    ) in log
    assert "mock-media: admin API (/_mock): loopback clients only\n" in log
    health = virtual.client.get("/_mock/health").json()
    assert health["status"] == "ok"
    assert health["seed"] == 7
    assert health["clock"]["mode"] == "virtual"
    assert health["clock"]["epoch"] == START_EPOCH


def test_serve__doc_minimal_image_gets_the_defaults(virtual: Served) -> None:
    virtual.reset()
    reply = virtual.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST)
    assert reply.status_code == 200
    (output,) = reply.json()["outputs"]
    assert (output["width"], output["height"], output["format"]) == (1024, 1024, "webp")
    assert reply.json()["cost_usd"] == 0.04


def test_serve__doc_16x9_image_and_its_download(virtual: Served) -> None:
    virtual.reset()
    reply = virtual.post(IMAGE_PATH, DOC_IMAGE_REQUEST)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    assert reply.headers["x-ratelimit-limit"] == "30"
    assert reply.headers["x-ratelimit-remaining"] == "29"
    assert reply.headers["x-ratelimit-reset"] == str(FIRST_RESET)  # the doc's own example value
    job = reply.json()
    assert JOB_ID_IMAGE.fullmatch(job["job_id"])
    assert job["status"] == "completed"
    assert job["model"] == "imagen-4"
    assert job["created_at"] == job["completed_at"] == START_ISO
    assert job["prompt"] == DOC_IMAGE_REQUEST["prompt"]
    assert job["cost_usd"] == 0.04
    (output,) = job["outputs"]
    assert MEDIA_ID.fullmatch(output["media_id"])
    assert output["url"] == f"{virtual.base}/generated/{job['job_id']}_0.webp"
    assert output["expires_at"] is None
    assert (output["width"], output["height"], output["format"]) == (1920, 1080, "webp")
    data = _download(output["url"], "image/webp", output["size_bytes"])
    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def test_serve__doc_product_mockup_four_hd_4x3_images(virtual: Served) -> None:
    virtual.reset()
    reply = virtual.post(IMAGE_PATH, DOC_PRODUCT_MOCKUP_REQUEST)
    assert reply.status_code == 200
    job = reply.json()
    assert job["cost_usd"] == 0.32  # 4 HD images at $0.08
    outputs = job["outputs"]
    assert len(outputs) == 4
    assert len({o["media_id"] for o in outputs}) == 4
    for index, output in enumerate(outputs):
        assert (output["width"], output["height"], output["format"]) == (2880, 2160, "webp")
        assert output["url"] == f"{virtual.base}/generated/{job['job_id']}_{index}.webp"
        _download(output["url"], "image/webp", output["size_bytes"])


def test_serve__doc_video_completes_when_the_admin_clock_advances(virtual: Served) -> None:
    virtual.reset()
    reply = virtual.post(VIDEO_PATH, DOC_VIDEO_REQUEST)
    assert reply.status_code == 200
    assert reply.headers["x-ratelimit-limit"] == "5"  # Pro: 5 video requests per minute
    job = reply.json()
    assert JOB_ID_VIDEO.fullmatch(job["job_id"])
    assert job["status"] == "processing"
    assert job["estimated_completion_seconds"] == DOC_VIDEO_ESTIMATE
    assert job["duration_seconds"] == 5
    assert job["created_at"] == START_ISO
    assert "outputs" not in job
    status = f"{API_PREFIX}/{job['job_id']}"
    assert virtual.get(status).json()["status"] == "processing"

    clock = virtual.client.post("/_mock/clock/advance", json={"seconds": 120})
    assert clock.status_code == 200
    assert clock.json()["epoch"] == START_EPOCH + 120
    done = virtual.get(status).json()
    assert done["status"] == "completed"
    assert done["completed_at"] == "2025-03-14T12:02:00Z"
    assert done["cost_usd"] == 4.0
    (output,) = done["outputs"]
    assert output["url"] == f"{virtual.base}/generated/{job['job_id']}.mp4"
    assert (output["width"], output["height"], output["fps"], output["format"]) == (1920, 1080, 24, "mp4")
    assert output["duration_seconds"] == 5.0
    data = _download(output["url"], "video/mp4", output["size_bytes"])
    assert data[4:8] == b"ftyp"


def test_serve__seed_gives_the_same_ids_after_every_reset(virtual: Served) -> None:
    virtual.reset()
    first = virtual.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST).json()["job_id"]
    virtual.reset()
    assert virtual.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST).json()["job_id"] == first
    assert virtual.client.post("/_mock/reset", json={"seed": 8}).json()["seed"] == 8
    other = virtual.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST).json()["job_id"]
    assert other != first
    assert virtual.client.post("/_mock/reset", json={"seed": 7}).json()["seed"] == 7
    assert virtual.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST).json()["job_id"] == first


def test_serve__unknown_file_is_404(virtual: Served) -> None:
    virtual.reset()
    reply = httpx.get(f"{virtual.base}/generated/img_000000000000_0.webp", timeout=5)
    assert reply.status_code == 404
    assert_error(reply.json(), 404, "not_found")


# --- the fast real-clock, closed server -----------------------------------------------------
def test_serve__closed_accepts_only_registered_keys(fast_closed: Served) -> None:
    fast_closed.reset()
    refused = fast_closed.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST, key="stranger")
    assert refused.status_code == 401
    assert_error(refused.json(), 401, "unauthorized")
    assert "x-ratelimit-limit" not in refused.headers
    registered = fast_closed.client.post("/_mock/accounts", json={"api_key": "ci-key"})
    assert registered.status_code == 200
    assert fast_closed.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST).status_code == 200
    bearer = fast_closed.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST, key=None, Authorization="Bearer ci-key")
    assert bearer.status_code == 200
    assert fast_closed.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST, key="stranger").status_code == 401
    assert fast_closed.client.get("/_mock/accounts").json()["count"] == 1


def test_serve__real_clock_at_speed_600_finishes_a_video_in_about_a_fifth_of_a_second(
    fast_closed: Served,
) -> None:
    fast_closed.reset()
    clock = fast_closed.client.get("/_mock/clock").json()
    assert (clock["mode"], clock["speed"]) == ("real", 600)
    assert fast_closed.client.post("/_mock/accounts", json={"api_key": "ci-key"}).status_code == 200
    started = time.monotonic()
    job = fast_closed.post(VIDEO_PATH, DOC_VIDEO_REQUEST).json()
    assert job["status"] == "processing"
    assert job["estimated_completion_seconds"] == 120  # on the fake's clock: 0.2 s of real time
    status = f"{API_PREFIX}/{job['job_id']}"
    while True:
        body = fast_closed.get(status).json()
        elapsed = time.monotonic() - started
        if body["status"] != "processing" or elapsed > 30:
            break
        time.sleep(0.01)
    assert body["status"] == "completed"
    assert 0.19 <= elapsed < 30  # 120 s of video at 600x; at 1x it would take 120 s
    created = datetime.fromisoformat(body["created_at"].replace("Z", "+00:00"))
    completed = datetime.fromisoformat(body["completed_at"].replace("Z", "+00:00"))
    assert (completed - created).total_seconds() == 120
    assert body["outputs"][0]["url"].startswith(f"{MEDIA_HOST}/generated/vid_")


# --- the starter server ---------------------------------------------------------------------
def test_serve__plan_and_balance_apply_to_auto_opened_accounts(starter: Served) -> None:
    starter.reset()
    first = starter.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST)
    assert first.status_code == 200
    assert first.headers["x-ratelimit-limit"] == "10"  # Starter: 10 image requests per minute
    second = starter.post(IMAGE_PATH, DOC_MINIMAL_IMAGE_REQUEST)
    assert second.status_code == 402
    assert_error(second.json(), 402, "insufficient_balance")
    video = starter.post(VIDEO_PATH, DOC_VIDEO_REQUEST)
    assert video.status_code == 402
    assert video.headers["x-ratelimit-limit"] == "2"  # Starter: 2 video requests per minute
    account = starter.client.get("/_mock/accounts/ci-key").json()
    assert account["plan"] == "starter"
    assert Decimal(account["balance_usd"]) == Decimal("0.01")
    assert Decimal(account["spent_usd"]) == Decimal("0.04")


def test_serve__clock_is_real_by_default(starter: Served) -> None:
    clock = starter.client.get("/_mock/clock").json()
    assert (clock["mode"], clock["speed"]) == ("real", 1)
    assert abs(clock["epoch"] - time.time()) < 5
    later = starter.client.get("/_mock/clock").json()["epoch"]
    assert later > clock["epoch"]


# === either implementation, the same server =================================================
IMAGE_ROUTE = {"route": "generate_image"}
DROP_THEN_STALL = Scenario.from_dict(
    {
        "name": "drop-then-stall",
        "rules": [
            {"name": "drop", "match": {**IMAGE_ROUTE, "requests": [1, 1]}, "action": {"transport": "reset"}},
            {
                "name": "stall",
                "match": {**IMAGE_ROUTE, "requests": [2, 2]},
                "action": {"transport": "timeout"},
            },
        ],
    }
)


@pytest.fixture(params=PAIRS, ids=["-".join(pair) for pair in PAIRS])
def pair_server(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[MediaServer]:
    """A live server over a fake with scripted socket trouble, on one (loop, HTTP) pair."""
    loop, http = request.param
    for name in request.param:
        if not server_module._importable(name):
            pytest.skip(f"{name} is not installed")
    monkeypatch.setattr(asgi, "TRANSPORT_TIMEOUT_SECONDS", 0.3)  # the stall, shortened
    fake = MockMedia(MockConfig(scenario=DROP_THEN_STALL))
    with MediaServer(fake.handler, loop=loop, http=http) as live:
        yield live


def test_pair__runs_what_it_was_asked_to(pair_server: MediaServer) -> None:
    uvicorn_server = pair_server._server
    assert uvicorn_server is not None
    protocol = uvicorn_server.config.http_protocol_class.__name__
    assert protocol == {"h11": "H11Protocol", "httptools": "HttpToolsProtocol"}[pair_server.http]
    (listener,) = uvicorn_server.servers
    assert type(listener.get_loop()).__module__.split(".")[0] == pair_server.loop


def test_pair__scripted_reset_and_timeout_drop_the_connection_and_the_server_goes_on(
    pair_server: MediaServer,
) -> None:
    with httpx.Client(base_url=pair_server.url, headers={"X-API-Key": "k"}, timeout=5) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(IMAGE_PATH, json=DOC_MINIMAL_IMAGE_REQUEST)
        started = time.monotonic()
        with pytest.raises(httpx.RemoteProtocolError):
            client.post(IMAGE_PATH, json=DOC_MINIMAL_IMAGE_REQUEST)
        assert 0.3 <= time.monotonic() - started < 4  # silent for the stall, then dropped
        assert client.post(IMAGE_PATH, json=DOC_MINIMAL_IMAGE_REQUEST).status_code == 200


def test_pair__oversized_upload_is_413_and_a_download_streams_whole_or_ranged(
    pair_server: MediaServer,
) -> None:
    with httpx.Client(base_url=pair_server.url, headers={"X-API-Key": "k"}, timeout=5) as client:
        for _ in range(2):  # past the scripted drop and stall
            with pytest.raises(httpx.RemoteProtocolError):
                client.post(IMAGE_PATH, json=DOC_MINIMAL_IMAGE_REQUEST)
        too_big = client.post(IMAGE_PATH, content=one_mib_body(2 * 1024 * 1024))
        assert_error(too_big.json(), 413, "payload_too_large")
        (output,) = client.post(IMAGE_PATH, json=DOC_MINIMAL_IMAGE_REQUEST).json()["outputs"]
        path = urlsplit(output["url"]).path
        whole = client.get(path)
        assert (whole.status_code, len(whole.content)) == (200, output["size_bytes"])
        part = client.get(path, headers={"Range": "bytes=0-99"})
        assert (part.status_code, part.content) == (206, whole.content[:100])


def test_pair__answers_without_waiting_for_a_delayed_ack(pair_server: MediaServer) -> None:
    """Nagle plus delayed ACK would hold each answer >= 40 ms (bind_socket's IPPROTO_TCP trick
    for asyncio; uvloop sets TCP_NODELAY itself)."""
    with httpx.Client(base_url=pair_server.url, timeout=5) as client:
        times = []
        for _ in range(15):
            started = time.perf_counter()
            assert client.get("/_mock/health").status_code == 200
            times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.025, times
