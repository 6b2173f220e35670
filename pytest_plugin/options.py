"""The plugin's settings, resolved as marker > command line > ini > default.

Every setting has one name, used as the marker keyword, the ini key (``mock_media_<name>``)
and the command-line option (``--mock-media-<name>``). Values are checked once, here, so a
typo fails at collection with the setting named instead of deep inside a test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

from mock_media.core.config import MockConfig
from mock_media.core.facts import API_HOST
from mock_media.fake import DEFAULT_API_KEY


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
    if isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    if isinstance(value, int):
        return value
    return int(str(value).strip())


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


SETTINGS: tuple[Setting, ...] = (
    Setting("seed", _int, "seed for ids and generated content (default 0)"),
    Setting("plan", _str, "plan of accounts opened on first use: starter, pro, business, enterprise"),
    Setting("balance_usd", _str, "USD balance of accounts opened on first use (default 100.00)"),
    Setting("api_key", _str, f"the key the fixture's helpers use (default {DEFAULT_API_KEY!r})"),
    Setting("start", _str, "virtual clock start, ISO-8601 (default 2025-03-14T12:00:00Z)"),
    Setting("closed", _bool, "accept only registered keys (default false)"),
    Setting("strict", _bool, "reject unknown request fields (default false)"),
    Setting("blocked_terms", _terms, "words moderation refuses, space or comma separated"),
    Setting("pass_through", _bool, "let requests to other hosts reach the network (default false)"),
    Setting("url", _str, "base URL of a long-lived mock-media server for mock_media_server"),
)
BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class MockMediaOptions:
    """The resolved settings of one test."""

    seed: int = 0
    plan: str | None = None
    balance_usd: str | None = None
    api_key: str = DEFAULT_API_KEY
    start: str | None = None
    closed: bool = False
    strict: bool = False
    blocked_terms: tuple[str, ...] = ()
    pass_through: bool = False
    url: str | None = None
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
        values.update(overrides)
        return MockConfig(**values)


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
                raise MockMediaUsageError(f"{where}: mock_media {name}: {exc}") from None
            source[name] = where
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
