"""The request journal: every API request and its answer, in order, on the fake's clock.

It keeps what a replay needs (headers and bodies both ways, the clock, what a scenario or a
test injected) and the control events between requests (time skipped, accounts registered,
faults armed, scenarios loaded), so a session can be exported as JSON Lines and driven again.
"""

from __future__ import annotations

import base64
import json
from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from itertools import chain
from typing import Any

from .clock import iso8601

# The first line of an export names its format, so an old file is refused rather than misread.
EXPORT_FORMAT = "mock-media-journal/1"
Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request/response pair as an agent's test would want to inspect it."""

    seq: int
    time: float  # when it came, in epoch seconds on the account's clock (the fake's, if keyless)
    method: str
    path: str
    query: str
    account: str | None
    status: int
    operation: str | None = None  # the route's name, e.g. "generate_image"; None: no route
    error_code: str | None = None
    cost_usd: Decimal | None = None
    job_id: str | None = None
    ignored_fields: tuple[str, ...] = ()
    retry_after: int | None = None
    injected: tuple[str, ...] = ()  # the scenario rules (or injected faults) that acted on this request
    clock: float | None = None  # when it came on the fake's own clock (``time`` adds the account's offset)
    ordinal: int | None = None  # 1-based among this account's requests a scenario was asked about
    request_headers: Headers = ()
    request_body: bytes = b""
    request_size: int = 0  # the body's length as received; past the body limit, only this is kept
    response_headers: Headers = ()
    response_body: bytes = b""  # empty for a streamed file, whose length is in its headers
    action: Mapping[str, Any] | None = None  # what was injected, written as a scenario action

    def header(self, name: str) -> str | None:
        """A response header, by case-insensitive name."""
        wanted = name.lower()
        return next((v for k, v in self.response_headers if k.lower() == wanted), None)

    @property
    def size(self) -> int:
        """Bytes this entry keeps (the journal's memory budget counts them): headers and the
        query too, since a server may accept a request line or headers of many megabytes."""
        headers = sum(map(len, chain.from_iterable(self.request_headers))) + sum(
            map(len, chain.from_iterable(self.response_headers))
        )
        bodies = len(self.request_body) + len(self.response_body)
        return bodies + headers + len(self.path) + len(self.query) + 256

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (admin API, exports): money as a string, exact; bodies as text,
        or base64 under ``*_base64`` when they are not UTF-8."""
        data = {f.name: getattr(self, f.name) for f in fields(self)}
        data["at"] = iso8601(self.time)
        data["cost_usd"] = None if self.cost_usd is None else str(self.cost_usd)
        data["ignored_fields"] = list(self.ignored_fields)
        data["injected"] = list(self.injected)
        data["request_headers"] = dict(self.request_headers)
        data["response_headers"] = dict(self.response_headers)
        data["action"] = None if self.action is None else dict(self.action)
        for key in ("request_body", "response_body"):
            data.update(_encode_bytes(key, data.pop(key)))
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JournalEntry:
        """The inverse of ``to_dict`` (a recording, or the admin API's answer).

        Raises:
            ValueError: a field is missing or of the wrong type.
        """
        try:
            values = {
                f.name: data[f.name] for f in fields(cls) if f.name in data and not f.name.endswith("_body")
            }
            for key in ("request_body", "response_body"):
                values[key] = _decode_bytes(key, data)
            cost = values.get("cost_usd")
            values["cost_usd"] = None if cost is None else Decimal(str(cost))
            values["ignored_fields"] = tuple(values.get("ignored_fields", ()))
            values["injected"] = tuple(values.get("injected", ()))
            for key in ("request_headers", "response_headers"):
                values[key] = tuple((str(k), str(v)) for k, v in dict(values.get(key) or {}).items())
            return cls(**values)
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise ValueError(f"not a journal entry: {exc}") from None


@dataclass(frozen=True, slots=True)
class JournalEvent:
    """Something a test (or the admin API) did to the fake between requests."""

    after: int  # the ``seq`` of the last request before it (0: before any)
    clock: float  # the fake's clock when it happened
    action: str  # "advance", "register_account", "fault", "clear_faults", "scenario", "reset_account"
    args: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        data = asdict(self)
        data["args"] = dict(self.args)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JournalEvent:
        """The inverse of ``to_dict``."""
        try:
            return cls(int(data["after"]), float(data["clock"]), str(data["action"]), dict(data["args"]))
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a journal event: {exc}") from None


class Journal:
    """Bounded: keeps the newest ``cap`` entries (and at most ``max_bytes`` of bodies) and
    counts what it had to drop."""

    def __init__(self, cap: int, max_bytes: int | None = None) -> None:
        self._entries: deque[JournalEntry] = deque()
        self._sizes: deque[int] = deque()  # each entry's ``size``, computed once
        self._events: deque[JournalEvent] = deque(maxlen=cap)
        self.cap = cap
        self.max_bytes = max_bytes
        self._bytes = 0
        self.total = 0

    def record(self, **fields: Any) -> JournalEntry:
        """Append an entry; the sequence number counts every request ever recorded."""
        self.total += 1
        entry = JournalEntry(seq=self.total, **fields)
        size = entry.size
        self._entries.append(entry)
        self._sizes.append(size)
        self._bytes += size
        while len(self._entries) > self.cap or (
            self.max_bytes is not None and self._bytes > self.max_bytes and len(self._entries) > 1
        ):
            self._entries.popleft()
            self._bytes -= self._sizes.popleft()
        return entry

    def note(self, action: str, clock: float, **args: Any) -> None:
        """Record a control event after the newest request."""
        self._events.append(JournalEvent(self.total, clock, action, args))

    @property
    def dropped(self) -> int:
        """How many entries are no longer kept (pushed out by the cap, or forgotten)."""
        return self.total - len(self._entries)

    @property
    def events(self) -> list[JournalEvent]:
        """The control events still kept, oldest first."""
        return list(self._events)

    def __len__(self) -> int:
        return len(self._entries)

    def latest(self) -> JournalEntry | None:
        """The newest entry kept, if any."""
        return self._entries[-1] if self._entries else None

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._entries)

    def query(
        self,
        *,
        account: str | None = None,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        error_code: str | None = None,
        since_seq: int = 0,
    ) -> list[JournalEntry]:
        """Entries matching every given filter, oldest first."""
        return [
            e
            for e in self._entries
            if e.seq > since_seq
            and (account is None or e.account == account)
            and (method is None or e.method == method.upper())
            and (path is None or e.path == path)
            and (status is None or e.status == status)
            and (error_code is None or e.error_code == error_code)
        ]

    def forget(self, account: str) -> None:
        """Drop one account's entries (a scoped reset); sequence numbers keep counting."""
        kept = [(e, n) for e, n in zip(self._entries, self._sizes, strict=True) if e.account != account]
        self._entries = deque(e for e, _ in kept)
        self._sizes = deque(n for _, n in kept)
        self._bytes = sum(self._sizes)

    def clear(self) -> None:
        """Forget every entry and event (a reset)."""
        self._entries.clear()
        self._sizes.clear()
        self._events.clear()
        self._bytes = 0
        self.total = 0

    def export(self, header: Mapping[str, Any]) -> Iterator[str]:
        """JSON Lines: ``header`` first, then requests and events in the order they happened."""
        yield _line({"type": "session", "format": EXPORT_FORMAT, **header, "dropped": self.dropped})
        events = deque(self._events)
        for entry in list(self._entries):
            while events and events[0].after < entry.seq:
                yield _line({"type": "event", **events.popleft().to_dict()})
            yield _line({"type": "request", **entry.to_dict()})
        for event in events:
            yield _line({"type": "event", **event.to_dict()})


@dataclass(frozen=True, slots=True)
class Recording:
    """An exported session read back: its header, and requests and events in order."""

    header: Mapping[str, Any]
    items: tuple[JournalEntry | JournalEvent, ...]

    @property
    def entries(self) -> list[JournalEntry]:
        """The requests alone."""
        return [i for i in self.items if isinstance(i, JournalEntry)]

    @classmethod
    def parse(cls, lines: Iterable[str], source: str = "<recording>") -> Recording:
        """Read an export.

        Raises:
            ValueError: not an export of this format; the message names the line.
        """
        header: Mapping[str, Any] | None = None
        items: list[JournalEntry | JournalEvent] = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            where = f"{source}, line {number}"
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise ValueError("not a JSON object")
                kind = data.get("type")
                if header is None:
                    if kind != "session" or data.get("format") != EXPORT_FORMAT:
                        raise ValueError(f"the first line must be a {EXPORT_FORMAT} session header")
                    header = data
                elif kind == "request":
                    items.append(JournalEntry.from_dict(data))
                elif kind == "event":
                    items.append(JournalEvent.from_dict(data))
                else:
                    raise ValueError(f"unknown type {kind!r}")
            except ValueError as exc:
                raise ValueError(f"{where}: {exc}") from None
        if header is None:
            raise ValueError(f"{source}: empty; expected a {EXPORT_FORMAT} export")
        return cls(header, tuple(items))


def _line(data: Mapping[str, Any]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False, sort_keys=False) + "\n"


def _encode_bytes(key: str, data: bytes) -> dict[str, str]:
    try:
        return {key: data.decode()}
    except UnicodeDecodeError:
        return {f"{key}_base64": base64.b64encode(data).decode()}


def _decode_bytes(key: str, data: Mapping[str, Any]) -> bytes:
    if f"{key}_base64" in data:
        return base64.b64decode(data[f"{key}_base64"], validate=True)
    text = data.get(key) or ""
    if not isinstance(text, str):
        raise ValueError(f"{key} must be a string")
    return text.encode()
