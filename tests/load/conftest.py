"""The load package's standalone server: one ``mock-media serve`` subprocess for the package
(starting one costs about a second); each test uses its own keys, or resets it first."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .harness import Server, spawn


@pytest.fixture(scope="package")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The shared server process; tests take it through ``live``."""
    with spawn(tmp_path_factory.mktemp("load") / "server.log") as served:
        yield served


@pytest.fixture
def live(server: Server) -> Iterator[Server]:
    """The shared server, which must still be up after the test and must have logged no
    traceback during it (a crash in a request handler is a bug even if the client coped)."""
    mark = server.log_mark()
    yield server
    assert server.healthy(), server.log_since(mark)
    assert "Traceback" not in server.log_since(mark), server.log_since(mark)
