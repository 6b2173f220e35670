"""Agent conduct: where the *client* misbehaved, read from the request journal.

The fake answers whatever it is sent; this module judges what was sent. It reads journal
entries (``backend.journal``, ``Recording.entries``, the admin API's answer decoded with
``JournalEntry.from_dict``) and reports four kinds of misconduct, each a :class:`Finding`:

``early_retry``
    the same operation sent again before a ``Retry-After`` (and a spent rate limit's
    ``X-RateLimit-Reset``) said it could be.
``resubmitted_refusal``
    a POST refused 400, 401, 402 or 413 sent again with the same body, which cannot succeed.
``polled_too_fast``
    a job looked at again sooner than ``ConductPolicy.poll_interval`` after the last look.
``never_gave_up``
    ``ConductPolicy.give_up_after`` retryable failures (429, 500, 503, a dropped connection)
    of one operation in a row without a success in between.

Everything is per account and on that account's clock (``JournalEntry.time``); keyless
requests and file downloads are not judged. docs/conduct.md says what each rule means exactly.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

from .assumptions import GIVE_UP_AFTER, POLL_INTERVAL_SECONDS
from .journal import JournalEntry

RULES = ("early_retry", "resubmitted_refusal", "polled_too_fast", "never_gave_up")
# Answers to a POST that the same body can never turn into a success (the doc's error table).
REFUSALS = frozenset({400, 401, 402, 413})
# Answers the doc calls worth retrying (429 "back off and retry", 500 "safe to retry", 503 "retry").
RETRYABLE = frozenset({429, 500, 503})
GENERATE = frozenset({"generate_image", "generate_video"})
# Float noise on the clock (a latency of 2.5 s added ten times) must not make a finding.
EPSILON = 1e-6
# How many findings of one rule ``str(report)`` lists before it says "... and N more".
LISTED_PER_RULE = 10


@dataclass(frozen=True, slots=True)
class ConductPolicy:
    """What the judge expects of a client; the defaults are in ``assumptions``."""

    poll_interval: float = POLL_INTERVAL_SECONDS  # 0 turns ``polled_too_fast`` off
    give_up_after: int = GIVE_UP_AFTER

    def __post_init__(self) -> None:
        interval = self.poll_interval
        if (
            isinstance(interval, bool)
            or not isinstance(interval, int | float)
            or not math.isfinite(interval)
            or interval < 0
        ):
            raise ValueError(f"poll_interval must be a finite number of seconds >= 0, not {interval!r}")
        limit = self.give_up_after
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"give_up_after must be an integer >= 1, not {limit!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"poll_interval": self.poll_interval, "give_up_after": self.give_up_after}


@dataclass(frozen=True, slots=True)
class Finding:
    """One request the client should not have sent (or not then)."""

    rule: str  # one of ``RULES``
    seq: int  # the offending request
    earlier: int | None  # the request it relates to: the 429, the refusal, the last look, the run's start
    account: str | None
    operation: str | None
    message: str  # one line: method, path, seconds, header values

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "rule": self.rule,
            "seq": self.seq,
            "earlier": self.earlier,
            "account": self.account,
            "operation": self.operation,
            "message": self.message,
        }


@dataclass(frozen=True, slots=True)
class ConductReport:
    """Every finding, in journal order, and how many requests were judged."""

    findings: tuple[Finding, ...]
    requests: int
    policy: ConductPolicy = field(default_factory=ConductPolicy)

    @property
    def ok(self) -> bool:
        """No findings."""
        return not self.findings

    def by_rule(self) -> dict[str, list[Finding]]:
        """Findings grouped by rule; every rule is a key, in ``RULES`` order."""
        grouped: dict[str, list[Finding]] = {rule: [] for rule in RULES}
        for finding in self.findings:
            grouped.setdefault(finding.rule, []).append(finding)
        return grouped

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for a CI artefact or the admin API)."""
        return {
            "ok": self.ok,
            "requests": self.requests,
            "policy": self.policy.to_dict(),
            "counts": {rule: len(found) for rule, found in self.by_rule().items()},
            "findings": [f.to_dict() for f in self.findings],
        }

    def __str__(self) -> str:
        if self.ok:
            return f"Agent conduct: no findings in {_count(self.requests, 'request')}"
        grouped = {rule: found for rule, found in self.by_rule().items() if found}
        counts = ", ".join(f"{rule}: {len(found)}" for rule, found in grouped.items())
        lines = [
            f"Agent conduct: {_count(len(self.findings), 'finding')} in "
            f"{_count(self.requests, 'request')} ({counts})"
        ]
        for rule, found in grouped.items():
            lines.extend(f"  {rule}: {f.message}" for f in found[:LISTED_PER_RULE])
            if len(found) > LISTED_PER_RULE:
                lines.append(f"  {rule}: ... and {len(found) - LISTED_PER_RULE} more")
        return "\n".join(lines)


class MisconductError(AssertionError):
    """The client misbehaved; ``report`` says where. An AssertionError, so pytest shows it as
    a failed assertion with the report as its message."""

    def __init__(self, report: ConductReport) -> None:
        super().__init__(str(report))
        self.report = report


def judge(entries: Iterable[JournalEntry], policy: ConductPolicy | None = None) -> ConductReport:
    """Judge the client behind ``entries`` (in the order they happened, as a journal gives them)."""
    policy = ConductPolicy() if policy is None else policy
    accounts: dict[str, _Account] = {}
    findings: list[Finding] = []
    judged = 0
    for entry in entries:
        if entry.account is None or entry.operation is None or entry.operation == "get_file":
            continue
        judged += 1
        state = accounts.setdefault(entry.account, _Account())
        findings.extend(state.judge(entry, policy))
    return ConductReport(tuple(findings), judged, policy)


def check(entries: Iterable[JournalEntry], policy: ConductPolicy | None = None) -> ConductReport:
    """``judge``, for a test: returns the report when the client behaved.

    Raises:
        MisconductError: any finding; its message is the report.
    """
    report = judge(entries, policy)
    if not report.ok:
        raise MisconductError(report)
    return report


# --- the judge's memory of one account ---------------------------------------------------------
@dataclass(slots=True)
class _Wait:
    """Until when an operation must not be sent, and the response that said so."""

    until: float
    source: JournalEntry
    said: str  # the headers, as the message quotes them


@dataclass(slots=True)
class _Run:
    """Retryable failures of one operation in a row."""

    first: int
    count: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    reported: bool = False


@dataclass(slots=True)
class _Look:
    """The last time the client looked at one job."""

    time: float
    seq: int
    created: bool  # the creating POST, not a GET


@dataclass(slots=True)
class _Account:
    """What the judge remembers of one account's requests so far."""

    waits: dict[str, _Wait] = field(default_factory=dict)  # by operation
    refused: dict[tuple[str, tuple[str, object]], JournalEntry] = field(default_factory=dict)
    looks: dict[str, _Look] = field(default_factory=dict)  # by job id
    runs: dict[str, _Run] = field(default_factory=dict)  # by operation

    def judge(self, entry: JournalEntry, policy: ConductPolicy) -> list[Finding]:
        """The findings ``entry`` makes, given what came before; then remember it."""
        found = (
            self._early_retry(entry),
            self._resubmitted(entry),
            self._polled(entry, policy.poll_interval),
            self._gave_up(entry, policy.give_up_after),
        )
        return [f for f in found if f is not None]

    # 1. early_retry
    def _early_retry(self, entry: JournalEntry) -> Finding | None:
        operation = str(entry.operation)
        wait = self.waits.get(operation)
        finding = None
        if wait is not None and entry.time < wait.until - EPSILON:
            source = wait.source
            finding = _finding(
                "early_retry",
                entry,
                source.seq,
                f"came {_secs(entry.time - source.time)} s after #{source.seq}'s {source.status} said "
                f"{wait.said} ({_secs(wait.until - entry.time)} s early)",
            )
        if not _dropped(entry):  # a response the client never got tells it nothing
            new = _wait_after(entry)
            if new is None:
                self.waits.pop(operation, None)
            else:
                self.waits[operation] = new
        return finding

    # 2. resubmitted_refusal
    def _resubmitted(self, entry: JournalEntry) -> Finding | None:
        if entry.method != "POST":
            return None
        key = (entry.path, _body_key(entry))
        refusal = self.refused.get(key)
        finding = None
        if refusal is not None:
            if _succeeded(entry):
                # Something besides the body changed (a top-up, a scripted error that ended):
                # the judge cannot see it, so it does not blame the client for finding out.
                del self.refused[key]
            else:
                finding = _finding(
                    "resubmitted_refusal",
                    entry,
                    refusal.seq,
                    f"sent the same body again after #{refusal.seq} was refused "
                    f"{refusal.status} {refusal.error_code or ''}".rstrip(),
                )
        if entry.status in REFUSALS and not _dropped(entry):
            self.refused[key] = entry
        return finding

    # 3. polled_too_fast
    def _polled(self, entry: JournalEntry, interval: float) -> Finding | None:
        if entry.operation in GENERATE and entry.job_id is not None:
            self.looks[entry.job_id] = _Look(entry.time, entry.seq, created=True)
            return None
        if entry.operation != "get_job":
            return None
        job_id = entry.job_id or entry.path.rstrip("/").rsplit("/", 1)[-1]
        last = self.looks.get(job_id)
        self.looks[job_id] = _Look(entry.time, entry.seq, created=False)
        if last is None or not interval:
            return None
        gap = entry.time - last.time
        if gap >= interval - EPSILON:
            return None
        what = "created it" if last.created else "looked at it"
        return _finding(
            "polled_too_fast",
            entry,
            last.seq,
            f"came {_secs(gap)} s after #{last.seq} {what} (poll interval {_secs(interval)} s)",
        )

    # 4. never_gave_up
    def _gave_up(self, entry: JournalEntry, limit: int) -> Finding | None:
        operation = str(entry.operation)
        if _succeeded(entry):
            self.runs.pop(operation, None)
            return None
        label = _failure(entry)
        if label is None:
            return None  # a refusal or a 404: neither a success nor a retryable failure
        run = self.runs.setdefault(operation, _Run(first=entry.seq))
        run.count += 1
        run.statuses[label] += 1
        if run.count < limit or run.reported:
            return None
        run.reported = True
        statuses = ", ".join(f"{label} x{n}" for label, n in run.statuses.items())
        return _finding(
            "never_gave_up",
            entry,
            run.first,
            f"was failure {run.count} in a row since #{run.first} ({statuses}) without a success; "
            f"give up after {limit}",
        )


# --- reading an entry ---------------------------------------------------------------------------
def _finding(rule: str, entry: JournalEntry, earlier: int | None, what: str) -> Finding:
    message = f"#{entry.seq} {entry.method} {entry.path} {what}"
    return Finding(rule, entry.seq, earlier, entry.account, entry.operation, message)


def _dropped(entry: JournalEntry) -> bool:
    """A scripted transport fault: the request was served, but the client got no answer."""
    return bool(entry.action and entry.action.get("transport"))


def _succeeded(entry: JournalEntry) -> bool:
    return 200 <= entry.status < 300 and not _dropped(entry)


def _failure(entry: JournalEntry) -> str | None:
    """How a retryable failure is named in a message, or None if ``entry`` is not one."""
    if _dropped(entry):
        return f"transport {entry.action['transport'] if entry.action else ''}".rstrip()
    return str(entry.status) if entry.status in RETRYABLE else None


def _wait_after(entry: JournalEntry) -> _Wait | None:
    """What the response tells the client to wait for, or None if it says nothing.

    ``X-RateLimit-Reset`` counts on a 429 that says nothing is left. It is whole epoch
    seconds, so the window may end up to a second before it: a retry in that last second
    is not early (a scripted 429 at a fractional instant says ``Retry-After: 20`` with a
    reset up to a second after ``now + 20``; honouring ``Retry-After`` must pass).
    """
    raw = entry.header("Retry-After")
    if raw is None:
        return None
    until = _retry_at(raw.strip(), entry.time)
    if until is None:
        return None
    said = f"Retry-After: {raw.strip()}"
    remaining = (entry.header("X-RateLimit-Remaining") or "").strip()
    reset = _number(entry.header("X-RateLimit-Reset"))
    if entry.status == 429 and remaining == "0" and reset is not None:
        said += f", X-RateLimit-Remaining: 0, X-RateLimit-Reset: {entry.header('X-RateLimit-Reset')}"
        until = max(until, reset - 1)
    return _Wait(until, entry, said)


def _retry_at(value: str, now: float) -> float | None:
    """The instant a ``Retry-After`` names: delta-seconds or an HTTP-date (RFC 9110)."""
    try:
        if value.isascii() and value.isdigit():
            return now + int(value)
        when = parsedate_to_datetime(value)
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None  # unreadable: the client cannot have been told anything


def _number(value: str | None) -> float | None:
    try:
        number = float(value or "")
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _body_key(entry: JournalEntry) -> tuple[str, object]:
    """What "the same body" means: the same JSON value (key order and spacing aside), else
    the same bytes; past the body limit only the length was kept, and a 413 depends on
    nothing else."""
    if entry.request_size > len(entry.request_body):
        return ("length", entry.request_size)
    try:
        value = json.loads(entry.request_body)
        return ("json", json.dumps(value, sort_keys=True, separators=(",", ":")))
    except (ValueError, RecursionError):
        return ("bytes", entry.request_body)


def _secs(seconds: float) -> str:
    """Seconds for a message: ``2.0``, ``0.5``, ``0.125``."""
    text = f"{seconds:.3f}".rstrip("0")
    return text + "0" if text.endswith(".") else text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"
