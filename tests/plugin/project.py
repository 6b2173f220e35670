"""Helpers for the plugin's tests: the inner project's ini file, how to run it, and what a
fresh fake would answer, computed in this process to compare with the inner tests."""

from __future__ import annotations

import pytest

from mock_media import MockConfig, MockMedia

# Every inner session runs with warnings as errors and the markers and ini keys checked, so
# a plugin that forgot to register its marker or ini keys fails here too.
INI = """\
[pytest]
addopts = --strict-markers --strict-config
filterwarnings = error
asyncio_mode = strict
asyncio_default_fixture_loop_scope = function
"""
RUN_ARGS = ("-p", "no:cacheprovider")
API = "https://api.moltbotden.com/v1/hosting/media"


def make_ini(pytester: pytest.Pytester, *lines: str) -> None:
    """The inner project's ``pytest.ini``: ``INI`` plus ``lines`` (e.g. ``mock_media_seed = 1``)."""
    pytester.makeini(INI + "".join(f"{line}\n" for line in lines))


def run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An inner session in this process (fast; the plugin's global patches are undone after)."""
    return pytester.runpytest(*RUN_ARGS, *args)


def run_subprocess(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An inner session in a fresh interpreter (about a second; needed for pytest-xdist)."""
    return pytester.runpytest_subprocess(*RUN_ARGS, *args, timeout=120)


def image_ids(seed: int, count: int = 2) -> list[str]:
    """The job ids of the first ``count`` images that a fresh fake with ``seed`` hands out."""
    fake = MockMedia(MockConfig(seed=seed))
    with fake.client() as client:
        return [
            client.post("/v1/hosting/media/image", json={"prompt": "a cat"}).json()["job_id"]
            for _ in range(count)
        ]
