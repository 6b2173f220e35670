"""The generated OpenAPI document: valid OpenAPI 3.1, and saying what the doc and the core say.

Every value is checked twice: against the core's tables (so the document is generated from
them, not retyped) and against the doc's literal tables in ``tests/doc_tables.py`` (so a typo in
the core cannot agree with itself). Served at ``GET /openapi.json`` through every door.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

import pytest
from openapi_spec_validator import validate

from mock_media import openapi_document
from mock_media.core import assumptions, facts
from mock_media.core.facts import ERROR_STATUS, ErrorCode
from mock_media.wire.openapi import OPENAPI_PATH, SERVED_BASE, openapi_json
from mock_media.wire.routes import ROUTES, Operation, resolve
from tests.doc_tables import (
    API_PREFIX,
    DECISION_4_ERRORS,
    DOC_ERRORS,
    DOC_FPS,
    DOC_IMAGE_ASPECT_RATIOS,
    DOC_IMAGE_DEFAULTS,
    DOC_IMAGE_PRICE,
    DOC_IMAGE_RESOLUTIONS,
    DOC_PLANS,
    DOC_QUALITIES,
    DOC_STYLES,
    DOC_VIDEO_ASPECT_RATIOS,
    DOC_VIDEO_DEFAULTS,
    DOC_VIDEO_PRICE_PER_SECOND,
    IMAGE_PATH,
    IMAGE_PRICES,
    JOB_ID_IMAGE,
    JOB_ID_VIDEO,
    MEDIA_HOST,
    MEDIA_ID,
    VIDEO_PATH,
    VIDEO_PRICES,
)
from tests.doors import API_HOST, Api

from .openapi_check import resolve as deref

# The doc's rate-limit headers and credentials, and decision 12's list paging, typed out by hand.
DOC_RATE_HEADERS = ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset")
DOC_LIMIT = {"minimum": 1, "maximum": 100, "default": 50}
# The doc's required parameters: "prompt | string | required" in both tables.
DOC_REQUIRED = ["prompt"]
DOC_RANGES = {("image", "n"): (1, 4), ("video", "duration_seconds"): (1, 30)}
DOC_ENUMS = {
    ("image", "aspect_ratio"): DOC_IMAGE_ASPECT_RATIOS,
    ("image", "quality"): DOC_QUALITIES,
    ("image", "style"): DOC_STYLES,
    ("video", "aspect_ratio"): DOC_VIDEO_ASPECT_RATIOS,
    ("video", "quality"): DOC_QUALITIES,
    ("video", "fps"): DOC_FPS,
}
ITEM_PATH = API_PREFIX + "/{id}"
FILE_PATH = "/generated/{file}"


@pytest.fixture(scope="module")
def doc() -> dict[str, Any]:
    return openapi_document()


def _schema(doc: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = doc["components"]["schemas"][name]
    return found


def _request_props(doc: dict[str, Any], kind: str) -> dict[str, Any]:
    props: dict[str, Any] = _schema(doc, f"{kind.title()}Request")["properties"]
    return props


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    methods = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
    return [
        (template, method, op)
        for template, item in doc["paths"].items()
        for method, op in item.items()
        if method in methods
    ]


def _concrete(template: str) -> str:
    return template.replace("{id}", "img_0123456789ab").replace("{file}", "img_0123456789ab_0.webp")


# --- a valid OpenAPI 3.1 document ---------------------------------------------------------------
@pytest.mark.parametrize("api_base", [API_HOST, SERVED_BASE])
def test_document__is_valid_openapi_3_1(api_base: str) -> None:
    document = openapi_document(api_base)
    validate(document)  # raises on any violation of the OpenAPI 3.1 schema
    assert document["openapi"].startswith("3.1.")
    assert document["servers"] == [{"url": api_base}]


def test_document__is_json_deterministic_and_a_fresh_copy_each_time() -> None:
    first = openapi_document()
    assert json.loads(json.dumps(first)) == first
    assert json.dumps(openapi_document()) == json.dumps(first)  # same keys, same order
    first["paths"].clear()
    assert openapi_document()["paths"], "the cached document must not be shared"
    assert openapi_json() is openapi_json()
    assert json.loads(openapi_json()) == openapi_document()


# --- routes -------------------------------------------------------------------------------------
def test_routes__every_documented_operation_is_the_route_the_fake_serves(doc: dict[str, Any]) -> None:
    for template, method, op in _operations(doc):
        match = resolve(method.upper(), _concrete(template))
        assert match is not None and match.operation is not None, (method, template)
        assert op["operationId"].removesuffix("_head") == str(match.operation), (method, template)


def test_routes__every_route_the_fake_serves_is_documented(doc: dict[str, Any]) -> None:
    documented = {(m.upper(), _concrete(t)) for t, m, _ in _operations(doc)}
    for pattern, methods in ROUTES:
        for method in methods:
            assert any(m == method and pattern.fullmatch(p) for m, p in documented), (pattern, method)
    assert {op["operationId"].removesuffix("_head") for _, _, op in _operations(doc)} == set(Operation)


def test_routes__the_doc_endpoints(doc: dict[str, Any]) -> None:
    assert set(doc["paths"]) == {IMAGE_PATH, VIDEO_PATH, API_PREFIX, ITEM_PATH, FILE_PATH}
    assert set(doc["paths"][IMAGE_PATH]) == {"post"}
    assert set(doc["paths"][VIDEO_PATH]) == {"post"}
    assert set(doc["paths"][API_PREFIX]) == {"get"}
    assert set(doc["paths"][ITEM_PATH]) == {"get", "delete"}
    assert doc["paths"][FILE_PATH]["servers"] == [{"url": MEDIA_HOST}]


# --- request parameters -------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["image", "video"])
def test_params__match_the_core_table_exactly(doc: dict[str, Any], kind: str) -> None:
    table = facts.PARAMS[facts.Kind(kind)]
    schema = _schema(doc, f"{kind.title()}Request")
    props = schema["properties"]
    assert list(props) == [p.name for p in table]
    assert schema["required"] == [p.name for p in table if p.required]
    for param in table:
        prop = props[param.name]
        json_type = {str: "string", int: "integer"}[param.type]
        assert prop["type"] == (json_type if param.required else [json_type, "null"]), param.name
        assert prop.get("default") == param.default, param.name
        if param.choices is None:
            assert "enum" not in prop, param.name
        else:
            assert prop["enum"] == [*param.choices, None], param.name  # decision 17: null = absent
        if param.name == "seed":
            assert (prop["minimum"], prop["maximum"]) == (assumptions.SEED_MIN, assumptions.SEED_MAX)
        else:
            assert prop.get("minimum") == param.minimum, param.name
            assert prop.get("maximum") == param.maximum, param.name
    prompt = props["prompt"]
    assert (prompt["minLength"], prompt["maxLength"]) == (1, assumptions.PROMPT_MAX_CHARS)


@pytest.mark.parametrize("kind", ["image", "video"])
def test_params__match_the_doc_tables(doc: dict[str, Any], kind: str) -> None:
    props = _request_props(doc, kind)
    defaults = DOC_IMAGE_DEFAULTS if kind == "image" else DOC_VIDEO_DEFAULTS
    assert list(props) == ["prompt", *defaults]
    assert _schema(doc, f"{kind.title()}Request")["required"] == DOC_REQUIRED
    assert {name: props[name].get("default") for name in defaults} == defaults
    for (enum_kind, name), values in DOC_ENUMS.items():
        if enum_kind == kind:
            assert props[name]["enum"] == [*values, None]
    for (range_kind, name), (low, high) in DOC_RANGES.items():
        if range_kind == kind:
            assert (props[name]["minimum"], props[name]["maximum"]) == (low, high)
    # Decision 5: 1-4000 characters.
    assert (props["prompt"]["minLength"], props["prompt"]["maxLength"]) == (1, 4000)
    # Seeds are unsigned 32-bit (docs/fidelity.md, further choices).
    assert (props["seed"]["minimum"], props["seed"]["maximum"]) == (0, 2**32 - 1)


def test_params__list_query_is_decision_12(doc: dict[str, Any]) -> None:
    params = {p["name"]: p for p in doc["paths"][API_PREFIX]["get"]["parameters"]}
    assert list(params) == ["limit", "cursor", "type"]
    assert all(p["in"] == "query" and not p["required"] for p in params.values())
    limit = params["limit"]["schema"]
    assert {k: limit[k] for k in DOC_LIMIT} == DOC_LIMIT
    core = (assumptions.LIST_LIMIT_MIN, assumptions.LIST_LIMIT_MAX, assumptions.LIST_LIMIT_DEFAULT)
    assert (limit["minimum"], limit["maximum"], limit["default"]) == core
    assert params["type"]["schema"]["enum"] == ["image", "video"] == [str(k) for k in facts.Kind]


# --- responses ----------------------------------------------------------------------------------
def test_errors__every_code_with_its_status(doc: dict[str, Any]) -> None:
    assert _schema(doc, "ErrorCode")["enum"] == [str(c) for c in ErrorCode]
    assert {str(c): s for c, s in ERROR_STATUS.items()} == DOC_ERRORS | DECISION_4_ERRORS
    for status in sorted(set(ERROR_STATUS.values())):
        error = _schema(doc, f"Error{status}")["properties"]["error"]
        expected = [code for code, s in (DOC_ERRORS | DECISION_4_ERRORS).items() if s == status]
        assert sorted(error["properties"]["code"]["enum"]) == sorted(expected)
        assert error["properties"]["status"] == {"const": status}
        assert error["required"] == ["code", "message", "status"]


def test_errors__every_code_is_answerable_somewhere(doc: dict[str, Any]) -> None:
    statuses = {int(s) for _, _, op in _operations(doc) for s in op["responses"]}
    assert set(ERROR_STATUS.values()) <= statuses


EXPECTED_STATUSES = {
    ("post", IMAGE_PATH): {200, 400, 401, 402, 413, 429, 500, 503},
    ("post", VIDEO_PATH): {200, 400, 401, 402, 413, 429, 500, 503},
    ("get", API_PREFIX): {200, 400, 401, 413, 429, 500, 503},
    ("get", ITEM_PATH): {200, 401, 404, 405, 413, 429, 500, 503},
    ("delete", ITEM_PATH): {200, 401, 404, 405, 413, 429, 500, 503},
    ("get", FILE_PATH): {200, 206, 304, 404, 416},
    ("head", FILE_PATH): {200, 304, 404},
}


@pytest.mark.parametrize(("method", "template"), list(EXPECTED_STATUSES))
def test_responses__each_route_documents_the_statuses_it_can_give(
    doc: dict[str, Any], method: str, template: str
) -> None:
    op = doc["paths"][template][method]
    assert {int(s) for s in op["responses"]} == EXPECTED_STATUSES[(method, template)]
    for status, ref in op["responses"].items():
        answer = deref(doc, ref)
        headers = answer.get("headers", {})
        if template == FILE_PATH or status == "401":
            assert not set(DOC_RATE_HEADERS) & set(headers), (method, template, status)
            continue
        assert list(headers)[:3] == list(DOC_RATE_HEADERS), (method, template, status)
        required = status not in ("404", "405", "413")  # decision 15: only with valid credentials
        assert all(headers[h]["required"] is required for h in DOC_RATE_HEADERS), (method, status)
        assert ("Retry-After" in headers) is (status == "429")
        assert ("Allow" in headers) is (status == "405")


def test_security__both_documented_headers(doc: dict[str, Any]) -> None:
    schemes = doc["components"]["securitySchemes"]
    assert doc["security"] == [{name: []} for name in schemes]
    assert {"type": "apiKey", "in": "header", "name": "X-API-Key"}.items() <= schemes["ApiKeyAuth"].items()
    assert {"type": "http", "scheme": "bearer"}.items() <= schemes["BearerAuth"].items()
    assert doc["paths"][FILE_PATH]["get"]["security"] == []


def test_shapes__ids_and_jobs_follow_the_decisions(doc: dict[str, Any]) -> None:
    patterns = {name: _schema(doc, name)["pattern"] for name in ("ImageJobId", "VideoJobId", "MediaId")}
    assert patterns == {
        "ImageJobId": JOB_ID_IMAGE.pattern,
        "VideoJobId": JOB_ID_VIDEO.pattern,
        "MediaId": MEDIA_ID.pattern,
    }
    assert _schema(doc, "ImageJob")["properties"]["status"] == {"const": "completed"}
    assert _schema(doc, "VideoJobProcessing")["properties"]["status"] == {"const": "processing"}
    assert _schema(doc, "VideoJobFailed")["properties"]["cost_usd"]["const"] == 0
    assert _schema(doc, "ImageJob")["properties"]["model"] == {"const": "imagen-4"}
    assert _schema(doc, "VideoJobCompleted")["properties"]["model"] == {"const": "veo-3"}
    get_job = deref(doc, doc["paths"][ITEM_PATH]["get"]["responses"]["200"])
    shapes = get_job["content"]["application/json"]["schema"]["oneOf"]
    assert [s["$ref"].rsplit("/", 1)[1] for s in shapes] == [
        "ImageJob",
        "VideoJobProcessing",
        "VideoJobCompleted",
        "VideoJobFailed",
    ]


# --- prices, plans, resolutions -----------------------------------------------------------------
def test_prices__image_and_video_tables(doc: dict[str, Any]) -> None:
    image = doc["paths"][IMAGE_PATH]["post"]["x-price-usd"]["per_image"]
    video = doc["paths"][VIDEO_PATH]["post"]["x-price-usd"]["per_second"]
    assert {q: Decimal(p) for q, p in image.items()} == DOC_IMAGE_PRICE == facts.IMAGE_PRICE_USD
    assert {q: Decimal(p) for q, p in video.items()} == DOC_VIDEO_PRICE_PER_SECOND
    assert DOC_VIDEO_PRICE_PER_SECOND == facts.VIDEO_PRICE_PER_SECOND_USD
    # cost_usd: every image price the doc implies, and the video range from 1 s standard to 30 s HD.
    assert _schema(doc, "ImageJob")["properties"]["cost_usd"]["enum"] == sorted(
        {float(price) for _, _, price in IMAGE_PRICES}
    )
    video_cost = _schema(doc, "VideoJobProcessing")["properties"]["cost_usd"]
    prices = [Decimal(price) for _, _, price in VIDEO_PRICES]
    assert (video_cost["minimum"], video_cost["maximum"]) == (float(min(prices)), float(max(prices)))


def test_plans__the_doc_table_and_enterprise_defaults(doc: dict[str, Any]) -> None:
    plans = doc["x-plan-limits"]
    for name, image_rpm, video_rpm, concurrent in DOC_PLANS:
        assert plans[name] == {"image_rpm": image_rpm, "video_rpm": video_rpm, "concurrent_jobs": concurrent}
    # Decision 21: Enterprise is "Custom", 300 / 50 / 50 unless set per account.
    defaults = {"image_rpm": 300, "video_rpm": 50, "concurrent_jobs": 50}
    assert plans["enterprise"] == {"custom": True, "default": defaults}
    assert list(plans) == list(facts.PLAN_LIMITS)


def test_resolutions__the_doc_table(doc: dict[str, Any]) -> None:
    image = doc["paths"][IMAGE_PATH]["post"]["x-resolutions"]
    video = doc["paths"][VIDEO_PATH]["post"]["x-resolutions"]
    as_lists = {r: {q: list(size) for q, size in row.items()} for r, row in DOC_IMAGE_RESOLUTIONS.items()}
    assert image == as_lists
    assert video == {r: row for r, row in as_lists.items() if r in DOC_VIDEO_ASPECT_RATIOS}
    widths = sorted({w for row in DOC_IMAGE_RESOLUTIONS.values() for w, _ in row.values()})
    assert _schema(doc, "ImageOutput")["properties"]["width"]["enum"] == widths


def test_description__states_prices_and_plans_from_the_tables(doc: dict[str, Any]) -> None:
    text = doc["info"]["description"]
    for quality, price in DOC_IMAGE_PRICE.items():
        assert f"{quality} ${price}" in text
    for name, image_rpm, video_rpm, concurrent in DOC_PLANS:
        assert re.search(rf"{name}: {image_rpm} image / {video_rpm} video .* {concurrent} concurrent", text)


# --- served -------------------------------------------------------------------------------------
def test_served__get_openapi_json_needs_no_key_and_is_neither_journaled_nor_limited(api: Api) -> None:
    r = api.request("GET", OPENAPI_PATH, key=None)
    assert r.status == 200
    assert r.headers["content-type"] == "application/json"
    assert r.json() == openapi_document(SERVED_BASE, api.backend.config.media_base)
    assert not any(h.startswith("x-ratelimit") for h in r.headers)
    head = api.request("HEAD", OPENAPI_PATH, key=None)
    assert (head.status, head.body, head.headers["content-length"]) == (200, b"", str(len(r.body)))
    wrong = api.request("POST", OPENAPI_PATH, key=None, json={})
    assert (wrong.status, wrong.json()["error"]["code"], wrong.headers["allow"]) == (
        405,
        "method_not_allowed",
        "GET, HEAD",
    )
    assert api.backend.journal.query() == []
