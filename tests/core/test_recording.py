"""The journal as a recording: exchanges kept both ways, control events, export and read-back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mock_media import MediaBackend, MockConfig
from mock_media.core.faults import FaultRule
from mock_media.core.journal import EXPORT_FORMAT, Journal, JournalEntry, JournalEvent, Recording
from mock_media.core.scenario import Scenario
from mock_media.scenario_files import bundled, load_scenario
from tests.doc_tables import IMAGE_PATH
from tests.doors import wire_api


def _export(backend: MediaBackend) -> list[dict[str, Any]]:
    return [json.loads(line) for line in backend.journal.export(backend.session_header())]


def test_export__a_header_then_requests_and_events_in_the_order_they_happened() -> None:
    backend = MediaBackend(MockConfig(seed=7))
    api = wire_api(backend)
    backend.register_account("k", "starter", "1.00")
    api.image(key="k")
    backend.advance(30)
    backend.faults.fail_next("image")
    api.image(key="k")
    backend.load_scenario(load_scenario("429-storm"))
    backend.reset_account("other")

    lines = _export(backend)
    assert lines[0]["type"] == "session"
    assert (lines[0]["format"], lines[0]["seed"], lines[0]["scenario"]) == (EXPORT_FORMAT, 7, "429-storm")
    assert lines[0]["dropped"] == 0
    kinds = [(ln["type"], ln["action"] if ln["type"] == "event" else ln["status"]) for ln in lines[1:]]
    assert kinds == [
        ("event", "register_account"),
        ("request", 200),
        ("event", "advance"),
        ("event", "fault"),
        ("request", 500),
        ("event", "scenario"),
        ("event", "reset_account"),
    ]
    assert lines[1]["args"] == {"api_key": "k", "plan": "starter", "balance_usd": "1.00"}
    assert lines[3]["args"] == {"seconds": 30, "api_key": None}
    assert lines[5]["injected"] == ["fault generation_failed"]
    assert lines[5]["action"] == {"error": "generation_failed", "message": lines[5]["action"]["message"]}


def test_export__reads_back_into_the_same_entries_and_events() -> None:
    backend = MediaBackend(MockConfig(scenario=load_scenario("bad-day")))
    api = wire_api(backend)
    for i in range(30):
        api.image({"prompt": f"p{i}"})
        api.request("POST", IMAGE_PATH, content=b"\xff\xfe not utf-8")
        backend.advance(3)
    recording = Recording.parse(backend.journal.export(backend.session_header()))
    assert recording.entries == list(backend.journal)
    assert [i for i in recording.items if isinstance(i, JournalEvent)] == backend.journal.events
    assert recording.header["scenario"] == "bad-day"


def test_export__a_body_past_the_limit_keeps_only_its_length() -> None:
    backend = MediaBackend()
    api = wire_api(backend)
    api.request("POST", IMAGE_PATH, content=b"x" * (1024 * 1024 + 1))
    (entry,) = backend.journal
    assert (entry.status, entry.request_body, entry.request_size) == (413, b"", 1024 * 1024 + 1)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ([], "empty"),
        (['{"type": "request"}'], "line 1: the first line must be"),
        ([json.dumps({"type": "session", "format": EXPORT_FORMAT}), "[1]"], "line 2: not a JSON object"),
        ([json.dumps({"type": "session", "format": EXPORT_FORMAT}), '{"type": "x"}'], "unknown type 'x'"),
        ([json.dumps({"type": "session", "format": EXPORT_FORMAT}), '{"type": "request"}'], "line 2: not a"),
        ([json.dumps({"type": "session", "format": EXPORT_FORMAT}), "{"], "line 2"),
    ],
)
def test_recording__a_malformed_export_is_refused_naming_the_line(lines: list[str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Recording.parse(lines, "run.jsonl")


def test_journal__keeps_bodies_within_its_byte_budget() -> None:
    journal = Journal(cap=100, max_bytes=10_000)
    for _ in range(20):
        journal.record(
            time=0.0, method="POST", path="/", query="", account="k", status=200, request_body=b"x" * 1000
        )
    assert 1 < len(journal) < 20
    assert journal.dropped == 20 - len(journal)
    assert [e.seq for e in journal][-1] == 20


def test_fault_rule__round_trips_through_its_dict() -> None:
    backend = MediaBackend()
    rule = backend.faults.model_down("video", seconds=30, account="k", code="generation_failed", message="m")
    assert FaultRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


@pytest.mark.parametrize("name", sorted(bundled()))
def test_scenario__every_bundled_one_round_trips_through_its_dict(name: str) -> None:
    scenario = load_scenario(name)
    assert Scenario.from_dict(json.loads(json.dumps(scenario.to_dict())), name) == scenario


def test_entry__round_trips_through_its_dict() -> None:
    entry = JournalEntry(
        seq=1,
        time=1.5,
        method="POST",
        path="/p",
        query="a=1",
        account="k",
        status=200,
        request_headers=(("x-api-key", "k"),),
        request_body=b"\x00\xff",
        response_headers=(("Content-Type", "application/json"),),
        response_body=b'{"ok":true}',
        action={"latency": 2.0},
    )
    assert JournalEntry.from_dict(json.loads(json.dumps(entry.to_dict()))) == entry
    assert entry.header("content-type") == "application/json"
