"""The admin API under ``/_mock`` (moto-api style): health, reset, clock, accounts, journal,
faults. Tests and CI clients drive the standalone server through it; Python callers use the
backend directly. It answers with the same error envelope as the public API.

It can reset, re-seed and re-script the whole fake, so it is no open door: :func:`admin_refusal`
lets in only loopback and in-process callers, or, when the server has an admin token, only
callers that send it (from any address).
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from ..core.accounts import Account
from ..core.assumptions import CUSTOM_LIMIT_FIELDS, MAX_ADVANCE_SECONDS
from ..core.backend import MediaBackend
from ..core.clock import SystemClock, iso8601
from ..core.errors import ApiError, InvalidParameter, MethodNotAllowed, NotFound
from ..core.facts import ErrorCode, Kind
from ..core.scenario import Scenario, ScenarioError
from ..core.validation import parse_json_object, parse_query_int
from . import render
from .messages import WireRequest, WireResponse, json_response
from .routes import ADMIN_PREFIX

INJECTABLE_CODES = (ErrorCode.GENERATION_FAILED, ErrorCode.MODEL_UNAVAILABLE)
Action = Callable[[WireRequest, dict[str, str]], Any]
# Not Authorization: that header is the API's own (Bearer <api key>).
ADMIN_TOKEN_HEADER = "X-Mock-Admin-Token"
# Where `mock-media serve` and RemoteMockMedia look for the token when none is given (the wire
# layer itself reads no environment).
ADMIN_TOKEN_ENV = "MOCK_MEDIA_ADMIN_TOKEN"
# The refusal's status and code. The doc's table has no 403, but /_mock is no part of the API:
# a clear "forbidden" tells a CI job what is missing, where a 404 would hide nothing (the
# server says what it is at /openapi.json) and send it looking for a typo.
FORBIDDEN_STATUS = 403
FORBIDDEN_CODE = "forbidden"


def is_loopback(address: str | None) -> bool:
    """Whether ``address`` is this machine's loopback: 127.0.0.0/8, ``::1``, or an IPv4
    loopback client of a dual-stack socket (``::ffff:127.x.x.x``). A name is not an address."""
    if address is None:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    mapped = ip.ipv4_mapped if isinstance(ip, ipaddress.IPv6Address) else None
    return ip.is_loopback or (mapped is not None and mapped.is_loopback)


def valid_admin_token(token: str) -> str:
    """``token``, if a client can send it as a header value: visible ASCII, no spaces.

    Raises:
        ValueError: it is empty or has other characters (it could never match).
    """
    if not token or not all("!" <= char <= "~" for char in token):
        raise ValueError("an admin token must be visible ASCII characters, no spaces, and not empty")
    return token


def admin_refusal(request: WireRequest, token: str | None) -> WireResponse | None:
    """None when ``request`` may use the admin API, else the 403 that refuses it.

    With a ``token``, every caller must send it in ``X-Mock-Admin-Token`` (compared in constant
    time), loopback included: a token means the server is reachable from elsewhere. Without one,
    only in-process callers (``client`` None) and loopback peers get in.
    """
    if token is not None:
        given = request.headers.get(ADMIN_TOKEN_HEADER.lower(), "").strip()
        if not given:
            return _forbidden(f"The admin API needs this server's admin token in {ADMIN_TOKEN_HEADER}")
        if not hmac.compare_digest(given.encode(), token.encode()):
            return _forbidden(f"{ADMIN_TOKEN_HEADER} is not this server's admin token")
        return None
    if request.client is None or is_loopback(request.client):
        return None
    return _forbidden(
        f"The admin API answers only loopback clients, and {request.client} is not one "
        "(a server started with an admin token answers callers that send it, from anywhere)"
    )


def _forbidden(message: str) -> WireResponse:
    """Decision 3's envelope, with the admin API's own code."""
    error = {"code": FORBIDDEN_CODE, "message": message, "status": FORBIDDEN_STATUS}
    return json_response(FORBIDDEN_STATUS, {"error": error, "detail": message})


class Control:
    """The ``/_mock`` handler for one backend."""

    def __init__(
        self, backend: MediaBackend, scenario_loader: Callable[[str], Scenario] | None = None
    ) -> None:
        self.backend = backend
        self.scenario_loader = scenario_loader
        self._routes: list[tuple[re.Pattern[str], dict[str, Action]]] = [
            (re.compile("/health"), {"GET": self.health}),
            (re.compile("/reset"), {"POST": self.reset}),
            (re.compile("/clock"), {"GET": self.clock}),
            (re.compile("/clock/advance"), {"POST": self.advance}),
            (re.compile("/clock/finish-videos"), {"POST": self.finish_videos}),
            (re.compile("/accounts"), {"GET": self.accounts, "POST": self.register}),
            (re.compile("/accounts/(?P<key>[^/]+)"), {"GET": self.account}),
            (re.compile("/journal"), {"GET": self.journal}),
            (re.compile("/journal/export"), {"GET": self.export}),
            (re.compile("/scenario"), {"GET": self.scenario, "POST": self.set_scenario}),
            (
                re.compile("/faults"),
                {"GET": self.faults, "POST": self.add_fault, "DELETE": self.clear_faults},
            ),
        ]

    def __call__(self, request: WireRequest) -> WireResponse:
        """Answer one admin request."""
        sub = request.path[len(ADMIN_PREFIX) :]
        try:
            for pattern, methods in self._routes:
                found = pattern.fullmatch(sub)
                if found:
                    action = methods.get(request.method)
                    if action is None:
                        raise MethodNotAllowed(request.method, request.path, tuple(methods))
                    answer = action(request, found.groupdict())
                    return answer if isinstance(answer, WireResponse) else json_response(200, answer)
            raise NotFound(f"No admin route {request.path}")
        except ApiError as exc:
            return render.error(exc)

    # --- actions ----------------------------------------------------------------------------
    def health(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """Liveness, and the settings a CI log wants to show."""
        config = self.backend.config
        return {
            "status": "ok",
            "seed": config.seed,
            "media_base": config.media_base,
            "clock": self._clock_view(),
        }

    def reset(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """A fresh start with the same seed, or with ``{"seed": N}``; with ``{"api_key": K}``
        only that account starts afresh (its jobs, media, journal, limits and clock)."""
        data = _optional_body(request)
        seed = _get(data, "seed", int)
        api_key = _get(data, "api_key", str)
        if api_key is not None:
            if seed is not None:
                raise InvalidParameter("seed", "seed resets the whole fake; it cannot go with api_key")
            self.backend.reset_account(api_key)
            return {"status": "reset", "api_key": api_key}
        self.backend.reset(seed=seed)
        return {"status": "reset", "seed": self.backend.config.seed}

    def clock(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """The fake's time (``?api_key=K``: that account's time)."""
        return self._clock_view(request.query_params().get("api_key"))

    def advance(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """``{"seconds": N}``: skip time forward (on a real clock too, as an offset); with
        ``"api_key"``, only that account's time."""
        data = parse_json_object(request.body)
        seconds = _get(data, "seconds", float, required=True)
        api_key = _get(data, "api_key", str)
        self.backend.advance(seconds, api_key=self._known(api_key))
        return self._clock_view(api_key)

    def finish_videos(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """Skip just far enough for every processing video (``{"api_key": K}``: of one
        account) to finish; answers the jobs' ids and the new time."""
        api_key = _get(_optional_body(request), "api_key", str)
        jobs = self.backend.finish_videos(api_key=self._known(api_key))
        return {"job_ids": [job.job_id for job in jobs], "clock": self._clock_view(api_key)}

    def _known(self, api_key: str | None) -> str | None:
        if api_key is not None and api_key not in self.backend.accounts:
            # Moving the time of an account that was never used: open it first, so its
            # time is its own from the start (closed mode: it must be registered).
            if self.backend.authenticate(None, api_key) is None:
                raise NotFound(f"No account with api_key '{api_key}'")
        return api_key

    def accounts(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """Every account, in the order they were opened."""
        views = [_account_view(a) for a in self.backend.accounts.values()]
        return {"accounts": views, "count": len(views)}

    def register(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """``{"api_key", "plan", "balance_usd"}`` plus Enterprise's custom limits.

        Opens the account, or updates an existing one; an update keeps the plan, balance and
        (while it stays Enterprise) custom limits the body leaves out.
        """
        data = parse_json_object(request.body)
        custom = {name: data.get(name) for name in CUSTOM_LIMIT_FIELDS}
        account = self.backend.register_account(
            _get(data, "api_key", str, required=True),
            _get(data, "plan", str),
            data.get("balance_usd"),
            **custom,
        )
        return _account_view(account)

    def account(self, request: WireRequest, params: dict[str, str]) -> dict[str, Any]:
        """One account's plan, limits, balance and spend."""
        account = self.backend.account(params["key"])
        self.backend.settle(account)
        return _account_view(account)

    def journal(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """Journal entries, filtered by ``account``, ``method``, ``path``, ``status``,
        ``error_code`` and ``since`` (a sequence number)."""
        query = request.query_params()
        entries = self.backend.journal.query(
            account=query.get("account"),
            method=query.get("method"),
            path=query.get("path"),
            status=_query_int(query, "status"),
            error_code=query.get("error_code"),
            since_seq=_query_int(query, "since") or 0,
        )
        journal = self.backend.journal
        return {
            "entries": [e.to_dict() for e in entries],
            "count": len(entries),
            "total": journal.total,
            "dropped": journal.dropped,
        }

    def export(self, request: WireRequest, _: dict[str, str]) -> WireResponse:
        """The whole session as JSON Lines: what ``mock-media replay`` and ``freeze`` read."""
        backend = self.backend
        body = "".join(backend.journal.export(backend.session_header())).encode()
        headers = {"Content-Type": "application/x-ndjson", "Content-Length": str(len(body))}
        return WireResponse(200, headers, body)

    def scenario(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """The scenario in force: its name, description and rule names (or null)."""
        return {"scenario": _scenario_view(self.backend.scenario)}

    def set_scenario(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """``{"name": "429-storm"}`` (a bundled scenario or a file path on the server),
        ``{"scenario": {...}}`` (the file's content as JSON), or ``{"name": null}`` to stop.
        It is in force from now: its windows count from this instant."""
        data = parse_json_object(request.body)
        inline = data.get("scenario")
        name = _get(data, "name", str)
        try:
            if inline is not None:
                if not isinstance(inline, dict):
                    raise InvalidParameter("scenario", "scenario must be an object (a scenario file as JSON)")
                scenario: Scenario | None = Scenario.from_dict(inline, "scenario")
            elif name is not None:
                if self.scenario_loader is None:
                    raise InvalidParameter(
                        "name", "this server cannot load scenarios by name; send the scenario"
                    )
                scenario = self.scenario_loader(name)
            else:
                scenario = None
        except ScenarioError as exc:
            if inline is not None:  # the message already starts "scenario: ..."
                raise InvalidParameter("scenario", str(exc)) from None
            raise InvalidParameter("name", f"name {name!r}: {exc}") from None
        self.backend.load_scenario(scenario)
        return {"scenario": _scenario_view(scenario)}

    def faults(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """The injected faults still armed."""
        return {"faults": [r.to_dict() for r in self.backend.faults.rules]}

    def add_fault(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """Inject a fault.

        ``{"stage": "request"}`` (default) answers generation requests with ``code``
        (``generation_failed`` by default, or ``model_unavailable``), the next ``times`` of
        them, or all of them for ``seconds``; ``{"stage": "job"}`` makes the next ``times``
        videos end ``failed``. ``kind`` and ``account`` narrow it.
        """
        data = parse_json_object(request.body)
        faults = self.backend.faults
        stage = _get(data, "stage", str) or "request"
        kind = _get(data, "kind", str)
        if kind is not None and kind not in tuple(Kind):
            raise InvalidParameter("kind", f'kind must be "image" or "video"; got {kind!r}')
        code = _get(data, "code", str)
        if code is not None and code not in INJECTABLE_CODES:
            allowed = ", ".join(INJECTABLE_CODES)
            raise InvalidParameter("code", f"code must be one of {allowed}; got {code!r}")
        times = _get(data, "times", int)
        if times is not None and times < 1:
            raise InvalidParameter("times", f"times must be at least 1; got {times}")
        seconds = _get(data, "seconds", float)
        if seconds is not None and not 0 < seconds <= MAX_ADVANCE_SECONDS:
            raise InvalidParameter(
                "seconds", f"seconds must be more than 0 and at most {MAX_ADVANCE_SECONDS}; got {seconds}"
            )
        account = _get(data, "account", str)
        message = _get(data, "message", str)
        if stage == "job" and kind not in (None, Kind.VIDEO):
            raise InvalidParameter("kind", f'job faults make videos fail: kind must be "video"; got {kind!r}')
        if seconds is not None and (stage == "job" or times is not None):
            other = "stage job" if stage == "job" else "times"
            raise InvalidParameter("seconds", f"seconds (a time window) cannot be combined with {other}")
        if stage == "job":
            rule = faults.fail_next_video_jobs(
                times=times or 1,
                code=code or ErrorCode.GENERATION_FAILED,
                account=account,
                message=message,
            )
        elif stage != "request":
            raise InvalidParameter("stage", f'stage must be "request" or "job"; got {stage!r}')
        elif seconds is not None:
            rule = faults.model_down(
                kind,
                seconds=seconds,
                account=account,
                code=code or ErrorCode.MODEL_UNAVAILABLE,
                message=message,
            )
        else:
            rule = faults.fail_next(
                kind,
                times=times or 1,
                code=code or ErrorCode.GENERATION_FAILED,
                account=account,
                message=message,
            )
        return rule.to_dict()

    def clear_faults(self, request: WireRequest, _: dict[str, str]) -> dict[str, Any]:
        """Disarm every injected fault."""
        self.backend.faults.clear()
        return {"faults": []}

    def _clock_view(self, api_key: str | None = None) -> dict[str, Any]:
        clock = self.backend.clock
        account = None if api_key is None else self.backend.accounts.get(api_key)
        now = self.backend.now(account)
        real = isinstance(clock, SystemClock)
        return {
            "epoch": now,
            "iso": iso8601(now),
            "mode": "real" if real else "virtual",
            "speed": clock.speed if isinstance(clock, SystemClock) else None,
        }


def _scenario_view(scenario: Scenario | None) -> dict[str, Any] | None:
    if scenario is None:
        return None
    return {
        "name": scenario.name,
        "description": scenario.description,
        "seed": scenario.seed,
        "rules": [rule.name for rule in scenario.rules],
    }


def _account_view(account: Account) -> dict[str, Any]:
    limits = account.limits
    return {
        "api_key": account.api_key,
        "plan": account.plan,
        "image_rpm": limits.image_rpm,
        "video_rpm": limits.video_rpm,
        "concurrent_jobs": limits.concurrent_jobs,
        "balance_usd": str(account.balance),
        "spent_usd": str(account.spent),
        "refunded_usd": str(account.refunded),
        "processing_jobs": account.processing,
    }


def _optional_body(request: WireRequest) -> dict[str, Any]:
    return parse_json_object(request.body) if request.body.strip() else {}


def _get(data: dict[str, Any], name: str, kind: type, *, required: bool = False) -> Any:
    value = data.get(name)
    if value is None:
        if required:
            raise InvalidParameter(name, f"{name} is required")
        return None
    ok = isinstance(value, int | float) if kind is float else isinstance(value, kind)
    if isinstance(value, bool) or not ok:
        expected = {str: "a string", int: "an integer", float: "a number"}[kind]
        raise InvalidParameter(name, f"{name} must be {expected}; got {value!r}")
    return value


def _query_int(query: dict[str, str], name: str) -> int | None:
    raw = query.get(name)
    return None if raw is None else parse_query_int(raw, name, 0, 2**63 - 1)
