"""The test doors themselves (tests/doors.py, tests/conftest.py): each reaches the test's own
backend, and closing it undoes every patch it made, so no door leaks into the next test."""

from __future__ import annotations

import asyncio

import pytest

from mock_media import MediaBackend
from tests.conftest import selected_doors
from tests.doors import DOORS, PATCHING_DOORS, open_door, patch_points
from tests.helpers import path_of


def test_doors__all_eight() -> None:
    assert DOORS == ("wire", "asgi", "live", "respx", "respx-async", "httpx2", "httpx2-patched", "requests")


@pytest.mark.parametrize("name", DOORS)
def test_open_door__reaches_the_backend_and_leaves_no_patch_behind(
    request: pytest.FixtureRequest, backend: MediaBackend, name: str
) -> None:
    before = patch_points()

    with open_door(request, backend, name) as api:
        patched = patch_points() != before
        reply = api.image(key="door-key")
        file = api.request("GET", path_of(reply.json()["outputs"][0]["url"]), key=None)

    assert patched == (name in PATCHING_DOORS)
    assert (reply.status, file.status) == (200, 200)
    assert [(e.path.split("/")[1], e.status) for e in backend.journal] == [("v1", 200), ("generated", 200)]
    assert patch_points() == before


def test_open_door__respx_async_closes_its_event_loop(
    request: pytest.FixtureRequest, backend: MediaBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    loops: list[asyncio.AbstractEventLoop] = []
    original = asyncio.new_event_loop

    def new_event_loop() -> asyncio.AbstractEventLoop:
        loops.append(original())
        return loops[-1]

    monkeypatch.setattr(asyncio, "new_event_loop", new_event_loop)
    with open_door(request, backend, "respx-async") as api:
        assert api.image().status == 200

    [loop] = loops
    assert loop.is_closed()


def test_open_door__a_second_patching_door_is_refused(request: pytest.FixtureRequest) -> None:
    with open_door(request, MediaBackend(), "requests"), pytest.raises(RuntimeError, match="one patching"):
        with open_door(request, MediaBackend(), "respx"):
            pass  # pragma: no cover
    with open_door(request, MediaBackend(), "respx") as api:  # the refusal left nothing behind
        assert api.image().status == 200


def test_open_door__unknown_door__value_error(request: pytest.FixtureRequest, backend: MediaBackend) -> None:
    with pytest.raises(ValueError, match="unknown door 'grpc'"), open_door(request, backend, "grpc"):
        pass  # pragma: no cover


def test_open_door__an_error_in_the_test_still_undoes_the_patch(
    request: pytest.FixtureRequest, backend: MediaBackend
) -> None:
    before = patch_points()
    with pytest.raises(KeyError), open_door(request, backend, "httpx2-patched"):
        raise KeyError("boom")
    assert patch_points() == before


@pytest.mark.parametrize(
    ("option", "expected"),
    [
        ("all", list(DOORS)),
        ("wire", ["wire"]),
        ("requests, live,wire", ["wire", "live", "requests"]),
        ("respx-async,respx-async", ["respx-async"]),
    ],
)
def test_selected_doors__reads_the_option_in_door_order(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, option: str, expected: list[str]
) -> None:
    monkeypatch.setattr(request.config.option, "doors", option)
    assert selected_doors(request.config) == expected


@pytest.mark.parametrize("option", ["grpc", "wire,grpc", "", ","])
def test_selected_doors__unknown_or_no_door__usage_error(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, option: str
) -> None:
    monkeypatch.setattr(request.config.option, "doors", option)
    with pytest.raises(pytest.UsageError, match="--doors"):
        selected_doors(request.config)


def test_door__the_parametrized_fixture_names_this_run(door: str, request: pytest.FixtureRequest) -> None:
    assert request.node.callspec.params["door"] == door
    assert door in DOORS
