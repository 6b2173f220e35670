"""Freeze a recorded run into a scenario: the faults it met, pinned to the same requests.

A chaos run that broke an agent was shaped by chance (a seeded probability, a window the
agent happened to hit). Freezing it turns each request that a rule or an injected fault acted
on into a rule matching that request's ordinal, so the next run meets the same failures at the
same places whatever the seed, and a flaky CI failure becomes a plain regression test.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from .journal import Recording
from .scenario import Scenario


def freeze(recording: Recording, *, name: str | None = None, description: str | None = None) -> Scenario:
    """A scenario that reproduces the recording's injected faults at the same ordinals.

    Each rule matches one request by its ordinal among its account's requests (the account is
    named only when the recording has several), so the scenario must be in force from the start
    of the run it is used in (``serve --scenario``, the marker, ``--mock-media-scenario``).
    """
    header = recording.header
    acted = [e for e in recording.entries if e.action and e.ordinal is not None]
    accounts = {e.account for e in recording.entries if e.ordinal is not None}
    rules: list[dict[str, Any]] = []
    for entry in acted:
        match: dict[str, Any] = {"requests": [entry.ordinal, entry.ordinal]}
        if len(accounts) > 1 and entry.account is not None:
            match["account"] = entry.account
        what = ", ".join(entry.injected) or "injected"
        rules.append(
            {
                "name": f"#{entry.seq} {entry.method} {entry.path} ({what})",
                "match": match,
                "action": dict(entry.action or {}),
            }
        )
    source = header.get("scenario") or "no scenario"
    data = {
        "name": name or f"frozen-{header.get('scenario') or 'run'}",
        "description": description
        or (
            f"A recorded run ({len(recording.entries)} requests, seed {header.get('seed')}, {source}) "
            f"frozen: the {len(rules)} faults it met, at the same requests."
        ),
        "rules": rules,
    }
    return Scenario.from_dict(data, "frozen recording")


def scenario_toml(scenario: Scenario) -> str:
    """The scenario as a TOML file a person can read and edit (the standard library only
    reads TOML, so this writes the small subset scenario files use)."""
    data = scenario.to_dict()
    lines = [f"{key} = {_value(data[key])}" for key in ("name", "description", "seed") if key in data]
    for rule in data["rules"]:
        lines += ["", "[[rules]]"]
        lines += [f"{key} = {_value(rule[key])}" for key in ("name", "match", "action") if key in rule]
    return "\n".join(lines) + "\n"


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"TOML scenario files hold finite numbers only, not {value}")
        return repr(value)
    if isinstance(value, str):
        # JSON's escapes are TOML's, but for the characters JSON leaves bare that TOML does not.
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to a scenario file")


def _key(key: str) -> str:
    return key if key.replace("_", "").isalnum() and key.isascii() else _value(key)
