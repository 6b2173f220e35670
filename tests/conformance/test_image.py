"""POST /image: parameters, defaults, resolutions, variations and the response's exact shape."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mock_media.core.requests import ImageRequest
from tests.doc_tables import (
    DOC_IMAGE_DEFAULTS,
    DOC_IMAGE_REQUEST,
    DOC_IMAGE_RESOLUTIONS,
    DOC_PRODUCT_MOCKUP_REQUEST,
    DOC_QUALITIES,
    DOC_STYLES,
    IMAGE_PATH,
    IMAGE_RESOLUTION_ROWS,
    JOB_ID_IMAGE,
    MEDIA_HOST,
    MEDIA_ID,
    START_ISO,
    TIMESTAMP,
)
from tests.doors import Api
from tests.helpers import assert_served_file, exact, stored_request

# The doc's "Generate image" response keys and output keys, in order.
DOC_RESPONSE_KEYS = [
    "job_id",
    "status",
    "created_at",
    "completed_at",
    "model",
    "outputs",
    "prompt",
    "cost_usd",
]
DOC_OUTPUT_KEYS = ["media_id", "url", "expires_at", "width", "height", "format", "size_bytes"]


def assert_one_output_of_size(api: Api, aspect_ratio: str, quality: str, size: tuple[int, int]) -> None:
    r = api.image({"prompt": "a cat", "aspect_ratio": aspect_ratio, "quality": quality})

    assert r.status == 200, r.body
    [out] = r.json()["outputs"]
    assert (out["width"], out["height"]) == size


def test_image__doc_example_gives_the_doc_response_shape(api: Api) -> None:
    r = api.image(DOC_IMAGE_REQUEST)

    assert r.status == 200, r.body
    assert r.headers["content-type"].startswith("application/json")
    body = r.json()
    assert list(body) == DOC_RESPONSE_KEYS
    assert JOB_ID_IMAGE.fullmatch(body["job_id"])
    assert body["status"] == "completed"
    assert body["created_at"] == START_ISO
    assert TIMESTAMP.fullmatch(body["completed_at"])
    assert body["completed_at"] >= body["created_at"]
    assert body["model"] == "imagen-4"
    assert body["prompt"] == DOC_IMAGE_REQUEST["prompt"]
    assert exact(r)["cost_usd"] == Decimal("0.04")
    assert isinstance(body["cost_usd"], float)
    [out] = body["outputs"]
    assert list(out) == DOC_OUTPUT_KEYS
    assert MEDIA_ID.fullmatch(out["media_id"])
    assert out["url"] == f"{MEDIA_HOST}/generated/{body['job_id']}_0.webp"
    assert out["expires_at"] is None
    assert (out["width"], out["height"]) == (1920, 1080)
    assert out["format"] == "webp"
    assert type(out["size_bytes"]) is int and out["size_bytes"] > 0


def test_image__doc_product_mockup_example_gives_four_hd_outputs(api: Api) -> None:
    r = api.image(DOC_PRODUCT_MOCKUP_REQUEST)

    assert r.status == 200, r.body
    body = r.json()
    assert [(o["width"], o["height"]) for o in body["outputs"]] == [(2880, 2160)] * 4
    assert exact(r)["cost_usd"] == Decimal("0.32")


def test_image__prompt_only_applies_every_default(api: Api) -> None:
    r = api.image({"prompt": "A futuristic city skyline at sunset"})

    assert r.status == 200, r.body
    body = r.json()
    [out] = body["outputs"]  # n defaults to 1
    assert (out["width"], out["height"]) == (1024, 1024)  # "1:1", "standard"
    assert exact(r)["cost_usd"] == Decimal("0.04")
    assert stored_request(api, body["job_id"], ImageRequest) == ImageRequest(
        prompt="A futuristic city skyline at sunset", **DOC_IMAGE_DEFAULTS
    )


@pytest.mark.parametrize("field", ["negative_prompt", "aspect_ratio", "quality", "style", "n", "seed"])
def test_image__null_optional_field_means_its_default(api: Api, field: str) -> None:
    r = api.image({"prompt": "a cat", field: None})

    assert r.status == 200, r.body
    body = r.json()
    [out] = body["outputs"]
    assert (out["width"], out["height"]) == (1024, 1024)
    assert exact(r)["cost_usd"] == Decimal("0.04")
    assert stored_request(api, body["job_id"], ImageRequest) == ImageRequest(prompt="a cat")
    assert api.backend.journal.query(path=IMAGE_PATH)[-1].ignored_fields == ()


@pytest.mark.parametrize(("aspect_ratio", "quality", "size"), IMAGE_RESOLUTION_ROWS)
def test_image__resolution_follows_the_doc_table(
    api: Api, aspect_ratio: str, quality: str, size: tuple[int, int]
) -> None:
    assert_one_output_of_size(api, aspect_ratio, quality, size)


@pytest.mark.parametrize(
    ("aspect_ratio", "quality", "size"),
    [("16:9", "hd", (3840, 2160)), ("3:4", "standard", (1080, 1440))],
)
def test_image__resolution_follows_the_doc_table_through_every_door(
    api: Api, aspect_ratio: str, quality: str, size: tuple[int, int]
) -> None:
    assert_one_output_of_size(api, aspect_ratio, quality, size)


@pytest.mark.parametrize("quality", DOC_QUALITIES)
def test_image__quality_alone_keeps_the_default_aspect_ratio(api: Api, quality: str) -> None:
    r = api.image({"prompt": "a cat", "quality": quality})

    assert r.status == 200, r.body
    [out] = r.json()["outputs"]
    assert (out["width"], out["height"]) == DOC_IMAGE_RESOLUTIONS["1:1"][quality]


@pytest.mark.parametrize("style", DOC_STYLES)
def test_image__every_documented_style_is_accepted(api: Api, style: str) -> None:
    r = api.image({"prompt": "a cat", "style": style})

    assert r.status == 200, r.body
    assert stored_request(api, r.json()["job_id"], ImageRequest).style == style


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("negative_prompt", "text overlays, watermarks, people, hands"),
        ("negative_prompt", ""),
        ("seed", 0),
        ("seed", 42),
        ("seed", 2**32 - 1),
    ],
)
def test_image__optional_value_is_accepted(api: Api, field: str, value: Any) -> None:
    r = api.image({"prompt": "a cat", field: value})

    assert r.status == 200, r.body
    assert getattr(stored_request(api, r.json()["job_id"], ImageRequest), field) == value


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_image__n_gives_n_outputs_indexed_from_zero(api: Api, n: int) -> None:
    r = api.image({"prompt": "a cat", "n": n, "aspect_ratio": "9:16"})

    assert r.status == 200, r.body
    body = r.json()
    job_id = body["job_id"]
    outputs = body["outputs"]
    assert [o["url"] for o in outputs] == [
        f"{MEDIA_HOST}/generated/{job_id}_{index}.webp" for index in range(n)
    ]
    assert len({o["media_id"] for o in outputs}) == n
    assert all(MEDIA_ID.fullmatch(o["media_id"]) for o in outputs)
    assert all((o["width"], o["height"]) == (1080, 1920) for o in outputs)
    assert all(list(o) == DOC_OUTPUT_KEYS for o in outputs)


def test_image__four_variations_through_every_door(api: Api) -> None:
    r = api.image({"prompt": "a cat", "n": 4})

    assert r.status == 200, r.body
    body = r.json()
    assert [o["url"].rsplit("/", 1)[1] for o in body["outputs"]] == [
        f"{body['job_id']}_{index}.webp" for index in range(4)
    ]


def test_image__prompt_is_echoed_in_full(api: Api) -> None:
    prompt = "Ünïcode ✓ prompt 🦀 " + "x" * 3980
    r = api.image({"prompt": prompt})

    assert r.status == 200, r.body
    assert r.json()["prompt"] == prompt


def test_image__ids_are_fresh_for_every_job(api: Api) -> None:
    first = api.image({"prompt": "a cat", "seed": 7}).json()
    second = api.image({"prompt": "a cat", "seed": 7}).json()

    assert first["job_id"] != second["job_id"]
    assert first["outputs"][0]["media_id"] != second["outputs"][0]["media_id"]


def test_image__output_file_is_a_webp_of_size_bytes(api: Api) -> None:
    out = api.image({"prompt": "a cat"}).json()["outputs"][0]

    data = assert_served_file(api, out, "image/webp")

    assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"
    assert int.from_bytes(data[4:8], "little") == out["size_bytes"] - 8
