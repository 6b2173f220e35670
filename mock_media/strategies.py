"""Hypothesis strategies for property-testing code that calls the Media API.

Three families, all derived from the core's tables (``core/facts.py``, ``core/assumptions.py``)
so that they follow the fake when a documented value changes:

* requests the API accepts (``image_requests``, ``video_requests``) and labelled requests it
  refuses (``invalid_image_requests``, ``invalid_video_requests``, ``invalid_bodies``);
* complete answers (``image_responses``, ``video_responses``, ``list_responses``,
  ``error_responses``, ``rate_limit_headers``), made by driving a fresh in-process
  :class:`~mock_media.MockMedia` on a virtual clock, so ids, URLs, prices, sizes and times
  agree with each other by construction;
* small values (``prompts``, ``api_keys``, ``plans``).

Hypothesis is a test-time dependency of its users, not a dependency of mock-media: this
module is the only one that imports it, and ``import mock_media`` never loads it. Every
value is drawn from Hypothesis (the fakes are seeded from a drawn integer), so a fixed
Hypothesis seed gives the same examples; nothing reads the global ``random`` or the clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any, TypeVar
from urllib.parse import urlencode

from .core.assumptions import (
    BASE62,
    CENT,
    ID_LENGTH,
    LIST_LIMIT_MAX,
    LIST_LIMIT_MIN,
    MAX_ADVANCE_SECONDS,
    MAX_BODY_BYTES,
    PROMPT_MAX_CHARS,
    SEED_MAX,
    SEED_MIN,
)
from .core.conduct import RETRYABLE
from .core.config import MockConfig
from .core.errors import ApiError
from .core.facts import (
    API_KEY_HEADER,
    API_PREFIX,
    ERROR_STATUS,
    GENERATED_DIR,
    IMAGE_PATH,
    JOB_PREFIX,
    MEDIA_PREFIX,
    PARAMS,
    PLANS,
    RATE_LIMIT_LIMIT,
    RATE_LIMIT_REMAINING,
    RATE_LIMIT_RESET,
    VIDEO_PATH,
    ErrorCode,
    JobStatus,
    Kind,
    Param,
)
from .core.validation import validate
from .fake import MockMedia
from .wire import WireRequest, resolve

try:
    from hypothesis import strategies as st
except ImportError as _missing:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "mock_media.strategies needs Hypothesis, which mock-media does not install "
        "(it is a test-time dependency of yours): pip install hypothesis"
    ) from _missing

__all__ = [
    "ApiResponse",
    "InvalidRequest",
    "api_keys",
    "error_responses",
    "image_requests",
    "image_responses",
    "invalid_bodies",
    "invalid_image_requests",
    "invalid_video_requests",
    "list_responses",
    "plans",
    "prompts",
    "rate_limit_headers",
    "video_requests",
    "video_responses",
]

Body = dict[str, Any]
T = TypeVar("T")
PATHS: dict[Kind, str] = {Kind.IMAGE: IMAGE_PATH, Kind.VIDEO: VIDEO_PATH}
# Ranges the parameter tables leave open but the fake enforces (assumptions.py: seeds are u32).
_EXTRA_RANGES: dict[str, tuple[int, int]] = {"seed": (SEED_MIN, SEED_MAX)}
# How far past a bound an out-of-range integer may go: far enough to find sign and overflow
# bugs, short of the 4,300-digit limit past which Python (not the API) refuses to read it.
_FAR = 2**64
# Whitespace as ``str.strip`` (and so the fake) sees it: a prompt of these alone is blank.
_BLANKS = "".join(c for c in map(chr, range(0x3001)) if c.isspace())  # none lies above U+3000
_RATE_HEADERS = (RATE_LIMIT_LIMIT, RATE_LIMIT_REMAINING, RATE_LIMIT_RESET)


# --- result types ---------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InvalidRequest:
    """A request body with exactly one thing wrong, and the documented answer it must get.

    Attributes:
        body: the JSON object to send, or (a body that is not a JSON object) the raw bytes.
        status: the HTTP status (400 for every case).
        code: ``"invalid_prompt"`` or ``"invalid_parameter"``.
        param: the field ``invalid_parameter`` names (``"body"`` for raw bytes); None for
            ``invalid_prompt``, whose error object names none (decision 3).
        kind: the route the body is for, ``Kind.IMAGE`` or ``Kind.VIDEO``.
        reason: the flaw in words, for failure messages (``"n: out of range"``).
    """

    body: Body | bytes
    status: int
    code: str
    param: str | None
    kind: Kind
    reason: str

    @property
    def content(self) -> bytes:
        """The body as sent on the wire (send this, not ``json=body``, to keep raw cases raw)."""
        return self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()

    @property
    def path(self) -> str:
        """The route's path, e.g. ``/v1/hosting/media/image``."""
        return PATHS[self.kind]


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """One complete answer of the API, exactly as the fake sent it.

    Attributes:
        status: the HTTP status.
        headers: the headers as sent (``Content-Type``, ``X-RateLimit-*``, ``Retry-After``...);
            look them up with ``header()``, which ignores case as HTTP does.
        body: the JSON body, parsed with ``json.loads`` (money is a float there; parse
            ``content`` with ``parse_float=Decimal`` for exact cents).
        content: the raw body bytes.
        request: the request that was answered (method, path, query, headers, body).
        submitted: for an answer about a job, the JSON body of the ``POST`` that made it
            (a status poll's own request has no body); None otherwise.
    """

    status: int
    headers: Mapping[str, str]
    body: Any
    content: bytes
    request: WireRequest
    submitted: Body | None = None

    def header(self, name: str) -> str | None:
        """A header's value, whatever the case of ``name``; None if it was not sent."""
        wanted = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == wanted), None)

    @property
    def retryable(self) -> bool:
        """Whether the doc says to retry this answer (429, 500 and 503)."""
        return self.status in RETRYABLE


# --- small values ---------------------------------------------------------------------------
def api_keys() -> st.SearchStrategy[str]:
    """Keys any HTTP client can send as ``X-API-Key``: visible ASCII, no surrounding blanks.

    In open mode (the default) the fake opens an account for each on first use.
    """
    return st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=48)


def plans() -> st.SearchStrategy[str]:
    """The doc's plan names (``"starter"``, ``"pro"``, ...), for ``register_account``."""
    return st.sampled_from(PLANS)


def _pieces() -> st.SearchStrategy[str]:
    """Short texts that do not start with whitespace: repeated or cut, never blank."""
    return st.builds(
        str.__add__, st.characters(codec="utf-8", exclude_characters=_BLANKS), st.text(max_size=11)
    )


def _repeat_to(piece: str, length: int) -> str:
    return (piece * (length // len(piece) + 1))[:length]


def prompts(max_size: int = PROMPT_MAX_CHARS) -> st.SearchStrategy[str]:
    """Prompts the API accepts: any Unicode text that is not blank, up to the assumed maximum
    (4,000 characters, decision 5), the bounds included; long ones are a piece repeated, so
    that they cost Hypothesis little to make and shrink."""
    if not 1 <= max_size <= PROMPT_MAX_CHARS:
        raise ValueError(f"max_size must be between 1 and {PROMPT_MAX_CHARS}; got {max_size}")
    pieces = _pieces()
    lengths = st.sampled_from((1, max_size)) | st.integers(1, max_size)
    return st.builds(str.__add__, pieces, st.text(max_size=min(80, max_size) - 1)) | st.builds(
        _repeat_to, pieces, lengths
    )


# --- valid requests -------------------------------------------------------------------------
def _bounds(param: Param) -> tuple[int | None, int | None]:
    return _EXTRA_RANGES.get(param.name, (param.minimum, param.maximum))


def _valid_value(param: Param) -> st.SearchStrategy[Any]:
    """Every value the table allows for one parameter, its bounds drawn often."""
    if param.name == "prompt":
        return prompts()
    if param.choices is not None:
        return st.sampled_from(param.choices)
    if param.type is int:
        low, high = _bounds(param)
        if low is not None and high is not None:
            return st.sampled_from((low, high)) | st.integers(low, high)
        return st.integers(min_value=low, max_value=high)
    return st.text(max_size=200)


def _requests(kind: Kind, overrides: Mapping[str, Any]) -> st.SearchStrategy[Body]:
    params = {p.name: p for p in PARAMS[kind]}
    unknown = sorted(set(overrides) - set(params))
    if unknown:
        raise TypeError(f"{kind} requests have no parameter {unknown[0]!r}; they have {', '.join(params)}")
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for name, param in params.items():
        if name in overrides:
            pinned = overrides[name]
            if pinned is None:
                if param.required:
                    raise ValueError(f"{name} is required: it cannot be pinned to None")
                continue  # left out: the API applies its default
            target = required
            strategy = pinned if isinstance(pinned, st.SearchStrategy) else _checked(kind, name, pinned)
        else:
            target = required if param.required else optional
            strategy = _valid_value(param)
        target[name] = strategy
    return st.fixed_dictionaries(required, optional=optional)


def _checked(kind: Kind, name: str, value: Any) -> st.SearchStrategy[Any]:
    """A pinned value, refused at once if the API would refuse it (that is what the
    ``invalid_*`` strategies are for)."""
    body = {name: value} if name == "prompt" else {"prompt": "a", name: value}
    try:
        validate(kind, body)
    except ApiError as exc:
        raise ValueError(f"{name}={value!r} is not a valid {kind} parameter: {exc.message}") from None
    return st.just(value)


def image_requests(**overrides: Any) -> st.SearchStrategy[Body]:
    """Bodies ``POST /image`` accepts (200), covering every documented parameter and value.

    ``prompt`` is always there; each optional parameter is sometimes left out (the API's
    default applies). Values cover every aspect ratio, quality and style, ``n`` 1-4, seeds at
    their bounds and prompts up to 4,000 characters.

    Args:
        overrides: pin a parameter to a value (checked against the API's rules), to a
            strategy (used as is), or to None (always left out), e.g.
            ``image_requests(quality="hd", n=st.sampled_from([2, 4]), seed=None)``.

    Raises:
        TypeError: an override names no image parameter.
        ValueError: a pinned value the API would refuse, or ``prompt=None``.
    """
    return _requests(Kind.IMAGE, overrides)


def video_requests(**overrides: Any) -> st.SearchStrategy[Body]:
    """Bodies ``POST /video`` accepts (200): durations 1-30, fps 24 and 30, every aspect ratio
    and quality, seeds at their bounds. ``overrides`` as for :func:`image_requests`."""
    return _requests(Kind.VIDEO, overrides)


# --- invalid requests -----------------------------------------------------------------------
_json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-_FAR, _FAR)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
)
_json_values: st.SearchStrategy[Any] = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=5,
)


_JSON_TYPES: dict[type, st.SearchStrategy[Any]] = {
    bool: st.booleans(),
    int: st.integers(-_FAR, _FAR),
    float: st.floats(allow_nan=False, allow_infinity=False),
    str: st.text(max_size=12),
    list: st.lists(_json_values, max_size=3),
    dict: st.dictionaries(st.text(max_size=6), _json_values, max_size=3),
}


def _json_not(kind: type) -> st.SearchStrategy[Any]:
    """Any JSON value but null and ``kind`` (an int's ``bool`` is not an int: decision 5)."""
    return st.one_of([s for t, s in _JSON_TYPES.items() if t is not kind])


def _wrong_types(param: Param) -> st.SearchStrategy[Any]:
    """JSON values of another type; never null, which means "absent" (decision 17)."""
    if param.type is int:
        valid = _valid_value(param)
        return (
            valid.map(float)  # 2.0 is not 2 (decision 17)
            | valid.map(str)  # nor is "2"
            | st.booleans()  # nor is true (decision 5)
            | valid.map(lambda v: [v])
            | _json_not(int)
        )
    return _valid_value(param).map(lambda v: [v]) | st.booleans() | _json_not(str)


def _out_of_range(param: Param) -> st.SearchStrategy[int] | None:
    low, high = _bounds(param)
    outside: list[st.SearchStrategy[int]] = []
    if low is not None:
        outside += [st.just(low - 1), st.integers(low - _FAR, low - 1)]
    if high is not None:
        outside += [st.just(high + 1), st.integers(high + 1, high + _FAR)]
    return st.one_of(outside) if param.type is int and param.choices is None and outside else None


def _not_a_choice(param: Param) -> st.SearchStrategy[Any] | None:
    choices = param.choices
    if choices is None:
        return None
    if param.type is int:
        numbers = [c for c in choices if isinstance(c, int)]
        around = st.integers(min(numbers) - 10, max(numbers) + 10)
        return (around | st.integers(-_FAR, _FAR)).filter(lambda v: v not in choices)
    words = [c for c in choices if isinstance(c, str)]
    # Near misses first (case, padding, a character short or long), then any other text.
    near = [v for w in words for v in (w.upper(), w.title(), f" {w}", f"{w} ", w[:-1], w + w[-1])]
    return st.sampled_from([v for v in near if v not in choices]) | st.text(max_size=12).filter(
        lambda v: v not in choices
    )


@st.composite
def _evenly(draw: st.DrawFn, strategies: list[st.SearchStrategy[T]]) -> T:
    """One of ``strategies``, each as likely as the others: ``st.one_of`` flattens nested
    choices, so a flaw with many variants (a body) would crowd out the rest."""
    return draw(draw(st.sampled_from(strategies)))


def _case(
    code: ErrorCode, param: str | None, kind: Kind, reason: str
) -> Callable[[Body | bytes], InvalidRequest]:
    return lambda body: InvalidRequest(body, ERROR_STATUS[code], str(code), param, kind, reason)


def _replace(
    base: st.SearchStrategy[Body], name: str, values: st.SearchStrategy[Any]
) -> st.SearchStrategy[Body]:
    return st.tuples(base, values).map(lambda pair: {**pair[0], name: pair[1]})


def _without_prompt(body: Body) -> Body:
    return {k: v for k, v in body.items() if k != "prompt"}


@cache
def _invalid_cases(kind: Kind) -> dict[ErrorCode, list[st.SearchStrategy[InvalidRequest]]]:
    """Every flaw the API must refuse, grouped by the code that refuses it."""
    base = _requests(kind, {})
    bad_param = ErrorCode.INVALID_PARAMETER
    by_code: dict[ErrorCode, list[st.SearchStrategy[InvalidRequest]]] = {
        ErrorCode.INVALID_PROMPT: [],
        bad_param: [],
    }
    for param in PARAMS[kind]:
        if param.name == "prompt":
            continue
        for reason, values in (
            ("wrong type", _wrong_types(param)),
            ("out of range", _out_of_range(param)),
            ("not one of the documented values", _not_a_choice(param)),
        ):
            if values is not None:
                case = _case(bad_param, param.name, kind, f"{param.name}: {reason}")
                by_code[bad_param].append(_replace(base, param.name, values).map(case))
    not_text = _json_not(str)
    by_code[bad_param].append(
        _replace(base, "prompt", not_text).map(_case(bad_param, "prompt", kind, "prompt: wrong type"))
    )
    by_code[bad_param].append(invalid_bodies().map(_case(bad_param, "body", kind, "body: not a JSON object")))
    blank = st.text(st.sampled_from(_BLANKS), max_size=20)
    too_long = st.builds(
        _repeat_to,
        _pieces(),
        st.integers(PROMPT_MAX_CHARS + 1, PROMPT_MAX_CHARS + 200),
    )
    bad_prompt = ErrorCode.INVALID_PROMPT
    by_code[bad_prompt] += [
        base.map(_without_prompt).map(_case(bad_prompt, None, kind, "prompt: missing")),
        _replace(base, "prompt", st.none()).map(_case(bad_prompt, None, kind, "prompt: null")),
        _replace(base, "prompt", blank).map(_case(bad_prompt, None, kind, "prompt: empty or blank")),
        _replace(base, "prompt", too_long).map(_case(bad_prompt, None, kind, "prompt: too long")),
    ]
    return by_code


def invalid_image_requests() -> st.SearchStrategy[InvalidRequest]:
    """Labelled ``POST /image`` bodies with exactly one flaw, so the answer is certain.

    Flaws: a wrong JSON type for any parameter (``2.0``, ``"2"`` and ``true`` are not
    integers), a number out of range, a value outside an enum, a prompt that is missing,
    null, blank, too long or not a string, and a body that is not a JSON object (raw bytes,
    see :func:`invalid_bodies`). Send ``case.content`` to ``case.path``; expect
    ``case.status``, ``case.code`` and, for ``invalid_parameter``, ``case.param``.
    """
    return _evenly([s for cases in _invalid_cases(Kind.IMAGE).values() for s in cases])


def invalid_video_requests() -> st.SearchStrategy[InvalidRequest]:
    """Labelled ``POST /video`` bodies with exactly one flaw; see :func:`invalid_image_requests`."""
    return _evenly([s for cases in _invalid_cases(Kind.VIDEO).values() for s in cases])


@st.composite
def _truncated(draw: st.DrawFn) -> bytes:
    text = json.dumps(draw(image_requests() | video_requests()))
    return text[: draw(st.integers(1, len(text) - 1))].encode()  # an object never closed


@st.composite
def _latin1(draw: st.DrawFn) -> bytes:
    ascii_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=20)
    prompt = draw(ascii_text) + draw(st.sampled_from("éàüñç")) + draw(ascii_text)
    return json.dumps({"prompt": prompt}, ensure_ascii=False).encode("latin-1")


def _with_raw_field(body: Body, name: str, raw: str) -> bytes:
    text = json.dumps(body)
    return (text[:-1] + f", {json.dumps(name)}: {raw}}}").encode()


def invalid_bodies() -> st.SearchStrategy[bytes]:
    """Raw bodies that are not a JSON object: 400 ``invalid_parameter`` naming ``body``
    (decisions 4 and 17) on either generation route.

    Empty or blank bodies, JSON values that are not objects (arrays, strings, numbers, null),
    objects cut short or followed by more text, Python-style single quotes, bytes that are
    not UTF-8, ``NaN``/``Infinity``, unpaired surrogate escapes, and arrays nested deeper than
    any parser recurses. Each is wrong by construction, not by asking a parser.
    """
    valid = image_requests() | video_requests()
    int_params = sorted({p.name for ps in PARAMS.values() for p in ps if p.type is int})
    garbage = st.sampled_from([" x", "}", ",", "{}", "[]", " true", " //"])
    quoted = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E, exclude_characters="'\\"))
    return _evenly(
        [
            st.text(st.sampled_from(" \t\r\n"), max_size=8).map(str.encode),
            (st.none() | _json_not(dict)).map(lambda v: json.dumps(v).encode()),
            valid.map(lambda b: json.dumps([b]).encode()),
            _truncated(),
            st.tuples(valid, garbage).map(lambda p: (json.dumps(p[0]) + p[1]).encode()),
            quoted.map(lambda s: ("{'prompt': '" + s + "'}").encode()),
            _latin1(),
            st.binary(max_size=30).map(lambda b: b"\xff" + b),  # 0xFF never occurs in UTF-8
            st.tuples(
                valid,
                st.sampled_from([*int_params, "prompt"]),
                st.sampled_from(["NaN", "Infinity", "-Infinity"]),
            ).map(lambda t: _with_raw_field(*t)),
            st.tuples(st.integers(0xD800, 0xDFFF), st.text(st.characters(max_codepoint=0x7E), max_size=8))
            .map(lambda t: json.dumps(t[1])[:-1].encode() + b"\\u%04x" % t[0] + b'"')
            .map(lambda s: b'{"prompt": ' + s + b"}"),
            st.integers(100_000, 120_000).map(lambda d: b"[" * d + b"]" * d),
        ]
    )


# --- responses from a real fake -------------------------------------------------------------
_fake_seeds = st.integers(0, 2**64 - 1)
# Time since the doc's example instant (the fake's start), to a thousandth of a second.
_elapsed = st.tuples(st.integers(0, MAX_ADVANCE_SECONDS - 1), st.integers(0, 999)).map(
    lambda t: t[0] + t[1] / 1000
)


def _send(
    fake: MockMedia,
    method: str,
    path: str,
    *,
    key: str | None,
    body: bytes = b"",
    query: str = "",
    submitted: Body | None = None,
) -> ApiResponse:
    headers = {} if key is None else {API_KEY_HEADER: key}
    if body:
        headers["Content-Type"] = "application/json"
    request = WireRequest.build(method, path, query=query, headers=headers, body=body)
    answer = fake(request)
    content = answer.read()
    parsed = json.loads(content) if answer.headers.get("Content-Type") == "application/json" else None
    return ApiResponse(answer.status, dict(answer.headers), parsed, content, request, submitted)


def _expect(response: ApiResponse, status: int, code: str | None = None) -> ApiResponse:
    """The fake answered as the strategy meant it to; anything else is a bug to report."""
    got = response.body.get("error", {}).get("code") if isinstance(response.body, dict) else None
    if response.status != status or (code is not None and got != code):
        raise AssertionError(
            f"mock_media.strategies expected {status} {code or ''} from {response.request.method} "
            f"{response.request.path}, the fake answered {response.status}: {response.content[:300]!r}"
        )
    return response


@st.composite
def _fake(draw: st.DrawFn, /, **config: Any) -> tuple[MockMedia, str]:
    """A fresh fake, its clock moved on by a drawn time, and a key for one account."""
    fake = MockMedia(MockConfig(seed=draw(_fake_seeds), **config))
    fake.advance(draw(_elapsed))
    return fake, draw(api_keys())


def _post(fake: MockMedia, key: str | None, kind: Kind, body: Body | bytes) -> ApiResponse:
    if isinstance(body, bytes):
        return _send(fake, "POST", PATHS[kind], key=key, body=body)
    return _send(fake, "POST", PATHS[kind], key=key, body=json.dumps(body).encode(), submitted=body)


def _poll(fake: MockMedia, key: str, job_id: str, submitted: Body | None = None) -> ApiResponse:
    return _send(fake, "GET", f"{API_PREFIX}/{job_id}", key=key, submitted=submitted)


@st.composite
def _image_responses(draw: st.DrawFn, requests: st.SearchStrategy[Body]) -> ApiResponse:
    fake, key = draw(_fake())
    fake.register_account(key, draw(plans()))
    submitted = _expect(_post(fake, key, Kind.IMAGE, draw(requests)), 200)
    if draw(st.booleans()):
        return submitted
    fake.advance(draw(st.integers(0, 3600)))
    return _expect(_poll(fake, key, submitted.body["job_id"], submitted.submitted), 200)


def image_responses(**overrides: Any) -> st.SearchStrategy[ApiResponse]:
    """200 answers to ``POST /image`` (or the job's status polled later, the same job): a
    completed job with its outputs, sizes from the resolution table and ``cost_usd`` from the
    price table. ``overrides`` pin the request as for :func:`image_requests`; the body sent
    is ``response.submitted``."""
    return _image_responses(_requests(Kind.IMAGE, overrides))


def _job_status(status: JobStatus | str | None) -> st.SearchStrategy[JobStatus]:
    if status is None:
        return st.sampled_from(JobStatus)
    try:
        return st.just(JobStatus(status))
    except ValueError:
        raise ValueError(f"status must be None or one of {', '.join(JobStatus)}; got {status!r}") from None


@st.composite
def _video_responses(
    draw: st.DrawFn, status: st.SearchStrategy[JobStatus], requests: st.SearchStrategy[Body]
) -> ApiResponse:
    fake, key = draw(_fake())
    fake.register_account(key, draw(plans()))
    wanted = draw(status)
    if wanted is JobStatus.FAILED:
        fake.fail_next_video_jobs(account=key)
    submitted = _expect(_post(fake, key, Kind.VIDEO, draw(requests)), 200)
    estimate = submitted.body["estimated_completion_seconds"]
    if wanted is JobStatus.PROCESSING:
        if draw(st.booleans()):
            return submitted
        fake.advance(draw(st.integers(0, estimate - 1)))
    else:
        fake.advance(estimate + draw(st.integers(0, 3600)))
    polled = _expect(_poll(fake, key, submitted.body["job_id"], submitted.submitted), 200)
    if polled.body["status"] != wanted:
        raise AssertionError(f"mock_media.strategies expected a {wanted} video, got {polled.body!r}")
    return polled


def video_responses(
    status: JobStatus | str | None = None, **overrides: Any
) -> st.SearchStrategy[ApiResponse]:
    """200 answers about a video job: ``"processing"`` (the ``POST /video`` answer, or a poll
    before it is due), ``"completed"`` (a poll after it was due: ``completed_at``, one output,
    ``cost_usd``) or ``"failed"`` (``error``, refunded: ``cost_usd`` 0); None draws any.
    ``overrides`` pin the request as for :func:`video_requests`."""
    return _video_responses(_job_status(status), _requests(Kind.VIDEO, overrides))


_few_images = image_requests(n=st.integers(1, 2))  # short histories, short pages


@st.composite
def list_responses(draw: st.DrawFn) -> ApiResponse:
    """200 answers to ``GET /media``: a drawn history (images, videos finished or not, time
    passing, deletions), then a page with a drawn ``limit`` and ``type``, sometimes a later
    page reached through ``next_cursor``; ``{"media", "count", "next_cursor"}`` (decision 12).
    """
    fake, key = draw(_fake())
    # Enterprise with a large balance: the history is never refused by a limit or the balance.
    fake.register_account(key, "enterprise", "100000")
    media: list[str] = []
    steps = st.lists(st.sampled_from(["image", "wait", "image", "video", "delete"]), max_size=6)
    for step in draw(steps):
        if step == "wait":
            fake.advance(draw(st.integers(0, 600)))
        elif step == "delete" and media:
            media_id = media.pop(draw(st.integers(0, len(media) - 1)))
            _expect(_send(fake, "DELETE", f"{API_PREFIX}/{media_id}", key=key), 200)
        elif step in ("image", "video"):
            kind = Kind(step)
            body = draw(_few_images if kind is Kind.IMAGE else _valid_body(kind))
            _expect(_post(fake, key, kind, body), 200)
        media = [item["media_id"] for item in _list(fake, key, "").body["media"]]
    query: dict[str, str] = {}
    limit = draw(st.none() | st.integers(LIST_LIMIT_MIN, 4) | st.integers(LIST_LIMIT_MIN, LIST_LIMIT_MAX))
    if limit is not None:
        query["limit"] = str(limit)
    listed = draw(st.none() | st.sampled_from(Kind))
    if listed is not None:
        query["type"] = str(listed)
    page = _list(fake, key, _query(query))
    for _ in range(draw(st.integers(0, 2))):
        cursor = page.body["next_cursor"]
        if cursor is None:
            break
        page = _list(fake, key, _query({**query, "cursor": cursor}))
    return page


def _query(params: Mapping[str, str]) -> str:
    return urlencode(params)


def _list(fake: MockMedia, key: str, query: str) -> ApiResponse:
    return _expect(_send(fake, "GET", API_PREFIX, key=key, query=query), 200)


# --- errors ---------------------------------------------------------------------------------
def _ids(prefix: str) -> st.SearchStrategy[str]:
    return st.text(st.sampled_from(BASE62), min_size=ID_LENGTH, max_size=ID_LENGTH).map(lambda s: prefix + s)


@cache
def _valid_body(kind: Kind) -> st.SearchStrategy[Body]:
    return _requests(kind, {})


_kinds = st.sampled_from(Kind)


@st.composite
def _invalid_request_error(draw: st.DrawFn, code: ErrorCode) -> ApiResponse:
    fake, key = draw(_fake())
    kind = draw(_kinds)
    if code is ErrorCode.INVALID_PARAMETER and draw(st.integers(0, 3)) == 0:
        # The list route's query parameters (decision 18).
        query = draw(
            st.sampled_from(["limit", "type", "cursor"]).flatmap(
                lambda name: st.tuples(st.just(name), _bad_query_value(name))
            )
        )
        answer = _send(fake, "GET", API_PREFIX, key=key, query=_query(dict([query])))
        return _expect(answer, 400, str(code))
    case = draw(_evenly(_invalid_cases(kind)[code]))
    return _expect(_post(fake, key, kind, case.body), case.status, case.code)


def _bad_query_value(name: str) -> st.SearchStrategy[str]:
    if name == "limit":
        outside = st.integers(-_FAR, LIST_LIMIT_MIN - 1) | st.integers(LIST_LIMIT_MAX + 1, _FAR)
        return outside.map(str) | st.sampled_from(["", "ten", "1.5", "0x10"])
    if name == "type":
        return st.text(max_size=10).filter(lambda s: s not in set(Kind))
    return st.text(st.sampled_from(BASE62 + "-_"), max_size=40)  # never issued to this account


@st.composite
def _unauthorized(draw: st.DrawFn) -> ApiResponse:
    closed = draw(st.booleans())  # closed mode: an unregistered key is refused too
    fake, key = draw(_fake(closed=closed))
    sent = key if closed and draw(st.booleans()) else None
    method, path, body = draw(
        st.one_of(
            _kinds.flatmap(
                lambda k: _valid_body(k).map(lambda b: ("POST", PATHS[k], json.dumps(b).encode()))
            ),
            st.just(("GET", API_PREFIX, b"")),
            _ids(JOB_PREFIX[Kind.IMAGE]).map(lambda i: ("GET", f"{API_PREFIX}/{i}", b"")),
            _ids(MEDIA_PREFIX).map(lambda i: ("DELETE", f"{API_PREFIX}/{i}", b"")),
        )
    )
    return _expect(_send(fake, method, path, key=sent, body=body), 401, ErrorCode.UNAUTHORIZED)


@st.composite
def _insufficient_balance(draw: st.DrawFn) -> ApiResponse:
    fake, key = draw(_fake())
    kind = draw(_kinds)
    body = draw(_valid_body(kind))
    request, _ = validate(kind, body)
    cents = int(request.cost / CENT)
    fake.register_account(key, draw(plans()), draw(st.integers(0, cents - 1)) * CENT)
    return _expect(_post(fake, key, kind, body), 402, ErrorCode.INSUFFICIENT_BALANCE)


@st.composite
def _rate_limited(draw: st.DrawFn) -> ApiResponse:
    fake, key = draw(_fake())
    plan = draw(plans())
    account = fake.register_account(key, plan, "1000000")
    kind = draw(_kinds)
    if kind is Kind.VIDEO and draw(st.booleans()):
        # The concurrent-jobs limit: fill it, then ask again in the next minute's window,
        # while every video is still processing (the 429 says when the first is due).
        answer = None
        for _ in range(account.limits.concurrent_jobs):
            answer = _post(fake, key, kind, draw(_valid_body(kind)))
            if answer.status == 429:  # fewer videos a minute than at once: the next window
                fake.advance(_seconds_to_reset(fake, answer))
                answer = _post(fake, key, kind, draw(_valid_body(kind)))
            _expect(answer, 200)
        assert answer is not None
        fake.advance(_seconds_to_reset(fake, answer))
        return _expect(_post(fake, key, kind, draw(_valid_body(kind))), 429, ErrorCode.RATE_LIMIT_EXCEEDED)
    limit = account.limits.image_rpm if kind is Kind.IMAGE else account.limits.video_rpm
    for _ in range(limit):  # refused bodies use a slot each (decision 14) and cost nothing
        _expect(_post(fake, key, kind, b"{}"), 400)
    return _expect(_post(fake, key, kind, draw(_valid_body(kind))), 429, ErrorCode.RATE_LIMIT_EXCEEDED)


def _seconds_to_reset(fake: MockMedia, answer: ApiResponse) -> float:
    return max(0.0, int(answer.header(RATE_LIMIT_RESET) or 0) - fake.now())


@st.composite
def _injected(draw: st.DrawFn, code: ErrorCode) -> ApiResponse:
    fake, key = draw(_fake())
    kind = draw(_kinds)
    if code is ErrorCode.GENERATION_FAILED:
        fake.fail_next(kind)
    else:
        fake.model_down(kind, seconds=draw(st.integers(1, 3600)))
    return _expect(_post(fake, key, kind, draw(_valid_body(kind))), ERROR_STATUS[code], code)


@st.composite
def _not_found(draw: st.DrawFn) -> ApiResponse:
    fake, key = draw(_fake())
    how = draw(st.sampled_from(["job", "media", "deleted", "other account", "path", "file"]))
    if how == "job":
        answer = _poll(fake, key, draw(_kinds.flatmap(lambda k: _ids(JOB_PREFIX[k]))))
    elif how == "media":
        answer = _send(fake, "DELETE", f"{API_PREFIX}/{draw(_ids(MEDIA_PREFIX))}", key=key)
    elif how in ("deleted", "other account"):
        job = _expect(_post(fake, key, Kind.IMAGE, draw(image_requests())), 200).body
        media_id = job["outputs"][0]["media_id"]
        if how == "deleted":
            _expect(_send(fake, "DELETE", f"{API_PREFIX}/{media_id}", key=key), 200)
            answer = _send(fake, "DELETE", f"{API_PREFIX}/{media_id}", key=key)
        else:
            other = draw(api_keys().filter(lambda k: k != key))
            target = draw(st.sampled_from([("GET", job["job_id"]), ("DELETE", media_id)]))
            answer = _send(fake, target[0], f"{API_PREFIX}/{target[1]}", key=other)
    elif how == "path":
        tail = draw(st.text(st.sampled_from(BASE62 + "-_"), min_size=1, max_size=12))
        path = draw(st.sampled_from([f"{API_PREFIX}/{tail}/{tail}", f"{API_PREFIX}-{tail}", f"/v0/{tail}"]))
        answer = _send(fake, draw(st.sampled_from(["GET", "POST", "DELETE"])), path, key=key)
    else:  # the media host: no key needed, no rate-limit headers
        name = draw(_ids(JOB_PREFIX[Kind.IMAGE])) + "_0.webp"
        answer = _send(fake, "GET", f"{GENERATED_DIR}/{name}", key=None)
    return _expect(answer, 404, ErrorCode.NOT_FOUND)


def _wrong_methods() -> list[tuple[str, str]]:
    """(method, path) pairs the route table knows but refuses (decisions 4 and 19)."""
    paths = [IMAGE_PATH, VIDEO_PATH, API_PREFIX, f"{API_PREFIX}/{JOB_PREFIX[Kind.IMAGE]}{'0' * ID_LENGTH}"]
    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    pairs = []
    for path in paths:
        for method in methods:
            found = resolve(method, path)
            if found is not None and found.operation is None:
                pairs.append((method, path))
    return pairs


@st.composite
def _method_not_allowed(draw: st.DrawFn) -> ApiResponse:
    fake, key = draw(_fake())
    method, path = draw(st.sampled_from(_wrong_methods()))
    sent = draw(st.sampled_from([key, None]))
    return _expect(_send(fake, method, path, key=sent), 405, ErrorCode.METHOD_NOT_ALLOWED)


@st.composite
def _payload_too_large(draw: st.DrawFn) -> ApiResponse:
    fake, key = draw(_fake())
    kind = draw(_kinds)
    size = MAX_BODY_BYTES + draw(st.integers(1, 4096))
    head = b'{"prompt": "'
    body = head + b"a" * (size - len(head) - 2) + b'"}'
    sent = draw(st.sampled_from([key, None]))
    return _expect(_post(fake, sent, kind, body), 413, ErrorCode.PAYLOAD_TOO_LARGE)


_ERRORS: dict[ErrorCode, Callable[[], st.SearchStrategy[ApiResponse]]] = {
    ErrorCode.INVALID_PROMPT: lambda: _invalid_request_error(ErrorCode.INVALID_PROMPT),
    ErrorCode.INVALID_PARAMETER: lambda: _invalid_request_error(ErrorCode.INVALID_PARAMETER),
    ErrorCode.UNAUTHORIZED: _unauthorized,
    ErrorCode.INSUFFICIENT_BALANCE: _insufficient_balance,
    ErrorCode.RATE_LIMIT_EXCEEDED: _rate_limited,
    ErrorCode.GENERATION_FAILED: lambda: _injected(ErrorCode.GENERATION_FAILED),
    ErrorCode.MODEL_UNAVAILABLE: lambda: _injected(ErrorCode.MODEL_UNAVAILABLE),
    ErrorCode.NOT_FOUND: _not_found,
    ErrorCode.METHOD_NOT_ALLOWED: _method_not_allowed,
    ErrorCode.PAYLOAD_TOO_LARGE: _payload_too_large,
}


def error_responses(code: ErrorCode | str | None = None) -> st.SearchStrategy[ApiResponse]:
    """Error answers, each caused for real on a fresh fake: decision 3's body
    ``{"error": {"code", "message", "status"[, "param"]}, "detail"}`` with its status, the
    ``X-RateLimit-*`` headers when the request had valid credentials, ``Retry-After`` on a
    429 and ``Allow`` on a 405.

    Args:
        code: one error code (``"rate_limit_exceeded"``, ``ErrorCode.NOT_FOUND``, ...); None
            draws every code, the doc's seven and decision 4's three.
    """
    if code is None:
        return _evenly([make() for make in _ERRORS.values()])
    try:
        wanted = ErrorCode(code)
    except ValueError:
        raise ValueError(f"code must be None or one of {', '.join(ErrorCode)}; got {code!r}") from None
    return _ERRORS[wanted]()


@st.composite
def rate_limit_headers(draw: st.DrawFn) -> dict[str, str]:
    """The ``X-RateLimit-Limit``/``-Remaining``/``-Reset`` headers of one generation answer,
    for any plan, any number of slots used and any instant (plus ``Retry-After`` when the
    bucket was empty and the answer a 429), as the fake sends them (decisions 7, 15, 16)."""
    fake, key = draw(_fake())
    plan = draw(plans())
    account = fake.register_account(key, plan, "1000000")
    kind = draw(_kinds)
    limit = account.limits.image_rpm if kind is Kind.IMAGE else account.limits.video_rpm
    for _ in range(draw(st.sampled_from((0, limit)) | st.integers(0, limit))):
        _expect(_post(fake, key, kind, b"{}"), 400)
    answer = _post(fake, key, kind, draw(_valid_body(kind)))
    names = (*_RATE_HEADERS, "Retry-After")
    return {name: value for name, value in answer.headers.items() if name in names}
