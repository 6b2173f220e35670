"""The plugin's settings, resolved as marker > command line > ini > default.

Every setting has one name, used as the marker keyword, the ini key (``mock_media_<name>``)
and the command-line option (``--mock-media-<name>``). Values are checked once, here, so a
typo fails at collection with the setting named instead of deep inside a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from mock_media.core.accounts import parse_usd
from mock_media.core.clock import to_epoch
from mock_media.core.config import MockConfig
from mock_media.core.errors import ApiError
from mock_media.core.facts import API_HOST, PLANS
from mock_media.core.scenario import Scenario
from mock_media.fake import DEFAULT_API_KEY
from mock_media.scenario_files import load_scenario

# Where a layer of settings comes from; ``resolve`` names the ini key or option for these two.
INI = "ini file"
COMMAND_LINE = "command line"


class MockMediaUsageError(ValueError):
    """A mock_media setting (marker, ini or option) has a bad value."""


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _int(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = str(value).strip() if isinstance(value, str) else ""
    digits = text[1:] if text[:1] in "+-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise ValueError(f"expected an integer, got {value!r}")
    return int(text)


def _plan(value: Any) -> str:
    if not isinstance(value, str) or value.strip().lower() not in PLANS:
        raise ValueError(f"expected one of {', '.join(PLANS)}, got {value!r}")
    return value.strip().lower()


def _usd(value: Any) -> str:
    """An amount of USD: a number or a numeric string (``balance_usd=1``, ``"2.50"``)."""
    try:
        amount = parse_usd(value.strip() if isinstance(value, str) else value)
    except ApiError:
        raise ValueError(f"expected an amount of USD, zero or more, got {value!r}") from None
    return str(amount)


def _instant(value: Any) -> datetime | float | str:
    if not isinstance(value, datetime | int | float | str) or isinstance(value, bool):
        raise ValueError(f"expected an ISO-8601 instant or epoch seconds, got {value!r}")
    try:
        to_epoch(value)
    except (TypeError, ValueError, OverflowError):
        raise ValueError(
            f"expected an ISO-8601 instant such as 2025-03-14T12:00:00Z, got {value!r}"
        ) from None
    return value


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected a string, got {value!r}")
    return value


def _terms(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(t for t in value.replace(",", " ").split() if t)
    return tuple(_str(v) for v in value)


@dataclass(frozen=True)
class Setting:
    """One plugin setting: its parser and help text."""

    name: str
    parse: Callable[[Any], Any]
    help: str

    @property
    def ini(self) -> str:
        """The ini key."""
        return f"mock_media_{self.name}"

    @property
    def option(self) -> str:
        """The command-line option."""
        return "--mock-media-" + self.name.replace("_", "-")


def _scenario(value: Any) -> Scenario:
    if isinstance(value, Scenario):
        return value
    return load_scenario(_str(value))  # ScenarioError is a ValueError naming file, rule, field


SETTINGS: tuple[Setting, ...] = (
    Setting("seed", _int, "seed for ids and generated content (default 0)"),
    Setting("plan", _plan, "plan of accounts opened on first use: starter, pro, business, enterprise"),
    Setting("balance_usd", _usd, "USD balance of accounts opened on first use (default 100.00)"),
    Setting("api_key", _str, f"the key the fixture's helpers use (default {DEFAULT_API_KEY!r})"),
    Setting("start", _instant, "virtual clock start, ISO-8601 (default 2025-03-14T12:00:00Z)"),
    Setting("closed", _bool, "accept only registered keys (default false)"),
    Setting("strict", _bool, "reject unknown request fields (default false)"),
    Setting("blocked_terms", _terms, "words moderation refuses, space or comma separated"),
    Setting("pass_through", _bool, "let requests to other hosts reach the network (default false)"),
    Setting("url", _str, "base URL of a long-lived mock-media server for mock_media_server"),
    Setting("scenario", _scenario, "a scripted scenario for every test: a bundled name or a file"),
)
BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class MockMediaOptions:
    """The resolved settings of one test."""

    seed: int = 0
    plan: str | None = None
    balance_usd: str | None = None
    api_key: str = DEFAULT_API_KEY
    start: datetime | float | str | None = None
    closed: bool = False
    strict: bool = False
    blocked_terms: tuple[str, ...] = ()
    pass_through: bool = False
    url: str | None = None
    scenario: Scenario | None = None
    api_base: str = API_HOST

    def config(self, **overrides: Any) -> MockConfig:
        """The MockConfig these options describe."""
        values: dict[str, Any] = {
            "seed": self.seed,
            "closed": self.closed,
            "strict": self.strict,
            "blocked_terms": self.blocked_terms,
        }
        if self.plan is not None:
            values["default_plan"] = self.plan
        if self.balance_usd is not None:
            values["default_balance_usd"] = self.balance_usd
        if self.start is not None:
            values["start"] = self.start
        if self.scenario is not None:
            values["scenario"] = self.scenario
        values.update(overrides)
        return MockConfig(**values)


def _origin(where: str, setting: Setting) -> str:
    """Where a value came from, as the user wrote it: the ini key or the option."""
    if where == INI:
        return f"{INI} ({setting.ini})"
    if where == COMMAND_LINE:
        return f"{COMMAND_LINE} ({setting.option})"
    return where


def resolve(
    layers: Iterable[tuple[str, Mapping[str, Any]]],
) -> MockMediaOptions:
    """Merge layers, weakest first (each a ``(where, values)`` pair), into checked options.

    Raises:
        MockMediaUsageError: an unknown setting, or a value that does not parse or that the
            fake refuses; the message names the setting and where it came from.
    """
    merged: dict[str, Any] = {}
    source: dict[str, str] = {}
    for where, values in layers:
        for name, raw in values.items():
            if raw is None:
                continue
            setting = BY_NAME.get(name)
            if setting is None:
                known = ", ".join(BY_NAME)
                raise MockMediaUsageError(f"{where}: unknown mock_media setting {name!r} (known: {known})")
            try:
                merged[name] = setting.parse(raw)
            except (TypeError, ValueError) as exc:
                raise MockMediaUsageError(f"{_origin(where, setting)}: mock_media {name}: {exc}") from None
            source[name] = _origin(where, setting)
    options = MockMediaOptions(
        **{f.name: merged[f.name] for f in fields(MockMediaOptions) if f.name in merged}
    )
    try:
        options.config()
    except ValueError as exc:
        where = ", ".join(sorted(set(source.values()))) or "defaults"
        raise MockMediaUsageError(f"{where}: mock_media: {exc}") from None
    if not options.api_key.strip():
        raise MockMediaUsageError(
            f"{source.get('api_key', 'defaults')}: mock_media api_key must not be blank"
        )
    return options
