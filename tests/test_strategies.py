"""``mock_media.strategies``: what it draws is what it says, checked against a fresh fake and
against the doc's tables as typed out in ``tests/doc_tables.py`` (never the core's own).

1. Every valid request is accepted (200) and costs and measures what the doc's tables say.
2. Every labelled invalid case gets exactly its status, code and param (decision 3's body).
3. Every response has the doc's shape, its fields agreeing with each other and the tables.
4. Overrides pin what they pin; bad arguments are refused at once.
5. A fixed Hypothesis seed gives the same examples, without touching the global ``random``.
"""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl

import pytest
from hypothesis import Phase, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st

from mock_media import MockMedia, WireRequest
from mock_media.strategies import (
    ApiResponse,
    InvalidRequest,
    api_keys,
    error_responses,
    image_requests,
    image_responses,
    invalid_bodies,
    invalid_image_requests,
    invalid_video_requests,
    list_responses,
    plans,
    prompts,
    rate_limit_headers,
    video_requests,
    video_responses,
)
from tests.doc_tables import (
    DECISION_4_ERRORS,
    DOC_ERRORS,
    DOC_FPS,
    DOC_IMAGE_DEFAULTS,
    DOC_IMAGE_PRICE,
    DOC_IMAGE_RESOLUTIONS,
    DOC_PLANS,
    DOC_VIDEO_DEFAULTS,
    DOC_VIDEO_PRICE_PER_SECOND,
    IMAGE_PATH,
    JOB_ID_IMAGE,
    JOB_ID_VIDEO,
    LIST_ITEM_KEYS,
    MEDIA_HOST,
    MEDIA_ID,
    TIMESTAMP,
    VIDEO_PATH,
)
from tests.helpers import assert_error

KEY = "test-key"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "strategies.md"
PATHS = {"image": IMAGE_PATH, "video": VIDEO_PATH}
# The doc's plans with numbers, and Enterprise's defaults (decision 21).
IMAGE_LIMITS = {row[1] for row in DOC_PLANS} | {300}
VIDEO_LIMITS = {row[2] for row in DOC_PLANS} | {50}
IMAGE_KEYS = {"job_id", "status", "created_at", "completed_at", "model", "outputs", "prompt", "cost_usd"}
IMAGE_OUTPUT_KEYS = {"media_id", "url", "expires_at", "width", "height", "format", "size_bytes"}
VIDEO_OUTPUT_KEYS = {"media_id", "url", "duration_seconds", "width", "height", "fps", "format", "size_bytes"}
ALL_ERRORS = DOC_ERRORS | DECISION_4_ERRORS
QUICK = settings(max_examples=40)


def post(fake: MockMedia, path: str, content: bytes) -> tuple[int, dict[str, str], bytes]:
    answer = fake(WireRequest.build("POST", path, headers={"X-API-Key": KEY}, body=content))
    return answer.status, answer.headers, answer.read()


def params(body: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The request's parameters: the doc's default for each one left out."""
    return {**defaults, **{k: v for k, v in body.items() if v is not None}}


def exact(content: bytes) -> Any:
    return json.loads(content, parse_float=Decimal)


def epoch(timestamp: str) -> int:
    assert TIMESTAMP.match(timestamp), timestamp
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp())


def sent(response: ApiResponse) -> dict[str, Any]:
    """The generation request behind a job answer, which the POST itself sent."""
    assert response.submitted is not None
    if response.request.method == "POST":
        assert json.loads(response.request.body) == response.submitted
    return response.submitted


# --- 1. valid requests ----------------------------------------------------------------------


@QUICK
@given(body=image_requests())
def test_image_requests__accepted_at_the_doc_price_and_resolution(body: dict[str, Any]) -> None:
    fake = MockMedia()
    p = params(body, DOC_IMAGE_DEFAULTS)
    price = DOC_IMAGE_PRICE[p["quality"]] * p["n"]

    status, _, raw = post(fake, IMAGE_PATH, json.dumps(body).encode())

    assert status == 200, raw
    answer = exact(raw)
    assert answer["cost_usd"] == price
    assert fake.spent() == price
    size = DOC_IMAGE_RESOLUTIONS[p["aspect_ratio"]][p["quality"]]
    assert [(o["width"], o["height"]) for o in answer["outputs"]] == [size] * p["n"]
    assert answer["prompt"] == body["prompt"]


@QUICK
@given(body=video_requests())
def test_video_requests__accepted_at_the_doc_price(body: dict[str, Any]) -> None:
    fake = MockMedia()
    p = params(body, DOC_VIDEO_DEFAULTS)
    price = DOC_VIDEO_PRICE_PER_SECOND[p["quality"]] * p["duration_seconds"]

    status, _, raw = post(fake, VIDEO_PATH, json.dumps(body).encode())

    assert status == 200, raw
    answer = exact(raw)
    assert answer["cost_usd"] == price
    assert answer["duration_seconds"] == p["duration_seconds"]
    assert fake.spent() == price


def test_valid_requests__through_an_http_client() -> None:
    """The same bodies through ``MockMedia().client()``, as a user's test would send them."""
    fake = MockMedia()
    with fake.client() as client:

        @settings(max_examples=15)
        @given(kind=st.sampled_from(["image", "video"]), data=st.data())
        def check(kind: str, data: st.DataObject) -> None:
            body = data.draw(image_requests() if kind == "image" else video_requests())
            fake.register_account(KEY, "enterprise", "1000")  # fresh limits and money each time
            fake.advance(60)
            assert client.post(PATHS[kind], json=body).status_code == 200

        check()


@settings(max_examples=15)
@given(body=image_requests(), key=api_keys(), plan=plans())
def test_api_keys_and_plans__any_drawn_key_and_plan_is_served(
    body: dict[str, Any], key: str, plan: str
) -> None:
    fake = MockMedia()
    fake.register_account(key, plan)
    answer = fake(
        WireRequest.build("POST", IMAGE_PATH, headers={"X-API-Key": key}, body=json.dumps(body).encode())
    )

    assert answer.status == 200, answer.body
    assert plan in {row[0] for row in DOC_PLANS} | {"enterprise"}


@settings(max_examples=200)
@given(prompt=prompts())
def test_prompts__never_blank_and_never_past_4000_characters(prompt: str) -> None:
    assert prompt.strip()
    assert 1 <= len(prompt) <= 4000
    prompt.encode("utf-8")  # no lone surrogate: JSON could carry it, the API refuses it


# --- 2. invalid requests --------------------------------------------------------------------


def assert_refused_as_labelled(case: InvalidRequest) -> None:
    fake = MockMedia()
    status, _, raw = post(fake, case.path, case.content)

    assert status == case.status == 400, (case, raw)
    assert_error(json.loads(raw), case.status, case.code, param=case.param)
    assert fake.spent() == 0
    assert fake.backend.store.jobs == {}


@settings(max_examples=120)
@given(case=invalid_image_requests())
def test_invalid_image_requests__each_gets_exactly_its_label(case: InvalidRequest) -> None:
    assert case.path == IMAGE_PATH
    assert_refused_as_labelled(case)


@settings(max_examples=100)
@given(case=invalid_video_requests())
def test_invalid_video_requests__each_gets_exactly_its_label(case: InvalidRequest) -> None:
    assert case.path == VIDEO_PATH
    assert_refused_as_labelled(case)


@settings(max_examples=60)
@given(body=invalid_bodies(), path=st.sampled_from([IMAGE_PATH, VIDEO_PATH]))
def test_invalid_bodies__are_not_json_objects_on_either_route(body: bytes, path: str) -> None:
    status, _, raw = post(MockMedia(), path, body)

    assert status == 400, raw
    assert_error(json.loads(raw), 400, "invalid_parameter", param="body")


@settings(max_examples=60)
@given(case=invalid_image_requests() | invalid_video_requests())
def test_invalid_requests__json_cases_are_objects_and_labels_are_consistent(case: InvalidRequest) -> None:
    assert case.status == ALL_ERRORS[case.code]
    if isinstance(case.body, bytes):
        assert case.param == "body"
    else:
        assert json.loads(case.content) == case.body
    assert (case.param is None) == (case.code == "invalid_prompt")
    assert case.reason.split(":")[0] == (case.param or "prompt")


# --- 3. responses ---------------------------------------------------------------------------


def assert_rate_headers(response: ApiResponse) -> None:
    limit, remaining, reset = (response.header(f"X-RateLimit-{h}") for h in ("Limit", "Remaining", "Reset"))
    assert limit is not None and remaining is not None and reset is not None, response.headers
    assert 0 <= int(remaining) <= int(limit)
    assert int(reset) % 60 == 0  # decision 7: windows aligned to the minute


@QUICK
@given(response=image_responses())
def test_image_responses__the_doc_shape_priced_and_sized_by_the_tables(response: ApiResponse) -> None:
    body, p = exact(response.content), params(sent(response), DOC_IMAGE_DEFAULTS)
    assert response.status == 200
    assert set(body) == IMAGE_KEYS
    assert JOB_ID_IMAGE.match(body["job_id"])
    assert (body["status"], body["model"], body["prompt"]) == ("completed", "imagen-4", p["prompt"])
    assert epoch(body["completed_at"]) == epoch(body["created_at"])
    assert body["cost_usd"] == DOC_IMAGE_PRICE[p["quality"]] * p["n"]
    assert len(body["outputs"]) == p["n"]
    for index, out in enumerate(body["outputs"]):
        assert set(out) == IMAGE_OUTPUT_KEYS
        assert MEDIA_ID.match(out["media_id"])
        assert out["url"] == f"{MEDIA_HOST}/generated/{body['job_id']}_{index}.webp"
        assert (out["width"], out["height"]) == DOC_IMAGE_RESOLUTIONS[p["aspect_ratio"]][p["quality"]]
        assert (out["format"], out["expires_at"]) == ("webp", None)
        assert out["size_bytes"] > 0
    assert response.body == json.loads(response.content)
    assert_rate_headers(response)
    assert not response.retryable


@pytest.mark.parametrize("status", [None, "processing", "completed", "failed"])
def test_video_responses__the_doc_shape_for_each_status(status: str | None) -> None:
    @settings(max_examples=20)
    @given(response=video_responses(status))
    def check(response: ApiResponse) -> None:
        body, p = exact(response.content), params(sent(response), DOC_VIDEO_DEFAULTS)
        assert response.status == 200
        assert status in (None, body["status"])
        assert JOB_ID_VIDEO.match(body["job_id"])
        assert (body["model"], body["prompt"], body["duration_seconds"]) == (
            "veo-3",
            p["prompt"],
            p["duration_seconds"],
        )
        price = DOC_VIDEO_PRICE_PER_SECOND[p["quality"]] * p["duration_seconds"]
        if body["status"] == "processing":
            assert "outputs" not in body and "completed_at" not in body
            assert body["estimated_completion_seconds"] > 0
            assert body["cost_usd"] == price
            return
        elapsed = epoch(body["completed_at"]) - epoch(body["created_at"])
        assert elapsed > 0  # decision 23: when it was due, however late it was polled
        if body["status"] == "failed":
            assert (body["outputs"], body["cost_usd"]) == ([], 0)  # refunded (decision 8)
            assert set(body["error"]) == {"code", "message"}
            return
        assert body["status"] == "completed"
        assert body["cost_usd"] == price
        [out] = body["outputs"]
        assert set(out) == VIDEO_OUTPUT_KEYS
        assert out["url"] == f"{MEDIA_HOST}/generated/{body['job_id']}.mp4"
        assert (out["width"], out["height"]) == DOC_IMAGE_RESOLUTIONS[p["aspect_ratio"]][p["quality"]]
        assert (out["duration_seconds"], out["fps"], out["format"]) == (
            p["duration_seconds"],
            p["fps"],
            "mp4",
        )
        assert out["fps"] in DOC_FPS

    check()


@QUICK
@given(response=list_responses())
def test_list_responses__a_page_in_the_decided_shape(response: ApiResponse) -> None:
    body = response.body
    query = dict(parse_qsl(response.request.query))
    assert response.status == 200 and response.request.path == "/v1/hosting/media"
    assert set(body) == {"media", "count", "next_cursor"}
    assert body["count"] == len(body["media"]) <= int(query.get("limit", 50))
    for item in body["media"]:
        extra = {"duration_seconds", "fps"} if item["type"] == "video" else set()
        assert set(item) == LIST_ITEM_KEYS | extra
        assert query.get("type") in (None, item["type"])
        pattern = JOB_ID_IMAGE if item["type"] == "image" else JOB_ID_VIDEO
        assert pattern.match(item["job_id"]) and MEDIA_ID.match(item["media_id"])
        assert item["url"].startswith(f"{MEDIA_HOST}/generated/{item['job_id']}")
    times = [epoch(item["created_at"]) for item in body["media"]]
    assert times == sorted(times, reverse=True)  # newest first (decision 18)
    assert body["next_cursor"] is None or isinstance(body["next_cursor"], str)
    assert_rate_headers(response)


@pytest.mark.parametrize("code", sorted(ALL_ERRORS))
def test_error_responses__decision_3_body_with_the_doc_status(code: str) -> None:
    @settings(max_examples=12)
    @given(response=error_responses(code))
    def check(response: ApiResponse) -> None:
        status = ALL_ERRORS[code]
        param = response.body["error"].get("param")
        assert response.status == status
        assert_error(response.body, status, code, param=param)
        assert (param is not None) == (code == "invalid_parameter")
        assert response.retryable == (status in (429, 500, 503))
        credentials = response.request.headers.get("x-api-key") is not None
        has_rate_headers = response.header("X-RateLimit-Limit") is not None
        assert has_rate_headers == (credentials and status != 401)  # decision 15
        if has_rate_headers:
            assert_rate_headers(response)
        retry_after = response.header("Retry-After")
        assert (retry_after is not None) == (status == 429)
        if retry_after is not None:
            assert int(retry_after) >= 1  # decision 16
        assert (response.header("Allow") is not None) == (status == 405)

    check()


@settings(max_examples=30)
@given(response=error_responses())
def test_error_responses__any_code_is_one_of_the_documented_or_decided(response: ApiResponse) -> None:
    assert ALL_ERRORS[response.body["error"]["code"]] == response.status


@QUICK
@given(headers=rate_limit_headers())
def test_rate_limit_headers__plan_limits_minute_windows_and_retry_after_on_429(
    headers: dict[str, str],
) -> None:
    limit, remaining, reset = (int(headers[f"X-RateLimit-{h}"]) for h in ("Limit", "Remaining", "Reset"))
    assert limit in IMAGE_LIMITS | VIDEO_LIMITS
    assert 0 <= remaining < limit
    assert reset % 60 == 0
    if "Retry-After" in headers:
        assert remaining == 0
        assert 1 <= int(headers["Retry-After"]) <= 60


# --- 4. overrides and arguments -------------------------------------------------------------


@settings(max_examples=30)
@given(body=image_requests(quality="hd", n=st.sampled_from([2, 4]), seed=None, prompt="a cat"))
def test_image_requests__overrides_pin_values_strategies_and_absence(body: dict[str, Any]) -> None:
    assert (body["quality"], body["prompt"]) == ("hd", "a cat")
    assert body["n"] in (2, 4)
    assert "seed" not in body


@settings(max_examples=20)
@given(response=video_responses("completed", quality="hd", aspect_ratio="9:16", fps=30))
def test_video_responses__overrides_reach_the_request(response: ApiResponse) -> None:
    [out] = response.body["outputs"]
    assert (out["width"], out["height"], out["fps"]) == (*DOC_IMAGE_RESOLUTIONS["9:16"]["hd"], 30)


@settings(max_examples=20)
@given(response=image_responses(n=4, style="anime"))
def test_image_responses__overrides_reach_the_request(response: ApiResponse) -> None:
    assert len(response.body["outputs"]) == 4
    assert sent(response)["style"] == "anime"


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: image_requests(n=5), ValueError, "n must be between 1 and 4"),
        (lambda: image_requests(quality="ultra"), ValueError, "quality must be one of"),
        (lambda: video_requests(fps=25), ValueError, "fps must be one of"),
        (lambda: video_requests(seed=True), ValueError, "seed must be an integer"),
        (lambda: image_requests(prompt=""), ValueError, "prompt must not be empty"),
        (lambda: image_requests(prompt=None), ValueError, "prompt is required"),
        (lambda: image_requests(fps=24), TypeError, "image requests have no parameter 'fps'"),
        (lambda: video_requests(style="anime"), TypeError, "no parameter 'style'"),
        (lambda: image_responses(colour="red"), TypeError, "no parameter 'colour'"),
        (lambda: video_responses("done"), ValueError, "status must be None or one of"),
        (lambda: error_responses("teapot"), ValueError, "code must be None or one of"),
        (lambda: prompts(max_size=4001), ValueError, "max_size must be between 1 and 4000"),
    ],
)
def test_strategies__bad_arguments_are_refused_when_built(
    make: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=re.escape(message)):
        make()


# --- 5. determinism and packaging -----------------------------------------------------------

EVERYTHING = st.tuples(
    image_requests(),
    video_requests(),
    invalid_image_requests(),
    invalid_video_requests(),
    image_responses(),
    video_responses(),
    list_responses(),
    error_responses(),
    rate_limit_headers(),
)


def _forbidden(*args: object, **kwargs: object) -> Any:
    raise AssertionError("the global random module was used")


def draw_with_a_fixed_seed() -> list[Any]:
    """A few examples of every strategy, under one Hypothesis seed and no example database."""
    drawn: list[Any] = []

    @hypothesis_seed(20250314)
    @settings(max_examples=8, database=None, phases=[Phase.generate])
    @given(value=EVERYTHING)
    def collect(value: Any) -> None:
        drawn.append(value)

    collect()
    return drawn


def test_strategies__a_fixed_seed_gives_the_same_examples_without_the_global_random(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("random", "randint", "randrange", "choice", "choices", "sample", "shuffle", "getrandbits"):
        monkeypatch.setattr(random, name, _forbidden)
    first, second = draw_with_a_fixed_seed(), draw_with_a_fixed_seed()

    assert first == second
    assert len({repr(v) for v in first}) > 1


def test_strategies__without_hypothesis_the_import_error_says_how_to_install_it() -> None:
    code = "import sys\nsys.modules['hypothesis'] = None\nimport mock_media.strategies\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode != 0
    assert "ImportError" in result.stderr and "pip install hypothesis" in result.stderr


def test_docs__the_worked_example_runs_and_its_tests_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    """docs/strategies.md's Python blocks, run in order as one module, then its tests."""
    module = ModuleType("strategies_doc")
    monkeypatch.setitem(sys.modules, module.__name__, module)  # dataclasses look their module up
    for block in re.findall(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S):
        exec(compile(block, str(DOCS), "exec"), module.__dict__)
    tests = [test for name, test in vars(module).items() if name.startswith("test_")]

    assert len(tests) == 5
    for test in tests:
        test()


def test_package__import_mock_media_does_not_load_the_strategies() -> None:
    code = (
        "import sys, mock_media\nprint('mock_media.strategies' in sys.modules, 'hypothesis' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )

    assert result.stdout.split() == ["False", "False"], result.stderr
