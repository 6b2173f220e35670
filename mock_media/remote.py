"""RemoteMockMedia: a test's handle on a live mock-media server, through its admin API.

It speaks only HTTP, so it works the same for the plugin's own server and for a long-lived
``mock-media serve`` shared by many test processes; every call is scoped to the handle's
``api_key``, so tests sharing a server never see each other's jobs, 429s, journal or time.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx

from .core.conduct import ConductPolicy, ConductReport, check, judge
from .core.facts import API_PREFIX
from .core.journal import JournalEntry
from .wire.control import ADMIN_TOKEN_ENV, ADMIN_TOKEN_HEADER

if TYPE_CHECKING:
    from .fake import MockMedia


class MockMediaAdminError(RuntimeError):
    """The server refused an admin call; the message is its error message."""


class RemoteMockMedia:
    """A live server, seen by one test.

    Args:
        url: the server's base URL, e.g. ``http://127.0.0.1:8000``.
        api_key: the key this test's requests (and admin calls) belong to.
        fake: the in-process fake behind the server, when it runs in this process.
        admin_token: the server's admin token, sent in ``X-Mock-Admin-Token`` on every admin
            call (default: ``$MOCK_MEDIA_ADMIN_TOKEN``, so a shared server started with a token,
            or beyond loopback, needs no code change; none: the server must be on loopback).
    """

    def __init__(
        self, url: str, *, api_key: str, fake: MockMedia | None = None, admin_token: str | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.fake = fake
        token = admin_token or os.environ.get(ADMIN_TOKEN_ENV) or None
        headers = {} if token is None else {ADMIN_TOKEN_HEADER: token}
        self._admin = httpx.Client(base_url=self.url, headers=headers, timeout=30)
        self._media_base: str | None = None

    def __repr__(self) -> str:
        return f"RemoteMockMedia({self.url!r}, api_key={self.api_key!r})"

    @property
    def api_base(self) -> str:
        """Where the API is: this server (paths are the doc's, ``/v1/hosting/media/...``)."""
        return self.url

    @property
    def media_base(self) -> str:
        """Scheme and host of output URLs (this server, unless it was told otherwise)."""
        if self._media_base is None:
            self._media_base = str(self._call("GET", "/health")["media_base"])
        return self._media_base

    @property
    def headers(self) -> dict[str, str]:
        """The headers that authenticate as this test's account."""
        return {"X-API-Key": self.api_key}

    def endpoint(self, name: str = "") -> str:
        """The full URL of an API route: ``endpoint("image")``, ``endpoint(job_id)``."""
        return f"{self.url}{API_PREFIX}" + (f"/{name}" if name else "")

    def close(self) -> None:
        """Release the admin connection."""
        self._admin.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self._admin.request(method, "/_mock" + path, **kwargs)
        if response.status_code != 200:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text
            raise MockMediaAdminError(f"{method} /_mock{path}: {response.status_code} {message}")
        return response.json()

    def reset(self) -> None:
        """Start this test's account afresh (nobody else's): default plan and balance, no
        jobs, media, journal or faults, its clock back in step with the server's."""
        self._call("POST", "/reset", json={"api_key": self.api_key})
        self._call("POST", "/accounts", json={"api_key": self.api_key})

    def advance(self, seconds: float) -> None:
        """Move this account's clock on."""
        self._call("POST", "/clock/advance", json={"seconds": seconds, "api_key": self.api_key})

    def finish_videos(self) -> list[str]:
        """Move this account's clock until its processing videos are done; their job ids."""
        answer = self._call("POST", "/clock/finish-videos", json={"api_key": self.api_key})
        return list(answer["job_ids"])

    def now(self) -> float:
        """This account's current instant on the server."""
        return float(self._call("GET", "/clock", params={"api_key": self.api_key})["epoch"])

    def register_account(
        self, plan: str | None = None, balance_usd: Decimal | float | str | None = None, **limits: int
    ) -> dict[str, Any]:
        """Set this account's plan, balance and (Enterprise) limits."""
        body: dict[str, Any] = {"api_key": self.api_key, "plan": plan, **limits}
        if balance_usd is not None:
            body["balance_usd"] = str(balance_usd)
        return dict(self._call("POST", "/accounts", json=body))

    def account(self) -> dict[str, Any]:
        """This account's plan, limits, balance and spend, as the admin API shows them."""
        return dict(self._call("GET", f"/accounts/{self.api_key}"))

    def balance(self) -> Decimal:
        """This account's balance, exact."""
        return Decimal(self.account()["balance_usd"])

    def journal(self, **filters: Any) -> list[dict[str, Any]]:
        """This account's journal entries (filters: method, path, status, error_code, since)."""
        params = {"account": self.api_key, **{k: v for k, v in filters.items() if v is not None}}
        return list(self._call("GET", "/journal", params=params)["entries"])

    def conduct(self, **policy: Any) -> ConductReport:
        """Judge this account's client from its journal (see ``MockMedia.conduct``)."""
        return judge(map(JournalEntry.from_dict, self.journal()), ConductPolicy(**policy))

    def assert_well_behaved(self, **policy: Any) -> ConductReport:
        """Fail with the conduct report unless this account's client behaved."""
        return check(map(JournalEntry.from_dict, self.journal()), ConductPolicy(**policy))

    def export_journal(self, path: str | Path | None = None) -> str:
        """The server's whole session as JSON Lines (``GET /_mock/journal/export``); a replay
        needs every account's requests, since they share the seeded ids."""
        response = self._admin.get("/_mock/journal/export")
        response.raise_for_status()
        if path is not None:
            Path(path).write_text(response.text, encoding="utf-8")
        return response.text

    def fail_next(self, kind: str | None = None, *, times: int = 1, code: str | None = None) -> None:
        """This account's next generation request(s) fail (500 unless ``code`` says 503)."""
        self._call(
            "POST", "/faults", json={"kind": kind, "times": times, "code": code, "account": self.api_key}
        )

    def model_down(self, kind: str | None = None, *, seconds: float) -> None:
        """503 ``model_unavailable`` for this account, for ``seconds`` of server time."""
        self._call("POST", "/faults", json={"kind": kind, "seconds": seconds, "account": self.api_key})

    def fail_next_video_jobs(self, *, times: int = 1) -> None:
        """This account's next video(s) end ``failed`` and refunded."""
        self._call("POST", "/faults", json={"stage": "job", "times": times, "account": self.api_key})
