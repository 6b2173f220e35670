"""Determinism: the same agent (``agent.py``) run twice under ``bad-day`` with one seed gives
identical journals, byte for byte, and identical answers; another seed gives another day.

``bad-day`` carries its own ``seed = 11``, which decides what goes wrong whatever the fake's
seed; the fake's seed still decides ids. A copy without its own seed follows the fake's.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import pytest

from mock_media import MediaBackend, MockConfig
from mock_media.core.scenario import Scenario
from mock_media.scenario_files import load_scenario
from tests.doors import Api, wire_api

from .agent import run_agent


@dataclass(frozen=True)
class Day:
    """One agent run: the journal serialised, every answer's body, and what went wrong where."""

    journal: str  # the export, JSON Lines
    bodies: list[bytes]
    trouble: list[tuple[int, tuple[str, ...]]]  # (status, rules that acted) per request

    @property
    def job_ids(self) -> list[str | None]:
        return [entry["job_id"] for entry in self.entries]

    @property
    def entries(self) -> list[dict[str, Any]]:
        return [data for data in map(json.loads, self.journal.splitlines()) if data["type"] == "request"]

    def door_neutral(self) -> list[dict[str, Any]]:
        """The journal without the request headers, which each door's client adds its own of."""
        return [{k: v for k, v in e.items() if k != "request_headers"} for e in self.entries]


def _day(api: Api) -> Day:
    run = run_agent(api)
    entries = list(api.backend.journal)
    return Day(
        journal="".join(api.backend.journal.export(api.backend.session_header())),
        bodies=[reply.body for reply in run.replies],
        trouble=[(e.status, e.injected) for e in entries],
    )


def _wire_day(scenario: Scenario, seed: int = 0) -> Day:
    return _day(wire_api(MediaBackend(MockConfig(seed=seed, scenario=scenario))))


@pytest.fixture(scope="module")
def bad_day() -> Scenario:
    scenario = load_scenario("bad-day")
    assert scenario.seed == 11
    return scenario


@pytest.fixture(scope="module")
def reference(bad_day: Scenario) -> Day:
    """The agent's day under bad-day, fake seed 0, through the wire door."""
    return _wire_day(bad_day)


def test_bad_day__same_seed_twice_gives_identical_journals_byte_for_byte(
    bad_day: Scenario, reference: Day
) -> None:
    again = _wire_day(bad_day)

    assert again.journal == reference.journal
    assert again.bodies == reference.bodies
    # Not an empty day: the agent met trouble, and its journal says which rule caused it.
    assert {status for status, _ in reference.trouble} == {200, 429, 500, 503}


def test_bad_day__reset_replays_the_same_day(bad_day: Scenario, reference: Day) -> None:
    backend = MediaBackend(MockConfig(scenario=bad_day))
    api = wire_api(backend)
    run_agent(api)

    backend.reset()
    replay = _day(api)

    assert replay.journal == reference.journal
    assert replay.bodies == reference.bodies


def test_bad_day__every_door_journals_what_the_wire_door_does(
    api_for: Callable[[MediaBackend], Api], bad_day: Scenario, reference: Day
) -> None:
    through_door = _day(api_for(MediaBackend(MockConfig(scenario=bad_day))))

    assert through_door.door_neutral() == reference.door_neutral()
    assert through_door.bodies == reference.bodies


def test_bad_day__another_scenario_seed_is_another_day(bad_day: Scenario, reference: Day) -> None:
    other = _wire_day(replace(bad_day, seed=12))

    assert other.journal != reference.journal
    assert other.trouble != reference.trouble  # not just other ids: other trouble
    assert other.bodies != reference.bodies


def test_bad_day__its_own_seed_decides_the_trouble_whatever_the_fake_seed(
    bad_day: Scenario, reference: Day
) -> None:
    other_fake = _wire_day(bad_day, seed=1)

    assert other_fake.trouble == reference.trouble
    assert other_fake.journal != reference.journal  # the fake's seed still draws the ids
    assert other_fake.job_ids != reference.job_ids


def test_bad_day__without_its_own_seed_the_fake_seed_decides(bad_day: Scenario) -> None:
    unseeded = replace(bad_day, seed=None)

    first, same, other = _wire_day(unseeded, 0), _wire_day(unseeded, 0), _wire_day(unseeded, 1)

    assert same.journal == first.journal
    assert same.bodies == first.bodies
    assert other.journal != first.journal
    assert other.trouble != first.trouble
