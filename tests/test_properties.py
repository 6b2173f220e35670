"""Properties of generation requests, over generated bodies (Hypothesis, wire door only).

1. Any invalid image or video request gets the documented 400 and its code, and changes
   nothing but its rate-limit slot and the journal (decisions 5, 14, 17).
2. Any valid request costs what the doc's price tables say and has the doc's resolution.
3. The fake's seed makes a run reproducible: the same seed and the same requests give the
   same ids, bodies and bytes; a request's ``seed`` gives the same file for the same
   parameters, job after job (decision 20).

Each example builds its own backend (cheap: microseconds), so no function-scoped fixture is
shared between examples.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from faker import Faker
from hypothesis import given
from hypothesis import strategies as st

from mock_media import Kind, MediaBackend, MockConfig, WireRequest, build_handler
from mock_media.wire import Handler
from tests.doc_tables import (
    API_PREFIX,
    DOC_FPS,
    DOC_IMAGE_ASPECT_RATIOS,
    DOC_IMAGE_DEFAULTS,
    DOC_IMAGE_PRICE,
    DOC_IMAGE_RESOLUTIONS,
    DOC_QUALITIES,
    DOC_STYLES,
    DOC_VIDEO_ASPECT_RATIOS,
    DOC_VIDEO_DEFAULTS,
    DOC_VIDEO_PRICE_PER_SECOND,
    IMAGE_PATH,
    MEDIA_HOST,
    VIDEO_PATH,
)
from tests.doors import DEFAULT_KEY
from tests.helpers import Snapshot, assert_error, path_of

PATHS = {"image": IMAGE_PATH, "video": VIDEO_PATH}

# Realistic prompts, the same every run.
_fake = Faker()
_fake.seed_instance(20250314)
FAKER_PROMPTS = tuple(
    [_fake.sentence(nb_words=12) for _ in range(40)]
    + [_fake.catch_phrase() for _ in range(20)]
    + [_fake.paragraph(nb_sentences=8) for _ in range(10)]
)

# --- strategies ---------------------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
prompts = st.sampled_from(FAKER_PROMPTS) | st.text(min_size=1, max_size=300).filter(lambda s: bool(s.strip()))


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """A field's value or null (decision 17: null means absent)."""
    return st.none() | strategy


image_bodies: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {"prompt": prompts},
    optional={
        "negative_prompt": _maybe(st.text(max_size=50)),
        "aspect_ratio": _maybe(st.sampled_from(DOC_IMAGE_ASPECT_RATIOS)),
        "quality": _maybe(st.sampled_from(DOC_QUALITIES)),
        "style": _maybe(st.sampled_from(DOC_STYLES)),
        "n": _maybe(st.integers(1, 4)),
        "seed": _maybe(st.integers(0, 2**32 - 1)),
    },
)
video_bodies: st.SearchStrategy[dict[str, Any]] = st.fixed_dictionaries(
    {"prompt": prompts},
    optional={
        "duration_seconds": _maybe(st.integers(1, 30)),
        "aspect_ratio": _maybe(st.sampled_from(DOC_VIDEO_ASPECT_RATIOS)),
        "quality": _maybe(st.sampled_from(DOC_QUALITIES)),
        "fps": _maybe(st.sampled_from(DOC_FPS)),
        "seed": _maybe(st.integers(0, 2**32 - 1)),
    },
)


def _not_int(value: Any) -> bool:
    return value is not None and (isinstance(value, bool) or not isinstance(value, int))


def _not_str(value: Any) -> bool:
    return value is not None and not isinstance(value, str)


def _enum(allowed: tuple[str, ...]) -> st.SearchStrategy[Any]:
    """A wrong value for a string enum: another string, or not a string at all."""
    return st.text(max_size=12).filter(lambda s: s not in allowed) | json_values.filter(_not_str)


def _integer(low: int, high: int, choices: tuple[int, ...] = ()) -> st.SearchStrategy[Any]:
    """A wrong value for an integer: out of range (or of the choices), or not a JSON integer."""
    outside = st.integers(max_value=low - 1) | st.integers(min_value=high + 1)
    if choices:
        outside = st.integers(low - 100, high + 100).filter(lambda i: i not in choices)
    integral = st.integers(low, high).map(float)  # 2.0 is not 2 (decision 17)
    numeric_text = st.integers(low, high).map(str)  # nor is "2"
    return outside | integral | numeric_text | json_values.filter(_not_int)


BAD_FIELDS: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "image": {
        "negative_prompt": json_values.filter(_not_str),
        "aspect_ratio": _enum(DOC_IMAGE_ASPECT_RATIOS),
        "quality": _enum(DOC_QUALITIES),
        "style": _enum(DOC_STYLES),
        "n": _integer(1, 4),
        "seed": _integer(0, 2**32 - 1),
    },
    "video": {
        "duration_seconds": _integer(1, 30),
        "aspect_ratio": _enum(DOC_VIDEO_ASPECT_RATIOS),
        "quality": _enum(DOC_QUALITIES),
        "fps": _integer(24, 30, choices=DOC_FPS),
        "seed": _integer(0, 2**32 - 1),
    },
}
blank_prompts = st.text(alphabet=" \t\n\r\u00a0\u2003\u3000", max_size=20)
long_prompts = st.builds(
    lambda c, k: c * k, st.sampled_from(["a", "é", "🦀", "ab "]), st.integers(4001, 4400)
)


def _is_json_object(raw: bytes) -> bool:
    # json.loads on bytes, as FastAPI reads a body: lenient (a BOM passes), so that only
    # bodies no reading could take for an object are labelled invalid.
    try:
        return isinstance(json.loads(raw), dict)
    except (ValueError, RecursionError):
        return False


not_objects = (
    st.binary(max_size=40).filter(lambda b: not _is_json_object(b))
    | json_values.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode())
    | st.sampled_from([b'{"prompt": NaN}', b'{"prompt": "a", "n": Infinity}', b'{"prompt": "\\ud800"}'])
)


@dataclass(frozen=True)
class Invalid:
    """A bad request and the answer the doc (and the decisions) give it."""

    kind: str
    body: bytes
    code: str
    param: str | None


@st.composite
def invalid_requests(draw: st.DrawFn) -> Invalid:
    kind = draw(st.sampled_from(["image", "video"]))
    base = dict(draw(image_bodies if kind == "image" else video_bodies))
    flaw = draw(st.sampled_from(["field", "blank_prompt", "long_prompt", "prompt_type", "no_prompt", "body"]))
    if flaw == "field":
        field = draw(st.sampled_from(sorted(BAD_FIELDS[kind])))
        base[field] = draw(BAD_FIELDS[kind][field])
        return Invalid(kind, json.dumps(base).encode(), "invalid_parameter", field)
    if flaw == "body":
        return Invalid(kind, draw(not_objects), "invalid_parameter", "body")
    if flaw == "prompt_type":
        base["prompt"] = draw(json_values.filter(_not_str))
        return Invalid(kind, json.dumps(base).encode(), "invalid_parameter", "prompt")
    if flaw == "no_prompt":
        if draw(st.booleans()):
            del base["prompt"]
        else:
            base["prompt"] = None
    else:
        base["prompt"] = draw(blank_prompts if flaw == "blank_prompt" else long_prompts)
    return Invalid(kind, json.dumps(base).encode(), "invalid_prompt", None)


# --- helpers ------------------------------------------------------------------------------


def post(
    handler: Handler, path: str, body: bytes, key: str = DEFAULT_KEY
) -> tuple[int, dict[str, str], bytes]:
    answer = handler(WireRequest.build("POST", path, headers={"X-API-Key": key}, body=body))
    return answer.status, answer.headers, answer.read()


def get(handler: Handler, path: str, key: str | None = DEFAULT_KEY) -> tuple[int, dict[str, str], bytes]:
    headers = {} if key is None else {"X-API-Key": key}
    answer = handler(WireRequest.build("GET", path, headers=headers))
    return answer.status, answer.headers, answer.read()


def download_digest(handler: Handler, url: str, limit: int = 256 * 1024) -> tuple[int, str, str]:
    """(status, Content-Length, sha256 of the first ``limit`` bytes) of an output file.

    Videos run to hundreds of megabytes; their bytes are all drawn from the file's one seed,
    so a prefix is enough to tell two seeds apart without reading them whole.
    """
    answer = handler(WireRequest.build("GET", path_of(url)))
    digest = hashlib.sha256()
    taken = 0
    for chunk in answer.chunks or [answer.body]:
        digest.update(chunk[: limit - taken])
        taken += len(chunk)
        if taken >= limit:
            break
    return answer.status, answer.headers.get("Content-Length", ""), digest.hexdigest()


def download(handler: Handler, url: str) -> bytes:
    status, _, data = get(handler, path_of(url), key=None)
    assert status == 200
    return data


def with_defaults(body: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    """The request's parameters: the doc's default for each one absent or null (decision 17)."""
    return {**defaults, **{field: value for field, value in body.items() if value is not None}}


def fresh() -> tuple[MediaBackend, Handler]:
    backend = MediaBackend(MockConfig())
    return backend, build_handler(backend)


# --- 1. invalid requests ------------------------------------------------------------------


@given(case=invalid_requests())
def test_generation__invalid_request_gets_its_code_and_changes_nothing(case: Invalid) -> None:
    backend, handler = fresh()
    assert post(handler, IMAGE_PATH, b'{"prompt": "a cat"}')[0] == 200  # some state to keep
    before = Snapshot.of(backend)
    rng = backend.rng.getstate()
    journaled = backend.journal.total
    kind = Kind.IMAGE if case.kind == "image" else Kind.VIDEO
    remaining = backend.rate_state(backend.accounts[DEFAULT_KEY], kind).remaining

    status, headers, raw = post(handler, PATHS[case.kind], case.body)

    assert status == 400, raw
    assert_error(json.loads(raw), 400, case.code, param=case.param)
    assert Snapshot.of(backend) == before
    assert backend.rng.getstate() == rng  # no id or file was drawn either
    assert backend.journal.total == journaled + 1
    assert int(headers["X-RateLimit-Remaining"]) == remaining - 1


# --- 2. valid requests cost and measure what the tables say -------------------------------


@given(body=image_bodies)
def test_image__any_valid_request_costs_and_measures_the_doc_tables(body: dict[str, Any]) -> None:
    backend, handler = fresh()
    backend.register_account(DEFAULT_KEY, "pro", "100")
    params = with_defaults(body, DOC_IMAGE_DEFAULTS)
    aspect, quality, n = params["aspect_ratio"], params["quality"], params["n"]

    status, _, raw = post(handler, IMAGE_PATH, json.dumps(body).encode())

    assert status == 200, raw
    answer = json.loads(raw, parse_float=Decimal)
    price = DOC_IMAGE_PRICE[quality] * n
    assert answer["cost_usd"] == price
    assert backend.accounts[DEFAULT_KEY].balance == Decimal("100") - price
    assert answer["prompt"] == body["prompt"]
    assert [(o["width"], o["height"]) for o in answer["outputs"]] == [
        DOC_IMAGE_RESOLUTIONS[aspect][quality]
    ] * n
    assert [o["url"] for o in answer["outputs"]] == [
        f"{MEDIA_HOST}/generated/{answer['job_id']}_{i}.webp" for i in range(n)
    ]


@given(body=video_bodies)
def test_video__any_valid_request_costs_and_measures_the_doc_tables(body: dict[str, Any]) -> None:
    backend, handler = fresh()
    backend.register_account(DEFAULT_KEY, "pro", "100")
    params = with_defaults(body, DOC_VIDEO_DEFAULTS)
    aspect, quality = params["aspect_ratio"], params["quality"]
    duration, fps = params["duration_seconds"], params["fps"]

    status, _, raw = post(handler, VIDEO_PATH, json.dumps(body).encode())

    assert status == 200, raw
    submitted = json.loads(raw, parse_float=Decimal)
    price = DOC_VIDEO_PRICE_PER_SECOND[quality] * duration
    assert submitted["cost_usd"] == price
    assert submitted["duration_seconds"] == duration
    assert backend.accounts[DEFAULT_KEY].balance == Decimal("100") - price
    backend.advance(submitted["estimated_completion_seconds"])
    polled = json.loads(get(handler, f"{API_PREFIX}/{submitted['job_id']}")[2])
    assert polled["status"] == "completed"
    [out] = polled["outputs"]
    assert (out["width"], out["height"]) == DOC_IMAGE_RESOLUTIONS[aspect][quality]
    assert (out["fps"], out["duration_seconds"]) == (fps, float(duration))
    assert out["url"] == f"{MEDIA_HOST}/generated/{submitted['job_id']}.mp4"


# --- 3. reproducibility -------------------------------------------------------------------

steps = st.lists(
    st.one_of(
        st.tuples(st.just("image"), image_bodies),
        st.tuples(st.just("video"), video_bodies),
        st.tuples(st.just("advance"), st.integers(0, 400)),
    ),
    min_size=1,
    max_size=6,
)


def run(seed: int, script: list[tuple[str, Any]]) -> list[Any]:
    """Play a script against a fresh fake; everything a client could observe, in order."""
    backend = MediaBackend(MockConfig(seed=seed))
    handler = build_handler(backend)
    seen: list[Any] = []
    jobs: list[str] = []
    for action, arg in script:
        if action == "advance":
            backend.advance(arg)
            continue
        status, headers, raw = post(handler, PATHS[action], json.dumps(arg).encode())
        seen.append((status, headers, raw))
        if status == 200:
            jobs.append(json.loads(raw)["job_id"])
    backend.advance(3600)
    for job_id in jobs:
        status, headers, raw = get(handler, f"{API_PREFIX}/{job_id}")
        seen.append((status, headers, raw))
        for out in json.loads(raw).get("outputs", []):
            seen.append(download_digest(handler, out["url"]))
    seen.append(get(handler, API_PREFIX, key=DEFAULT_KEY))
    return seen


@given(seed=st.integers(0, 2**63), script=steps)
def test_backend__same_seed_and_requests_give_the_same_answers_and_bytes(
    seed: int, script: list[tuple[str, Any]]
) -> None:
    first = run(seed, script)
    second = run(seed, script)

    assert first == second


def test_backend__different_seeds_give_different_ids() -> None:
    script: list[tuple[str, Any]] = [("image", {"prompt": "a cat"})]

    zero, one = run(0, script), run(1, script)

    assert json.loads(zero[0][2])["job_id"] != json.loads(one[0][2])["job_id"]


@given(
    body=image_bodies.map(lambda b: b if (b.get("n") or 1) <= 2 else {**b, "n": 2}),  # keep it quick
    seed=st.integers(0, 2**32 - 1),
    other=st.integers(0, 2**32 - 1),
    gap=st.integers(0, 120),
)
def test_image__request_seed_gives_the_same_files_job_after_job(
    body: dict[str, Any], seed: int, other: int, gap: int
) -> None:
    backend, handler = fresh()
    seeded = json.dumps({**body, "seed": seed}).encode()

    first = json.loads(post(handler, IMAGE_PATH, seeded)[2])
    backend.advance(gap)
    post(handler, IMAGE_PATH, b'{"prompt": "something else in between"}')
    second = json.loads(post(handler, IMAGE_PATH, seeded)[2])

    assert first["job_id"] != second["job_id"]
    assert {o["media_id"] for o in first["outputs"]}.isdisjoint(o["media_id"] for o in second["outputs"])
    assert [o["size_bytes"] for o in first["outputs"]] == [o["size_bytes"] for o in second["outputs"]]
    first_files = [download(handler, o["url"]) for o in first["outputs"]]
    second_files = [download(handler, o["url"]) for o in second["outputs"]]
    assert first_files == second_files
    assert [len(f) for f in first_files] == [o["size_bytes"] for o in first["outputs"]]
    if other != seed:
        third = json.loads(post(handler, IMAGE_PATH, json.dumps({**body, "seed": other}).encode())[2])
        assert download(handler, third["outputs"][0]["url"]) != first_files[0]


@given(
    body=video_bodies,
    seed=st.integers(0, 2**32 - 1),
)
def test_video__request_seed_gives_the_same_file_job_after_job(body: dict[str, Any], seed: int) -> None:
    backend, handler = fresh()
    seeded = json.dumps({**body, "seed": seed}).encode()

    first = json.loads(post(handler, VIDEO_PATH, seeded)[2])
    second = json.loads(post(handler, VIDEO_PATH, seeded)[2])
    backend.advance(3600)
    outputs = [
        json.loads(get(handler, f"{API_PREFIX}/{j['job_id']}")[2])["outputs"][0] for j in (first, second)
    ]

    assert first["job_id"] != second["job_id"]
    assert outputs[0]["media_id"] != outputs[1]["media_id"]
    assert outputs[0]["size_bytes"] == outputs[1]["size_bytes"]
    assert download_digest(handler, outputs[0]["url"]) == download_digest(handler, outputs[1]["url"])
