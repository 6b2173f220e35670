"""The in-process baselines: the least a respx route or a requests adapter can do to answer
one request (the fixed 640-byte ``BODY``; the server's baseline is ``baseline_app``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import httpx
import requests
import respx
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from .baseline_app import BODY, JSON_HEADERS
from .common import API


# --- in-process baselines ------------------------------------------------------------------------
def bare_router() -> respx.MockRouter:
    """A respx router with one route answering every API request with ``BODY``."""
    router = respx.MockRouter(assert_all_called=False)
    router.route(host="api.moltbotden.com").mock(
        return_value=httpx.Response(200, headers=JSON_HEADERS, content=BODY)
    )
    return router


class BareAdapter(BaseAdapter):
    """The least a requests transport adapter can do: the same fixed response every time."""

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        """Answer ``BODY``, 200."""
        response = requests.Response()
        response.status_code = 200
        response.reason = "OK"
        response.headers = CaseInsensitiveDict(JSON_HEADERS)
        response._content = BODY
        response.encoding = "utf-8"
        response.url = request.url or ""
        response.request = request
        return response

    def close(self) -> None:
        """Nothing to release."""


def bare_session() -> requests.Session:
    """A Session with ``BareAdapter`` mounted for the API host."""
    session = requests.Session()
    session.mount(API + "/", BareAdapter())
    return session


@contextmanager
def bare_patch_requests() -> Iterator[None]:
    """Plain ``requests.post(...)`` to the API host answered by ``BareAdapter`` while the
    block runs: the same patch point (``Session.get_adapter``) ``MockMedia.patch_requests``
    uses, with nothing else."""
    adapter = BareAdapter()
    original = requests.Session.get_adapter

    def get_adapter(self: requests.Session, url: str) -> BaseAdapter:
        if url.lower().startswith(API + "/"):
            return adapter
        return original(self, url)

    requests.Session.get_adapter = get_adapter  # type: ignore[method-assign]
    try:
        yield
    finally:
        requests.Session.get_adapter = original  # type: ignore[method-assign]
