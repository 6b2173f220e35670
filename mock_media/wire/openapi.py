"""The public API as an OpenAPI 3.1 document, generated from the tables the core runs on.

Nothing here restates a value: enums, defaults, ranges, prices, limits, id shapes and error
codes are read from :mod:`mock_media.core.facts` and :mod:`mock_media.core.assumptions` (and
the operations from :mod:`.routes`), so the published contract cannot drift from what the fake
does; ``tests/contract`` holds the document against the doc's own tables and fuzzes the fake
with it. The dispatcher serves it at ``GET /openapi.json`` (no key, no journal, no rate limit).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..core.assumptions import (
    BASE62,
    DEFAULT_BALANCE_USD,
    DEFAULT_PLAN,
    ENTERPRISE_DEFAULT_LIMITS,
    ID_LENGTH,
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    LIST_LIMIT_MIN,
    MAX_BODY_BYTES,
    PROMPT_MAX_CHARS,
    VIDEO_BASE_SECONDS,
    VIDEO_SECONDS_PER_SECOND,
)
from ..core.errors import MethodNotAllowed
from ..core.facts import (
    API_HOST,
    API_KEY_HEADER,
    API_PREFIX,
    CONTENT_TYPE,
    DOCUMENTED_ERROR_CODES,
    ERROR_STATUS,
    FORMAT,
    GENERATED_DIR,
    IMAGE_PARAMS,
    IMAGE_PATH,
    IMAGE_PRICE_USD,
    JOB_PREFIX,
    MEDIA_HOST,
    MEDIA_PREFIX,
    MODEL,
    PARAMS,
    PLAN_LIMITS,
    RATE_LIMIT_LIMIT,
    RATE_LIMIT_REMAINING,
    RATE_LIMIT_RESET,
    RATE_LIMIT_WINDOW_SECONDS,
    RESOLUTIONS,
    URL_EXPIRES_AT,
    VIDEO_PARAMS,
    VIDEO_PATH,
    VIDEO_PRICE_PER_SECOND_USD,
    ErrorCode,
    JobStatus,
    Kind,
    Param,
)

# The core's own table of ranges the doc leaves open (seed); read, not restated.
from ..core.validation import _EXTRA_RANGES
from . import render
from .messages import WireResponse
from .routes import Operation

OPENAPI_PATH = "/openapi.json"
OPENAPI_VERSION = "3.1.0"
SERVED_BASE = "/"  # the spec's own default server: wherever the document was fetched from
_SERVED_METHODS = ("GET", "HEAD")
_JSON = "application/json"
_JSON_TYPES: dict[type, str] = {str: "string", int: "integer"}
_KEY_SCHEME = "ApiKeyAuth"
_BEARER_SCHEME = "BearerAuth"

# The doc's error table, "Meaning" column (and decision 4 for the codes it adds): prose for
# readers; the codes and statuses themselves come from ErrorCode and ERROR_STATUS.
_MEANINGS: dict[ErrorCode, str] = {
    ErrorCode.INVALID_PROMPT: "Prompt is empty or contains disallowed content",
    ErrorCode.INVALID_PARAMETER: "Bad aspect_ratio, quality, or other parameter",
    ErrorCode.UNAUTHORIZED: "Missing or invalid API key",
    ErrorCode.INSUFFICIENT_BALANCE: "Account balance too low for this request",
    ErrorCode.RATE_LIMIT_EXCEEDED: "Too many requests; back off and retry",
    ErrorCode.GENERATION_FAILED: "Internal error during generation; safe to retry",
    ErrorCode.MODEL_UNAVAILABLE: "Upstream model temporarily unavailable; retry",
    ErrorCode.NOT_FOUND: "Unknown path, or a job or media id this account does not own",
    ErrorCode.METHOD_NOT_ALLOWED: "Method not allowed on this path (see the Allow header)",
    ErrorCode.PAYLOAD_TOO_LARGE: f"Request body over {MAX_BODY_BYTES} bytes",
}

# Which error statuses each operation can answer without a scripted scenario (a scenario can
# script any code on any route; that is a test's choice, not the API's contract).
_GENERATION_ERRORS = (400, 401, 402, 413, 429, 500, 503)
_ERRORS: dict[Operation, tuple[int, ...]] = {
    Operation.GENERATE_IMAGE: _GENERATION_ERRORS,
    Operation.GENERATE_VIDEO: _GENERATION_ERRORS,
    Operation.GET_JOB: (401, 404, 405, 413, 429, 500, 503),
    Operation.LIST_MEDIA: (400, 401, 413, 429, 500, 503),
    Operation.DELETE_MEDIA: (401, 404, 405, 413, 429, 500, 503),
}
# Decision 15: answered before the credentials count, these carry the rate-limit headers only
# when the credentials are valid; a 401 never does (nor does the CDN's 404).
_RATE_HEADERS_OPTIONAL = frozenset({404, 405, 413})


def openapi_document(api_base: str = API_HOST, media_base: str = MEDIA_HOST) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the public API (a fresh copy: callers may change it).

    Args:
        api_base: the server URL the API paths hang off; ``"/"`` means "where this document
            was fetched from" (what ``GET /openapi.json`` serves).
        media_base: the host that serves ``/generated/...`` files (``MockConfig.media_base``).
    """
    return copy.deepcopy(_document(api_base, media_base))


@lru_cache(maxsize=16)
def openapi_json(api_base: str = API_HOST, media_base: str = MEDIA_HOST) -> bytes:
    """The document as compact UTF-8 JSON, built once per (api_base, media_base)."""
    return json.dumps(_document(api_base, media_base), ensure_ascii=False, separators=(",", ":")).encode()


def openapi_response(method: str, media_base: str = MEDIA_HOST) -> WireResponse:
    """``GET``/``HEAD /openapi.json``: static, like the CDN route, so neither keyed nor journaled."""
    if method not in _SERVED_METHODS:
        return render.error(MethodNotAllowed(method, OPENAPI_PATH, _SERVED_METHODS))
    body = openapi_json(SERVED_BASE, media_base)
    headers = {"Content-Type": _JSON, "Content-Length": str(len(body))}
    return WireResponse(200, headers, body if method == "GET" else b"")


# --- building blocks ----------------------------------------------------------------------------
def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _char_class(chars: str) -> str:
    """``[0-9A-Za-z]`` from the alphabet itself, runs of consecutive characters as ranges."""
    points = sorted({ord(c) for c in chars})
    parts: list[str] = []
    start = prev = points[0]
    for point in [*points[1:], -1]:
        if point == prev + 1:
            prev = point
            continue
        parts.append(re.escape(chr(start)) + ("" if prev == start else "-" + re.escape(chr(prev))))
        start = prev = point
    return "[" + "".join(parts) + "]"


def _id_pattern(prefix: str) -> str:
    """Decisions 10 and 22: a prefix and ``ID_LENGTH`` base62 characters."""
    return f"{re.escape(prefix)}{_char_class(BASE62)}{{{ID_LENGTH}}}"


def _usd(amount: Decimal) -> float:
    """A price as the JSON number the API writes (``encode_json`` prints it with its cents)."""
    return float(amount)


def _param(name: str, params: tuple[Param, ...]) -> Param:
    return next(p for p in params if p.name == name)


def _range(param: Param) -> tuple[int | None, int | None]:
    """The range validation enforces: the doc's, or the core's extra one (seed)."""
    return _EXTRA_RANGES.get(param.name, (param.minimum, param.maximum))


def _obj(properties: dict[str, Any], *, required: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    """A closed object schema: every property listed is required unless ``required`` says."""
    return {
        "type": "object",
        "required": list(properties) if required is None else required,
        "properties": properties,
        "additionalProperties": False,
        **extra,
    }


# --- requests -----------------------------------------------------------------------------------
def _param_schema(param: Param) -> dict[str, Any]:
    """One parameter table row: type, enum, range and default, exactly as validation reads them.

    An optional field may be ``null`` (decision 17: null means absent, its default applies).
    """
    json_type = _JSON_TYPES[param.type]
    schema: dict[str, Any] = {}
    described = param.description or (
        "One of " + ", ".join(json.dumps(c) for c in param.choices) if param.choices else ""
    )
    if param.name == "prompt":
        described += (
            f"; 1-{PROMPT_MAX_CHARS} characters, not blank. Missing, blank, too long or blocked by "
            "the moderation rules: 400 invalid_prompt; not a string: 400 invalid_parameter"
        )
    if described:
        schema["description"] = described
    schema["type"] = json_type if param.required else [json_type, "null"]
    if param.choices is not None:
        schema["enum"] = [*param.choices, *([] if param.required else [None])]
    low, high = _range(param)
    if low is not None:
        schema["minimum"] = low
    if high is not None:
        schema["maximum"] = high
    if param.name == "prompt":
        schema.update(minLength=1, maxLength=PROMPT_MAX_CHARS, pattern=r"\S")
    if param.default is not None:
        schema["default"] = param.default
    return schema


def _request_schema(kind: Kind) -> dict[str, Any]:
    params = PARAMS[kind]
    return {
        "type": "object",
        "description": (
            "A JSON object. Unknown fields are ignored (and noted in the request journal); "
            "a fake in strict mode refuses them with 400 invalid_parameter. Integers must be "
            'JSON integers: 2.0, "2" and true are 400 invalid_parameter.'
        ),
        "required": [p.name for p in params if p.required],
        "properties": {p.name: _param_schema(p) for p in params},
    }


# --- responses ----------------------------------------------------------------------------------
def _sizes(kind: Kind) -> tuple[list[int], list[int]]:
    """The widths and heights the resolution table gives this kind (decision 11 for video)."""
    ratios = _param("aspect_ratio", PARAMS[kind]).choices or ()
    cells = [size for (ratio, _), size in RESOLUTIONS.items() if ratio in ratios]
    return sorted({w for w, _ in cells}), sorted({h for _, h in cells})


def _url_pattern(kind: Kind) -> str:
    """Decision 10: ``{media_base}/generated/{job_id}_{index}.webp`` or ``{job_id}.mp4``."""
    job = _id_pattern(JOB_PREFIX[kind])
    index = "_[0-9]+" if kind is Kind.IMAGE else ""
    return f"^https?://.+{re.escape(GENERATED_DIR)}/{job}{index}\\.{re.escape(FORMAT[kind])}$"


def _output_schema(kind: Kind) -> dict[str, Any]:
    widths, heights = _sizes(kind)
    props: dict[str, Any] = {
        "media_id": _ref("schemas", "MediaId"),
        "url": {"type": "string", "format": "uri", "pattern": _url_pattern(kind)},
    }
    if kind is Kind.IMAGE:
        props["expires_at"] = {"const": URL_EXPIRES_AT, "description": "URLs are permanent until deleted"}
    else:
        duration = _param("duration_seconds", VIDEO_PARAMS)
        props["duration_seconds"] = {
            "type": "number",
            "minimum": duration.minimum,
            "maximum": duration.maximum,
        }
    props["width"] = {"type": "integer", "enum": widths}
    props["height"] = {"type": "integer", "enum": heights}
    if kind is Kind.VIDEO:
        props["fps"] = {"type": "integer", "enum": list(_param("fps", VIDEO_PARAMS).choices or ())}
    props["format"] = {"const": FORMAT[kind]}
    props["size_bytes"] = {"type": "integer", "exclusiveMinimum": 0}
    return _obj(props)


def _list_item_schema(kind: Kind) -> dict[str, Any]:
    """Decision 12: an output with its job, type and created_at (videos add duration and fps)."""
    output = _output_schema(kind)["properties"]
    props: dict[str, Any] = {
        "media_id": output["media_id"],
        "job_id": _ref("schemas", "ImageJobId" if kind is Kind.IMAGE else "VideoJobId"),
        "type": {"const": str(kind)},
        "url": output["url"],
        "width": output["width"],
        "height": output["height"],
        "format": output["format"],
        "size_bytes": output["size_bytes"],
        "created_at": _ref("schemas", "Timestamp"),
    }
    if kind is Kind.VIDEO:
        props["duration_seconds"] = output["duration_seconds"]
        props["fps"] = output["fps"]
    return _obj(props)


def _image_costs() -> list[float]:
    """Every price an image job can have: the per-image price times each allowed n."""
    n = _param("n", IMAGE_PARAMS)
    assert n.minimum is not None and n.maximum is not None
    return sorted(
        {
            _usd(price * count)
            for price in IMAGE_PRICE_USD.values()
            for count in range(n.minimum, n.maximum + 1)
        }
    )


def _video_bounds() -> tuple[Decimal, Decimal, int, int]:
    """(cheapest, dearest) price and (shortest, longest) estimate over every valid video."""
    duration = _param("duration_seconds", VIDEO_PARAMS)
    assert duration.minimum is not None and duration.maximum is not None
    prices = VIDEO_PRICE_PER_SECOND_USD.values()
    rates = VIDEO_SECONDS_PER_SECOND.values()
    return (
        min(prices) * duration.minimum,
        max(prices) * duration.maximum,
        VIDEO_BASE_SECONDS + min(rates) * duration.minimum,
        VIDEO_BASE_SECONDS + max(rates) * duration.maximum,
    )


def _job_schemas() -> dict[str, dict[str, Any]]:
    """Decision 9's four job shapes (render.job): image completed, video processing/completed/failed."""
    cheapest, dearest, quickest, slowest = _video_bounds()
    duration = _param("duration_seconds", VIDEO_PARAMS)
    n = _param("n", IMAGE_PARAMS)
    video_cost = {"type": "number", "minimum": _usd(cheapest), "maximum": _usd(dearest)}
    prompt = {"type": "string", "description": "The request's prompt, echoed in full"}
    video_duration = {"type": "integer", "minimum": duration.minimum, "maximum": duration.maximum}

    def job(kind: Kind, status: JobStatus, middle: dict[str, Any], cost: dict[str, Any]) -> dict[str, Any]:
        props: dict[str, Any] = {
            "job_id": _ref("schemas", "ImageJobId" if kind is Kind.IMAGE else "VideoJobId"),
            "status": {"const": str(status)},
            "created_at": _ref("schemas", "Timestamp"),
        }
        if status is not JobStatus.PROCESSING:
            props["completed_at"] = _ref("schemas", "Timestamp")
        props["model"] = {"const": MODEL[kind]}
        props.update(middle)
        props["prompt"] = prompt
        if kind is Kind.VIDEO:
            props["duration_seconds"] = video_duration
        props["cost_usd"] = cost
        return _obj(props)

    video_outputs = {"type": "array", "items": _ref("schemas", "VideoOutput"), "maxItems": 1}
    return {
        "ImageJob": job(
            Kind.IMAGE,
            JobStatus.COMPLETED,
            {
                "outputs": {
                    "type": "array",
                    "items": _ref("schemas", "ImageOutput"),
                    "maxItems": n.maximum,
                    "description": "One per variation, indexed from 0; deleted media drop out",
                }
            },
            {"type": "number", "enum": _image_costs()},
        ),
        "VideoJobProcessing": job(
            Kind.VIDEO,
            JobStatus.PROCESSING,
            {"estimated_completion_seconds": {"type": "integer", "minimum": quickest, "maximum": slowest}},
            video_cost,
        ),
        "VideoJobCompleted": job(Kind.VIDEO, JobStatus.COMPLETED, {"outputs": video_outputs}, video_cost),
        "VideoJobFailed": job(
            Kind.VIDEO,
            JobStatus.FAILED,
            {"outputs": {"type": "array", "maxItems": 0}, "error": _ref("schemas", "JobError")},
            {"const": 0, "description": "A failed video is refunded (decision 8)"},
        ),
    }


def _error_schema(status: int | None) -> dict[str, Any]:
    """Decision 3: ``{"error": {code, message, status[, param]}, "detail": message}``."""
    codes = [code for code in ErrorCode if status is None or ERROR_STATUS[code] == status]
    error: dict[str, Any] = {
        "type": "object",
        "required": ["code", "message", "status"],
        "properties": {
            "code": {"type": "string", "enum": [str(c) for c in codes]},
            "message": {"type": "string", "minLength": 1},
            "param": {"type": "string", "description": "The offending field (invalid_parameter)"},
            "status": (
                {"type": "integer", "enum": sorted({ERROR_STATUS[c] for c in codes})}
                if status is None
                else {"const": status}
            ),
        },
        "additionalProperties": False,
    }
    if ErrorCode.INVALID_PARAMETER in codes:
        error["if"] = {"properties": {"code": {"const": str(ErrorCode.INVALID_PARAMETER)}}}
        error["then"] = {"required": ["param"]}
    return _obj(
        {"error": error, "detail": {"type": "string", "description": "The same text as error.message"}},
        description=", ".join(f"{c}: {_MEANINGS[c]}" for c in codes),
    )


def _rate_headers(status: int) -> dict[str, Any]:
    """Decision 7/15's headers (and 16's Retry-After on a 429)."""
    required = status not in _RATE_HEADERS_OPTIONAL
    note = "" if required else " Present only when the request carries valid credentials (decision 15)."
    headers: dict[str, Any] = {
        RATE_LIMIT_LIMIT: {
            "description": f"Requests allowed per {RATE_LIMIT_WINDOW_SECONDS} s window in this bucket."
            + note,
            "required": required,
            "schema": {"type": "integer", "minimum": 0},
        },
        RATE_LIMIT_REMAINING: {
            "description": "Requests left in the current window." + note,
            "required": required,
            "schema": {"type": "integer", "minimum": 0},
        },
        RATE_LIMIT_RESET: {
            "description": "When the window resets, in epoch seconds (a minute boundary)." + note,
            "required": required,
            "schema": {"type": "integer", "minimum": 0},
        },
    }
    if status == ERROR_STATUS[ErrorCode.RATE_LIMIT_EXCEEDED]:
        headers["Retry-After"] = {
            "description": "Whole seconds until a slot frees, at least 1 (decision 16)",
            "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }
    if status == ERROR_STATUS[ErrorCode.METHOD_NOT_ALLOWED]:
        headers["Allow"] = {
            "description": "The methods the path answers",
            "required": True,
            "schema": {"type": "string"},
        }
    return headers


def _error_response(status: int) -> dict[str, Any]:
    codes = [str(c) for c in ErrorCode if ERROR_STATUS[c] == status]
    response: dict[str, Any] = {"description": " or ".join(codes)}
    if status != ERROR_STATUS[ErrorCode.UNAUTHORIZED]:
        response["headers"] = _rate_headers(status)
    response["content"] = {_JSON: {"schema": _ref("schemas", f"Error{status}")}}
    return response


def _ok(description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "description": description,
        "headers": _rate_headers(200),
        "content": {_JSON: {"schema": schema}},
        **extra,
    }


def _responses(operation: Operation, ok: dict[str, Any]) -> dict[str, Any]:
    responses = {"200": ok}
    for status in _ERRORS[operation]:
        responses[str(status)] = _ref("responses", f"Error{status}")
    return responses


# --- operations ---------------------------------------------------------------------------------
def _pricing_text(kind: Kind) -> str:
    if kind is Kind.IMAGE:
        each = ", ".join(f"{q} ${p}" for q, p in IMAGE_PRICE_USD.items())
        return f"Price per image: {each}; times n, charged when accepted."
    each = ", ".join(f"{q} ${p}" for q, p in VIDEO_PRICE_PER_SECOND_USD.items())
    return f"Price per second of video: {each}; charged when accepted, refunded if the video fails."


def _resolutions(kind: Kind) -> dict[str, dict[str, list[int]]]:
    ratios = _param("aspect_ratio", PARAMS[kind]).choices or ()
    table: dict[str, dict[str, list[int]]] = {}
    for (ratio, quality), (width, height) in RESOLUTIONS.items():
        if ratio in ratios:
            table.setdefault(str(ratio), {})[quality] = [width, height]
    return table


def _generate(kind: Kind) -> dict[str, Any]:
    operation = Operation.GENERATE_IMAGE if kind is Kind.IMAGE else Operation.GENERATE_VIDEO
    if kind is Kind.IMAGE:
        summary = f"Generate images with {MODEL[kind]} (synchronous: the answer is the completed job)"
        ok = _ok("The completed image job", _ref("schemas", "ImageJob"))
        prices = {"per_image": {q: str(p) for q, p in IMAGE_PRICE_USD.items()}}
    else:
        summary = f"Generate a video with {MODEL[kind]} (asynchronous: poll the job until it is done)"
        ok = _ok("The job, still processing", _ref("schemas", "VideoJobProcessing"))
        prices = {"per_second": {q: str(p) for q, p in VIDEO_PRICE_PER_SECOND_USD.items()}}
    ok["links"] = {
        "GetJob": {"operationId": str(Operation.GET_JOB), "parameters": {"id": "$response.body#/job_id"}}
    }
    return {
        "operationId": str(operation),
        "summary": summary,
        "description": (
            f"{_pricing_text(kind)} Checks in order (decision 14): body size (413), credentials "
            "(401), rate limit (429), body and parameters (400), balance (402), then injected "
            "faults (500/503). A rejected request charges nothing and creates nothing."
        ),
        "requestBody": {
            "required": True,
            "content": {_JSON: {"schema": _ref("schemas", f"{kind.title()}Request")}},
        },
        "responses": _responses(operation, ok),
        "x-price-usd": prices,
        "x-resolutions": _resolutions(kind),
    }


def _id_parameter(description: str) -> dict[str, Any]:
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string", "pattern": "^[^/]+$"},
    }


def _paths(media_base: str) -> dict[str, Any]:
    item = f"{API_PREFIX}/{{id}}"
    kinds = [str(k) for k in Kind]
    get_job = {
        "operationId": str(Operation.GET_JOB),
        "summary": "Status of an image or video job (decision 9)",
        "description": (
            "A video answers processing until its estimate has passed on the fake's clock, then "
            "completed (or failed, refunded). `image` and `video` are not ids: GET on them is 405."
        ),
        "parameters": [_id_parameter("A job id (`img_...` or `vid_...`)")],
        "responses": _responses(
            Operation.GET_JOB,
            _ok(
                "The job in its current state",
                {"oneOf": [_ref("schemas", name) for name in _job_schemas()]},
            ),
        ),
    }
    delete = {
        "operationId": str(Operation.DELETE_MEDIA),
        "summary": "Delete one media file (decision 13)",
        "description": "Then it is gone from the list, its URL answers 404 and its job no longer lists it.",
        "parameters": [_id_parameter("A media id (`media_...`)")],
        "responses": _responses(Operation.DELETE_MEDIA, _ok("Deleted", _ref("schemas", "Deleted"))),
    }
    listing = {
        "operationId": str(Operation.LIST_MEDIA),
        "summary": "List this account's finished media, newest first (decisions 12, 18, 25)",
        "parameters": [
            {
                "name": "limit",
                "in": "query",
                "required": False,
                "description": "Items per page",
                "schema": {
                    "type": "integer",
                    "minimum": LIST_LIMIT_MIN,
                    "maximum": LIST_LIMIT_MAX,
                    "default": LIST_LIMIT_DEFAULT,
                },
            },
            {
                "name": "cursor",
                "in": "query",
                "required": False,
                "description": (
                    "The previous page's next_cursor: opaque and bound to its account; any other "
                    "value is 400 invalid_parameter naming cursor"
                ),
                "schema": {"type": "string", "minLength": 1},
            },
            {
                "name": "type",
                "in": "query",
                "required": False,
                "description": "Only media of this kind",
                "schema": {"type": "string", "enum": kinds},
            },
        ],
        "responses": _responses(Operation.LIST_MEDIA, _ok("One page", _ref("schemas", "MediaPage"))),
    }
    return {
        IMAGE_PATH: {"post": _generate(Kind.IMAGE)},
        VIDEO_PATH: {"post": _generate(Kind.VIDEO)},
        API_PREFIX: {"get": listing},
        item: {"get": get_job, "delete": delete},
        f"{GENERATED_DIR}/{{file}}": _file_path(media_base),
    }


def _header(schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """A response header that is always sent."""
    return {**({"description": description} if description else {}), "required": True, "schema": schema}


def _file_path(media_base: str) -> dict[str, Any]:
    """The CDN side (decision 10): no key, no rate-limit headers; validators and byte ranges."""
    media_types = sorted(set(CONTENT_TYPE.values()))
    validators = {
        "ETag": _header({"type": "string"}, "Strong; fixed by the file's bytes"),
        "Last-Modified": _header({"type": "string"}, "When the job completed (HTTP-date)"),
        "Cache-Control": _header({"type": "string"}),
        "Accept-Ranges": _header({"const": "bytes"}),
    }
    length = {"Content-Length": _header({"type": "integer", "minimum": 0})}
    span = {"Content-Range": _header({"type": "string"})}
    body = {media: {"schema": {"type": "string", "contentMediaType": media}} for media in media_types}
    not_found = {"description": "not_found", "content": {_JSON: {"schema": _ref("schemas", "Error404")}}}
    unmodified = {"description": "If-None-Match matched: not modified", "headers": validators}

    def header_param(name: str, description: str) -> dict[str, Any]:
        return {
            "name": name,
            "in": "header",
            "required": False,
            "description": description,
            "schema": {"type": "string"},
        }

    if_none_match = header_param("If-None-Match", "ETags (or *): a match answers 304")
    note = "No key and no rate-limit headers; a deleted file is 404."
    return {
        "servers": [{"url": media_base}],
        "parameters": [
            {
                "name": "file",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": "^[^/]+$"},
            }
        ],
        "get": {
            "operationId": str(Operation.GET_FILE),
            "summary": "Download a generated file",
            "description": note + " One byte range per request; a malformed or multiple Range gets it all.",
            "security": [],
            "parameters": [
                if_none_match,
                header_param("Range", "bytes=a-b, a- or -n"),
                header_param("If-Range", "Honour Range only while the file still has this ETag or date"),
            ],
            "responses": {
                "200": {"description": "The file", "headers": validators | length, "content": body},
                "206": {
                    "description": "The range asked for",
                    "headers": validators | length | span,
                    "content": body,
                },
                "304": unmodified,
                "404": not_found,
                "416": {
                    "description": "The range starts past the end",
                    "headers": validators | length | span,
                },
            },
        },
        "head": {
            "operationId": f"{Operation.GET_FILE}_head",
            "summary": "A generated file's headers, without its bytes",
            "description": note,
            "security": [],
            "parameters": [if_none_match],
            "responses": {
                "200": {"description": "The file's headers", "headers": validators | length},
                "304": unmodified,
                "404": {"description": "not_found"},
            },
        },
    }


def _plans_extension() -> dict[str, Any]:
    plans: dict[str, Any] = {}
    for plan, limits in PLAN_LIMITS.items():
        if limits is None:
            plans[plan] = {"custom": True, "default": dataclasses.asdict(ENTERPRISE_DEFAULT_LIMITS)}
        else:
            plans[plan] = dataclasses.asdict(limits)
    return plans


def _description() -> str:
    rows = []
    for plan, limits in PLAN_LIMITS.items():
        shown = limits or ENTERPRISE_DEFAULT_LIMITS
        custom = " (custom per account; these are the defaults)" if limits is None else ""
        rows.append(
            f"- {plan}: {shown.image_rpm} image / {shown.video_rpm} video requests per minute, "
            f"{shown.concurrent_jobs} concurrent video jobs{custom}"
        )
    documented = ", ".join(str(c) for c in DOCUMENTED_ERROR_CODES)
    added = ", ".join(str(c) for c in ErrorCode if c not in DOCUMENTED_ERROR_CODES)
    return "\n".join(
        [
            f"mock-media: a deterministic fake of the MoltbotDen Media API ({MODEL[Kind.IMAGE]} "
            f"images, {MODEL[Kind.VIDEO]} videos), generated from the fake's own tables "
            "(mock_media/core/facts.py and assumptions.py); docs/fidelity.md maps each fact to "
            "the doc and its tests.",
            "",
            f"{_pricing_text(Kind.IMAGE)} {_pricing_text(Kind.VIDEO)}",
            "",
            "Rate limits per plan (fixed one-minute windows; reads consume nothing):",
            *rows,
            "",
            f"Open mode opens an account on a key's first use, on the {DEFAULT_PLAN} plan with "
            f"${DEFAULT_BALANCE_USD} (both configurable); closed mode accepts registered keys only.",
            "",
            f"Error codes: the doc's {documented}; decision 4 adds {added}. Every error body is "
            '{"error": {"code", "message", "status"[, "param"]}, "detail": message}. A scripted '
            "scenario can make any route answer any of these codes.",
        ]
    )


@lru_cache(maxsize=16)
def _document(api_base: str, media_base: str) -> dict[str, Any]:
    """Built once per (api_base, media_base); never handed out without a copy."""
    schemas: dict[str, Any] = {
        "ImageRequest": _request_schema(Kind.IMAGE),
        "VideoRequest": _request_schema(Kind.VIDEO),
        "ImageJobId": {"type": "string", "pattern": f"^{_id_pattern(JOB_PREFIX[Kind.IMAGE])}$"},
        "VideoJobId": {"type": "string", "pattern": f"^{_id_pattern(JOB_PREFIX[Kind.VIDEO])}$"},
        "MediaId": {"type": "string", "pattern": f"^{_id_pattern(MEDIA_PREFIX)}$"},
        "Timestamp": {"type": "string", "format": "date-time", "description": "UTC, whole seconds, with a Z"},
        "ImageOutput": _output_schema(Kind.IMAGE),
        "VideoOutput": _output_schema(Kind.VIDEO),
        "JobError": _obj(
            {
                "code": _ref("schemas", "ErrorCode"),
                "message": {"type": "string", "minLength": 1},
            }
        ),
        **_job_schemas(),
        "ImageListItem": _list_item_schema(Kind.IMAGE),
        "VideoListItem": _list_item_schema(Kind.VIDEO),
        "MediaPage": _obj(
            {
                "media": {
                    "type": "array",
                    "maxItems": LIST_LIMIT_MAX,
                    "items": {"oneOf": [_ref("schemas", "ImageListItem"), _ref("schemas", "VideoListItem")]},
                },
                "count": {"type": "integer", "minimum": 0, "maximum": LIST_LIMIT_MAX},
                "next_cursor": {
                    "type": ["string", "null"],
                    "description": "Pass as cursor for the next page; null on the last page",
                },
            }
        ),
        "Deleted": _obj({"status": {"const": "deleted"}, "media_id": _ref("schemas", "MediaId")}),
        "ErrorCode": {"type": "string", "enum": [str(c) for c in ErrorCode]},
        "Error": _error_schema(None),
        **{f"Error{status}": _error_schema(status) for status in sorted(set(ERROR_STATUS.values()))},
    }
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "MoltbotDen Media API (mock-media)",
            "version": API_PREFIX.strip("/").split("/")[0],
            "description": _description(),
        },
        "servers": [{"url": api_base}],
        "security": [{_KEY_SCHEME: []}, {_BEARER_SCHEME: []}],
        "paths": _paths(media_base),
        "components": {
            "securitySchemes": {
                _KEY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": API_KEY_HEADER,
                    "description": "Agents: your MoltbotDen API key",
                },
                _BEARER_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "Human users; tried before X-API-Key when both are sent",
                },
            },
            "schemas": schemas,
            "responses": {f"Error{s}": _error_response(s) for s in sorted(set(ERROR_STATUS.values()))},
        },
        "x-plan-limits": _plans_extension(),
        "x-rate-limit-window-seconds": RATE_LIMIT_WINDOW_SECONDS,
    }
