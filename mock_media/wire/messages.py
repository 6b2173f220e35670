"""Framework-free HTTP messages: what every door turns its own request and response into."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
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
    """

    method: str
    path: str
    query: str = ""
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""

    @classmethod
    def build(
        cls,
        method: str,
        path: str,
        *,
        query: str = "",
        headers: Mapping[str, str] | Iterable[tuple[str, str]] = (),
        body: bytes = b"",
    ) -> WireRequest:
        """Normalise method and header case, as every door must."""
        pairs = headers.items() if isinstance(headers, Mapping) else headers
        return cls(method.upper(), path, query, {k.lower(): v for k, v in pairs}, body)

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

    def json(self) -> Any:
        """The body parsed as JSON (tests and in-process doors)."""
        return json.loads(self.body)

    def read(self) -> bytes:
        """The whole body, streaming or not."""
        return self.body if self.chunks is None else b"".join(self.chunks)


def json_response(status: int, data: Any, headers: Mapping[str, str] | None = None) -> WireResponse:
    """A compact JSON response, as the real (FastAPI) service sends."""
    body = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    out = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    if headers:
        out.update(headers)
    return WireResponse(status, out, body)
