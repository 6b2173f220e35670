"""Framework-free HTTP messages: what every door turns its own request and response into."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl


@dataclass(frozen=True, slots=True)
class WireRequest:
    """An HTTP request as the core sees it.

    Args:
        method: upper-case HTTP method.
        path: the URL path, without the query.
        query: the raw query string (no ``?``).
        headers: header names in lower case.
        body: the raw body (a door may stop reading past the 1 MiB limit plus one byte).
        client: the peer's IP address as the door saw it; None for an in-process door. The
            admin API trusts it (``/_mock`` answers loopback and in-process callers only,
            unless the server has an admin token), so only a door may set it.
    """

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    client: str | None = None

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes = b"",
        client: str | None = None,
    ) -> WireRequest:
        """Normalise method and header case, as every door must."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return cls(method.upper(), path, query, {k.lower(): v for k, v in pairs}, body, client)

    def query_params(self) -> dict[str, str]:
        """The query as a dict; a repeated key keeps its first value."""
        params: dict[str, str] = {}
        for key, value in parse_qsl(self.query, keep_blank_values=True):
            params.setdefault(key, value)
        return params


@dataclass(slots=True)
class WireResponse:
    """An HTTP response; ``chunks`` (when set) streams a large body instead of ``body``."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    chunks: Iterable[bytes] | None = None
    # A scripted transport fault ("reset" or "timeout") the door must produce instead of
    # (or, for a timeout, after waiting) sending this response, and real seconds to wait first.
    fault: str | None = None
    delay: float = 0.0

    def json(self) -> Any:
        """The body parsed as JSON (tests and in-process doors)."""
        return json.loads(self.body)

    def read(self) -> bytes:
        """The whole body, streaming or not."""
        return self.body if self.chunks is None else b"".join(self.chunks)


def encode_json(data: Any) -> bytes:
    """Compact JSON, as the real (FastAPI) service sends.

    Money is a ``Decimal`` at the top level of a body; it is written last, as a JSON number
    with its cents, exactly as the doc prints it (``"cost_usd": 4.00``, not ``4.0``).
    """
    if isinstance(data, dict):
        money = [k for k, v in data.items() if type(v) is Decimal]
        if money:
            rest = {k: v for k, v in data.items() if type(v) is not Decimal}
            head = _ENCODE(rest)[:-1] + ("," if rest else "")
            return (head + ",".join(f"{_ENCODE(k)}:{data[k]:.2f}" for k in money) + "}").encode()
    return _ENCODE(data).encode()


# One encoder for every body: ``json.dumps`` with options builds a new one per call.
_ENCODE = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def json_response(status: int, data: Any, headers: Mapping[str, str] | None = None) -> WireResponse:
    """A JSON response with its length."""
    body = encode_json(data)
    out = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    if headers:
        out.update(headers)
    return WireResponse(status, out, body)
