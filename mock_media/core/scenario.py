"""Scripted scenarios: ordered rules that match requests and change what the fake answers.

A scenario is data (decoded from TOML or JSON by :func:`Scenario.from_dict`); a
:class:`ScenarioRun` is its state in one fake (per-rule counters, its own seeded RNG). The
backend asks the run, for every API request with valid credentials, which effects apply; the
first matching rule of each kind wins. Nothing here reads real time or global randomness, so
the same seed, scenario and request sequence always give the same answers.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .accounts import parse_usd, plan_limits
from .assumptions import MODEL_UNAVAILABLE_MESSAGE
from .errors import ApiError, RateLimitExceeded, error_for
from .facts import ERROR_STATUS, MODEL, ErrorCode, Kind
from .validation import Moderation

# The API's routes; file downloads come from the CDN host and are not scripted.
ROUTES = ("generate_image", "generate_video", "get_job", "list_media", "delete_media")
# Bounds that keep every derived time (Retry-After, a video's due instant) representable.
MAX_SECONDS = 10 * 365 * 86400
MAX_VIDEO_TIME_FACTOR = 1000.0
TRANSPORT_FAULTS = ("reset", "timeout")
_MATCH_KEYS = ("route", "method", "account", "requests", "window", "probability", "prompt_words")
_ACTION_KEYS = (
    "error",
    "message",
    "retry_after",
    "latency",
    "video_time_factor",
    "video_fail",
    "plan",
    "balance_usd",
    "transport",
)


class ScenarioError(ValueError):
    """A scenario file or dict is malformed; the message names the file, rule and field."""


@dataclass(frozen=True, slots=True)
class Match:
    """Which requests a rule applies to; every condition given must hold."""

    routes: frozenset[str] | None = None
    methods: frozenset[str] | None = None
    accounts: frozenset[str] | None = None
    requests: tuple[int, int] | None = None  # 1-based ordinals among the requests matching the above
    window: tuple[float, float] | None = None  # seconds of fake-clock time since the fake started
    probability: float = 1.0
    prompt_words: Moderation | None = None  # the prompt holds one of these words


@dataclass(frozen=True, slots=True)
class Action:
    """What a rule does to a request it matches (several at once are allowed)."""

    error: ErrorCode | None = None
    message: str | None = None
    retry_after: int | None = None
    latency: float = 0.0
    video_time_factor: float | None = None
    video_fail: ErrorCode | None = None
    plan: str | None = None
    balance_usd: Decimal | None = None
    transport: str | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """A named match and its action."""

    name: str
    match: Match
    action: Action


@dataclass(frozen=True, slots=True)
class Scenario:
    """A named, ordered list of rules, with an optional seed of its own."""

    name: str
    description: str = ""
    seed: int | None = None
    rules: tuple[Rule, ...] = ()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
        """Decode and check a scenario.

        Raises:
            ScenarioError: anything malformed, naming ``source``, the rule and the field.
        """
        if not isinstance(data, Mapping):
            raise ScenarioError(f"{source}: a scenario must be a table")
        unknown = sorted(set(data) - {"name", "description", "seed", "rules"})
        if unknown:
            raise ScenarioError(f"{source}: unknown key {unknown[0]!r}")
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ScenarioError(f"{source}: name must be a non-empty string")
        description = data.get("description", "")
        if not isinstance(description, str):
            raise ScenarioError(f"{source}: description must be a string")
        seed = data.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ScenarioError(f"{source}: seed must be an integer")
        raw_rules = data.get("rules", [])
        if not isinstance(raw_rules, list):
            raise ScenarioError(f"{source}: rules must be an array of tables")
        rules = tuple(_rule(raw, f"{source}: rule {i + 1}") for i, raw in enumerate(raw_rules))
        return cls(name=name, description=description, seed=seed, rules=rules)

    def to_dict(self) -> dict[str, Any]:
        """The file's form: ``from_dict(to_dict())`` gives an equal scenario back."""
        data: dict[str, Any] = {"name": self.name}
        if self.description:
            data["description"] = self.description
        if self.seed is not None:
            data["seed"] = self.seed
        data["rules"] = [_rule_dict(rule) for rule in self.rules]
        return data


def _rule_dict(rule: Rule) -> dict[str, Any]:
    m, a = rule.match, rule.action
    match: dict[str, Any] = {}
    for key, values in (("route", m.routes), ("method", m.methods), ("account", m.accounts)):
        if values is not None:
            match[key] = sorted(values)
    if m.requests is not None:
        match["requests"] = list(m.requests)
    if m.window is not None:
        match["window"] = list(m.window)
    if m.probability < 1.0:
        match["probability"] = m.probability
    if m.prompt_words is not None:
        match["prompt_words"] = list(m.prompt_words.terms)
    action: dict[str, Any] = {
        key: str(value) if isinstance(value, ErrorCode | Decimal) else value
        for key in _ACTION_KEYS
        if (value := getattr(a, key)) is not None and not (key == "latency" and value == 0.0)
    }
    data: dict[str, Any] = {"name": rule.name} if rule.name else {}
    if match:
        data["match"] = match
    data["action"] = action
    return data


def _rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{where}: a rule must be a table")
    name = raw.get("name", "")
    if not isinstance(name, str):
        raise ScenarioError(f"{where}: name must be a string")
    where = f"{where} ({name})" if name else where
    unknown = sorted(set(raw) - {"name", "match", "action"})
    if unknown:
        raise ScenarioError(f"{where}: unknown key {unknown[0]!r}")
    match = _match(raw.get("match", {}), where)
    action = _action(raw.get("action"), where)
    return Rule(name=name, match=match, action=action)


def _strings(value: Any, where: str, key: str, allowed: tuple[str, ...] | None = None) -> frozenset[str]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items or not all(isinstance(i, str) for i in items):
        raise ScenarioError(f"{where}: match.{key} must be a string or a list of strings")
    if allowed is not None:
        for item in items:
            if item not in allowed:
                raise ScenarioError(f"{where}: match.{key} {item!r} is not one of {', '.join(allowed)}")
    return frozenset(items)


def _pair(value: Any, where: str, key: str, kind: type | tuple[type, ...]) -> tuple[Any, Any]:
    ok = (
        isinstance(value, list)
        and len(value) == 2
        and all(
            isinstance(v, kind)
            and isinstance(v, int | float)
            and not isinstance(v, bool)
            and math.isfinite(v)
            for v in value
        )
        and 0 <= value[0] <= value[1]
    )
    if not ok:
        raise ScenarioError(
            f"{where}: match.{key} must be [first, last], finite numbers with 0 <= first <= last"
        )
    return value[0], value[1]


def _match(raw: Any, where: str) -> Match:
    if not isinstance(raw, Mapping):
        raise ScenarioError(f"{where}: match must be a table")
    unknown = sorted(set(raw) - set(_MATCH_KEYS))
    if unknown:
        raise ScenarioError(f"{where}: unknown key match.{unknown[0]}")
    probability = raw.get("probability", 1.0)
    if isinstance(probability, bool) or not isinstance(probability, int | float) or not 0 <= probability <= 1:
        raise ScenarioError(f"{where}: match.probability must be a number from 0 to 1")
    requests = None
    if "requests" in raw:
        requests = _pair(raw["requests"], where, "requests", int)
        if requests[0] < 1:
            raise ScenarioError(f"{where}: match.requests counts from 1")
    window = None
    if "window" in raw:
        window = _pair(raw["window"], where, "window", (int, float))
        if window[1] > MAX_SECONDS:
            raise ScenarioError(f"{where}: match.window must end within {MAX_SECONDS} seconds")
    return Match(
        routes=_strings(raw["route"], where, "route", ROUTES) if "route" in raw else None,
        methods=(
            frozenset(m.upper() for m in _strings(raw["method"], where, "method"))
            if "method" in raw
            else None
        ),
        accounts=_strings(raw["account"], where, "account") if "account" in raw else None,
        requests=requests,
        window=(float(window[0]), float(window[1])) if window else None,
        probability=float(probability),
        prompt_words=(
            Moderation(_strings(raw["prompt_words"], where, "prompt_words"))
            if "prompt_words" in raw
            else None
        ),
    )


def _code(value: Any, where: str, key: str) -> ErrorCode:
    try:
        return ErrorCode(value)
    except ValueError:
        raise ScenarioError(
            f"{where}: action.{key} {value!r} is not an error code ({', '.join(ERROR_STATUS)})"
        ) from None


def _number(
    raw: Mapping[str, Any], key: str, where: str, *, minimum: float, maximum: float = MAX_SECONDS
) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or not minimum <= value <= maximum
    ):
        raise ScenarioError(f"{where}: action.{key} must be a finite number from {minimum} to {maximum}")
    return float(value)


def _action(raw: Any, where: str) -> Action:
    if not isinstance(raw, Mapping) or not raw:
        raise ScenarioError(f"{where}: action must be a table with at least one effect")
    unknown = sorted(set(raw) - set(_ACTION_KEYS))
    if unknown:
        raise ScenarioError(f"{where}: unknown key action.{unknown[0]}")
    error = _code(raw["error"], where, "error") if "error" in raw else None
    video_fail = _code(raw["video_fail"], where, "video_fail") if "video_fail" in raw else None
    message = raw.get("message")
    if message is not None and not isinstance(message, str):
        raise ScenarioError(f"{where}: action.message must be a string")
    retry_after = raw.get("retry_after")
    if retry_after is not None and (
        isinstance(retry_after, bool) or not isinstance(retry_after, int) or retry_after < 1
    ):
        raise ScenarioError(f"{where}: action.retry_after must be a whole number of seconds, at least 1")
    plan = raw.get("plan")
    if plan is not None:
        try:
            plan = plan_limits(plan)[0]
        except ApiError as exc:
            raise ScenarioError(f"{where}: action.{exc.message}") from None
    balance = None
    if "balance_usd" in raw:
        try:
            balance = parse_usd(raw["balance_usd"])
        except ApiError as exc:
            raise ScenarioError(f"{where}: action.{exc.message}") from None
    transport = raw.get("transport")
    if transport is not None and transport not in TRANSPORT_FAULTS:
        raise ScenarioError(f"{where}: action.transport must be one of {', '.join(TRANSPORT_FAULTS)}")
    factor = _number(raw, "video_time_factor", where, minimum=0.0, maximum=MAX_VIDEO_TIME_FACTOR)
    if factor == 0.0:
        raise ScenarioError(f"{where}: action.video_time_factor must be more than 0")
    return Action(
        error=error,
        message=message,
        retry_after=retry_after,
        latency=_number(raw, "latency", where, minimum=0.0) or 0.0,
        video_time_factor=factor,
        video_fail=video_fail,
        plan=plan,
        balance_usd=balance,
        transport=transport,
    )


@dataclass(slots=True)
class Effects:
    """What the matching rules do to one request."""

    error: ApiError | None = None
    latency: float = 0.0
    transport: str | None = None
    plan: str | None = None
    balance_usd: Decimal | None = None
    video_time_factor: float | None = None
    video_fail: tuple[str, str] | None = None
    rules: list[str] = field(default_factory=list)

    def action(self) -> dict[str, Any]:
        """What these effects did, written as one scenario action (a frozen run's rule)."""
        out: dict[str, Any] = {}
        if self.error is not None:
            out["error"] = str(self.error.code)
            out["message"] = self.error.message
            if self.error.retry_after is not None:
                out["retry_after"] = self.error.retry_after
        if self.latency:
            out["latency"] = self.latency
        if self.transport is not None:
            out["transport"] = self.transport
        if self.plan is not None:
            out["plan"] = self.plan
        if self.balance_usd is not None:
            out["balance_usd"] = str(self.balance_usd)
        if self.video_time_factor is not None:
            out["video_time_factor"] = self.video_time_factor
        if self.video_fail is not None:
            out["video_fail"], out["message"] = self.video_fail
        return out


class ScenarioRun:
    """A scenario's state in one fake: per-rule counters and its own seeded RNG.

    Args:
        scenario: the rules.
        seed: the fake's seed, used when the scenario has none of its own.
        started: the fake-clock instant that ``window`` times count from.
    """

    def __init__(self, scenario: Scenario, seed: int, started: float) -> None:
        self.scenario = scenario
        self.started = started
        self._rng = random.Random(scenario.seed if scenario.seed is not None else seed)
        self._seen = [0] * len(scenario.rules)
        self._set_balance: set[tuple[int, str]] = set()  # a balance is set once per account

    def effects(
        self, route: str, method: str, account: str, now: float, prompt: Callable[[], str | None]
    ) -> Effects:
        """The effects of every rule that matches this request, first rule first.

        ``prompt`` gives the request's prompt, read only if a rule asks about it.
        """
        out = Effects()
        elapsed = now - self.started
        for i, rule in enumerate(self.scenario.rules):
            m = rule.match
            if m.routes is not None and route not in m.routes:
                continue
            if m.methods is not None and method not in m.methods:
                continue
            if m.accounts is not None and account not in m.accounts:
                continue
            word = None
            if m.prompt_words is not None:
                text = prompt()
                word = None if text is None else m.prompt_words.blocked_term(text)
                if word is None:
                    continue
            self._seen[i] += 1
            ordinal = self._seen[i]
            if m.requests is not None and not m.requests[0] <= ordinal <= m.requests[1]:
                continue
            if m.window is not None and not m.window[0] <= elapsed < m.window[1]:
                continue
            if m.probability < 1.0 and self._rng.random() >= m.probability:
                continue
            acted = self._apply(rule, out, now, word, route)
            if rule.action.balance_usd is not None and (i, account) not in self._set_balance:
                self._set_balance.add((i, account))
                if out.balance_usd is None:
                    out.balance_usd = rule.action.balance_usd
                    acted = True
            if acted:  # the journal names a rule only when one of its effects was used
                out.rules.append(rule.name or f"rule {i + 1}")
        return out

    def _apply(self, rule: Rule, out: Effects, now: float, word: str | None, route: str) -> bool:
        """Apply what this rule adds (the first rule wins each effect); whether it added any."""
        action = rule.action
        acted = False
        if action.error is not None and out.error is None:
            out.error = _scripted_error(rule, now - self.started, word, route)
            acted = True
        if action.latency:
            out.latency += action.latency
            acted = True
        if action.transport is not None and out.transport is None:
            out.transport, acted = action.transport, True
        if action.plan is not None and out.plan is None:
            out.plan, acted = action.plan, True
        if (
            action.video_time_factor is not None
            and out.video_time_factor is None
            and route == "generate_video"
        ):
            out.video_time_factor, acted = action.video_time_factor, True
        if action.video_fail is not None and out.video_fail is None and route == "generate_video":
            message = action.message or _DEFAULT_MESSAGES[action.video_fail]
            out.video_fail, acted = (str(action.video_fail), message), True
        return acted


_MODEL_OF_ROUTE = {"generate_image": Kind.IMAGE, "generate_video": Kind.VIDEO}

_DEFAULT_MESSAGES: dict[ErrorCode, str] = {
    ErrorCode.INVALID_PROMPT: "prompt contains disallowed content",
    ErrorCode.INVALID_PARAMETER: "A parameter was rejected",
    ErrorCode.UNAUTHORIZED: "Invalid API key",
    ErrorCode.INSUFFICIENT_BALANCE: "Account balance too low for this request",
    ErrorCode.RATE_LIMIT_EXCEEDED: "Too many requests; back off and retry",
    ErrorCode.GENERATION_FAILED: "Internal error during generation; safe to retry",
    ErrorCode.MODEL_UNAVAILABLE: "Upstream model temporarily unavailable; retry",
    ErrorCode.NOT_FOUND: "Not found",
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed",
    ErrorCode.PAYLOAD_TOO_LARGE: "Request body too large",
}


def _scripted_error(rule: Rule, elapsed: float, word: str | None, route: str) -> ApiError:
    action = rule.action
    assert action.error is not None
    message = action.message or _DEFAULT_MESSAGES[action.error]
    if action.message is None and action.error is ErrorCode.MODEL_UNAVAILABLE and route in _MODEL_OF_ROUTE:
        message = MODEL_UNAVAILABLE_MESSAGE.format(model=MODEL[_MODEL_OF_ROUTE[route]])
    if word is not None and action.message is None and action.error is ErrorCode.INVALID_PROMPT:
        message = f"prompt contains disallowed content: '{word}'"
    if action.error is ErrorCode.RATE_LIMIT_EXCEEDED:
        retry_after = action.retry_after
        if retry_after is None and rule.match.window is not None:
            # Honest headers: until the storm's window closes, rounded up.
            retry_after = max(1, int(-(-(rule.match.window[1] - elapsed) // 1)))
        return RateLimitExceeded(message, retry_after=retry_after or 1)
    error = error_for(
        action.error, message, param="prompt" if action.error is ErrorCode.INVALID_PARAMETER else None
    )
    error.retry_after = action.retry_after
    return error
