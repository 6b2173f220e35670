"""Record, replay, freeze: a chaos run that broke an agent, reproduced exactly.

The agent of ``tests/scenarios/agent.py`` runs under ``bad-day``; its session is exported as
JSON Lines. Replayed with the same seed and scenario, every answer matches, byte for byte
(through whichever door it was recorded); with another seed or none, the report says where
they part. Frozen into a scenario file, the run's faults come back at the same requests for
the agent's next run, whatever that run's seed.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mock_media import MediaBackend, MockConfig, MockMedia, freeze, replay, scenario_toml
from mock_media.cli import main
from mock_media.core.journal import Recording
from mock_media.core.scenario import Scenario
from mock_media.scenario_files import load_scenario
from tests.doc_tables import IMAGE_PATH, VIDEO_PATH
from tests.doors import Api, wire_api

from .agent import run_agent

JOBS = 30


def _record(api: Api) -> str:
    run_agent(api, jobs=JOBS)
    backend = api.backend
    return "".join(backend.journal.export(backend.session_header()))


def _outcomes(backend: MediaBackend) -> list[tuple[Any, ...]]:
    """What went wrong where: each request's route, status, error and transport fault."""
    return [
        (e.operation, e.status, e.error_code, (e.action or {}).get("transport"), e.retry_after)
        for e in backend.journal
    ]


@pytest.fixture(scope="module")
def bad_day_run() -> str:
    return _record(wire_api(MediaBackend(MockConfig(seed=3, scenario=load_scenario("bad-day")))))


def test_replay__a_recorded_bad_day_replays_with_zero_differences(bad_day_run: str) -> None:
    report = replay(bad_day_run)
    entries = Recording.parse(bad_day_run.splitlines()).entries

    assert report.identical, str(report)
    assert report.replayed == len(entries) > JOBS
    assert (report.seed, report.scenario, report.warnings) == (3, "bad-day", ())
    assert sum(1 for e in entries if e.injected) > 10  # not a quiet day: the run met trouble
    assert "No differences" in str(report)


def test_replay__recorded_through_any_door_replays_with_zero_differences(
    api_for: Callable[[MediaBackend], Api],
) -> None:
    recorded = _record(api_for(MediaBackend(MockConfig(seed=3, scenario=load_scenario("bad-day")))))
    report = replay(recorded)
    assert report.identical, str(report)


def test_replay__another_seed_reports_where_answers_differ(bad_day_run: str) -> None:
    report = replay(bad_day_run, seed=4)

    assert not report.identical
    first = report.differences[0]
    assert (first.seq, first.method, first.path) == (1, "POST", VIDEO_PATH)
    assert any(d.startswith("body.job_id: 'vid_") for d in first.details)
    assert "answers differ" in str(report)
    assert report.to_dict()["differences"][0]["seq"] == 1


def test_replay__without_the_scenario_the_injected_faults_are_missing(bad_day_run: str) -> None:
    report = replay(bad_day_run, scenario=None)

    assert report.scenario is None
    assert any(
        detail.startswith("injected: [") and detail.endswith("-> []")
        for difference in report.differences
        for detail in difference.details
    )


def test_replay__control_events_between_requests_are_made_again() -> None:
    fake = MockMedia(MockConfig(seed=11))
    api = wire_api(fake.backend)
    fake.register_account("ent", "enterprise", "50.00", image_rpm=3)
    fake.register_account("starter", "starter", "1.00")
    for _ in range(4):
        api.image(key="ent")  # the fourth is a 429 under the custom limit
    fake.backend.advance(30, api_key="ent")
    fake.fail_next("image", account="starter")
    api.image(key="starter")
    fake.model_down("video", seconds=40)
    api.video(key="pro")
    api.video(key="starter")  # 402: a Starter account with $1 cannot pay for a video
    fake.advance(45)
    api.video(key="pro")
    fake.fail_next_video_jobs(account="ent")
    api.video(key="ent")
    fake.use_scenario("429-storm")
    for _ in range(3):
        api.image(key="starter")
    fake.backend.faults.clear()
    fake.finish_videos()
    api.list(key="ent")

    statuses = [e.status for e in fake.journal]
    assert {402, 429, 500, 503} <= set(statuses)
    report = replay(fake.export_journal())
    assert report.identical, str(report)
    assert report.warnings == ()


def test_replay__a_scoped_reset_leaves_a_recording_that_says_it_is_incomplete() -> None:
    fake = MockMedia()
    api = wire_api(fake.backend)
    api.image(key="a")
    api.image(key="b")
    fake.backend.reset_account("a")
    api.image(key="b")
    report = replay(fake.export_journal())
    assert any("incomplete: 1 earlier requests" in w for w in report.warnings)


def test_replay__a_real_clock_recording_replays_at_its_recorded_instants() -> None:
    sluggish = Scenario.from_dict(
        {"name": "slow", "rules": [{"match": {"requests": [2, 3]}, "action": {"latency": 0.02}}]}
    )
    fake = MockMedia(MockConfig(clock="real", speed=1000.0, scenario=sluggish))
    api = wire_api(fake.backend)
    for i in range(12):
        api.image({"prompt": f"p{i}"})
    job = api.video().json()["job_id"]
    fake.advance(600)
    api.job(job)

    report = replay(fake.export_journal())
    assert report.identical, str(report)
    assert any("real clock" in w for w in report.warnings)


def test_replay__a_body_past_the_limit_is_sent_again_at_its_length() -> None:
    fake = MockMedia()
    api = wire_api(fake.backend)
    api.request("POST", IMAGE_PATH, content=b"{" * (1024 * 1024 + 1))
    api.request("POST", IMAGE_PATH, content=b"\xff\xfe")
    assert replay(fake.export_journal()).identical


def test_replay__an_incomplete_recording_says_so() -> None:
    fake = MockMedia(MockConfig(journal_cap=5))
    api = wire_api(fake.backend)
    for i in range(8):
        api.image({"prompt": f"p{i}"})
    report = replay(fake.export_journal())
    assert any("incomplete: 3 earlier requests" in w for w in report.warnings)


def test_freeze__the_next_run_meets_the_same_failures_at_the_same_places(bad_day_run: str) -> None:
    recording = Recording.parse(bad_day_run.splitlines())
    frozen = freeze(recording)
    assert len(frozen.rules) == sum(1 for e in recording.entries if e.injected)

    # Another seed: nothing left to chance draws the same faults, yet the frozen rules do.
    again = wire_api(MediaBackend(MockConfig(seed=99, scenario=frozen)))
    run_agent(again, jobs=JOBS)
    original = MediaBackend(MockConfig(seed=3, scenario=load_scenario("bad-day")))
    run_agent(wire_api(original), jobs=JOBS)

    assert _outcomes(again.backend) == _outcomes(original)


def test_freeze__writes_a_scenario_file_that_loads_back_equal(bad_day_run: str, tmp_path: Path) -> None:
    frozen = freeze(Recording.parse(bad_day_run.splitlines()), name="ci-failure-1234")
    path = tmp_path / "ci-failure-1234.toml"
    path.write_text(scenario_toml(frozen), encoding="utf-8")

    assert load_scenario(path) == frozen
    assert frozen.name == "ci-failure-1234"
    assert "seed 3, bad-day" in frozen.description


def test_cli__replay_prints_the_report_and_exits_by_whether_answers_differ(
    bad_day_run: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(bad_day_run, encoding="utf-8")

    assert main(["replay", str(path)]) == 0
    assert "No differences" in capsys.readouterr().out
    assert main(["replay", str(path), "--seed", "4"]) == 1
    assert "answers differ" in capsys.readouterr().out
    assert main(["replay", str(path), "--scenario", "none", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert (data["scenario"], data["identical"]) == (None, False)
    assert main(["replay", str(path), "--scenario", "429-storm", "--poll-interval", "0"]) == 1
    assert "(seed 3, 429-storm)" in capsys.readouterr().out


def test_cli__freeze_writes_a_scenario_serve_can_load(
    bad_day_run: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(bad_day_run, encoding="utf-8")
    out = tmp_path / "frozen.toml"

    assert main(["freeze", str(path), "-o", str(out), "--name", "frozen"]) == 0
    assert load_scenario(out).name == "frozen"
    assert main(["freeze", str(path)]) == 0
    assert tomllib.loads(capsys.readouterr().out)["name"] == "frozen-bad-day"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "empty"),
        ('{"type": "session", "format": "other"}\n', "line 1: the first line must be"),
        ("not json\n", "line 1"),
    ],
)
@pytest.mark.parametrize("command", ["replay", "freeze"])
def test_cli__a_bad_recording_is_one_line_and_exit_2(
    command: str, content: str, message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "run.jsonl"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        main([command, str(path)])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.startswith("mock-media: error: argument file:") and message in err
    assert err.count("\n") == 1


def test_cli__a_missing_recording_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(["replay", str(tmp_path / "nope.jsonl")])
    assert "cannot read it" in capsys.readouterr().err
