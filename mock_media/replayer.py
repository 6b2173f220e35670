"""Replay: drive a recorded session again against a fresh fake and say where answers differ.

A recording (``MockMedia.export_journal``, ``GET /_mock/journal/export``) holds every request
as sent, every answer as given and every control event between them (time skipped, accounts
registered, faults armed, scenarios loaded). Replaying it with the same seed and scenario gives
the same answers, byte for byte; with another seed or scenario, the report shows, request by
request, what changed. The report also judges the recorded agent's conduct.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Literal

from .core.assumptions import JOURNAL_CAP
from .core.backend import MediaBackend
from .core.clock import ManualClock
from .core.conduct import ConductPolicy, ConductReport, judge
from .core.config import MockConfig
from .core.errors import ApiError
from .core.journal import JournalEntry, JournalEvent, Recording
from .core.scenario import Scenario
from .wire import WireRequest, WireResponse, build_handler

# Passed as ``scenario`` to keep the recording's own scenario (None means: none at all).
RECORDED: Final = "recorded"
Recorded = Literal["recorded"]
MAX_DETAILS = 8  # differences listed per request; the rest are counted
MAX_LISTED = 40  # requests listed in the text report (``--json`` has them all)


@dataclass(frozen=True, slots=True)
class Difference:
    """How one replayed request's answer differs from the recorded one."""

    seq: int  # the recorded request's sequence number
    method: str
    path: str
    details: tuple[str, ...]  # e.g. "status: 200 -> 500", "body.job_id: 'img_a' -> 'img_b'"

    def __str__(self) -> str:
        shown = list(self.details[:MAX_DETAILS])
        if len(self.details) > MAX_DETAILS:
            shown.append(f"... and {len(self.details) - MAX_DETAILS} more")
        return f"#{self.seq} {self.method} {self.path}: " + "; ".join(shown)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"seq": self.seq, "method": self.method, "path": self.path, "details": list(self.details)}


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What a replay found: the differences, anything that makes it less than exact, and the
    recorded agent's conduct."""

    source: str
    seed: int
    scenario: str | None
    replayed: int
    differences: tuple[Difference, ...]
    conduct: ConductReport
    warnings: tuple[str, ...] = field(default=())

    @property
    def identical(self) -> bool:
        """Every replayed answer matched its recording."""
        return not self.differences

    def __str__(self) -> str:
        scenario = self.scenario or "no scenario"
        lines = [f"Replayed {self.replayed} requests from {self.source} (seed {self.seed}, {scenario})."]
        lines += [f"warning: {w}" for w in self.warnings]
        if self.identical:
            lines.append("No differences: every answer matched the recording.")
        else:
            lines.append(f"{len(self.differences)} of {self.replayed} answers differ:")
            lines += [f"  {d}" for d in self.differences[:MAX_LISTED]]
            if len(self.differences) > MAX_LISTED:
                lines.append(f"  ... and {len(self.differences) - MAX_LISTED} more (--json lists them all)")
        lines.append(str(self.conduct))
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``mock-media replay --json``)."""
        return {
            "source": self.source,
            "seed": self.seed,
            "scenario": self.scenario,
            "replayed": self.replayed,
            "identical": self.identical,
            "differences": [d.to_dict() for d in self.differences],
            "warnings": list(self.warnings),
            "conduct": self.conduct.to_dict(),
        }


def read_recording(source: Recording | str | Path | Iterable[str]) -> tuple[Recording, str]:
    """A recording from a file path, JSON Lines text, lines, or as it is; and its name.

    Raises:
        ValueError: the file is unreadable or not an export (naming the line).
    """
    if isinstance(source, Recording):
        return source, "<recording>"
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source):
        path = Path(source)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: cannot read it: {exc}") from None
        return Recording.parse(text.splitlines(), str(path)), str(path)
    lines = source.splitlines() if isinstance(source, str) else source
    return Recording.parse(lines), "<recording>"


def replay(
    source: Recording | str | Path | Iterable[str],
    *,
    seed: int | None = None,
    scenario: Scenario | Recorded | None = RECORDED,
    policy: ConductPolicy | None = None,
) -> ReplayReport:
    """Drive a recorded session again against a fresh fake (on a virtual clock).

    Args:
        source: the recording (a path, JSON Lines text, or a parsed ``Recording``).
        seed: replay with another seed (default: the recording's).
        scenario: another scenario in force from the start instead of the recorded one(s), or
            None for none; by default the recording's own, loaded when it was.
        policy: how the conduct report judges the recorded agent.
    """
    recording, name = read_recording(source)
    header = recording.header
    config = _config(header, seed, len(recording.items))
    real = header.get("clock") == "real"
    backend = MediaBackend(config, clock=_FollowingClock(config.start) if real else None)
    handler = build_handler(backend, admin=False)
    warnings = _warnings(header)
    override = scenario != RECORDED
    if override:
        backend.load_scenario(scenario if isinstance(scenario, Scenario) else None)
    differences: list[Difference] = []
    replayed = 0
    for item in recording.items:
        _catch_up(backend, item.clock)
        if isinstance(item, JournalEvent):
            if not (override and item.action == "scenario"):
                problem = _apply(backend, item)
                if problem:
                    warnings.append(problem)
            continue
        replayed += 1
        response = handler(_request(item))
        details = compare(item, response, backend.journal.latest())
        if details:
            differences.append(Difference(item.seq, item.method, item.path, tuple(details)))
    in_force = backend.scenario
    return ReplayReport(
        source=name,
        seed=config.seed,
        scenario=None if in_force is None else in_force.name,
        replayed=replayed,
        differences=tuple(differences),
        conduct=judge(recording.entries, policy),
        warnings=tuple(warnings),
    )


def compare(recorded: JournalEntry, response: WireResponse, replayed: JournalEntry | None) -> list[str]:
    """What differs between a recorded answer and the replayed one (empty: nothing)."""
    details: list[str] = []
    if recorded.status != response.status:
        details.append(f"status: {recorded.status} -> {response.status}")
    before = {k.lower(): v for k, v in recorded.response_headers}
    after = {k.lower(): v for k, v in response.headers.items()}
    for key in sorted(before.keys() | after.keys()):
        if before.get(key) != after.get(key):
            details.append(f"header {key}: {before.get(key)!r} -> {after.get(key)!r}")
    if response.chunks is None:  # a streamed file's bytes were not kept; its headers were
        details += _body_differences(recorded.response_body, response.body)
    if replayed is not None:
        if replayed.injected != recorded.injected:
            details.append(f"injected: {list(recorded.injected)} -> {list(replayed.injected)}")
        transports = [(e.action or {}).get("transport") for e in (recorded, replayed)]
        if transports[0] != transports[1]:
            details.append(f"transport fault: {transports[0]} -> {transports[1]}")
    return details


def _body_differences(before: bytes, after: bytes) -> list[str]:
    if before == after:
        return []
    try:
        old, new = json.loads(before), json.loads(after)
    except ValueError:
        return [f"body: {len(before)} bytes -> {len(after)} bytes, not the same"]
    out: list[str] = []
    _diff("body", old, new, out)
    return out or ["body: the same JSON, written differently"]


def _diff(where: str, old: Any, new: Any, out: list[str]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            _diff(f"{where}.{key}", old.get(key, _MISSING), new.get(key, _MISSING), out)
    elif isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _diff(f"{where}[{i}]", a, b, out)
    elif old != new or type(old) is not type(new):
        out.append(f"{where}: {_show(old)} -> {_show(new)}")


class _Missing:
    def __repr__(self) -> str:
        return "(absent)"


_MISSING = _Missing()


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# The settings a session header records (``MediaBackend.session_header``); any it lacks keep
# MockConfig's own defaults, so no default is written twice.
_RECORDED_SETTINGS = (
    "closed",
    "default_plan",
    "default_balance_usd",
    "media_base",
    "strict",
    "blocked_terms",
)


def _config(header: Mapping[str, Any], seed: int | None, items: int) -> MockConfig:
    recorded = header.get("config") or {}
    try:
        settings = {name: recorded[name] for name in _RECORDED_SETTINGS if name in recorded}
        if "blocked_terms" in settings:
            settings["blocked_terms"] = tuple(settings["blocked_terms"])
        return MockConfig(
            seed=int(header["seed"]) if seed is None else seed,
            start=float(header["started_epoch"]),
            journal_cap=max(JOURNAL_CAP, items),
            **settings,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the recording's header cannot start a fake: {exc}") from None


def _warnings(header: Mapping[str, Any]) -> list[str]:
    warnings = []
    if header.get("dropped"):
        warnings.append(
            f"the recording is incomplete: {header['dropped']} earlier requests were no longer in the "
            "journal (its cap, or a scoped reset); answers may differ from the first one kept"
        )
    if header.get("clock") == "real":
        warnings.append("recorded on a real clock: replayed on a virtual one at the recorded instants")
    return warnings


class _FollowingClock:
    """Replays a real-clock recording: time moves to each request's recorded arrival and is
    skipped ahead by the recorded control events; a scripted latency, which a real clock left
    to the door to wait, does not move it (so answers are dated as they were)."""

    def __init__(self, start: Any) -> None:
        self._clock = ManualClock(start)
        self.now, self.advance, self.set = self._clock.now, self._clock.advance, self._clock.set


def _catch_up(backend: MediaBackend, instant: float | None) -> None:
    """Time that passed by itself between two recorded moments (a real clock): follow it."""
    clock = backend.clock
    if instant is not None and isinstance(clock, ManualClock | _FollowingClock) and instant > clock.now():
        clock.set(instant)
        backend.settle()


def _apply(backend: MediaBackend, event: JournalEvent) -> str | None:
    """Make a recorded control event again; a description of the problem if it cannot be."""
    args = dict(event.args)
    try:
        if event.action == "advance":
            backend.advance(float(args["seconds"]), api_key=args.get("api_key"))
        elif event.action == "register_account":
            backend.register_account(
                args.pop("api_key"), args.pop("plan", None), args.pop("balance_usd", None), **args
            )
        elif event.action == "fault":
            backend.faults.restore(args)
        elif event.action == "clear_faults":
            backend.faults.clear()
        elif event.action == "scenario":
            raw = args.get("scenario")
            backend.load_scenario(None if raw is None else Scenario.from_dict(raw, "recorded scenario"))
        elif event.action == "reset_account":
            backend.reset_account(str(args["api_key"]))
        else:
            return f"unknown event {event.action!r} after request #{event.after} skipped"
    except (ApiError, KeyError, TypeError, ValueError) as exc:
        return f"event {event.action!r} after request #{event.after} could not be made again: {exc}"
    return None


def _request(entry: JournalEntry) -> WireRequest:
    body = entry.request_body
    if len(body) != entry.request_size:  # past the body limit only the length was kept
        body = b"\0" * entry.request_size
    return WireRequest(entry.method, entry.path, entry.query, dict(entry.request_headers), body)
