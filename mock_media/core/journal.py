"""The request journal: every API request and its answer, in order, on the fake's clock."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from .clock import iso8601


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One request/response pair as an agent's test would want to inspect it."""

    seq: int
    time: float  # epoch seconds on the fake's clock
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
    injected: tuple[str, ...] = ()  # the scenario rules that acted on this request

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (admin API, exports): money as a string, exact."""
        data = asdict(self)
        data["at"] = iso8601(self.time)
        data["cost_usd"] = None if self.cost_usd is None else str(self.cost_usd)
        data["ignored_fields"] = list(self.ignored_fields)
        data["injected"] = list(self.injected)
        return data


class Journal:
    """Bounded: keeps the newest ``cap`` entries and counts what it had to drop."""

    def __init__(self, cap: int) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=cap)
        self.total = 0

    def record(self, **fields: Any) -> JournalEntry:
        """Append an entry; the sequence number counts every request ever recorded."""
        self.total += 1
        entry = JournalEntry(seq=self.total, **fields)
        self._entries.append(entry)
        return entry

    @property
    def dropped(self) -> int:
        """How many entries are no longer kept (pushed out by the cap, or forgotten)."""
        return self.total - len(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

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
        kept = [e for e in self._entries if e.account != account]
        self._entries = deque(kept, maxlen=self._entries.maxlen)

    def clear(self) -> None:
        """Forget every entry (a reset)."""
        self._entries.clear()
        self.total = 0
