"""The admin API is no open control plane: who may reach ``/_mock``, through every kind of door.

The rule, decided once in the wire handler so every door shares it:

* ``admin=False`` (``mock-media serve --no-admin``): ``/_mock`` is a 404, exactly as an unknown
  route.
* with an admin token: every ``/_mock`` request must send it in ``X-Mock-Admin-Token``, from any
  address, loopback included; missing or wrong: 403 ``forbidden``.
* without one: loopback peers (127.0.0.0/8, ``::1``, ``::ffff:127.x.x.x``) and in-process callers
  only; anyone else: 403 ``forbidden``.
* ``mock-media serve --host`` beyond loopback with neither: a generated token, printed once.

The public API (``/v1/...``), ``/generated/...`` and ``/openapi.json`` never change. The live
tests reach the server through this machine's own non-loopback address (the peer it sees is then
not loopback); they are skipped where there is none.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from mock_media import MediaBackend, MockConfig, WireRequest, build_handler
from mock_media.adapters.asgi import create_app
from mock_media.adapters.server import MediaServer, implementations
from mock_media.remote import RemoteMockMedia
from mock_media.wire import Handler, WireResponse, is_loopback
from mock_media.wire.control import ADMIN_TOKEN_ENV
from tests.doc_tables import API_PREFIX, IMAGE_PATH
from tests.helpers import assert_error, assert_stopped_cleanly, interrupt

TOKEN = "s3cret-Admin-T0ken"
HEADER = "X-Mock-Admin-Token"  # typed out: the documented name, not the code's constant
REMOTE = "192.0.2.7"  # TEST-NET-1: a peer that is not this machine
CONSOLE_SCRIPT = Path(sys.executable).with_name("mock-media")


def call(handler: Handler, method: str, path: str, client: str | None = None, **headers: str) -> WireResponse:
    body = b'{"prompt": "a cat"}' if method == "POST" and path.startswith(API_PREFIX) else b""
    return handler(WireRequest.build(method, path, headers=headers, body=body, client=client))


def assert_forbidden(reply: Any) -> str:
    """A refusal: 403, decision 3's envelope with the code ``forbidden``; its message.

    ``reply``: a WireResponse, or an httpx (or Starlette's TestClient, httpx2) response.
    """
    status = reply.status if isinstance(reply, WireResponse) else reply.status_code
    assert status == 403, reply
    body = assert_error(reply.json(), 403, "forbidden")
    message: str = body["error"]["message"]
    return message


# === the rule, through the wire handler =======================================================
@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.200.3.4", True),  # all of 127.0.0.0/8
        ("::1", True),
        ("::ffff:127.0.0.1", True),  # an IPv4 loopback client of a dual-stack socket
        ("0:0:0:0:0:0:0:1", True),
        ("10.0.0.1", False),
        ("192.0.2.7", False),
        ("0.0.0.0", False),
        ("::", False),
        ("::ffff:10.0.0.1", False),
        ("fe80::1", False),
        ("localhost", False),  # a name is no address: a door hands over what the socket said
        ("127.0.0.1.evil.example", False),
        ("", False),
        (None, False),
    ],
)
def test_is_loopback(address: str | None, loopback: bool) -> None:
    assert is_loopback(address) is loopback


@pytest.mark.parametrize("client", [None, "127.0.0.1", "127.0.0.53", "::1", "::ffff:127.0.0.1"])
def test_no_token__loopback_and_in_process_callers_get_in(client: str | None) -> None:
    handler = build_handler(MediaBackend(MockConfig()))
    assert call(handler, "GET", "/_mock/health", client).status == 200


@pytest.mark.parametrize("client", [REMOTE, "10.1.2.3", "::ffff:10.0.0.1", "2001:db8::1", "testclient"])
def test_no_token__anyone_else_is_refused_and_told_why(client: str) -> None:
    handler = build_handler(MediaBackend(MockConfig()))
    message = assert_forbidden(call(handler, "GET", "/_mock/health", client))
    assert client in message
    assert "loopback" in message


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/_mock"),
        ("GET", "/_mock/health"),
        ("POST", "/_mock/reset"),
        ("POST", "/_mock/accounts"),
        ("DELETE", "/_mock/faults"),
        ("GET", "/_mock/journal/export"),
        ("GET", "/_mock/no-such-route"),  # refused before routing: no map of the admin API
        ("PUT", "/_mock/health"),  # nor of its methods
    ],
)
def test_refusal__comes_before_routing_and_changes_nothing(method: str, path: str) -> None:
    backend = MediaBackend(MockConfig())
    handler = build_handler(backend)
    protected = build_handler(backend, admin_token=TOKEN)  # the same fake, behind a token
    body = b'{"api_key": "intruder", "seed": 9}'
    assert call(handler, "POST", IMAGE_PATH, **{"X-API-Key": "k"}).status == 200
    assert_forbidden(handler(WireRequest.build(method, path, body=body, client=REMOTE)))
    assert_forbidden(protected(WireRequest.build(method, path, headers={HEADER: "x"}, body=body)))
    assert list(backend.accounts) == ["k"]  # no reset, no registration
    assert len(backend.store.jobs) == 1
    assert [entry.path for entry in backend.journal] == [IMAGE_PATH]  # refusals are not journaled


@pytest.mark.parametrize("client", [REMOTE, "127.0.0.1", None])
def test_public_api_files_and_contract__unaffected_by_who_asks(client: str | None) -> None:
    for handler in (
        build_handler(MediaBackend(MockConfig())),
        build_handler(MediaBackend(MockConfig()), admin_token=TOKEN),
        build_handler(MediaBackend(MockConfig()), admin=False),
    ):
        job = call(handler, "POST", IMAGE_PATH, client, **{"X-API-Key": "k"})
        assert job.status == 200
        file_path = job.json()["outputs"][0]["url"].removeprefix("https://media.moltbotden.com")
        assert call(handler, "GET", file_path, client).status == 200
        assert (
            call(handler, "GET", f"{API_PREFIX}/{job.json()['job_id']}", client, **{"X-API-Key": "k"}).status
            == 200
        )
        assert call(handler, "GET", "/openapi.json", client).status == 200


@pytest.mark.parametrize("client", [REMOTE, "127.0.0.1", "::1", None])
def test_token__the_right_one_gets_in_from_anywhere(client: str | None) -> None:
    handler = build_handler(MediaBackend(MockConfig()), admin_token=TOKEN)
    assert call(handler, "GET", "/_mock/health", client, **{HEADER: TOKEN}).status == 200
    assert call(handler, "GET", "/_mock/health", client, **{HEADER.lower(): f"  {TOKEN} "}).status == 200


@pytest.mark.parametrize("client", [REMOTE, "127.0.0.1", None])  # a token binds loopback callers too
@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({}, "needs"),
        ({HEADER: ""}, "needs"),
        ({HEADER: TOKEN + "x"}, "is not"),
        ({HEADER: TOKEN[:-1]}, "is not"),
        ({HEADER: TOKEN.lower()}, "is not"),
        ({HEADER: "caf\u00e9"}, "is not"),  # not ASCII: still a plain refusal
        ({"Authorization": f"Bearer {TOKEN}"}, "needs"),  # the API's header, not the admin API's
        ({"X-API-Key": TOKEN}, "needs"),
    ],
)
def test_token__missing_or_wrong_is_refused_without_echoing_it(
    client: str | None, headers: dict[str, str], says: str
) -> None:
    handler = build_handler(MediaBackend(MockConfig()), admin_token=TOKEN)
    message = assert_forbidden(call(handler, "POST", "/_mock/reset", client, **headers))
    assert HEADER in message
    assert says in message
    assert TOKEN not in message


def test_admin_off__indistinguishable_from_an_unknown_route() -> None:
    backend = MediaBackend(MockConfig())
    handler = build_handler(backend, admin=False)
    for client in (None, "127.0.0.1", REMOTE):
        off = call(handler, "GET", "/_mock/health", client, **{HEADER: TOKEN})
        unknown = call(handler, "GET", "/_mocx/health", client, **{HEADER: TOKEN})
        assert_error(off.json(), 404, "not_found")
        assert off.json() == {k: _unpath(v) for k, v in unknown.json().items()}
        assert off.headers == unknown.headers


def _unpath(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _unpath(v) for k, v in value.items()}
    return value.replace("/_mocx/", "/_mock/") if isinstance(value, str) else value


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"admin": False, "admin_token": TOKEN}, "needs the admin API on"),
        ({"admin_token": ""}, "not empty"),
        ({"admin_token": "two words"}, "no spaces"),
        ({"admin_token": "caf\u00e9"}, "visible ASCII"),
        ({"admin_token": "tab\there"}, "visible ASCII"),
    ],
)
def test_build_handler__refuses_a_token_that_could_never_be_used(kwargs: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        build_handler(MediaBackend(MockConfig()), **kwargs)


# === the Starlette door: the peer comes from the ASGI scope ====================================
def test_asgi__the_peer_is_the_scope_client() -> None:
    app = create_app(MediaBackend(MockConfig()))
    with TestClient(app, client=(REMOTE, 5000)) as remote:
        assert_forbidden(remote.get("/_mock/health"))
        assert remote.get("/openapi.json").status_code == 200
    with TestClient(app, client=("127.0.0.1", 5000)) as local:
        assert local.get("/_mock/health").status_code == 200
    with TestClient(app) as in_process:  # Starlette's own peer name, "testclient"
        assert in_process.get("/_mock/health").status_code == 200


def test_asgi__a_backend_gets_the_settings_a_ready_handler_keeps_its_own() -> None:
    backend = MediaBackend(MockConfig())
    with TestClient(create_app(backend, admin_token=TOKEN)) as client:
        assert_forbidden(client.get("/_mock/health"))
        assert client.get("/_mock/health", headers={HEADER: TOKEN}).status_code == 200
    with TestClient(create_app(backend, admin=False)) as client:
        assert_error(client.get("/_mock/health").json(), 404, "not_found")
    for kwargs in ({"admin_token": TOKEN}, {"admin": False}):
        with pytest.raises(ValueError, match="build the handler with them"):
            create_app(build_handler(backend), **kwargs)


# === a live server, reached through this machine's own non-loopback address ==================
def own_address() -> str | None:
    """This machine's address on its default route (no packet is sent), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))
        except OSError:
            return None
        address: str = probe.getsockname()[0]
    return None if is_loopback(address) or address == "0.0.0.0" else address


OWN = own_address()
needs_own_address = pytest.mark.skipif(OWN is None, reason="this machine has no non-loopback address")


@pytest.fixture(scope="module")
def public() -> Iterator[MediaServer]:
    """A live server bound to every interface, with the admin API on and no token."""
    with MediaServer(build_handler(MediaBackend(MockConfig())), host="0.0.0.0") as live:
        yield live


def _reachable(port: int) -> bool:
    assert OWN is not None
    with socket.socket() as probe:
        probe.settimeout(2)
        return probe.connect_ex((OWN, port)) == 0


@needs_own_address
def test_live__no_token_refuses_the_non_loopback_peer_and_serves_it_the_api(public: MediaServer) -> None:
    if not _reachable(public.port):
        pytest.skip(f"{OWN} does not accept connections to itself here")
    with httpx.Client(base_url=f"http://{OWN}:{public.port}", timeout=5) as far:
        message = assert_forbidden(far.get("/_mock/health"))
        assert OWN is not None and OWN in message  # the peer the server saw: the address, not loopback
        assert far.post(IMAGE_PATH, json={"prompt": "a cat"}, headers={"X-API-Key": "k"}).status_code == 200
        assert far.get("/openapi.json").status_code == 200
    with httpx.Client(base_url=f"http://127.0.0.1:{public.port}", timeout=5) as near:
        assert near.get("/_mock/health").status_code == 200


@needs_own_address
def test_live__x_forwarded_for_cannot_make_a_remote_peer_loopback(
    public: MediaServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")  # the server pins its trusted proxies anyway
    if not _reachable(public.port):
        pytest.skip(f"{OWN} does not accept connections to itself here")
    spoof = {"X-Forwarded-For": "127.0.0.1", "Forwarded": "for=127.0.0.1"}
    with httpx.Client(base_url=f"http://{OWN}:{public.port}", timeout=5) as far:
        assert_forbidden(far.get("/_mock/health", headers=spoof))


def test_live__a_loopback_proxy_forwarding_a_remote_client_is_refused(public: MediaServer) -> None:
    """A reverse proxy on this machine says whom it forwards for; uvicorn believes loopback
    proxies, so the admin API sees the remote client, not the proxy."""
    with httpx.Client(base_url=f"http://127.0.0.1:{public.port}", timeout=5) as proxy:
        message = assert_forbidden(proxy.get("/_mock/health", headers={"X-Forwarded-For": "203.0.113.9"}))
        assert "203.0.113.9" in message


def test_live__dual_stack_ipv4_loopback_client_is_loopback() -> None:
    try:
        server = MediaServer(build_handler(MediaBackend(MockConfig())), host="::").start()
    except OSError:
        pytest.skip("no IPv6 here")
    try:
        with httpx.Client(timeout=5) as client:
            assert client.get(f"http://127.0.0.1:{server.port}/_mock/health").status_code == 200
            assert client.get(f"http://[::1]:{server.port}/_mock/health").status_code == 200
    finally:
        server.stop()


# === `mock-media serve --host 0.0.0.0`, a real process =======================================
@dataclass
class Public:
    """A ``mock-media serve --host 0.0.0.0`` process: its banner, and where to reach it."""

    banner: list[str]
    port: int

    def url(self, host: str | None) -> str:
        return f"http://{host or '127.0.0.1'}:{self.port}"


@contextmanager
def serve_public(tmp_path: Path, *options: str) -> Iterator[Public]:
    """Start it on a port of its choosing, read the banner, wait (bounded) for /openapi.json
    (the admin API may not answer us), and always stop it with Ctrl-C: exit 0, no traceback."""
    log = tmp_path / "server.log"
    env = {k: v for k, v in os.environ.items() if k != ADMIN_TOKEN_ENV}
    argv = [str(CONSOLE_SCRIPT), "serve", "--host", "0.0.0.0", "--port", "0", *options]
    with log.open("wb") as sink:
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.STDOUT, env=env)
    try:
        deadline = time.monotonic() + 15
        while True:
            banner = log.read_text().splitlines()
            found = re.search(r"serving on http://0\.0\.0\.0:(\d+) ", banner[0]) if banner else None
            if found and len(banner) >= 3:
                port = int(found.group(1))
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}: {log.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"server did not come up: {log.read_text()}")
            time.sleep(0.02)
        yield Public(banner[:3], port)
    finally:
        interrupt(proc)
    assert_stopped_cleanly(proc, log)


def _far(server: Public) -> str | None:
    """The non-loopback address to reach the server by, or None (then only loopback is tried)."""
    return OWN if OWN is not None and _reachable(server.port) else None


def test_serve_public__generates_a_token_prints_it_once_and_requires_it(tmp_path: Path) -> None:
    with serve_public(tmp_path) as server:
        loop, http = implementations()
        assert server.banner[1].startswith(f"mock-media: uvicorn with {loop} and {http}")
        found = re.fullmatch(
            r"mock-media: admin API \(/_mock\): every request must send X-Mock-Admin-Token: (\S+) "
            r"\(generated: 0\.0\.0\.0 is not loopback\)",
            server.banner[2],
        )
        assert found, server.banner
        token = found.group(1)
        assert "\n".join(server.banner).count(token) == 1
        for host in {_far(server), None}:  # the token binds loopback callers as well
            with httpx.Client(base_url=server.url(host), timeout=5) as client:
                assert_forbidden(client.get("/_mock/health"))
                assert_forbidden(client.post("/_mock/reset", headers={HEADER: token[:-1]}))
                assert client.get("/_mock/health", headers={HEADER: token}).json()["status"] == "ok"
                job = client.post(IMAGE_PATH, json={"prompt": "a cat"}, headers={"X-API-Key": "k"})
                assert job.status_code == 200
        remote = RemoteMockMedia(server.url(_far(server)), api_key="k", admin_token=token)
        remote.reset()
        assert remote.journal() == []
        remote.close()


def test_serve_public__admin_token_option_works_with_it_only_and_is_not_printed(tmp_path: Path) -> None:
    with serve_public(tmp_path, "--admin-token", TOKEN) as server:
        assert server.banner[2] == (
            "mock-media: admin API (/_mock): every request must send the admin token in X-Mock-Admin-Token"
        )
        assert TOKEN not in "\n".join(server.banner)
        with httpx.Client(base_url=server.url(_far(server)), timeout=5) as client:
            assert_forbidden(client.get("/_mock/accounts"))
            registered = client.post("/_mock/accounts", json={"api_key": "ci"}, headers={HEADER: TOKEN})
            assert registered.status_code == 200
            assert client.get("/_mock/accounts", headers={HEADER: TOKEN}).json()["count"] == 1


def test_serve_public__no_admin_is_a_404_and_the_api_still_works(tmp_path: Path) -> None:
    with serve_public(tmp_path, "--no-admin") as server:
        assert server.banner[2] == "mock-media: admin API (/_mock): off"
        for host in {_far(server), None}:
            with httpx.Client(base_url=server.url(host), timeout=5) as client:
                for path in ("/_mock/health", "/_mock/reset"):
                    assert_error(client.get(path).json(), 404, "not_found")
                job = client.post(IMAGE_PATH, json={"prompt": "a cat"}, headers={"X-API-Key": "k"})
                assert job.status_code == 200
                assert (
                    client.get(f"{API_PREFIX}/{job.json()['job_id']}", headers={"X-API-Key": "k"}).status_code
                    == 200
                )
