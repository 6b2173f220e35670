"""``--mock-media-record`` and ``--mock-media-conduct``: a failing test leaves its session
behind for ``mock-media replay`` and ``freeze``; a misbehaving client fails its test."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_media import replay

from .project import API, make_ini, run

AGENT = f"""
import pytest
import requests

API = "{API}"


@pytest.mark.mock_media(scenario="flaky-generation")
def test_agent_gives_up_too_soon(mock_media):
    mock_media.fail_next("image")
    answer = requests.post(API + "/image", json={{"prompt": "a cat"}}, headers={{"X-API-Key": "k"}})
    assert answer.status_code == 200


def test_agent_that_passes(mock_media):
    answer = requests.post(API + "/image", json={{"prompt": "a cat"}}, headers={{"X-API-Key": "k"}})
    assert answer.status_code == 200


def test_agent_hammering_a_429(mock_media):
    mock_media.register_account("k", "starter")
    for _ in range(12):
        requests.post(API + "/image", json={{"prompt": "a cat"}}, headers={{"X-API-Key": "k"}})
"""


def test_record__a_failing_test_leaves_a_recording_that_replays_identically(
    pytester: pytest.Pytester,
) -> None:
    make_ini(pytester)
    pytester.makepyfile(test_agent=AGENT)
    folder = pytester.path / "recordings"

    result = run(pytester, f"--mock-media-record={folder}")

    result.assert_outcomes(passed=2, failed=1)
    (recording,) = folder.iterdir()
    assert recording.name == "test_agent.py_test_agent_gives_up_too_soon.jsonl"
    result.stdout.fnmatch_lines(["*mock-media recording*", f"replay: mock-media replay {recording}"])
    report = replay(recording)
    assert report.identical and report.scenario == "flaky-generation"
    assert report.replayed == 1


def test_record__the_ini_key_names_the_folder_too(pytester: pytest.Pytester) -> None:
    make_ini(pytester, "mock_media_record = out")
    pytester.makepyfile(test_agent=AGENT)

    run(pytester, "-k", "gives_up").assert_outcomes(failed=1)

    assert [p.suffix for p in Path(pytester.path / "out").iterdir()] == [".jsonl"]


def test_record__nothing_is_written_without_the_option(pytester: pytest.Pytester) -> None:
    make_ini(pytester)
    pytester.makepyfile(test_agent=AGENT)

    run(pytester).assert_outcomes(passed=2, failed=1)

    assert not any(p.suffix == ".jsonl" for p in pytester.path.rglob("*"))


def test_conduct__a_client_hammering_a_429_fails_its_test(pytester: pytest.Pytester) -> None:
    make_ini(pytester)
    pytester.makepyfile(test_agent=AGENT)

    result = run(pytester, "--mock-media-conduct", "-k", "not gives_up")

    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_agent_hammering_a_429*", "*early_retry*"])


def test_conduct__without_the_option_the_same_client_passes(pytester: pytest.Pytester) -> None:
    make_ini(pytester)
    pytester.makepyfile(test_agent=AGENT)

    run(pytester, "-k", "not gives_up").assert_outcomes(passed=2)
