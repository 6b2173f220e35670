"""dispatch: one sync handler, WireRequest -> WireResponse, that every door calls.

It parses credentials and routes, asks the backend, renders the answer, adds the
rate-limit headers and writes the journal. It holds the backend's lock, so threaded doors
(respx under a threaded test, several live servers over one backend) see one request at a
time, as a real server's database would serialise them.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from email.utils import formatdate
from typing import Any

from ..core.accounts import Account
from ..core.assumptions import MAX_BODY_BYTES, MAX_HEADER_BYTES, MAX_HEADER_COUNT
from ..core.backend import MediaBackend
from ..core.content import FileSpec, Renderer, iter_file
from ..core.errors import (
    ApiError,
    InvalidParameter,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    RateLimitExceeded,
    Unauthorized,
)
from ..core.facts import CONTENT_TYPE, RATE_LIMIT_REMAINING, RATE_LIMIT_RESET, Kind
from ..core.ratelimit import RateState
from ..core.scenario import Effects
from ..core.store import Media
from . import render
from .control import admin_refusal, valid_admin_token
from .messages import WireRequest, WireResponse, json_response
from .openapi import OPENAPI_PATH, openapi_response
from .routes import ADMIN_PREFIX, Match, Operation, resolve

Handler = Callable[[WireRequest], WireResponse]


def credentials(request: WireRequest) -> tuple[str | None, str | None]:
    """(Bearer token, X-API-Key) as sent; blanks count as absent."""
    bearer = None
    authorization = request.headers.get("authorization", "")
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        bearer = token.strip()
    api_key = request.headers.get("x-api-key", "").strip() or None
    return bearer, api_key


class Dispatcher:
    """The public API (and, when given, the admin API) of one backend over wire messages.

    Args:
        backend: the state and behaviour to serve.
        admin: the control-plane handler for ``/_mock/...``; None turns the admin API off, so
            ``/_mock`` is an unknown route like any other.
        admin_token: when set, every admin request must carry it (``X-Mock-Admin-Token``);
            when not, only loopback and in-process callers reach the admin API.
    """

    def __init__(
        self, backend: MediaBackend, admin: Handler | None = None, admin_token: str | None = None
    ) -> None:
        if admin_token is not None:
            if admin is None:
                raise ValueError("an admin token needs the admin API on")
            valid_admin_token(admin_token)
        self.backend = backend
        self.admin = admin
        self._admin_token = admin_token

    def __call__(self, request: WireRequest) -> WireResponse:
        """Answer one request; a HEAD's answer keeps its ``Content-Length`` but not its body,
        as any HTTP server sends it (an in-process client would otherwise read a body a real
        one never gets: urllib3 refuses one)."""
        response = self._answer(request)
        if request.method == "HEAD":
            response.body = b""
        return response

    def _answer(self, request: WireRequest) -> WireResponse:
        oversized = _oversized_headers(request)
        if oversized is not None:  # refused as a front proxy would, before any route or key
            return render.error(oversized)
        if request.path == OPENAPI_PATH:  # static, like the CDN: no key, no journal, no rate limit
            return openapi_response(request.method, self.backend.config.media_base)
        if self.admin is not None and (
            request.path == ADMIN_PREFIX or request.path.startswith(ADMIN_PREFIX + "/")
        ):
            # Decided here, before the lock, so every door (socket, ASGI, in-process) shares it.
            refused = admin_refusal(request, self._admin_token)
            if refused is not None:
                return refused
            with self.backend.lock:
                return self.admin(request)
        with self.backend.lock, self.backend.one_instant():
            return self._api(request)

    def _api(self, request: WireRequest) -> WireResponse:
        backend = self.backend
        arrived = backend.now()  # the journal dates a request by when it came, before any latency
        match = resolve(request.method, request.path)
        if match is not None and match.operation is Operation.GET_FILE:
            return self._file(request, arrived)
        account: Account | None = None
        cost: Decimal | None = None
        job_id: str | None = None
        ignored: tuple[str, ...] = ()
        error: ApiError | None = None
        effects: Effects | None = None
        scripted_state: RateState | None = None
        injected: tuple[str, ...] = ()
        action: dict[str, Any] | None = None
        ordinal: int | None = None
        try:
            # Decision 14/15: 404 and 405 before anything; 413 before credentials; the
            # credentials are still read, because they decide the rate-limit headers.
            early = _early_error(request, match)
            account = backend.authenticate(*credentials(request), open_new=early is None)
            if early is not None:
                raise early
            if account is None:
                raise _unauthorized(request)
            assert match is not None and match.operation is not None
            effects = backend.begin_request(str(match.operation), request.method, account, request.body)
            ordinal = account.offered
            try:
                if effects is not None and effects.error is not None:
                    raise effects.error
                response, cost, job_id, ignored = self._operate(match, account, request)
            finally:
                if effects is not None:
                    # A scripted plan held for this request: its headers tell that plan's bucket.
                    scripted_state = backend.rate_state(account, _bucket(match))
                injected, action = backend.end_request(account)
        except ApiError as exc:
            response = render.error(exc)
            error = exc
        if account is not None:
            state = scripted_state or backend.rate_state(account, _bucket(match))
            response.headers.update(render.rate_headers(state))
        if effects is not None and account is not None:
            response.fault, response.delay = effects.transport, effects.latency
            if isinstance(error, RateLimitExceeded) and error is effects.error:
                # A scripted 429 keeps the headers honest: nothing left until it is over.
                response.headers[RATE_LIMIT_REMAINING] = "0"
                reset = math.ceil(backend.now(account)) + (error.retry_after or 1)
                response.headers[RATE_LIMIT_RESET] = str(reset)
        if request.method == "HEAD":  # journaled as sent: without its body
            response.body = b""
        backend.journal.record(
            **_exchange(request, response, arrived),
            time=arrived + (0.0 if account is None else account.offset),
            account=None if account is None else account.api_key,
            operation=None if match is None or match.operation is None else str(match.operation),
            error_code=None if error is None else str(error.code),
            cost_usd=cost,
            job_id=job_id,
            ignored_fields=ignored,
            retry_after=None if error is None else error.retry_after,
            injected=injected,
            ordinal=ordinal,
            action=action,
        )
        return response

    def _operate(
        self, match: Match, account: Account, request: WireRequest
    ) -> tuple[WireResponse, Decimal | None, str | None, tuple[str, ...]]:
        backend = self.backend
        base = backend.config.media_base
        operation = match.operation
        if operation is Operation.GENERATE_IMAGE or operation is Operation.GENERATE_VIDEO:
            kind = Kind.IMAGE if operation is Operation.GENERATE_IMAGE else Kind.VIDEO
            accepted = backend.generate(account, kind, request.body)
            job = accepted.job
            body = render.job(job, backend.job_media(job), base)
            return json_response(200, body), job.cost, job.job_id, accepted.ignored_fields
        assert match.param is not None or operation is Operation.LIST_MEDIA
        if operation is Operation.GET_JOB:
            job = backend.get_job(account, match.param or "")
            body = render.job(job, backend.job_media(job), base)
            return json_response(200, body), None, job.job_id, ()
        if operation is Operation.LIST_MEDIA:
            page = backend.list_media(account, request.query_params())
            return json_response(200, render.page(page, base)), None, None, ()
        media = backend.delete_media(account, match.param or "")
        body = {"status": "deleted", "media_id": media.media_id}
        return json_response(200, body), None, media.job_id, ()

    def _file(self, request: WireRequest, arrived: float) -> WireResponse:
        """The CDN side: ``/generated/...`` needs no key and carries no rate-limit headers.

        It answers as a CDN does: validators (a strong ``ETag``, ``Last-Modified``), 304 for a
        matching ``If-None-Match``, one byte range per request (206, or 416 past the end; a
        malformed or multi-range header gets the whole file), HEAD without a body. The bytes
        are rendered when the body is first read, outside the backend's lock.
        """
        owner = None
        try:
            media = self.backend.media_file(request.path)
        except ApiError as exc:
            response = render.error(exc)
            if request.method == "HEAD":  # its length is told, its body never sent
                response.body = b""
        else:
            owner = media.account  # a download is journaled as its owner's, though keyless
            response = self._file_response(request, media)
        self.backend.journal.record(
            **_exchange(request, response, arrived),
            time=arrived,
            account=owner,
            operation=str(Operation.GET_FILE),
            error_code="not_found" if response.status == 404 else None,
        )
        return response

    def _file_response(self, request: WireRequest, media: Media) -> WireResponse:
        """200, 206, 304 or 416 for a file that exists; its body is streamed, never built."""
        size = media.size_bytes
        validators = {"ETag": file_etag(media), "Last-Modified": formatdate(media.created_at, usegmt=True)}
        headers = {
            **validators,
            "Cache-Control": "public, max-age=31536000, immutable",
            "Accept-Ranges": "bytes",
        }
        if _etag_matches(request.headers.get("if-none-match"), validators["ETag"]):
            return WireResponse(304, headers)
        # Range is for GET only, and with If-Range only while the file is still the one named.
        if_range = request.headers.get("if-range", validators["ETag"])
        ranged = request.method == "GET" and if_range in validators.values()
        wanted = parse_range(request.headers.get("range"), size) if ranged else None
        if wanted is not None and not wanted:
            return WireResponse(416, headers | {"Content-Range": f"bytes */{size}", "Content-Length": "0"})
        span = wanted or range(size)
        headers = {"Content-Type": CONTENT_TYPE[media.format], "Content-Length": str(len(span)), **headers}
        if wanted is not None:
            headers["Content-Range"] = f"bytes {span.start}-{span.stop - 1}/{size}"
        response = WireResponse(200 if wanted is None else 206, headers)
        if request.method != "HEAD":
            response.chunks = FileStream(self.backend.renderer, self.backend.file_spec(media), span)
        return response


def _exchange(request: WireRequest, response: WireResponse, arrived: float) -> dict[str, Any]:
    """The journal fields a replay needs: the request as sent, the response as answered
    (a streamed file's bytes are not kept: its headers say how long it was)."""
    return {
        "method": request.method,
        "path": request.path,
        "query": request.query,
        "status": response.status,
        "clock": arrived,
        "request_headers": tuple(request.headers.items()),
        "request_body": request.body if len(request.body) <= MAX_BODY_BYTES else b"",
        "request_size": len(request.body),
        "response_headers": tuple(response.headers.items()),
        "response_body": response.body,
    }


def file_etag(media: Media) -> str:
    """A strong validator from what fixes the bytes (seed, size, format): stable across runs."""
    key = f"{media.format}:{media.size_bytes}:{media.content_seed}".encode()
    return '"' + hashlib.sha256(key).hexdigest()[:24] + '"'


def _etag_matches(header: str | None, etag: str) -> bool:
    """``If-None-Match``: a list of tags or ``*``, compared weakly (RFC 9110 13.1.2)."""
    if header is None:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in header.split(",")]
    return "*" in tags or etag in tags


_RANGE = re.compile(r"bytes=(\d*)-(\d*)", re.ASCII | re.IGNORECASE)


def parse_range(header: str | None, size: int) -> range | None:
    """One ``Range: bytes=a-b | a- | -n`` as the bytes it asks for; empty if it starts past the
    end (416); None for no header, a malformed one, or several ranges (the whole file, as many
    CDNs answer)."""
    found = None if header is None else _RANGE.fullmatch(header.strip())
    if found is None or found.group(1) == found.group(2) == "":
        return None
    first, last = found.groups()
    if first == "":  # the last n bytes
        return range(max(0, size - _position(last)), size)
    start = _position(first)
    if last != "" and _position(last) < start:
        return None  # "a-b" with b < a is invalid, so ignored
    if start >= size:
        return range(size, size)
    return range(start, size if last == "" else min(_position(last) + 1, size))


def _position(digits: str) -> int:
    """A byte position; past 18 digits it is past any file (and int() refuses 4,300 digits)."""
    digits = digits.lstrip("0") or "0"
    return int(digits) if len(digits) <= 18 else 10**18


class FileStream:
    """The bytes of one span of a file: its rendered prefix, then zeros, in chunks.

    Nothing is rendered until asked (a HEAD or a 304 renders nothing). A synchronous door just
    iterates it, rendering on first read; an async door calls ``prepare()`` off its event loop
    (the render is the only costly part: tens of milliseconds for a drawn picture) and then
    iterates on the loop, where every chunk is a slice of the prefix or a shared block of
    zeros. Iterating again yields the same bytes, rendered once.
    """

    __slots__ = ("_prefix", "renderer", "span", "spec")

    def __init__(self, renderer: Renderer, spec: FileSpec, span: range) -> None:
        self.renderer = renderer
        self.spec = spec
        self.span = span
        self._prefix: bytes | None = None

    def prepare(self) -> bytes:
        """The prefix, rendered now if not yet; iterating then only slices and counts."""
        prefix = self._prefix
        if prefix is None:
            prefix = self._prefix = self.renderer.prefix(self.spec)
        return prefix

    def __iter__(self) -> Iterator[bytes]:
        return iter_file(self.prepare(), self.spec.size_bytes, self.span.start, self.span.stop)


def _oversized_headers(request: WireRequest) -> InvalidParameter | None:
    headers = request.headers
    count = len(headers)
    size = sum(map(len, headers)) + sum(map(len, headers.values()))
    if count > MAX_HEADER_COUNT:
        return InvalidParameter(
            "headers", f"{count} request headers; at most {MAX_HEADER_COUNT} are accepted"
        )
    if size > MAX_HEADER_BYTES:
        return InvalidParameter(
            "headers", f"request headers of {size} bytes; at most {MAX_HEADER_BYTES} are accepted"
        )
    return None


def _bucket(match: Match | None) -> Kind:
    """Decision 15: ``POST /video`` tells the video bucket, every other route the image one."""
    return Kind.VIDEO if match is not None and match.operation is Operation.GENERATE_VIDEO else Kind.IMAGE


def _early_error(request: WireRequest, match: Match | None) -> ApiError | None:
    if match is None:
        return NotFound(f"No route for {request.method} {request.path}")
    if match.operation is None:
        return MethodNotAllowed(request.method, request.path, match.allowed)
    if len(request.body) > MAX_BODY_BYTES:
        return PayloadTooLarge(f"Request body is larger than {MAX_BODY_BYTES} bytes")
    return None


def _unauthorized(request: WireRequest) -> Unauthorized:
    bearer, api_key = credentials(request)
    if bearer is None and api_key is None:
        return Unauthorized("Missing API key: send it as X-API-Key or as Authorization: Bearer <token>")
    return Unauthorized("Invalid API key")
