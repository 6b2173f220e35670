"""Rejected generation requests: every bad parameter, prompt and body, and what they leave alone.

Decisions 3, 4, 5, 14 and 17: a wrong type, an unknown enum value or an out-of-range number is
400 ``invalid_parameter`` naming the field; a missing, null, empty, blank, too long or blocked
prompt is 400 ``invalid_prompt``; a body that is not a JSON object is ``invalid_parameter``
naming ``body``. A rejected request moves no money and creates nothing, but it has used a
rate-limit slot and it is journaled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mock_media import MediaBackend, MockConfig
from tests.doc_tables import IMAGE_PATH, VIDEO_PATH
from tests.doors import DEFAULT_KEY, Api
from tests.helpers import Snapshot, assert_error, assert_journaled_rejection

# (field, bad value): wrong types, out-of-enum values and out-of-range numbers.
BAD_IMAGE_VALUES: list[tuple[str, Any]] = [
    ("negative_prompt", 1),
    ("negative_prompt", True),
    ("negative_prompt", ["hands"]),
    ("negative_prompt", {"text": "hands"}),
    ("aspect_ratio", "2:1"),
    ("aspect_ratio", "16:10"),
    ("aspect_ratio", "1:1 "),
    ("aspect_ratio", "1x1"),
    ("aspect_ratio", ""),
    ("aspect_ratio", 1),
    ("aspect_ratio", 1.5),
    ("aspect_ratio", True),
    ("aspect_ratio", ["1:1"]),
    ("quality", "ultra"),  # the OpenAPI snapshot's values are not the doc's
    ("quality", "fast"),
    ("quality", "HD"),
    ("quality", "Standard"),
    ("quality", ""),
    ("quality", 1),
    ("quality", False),
    ("style", "cartoon"),
    ("style", "Anime"),
    ("style", "3d"),
    ("style", ""),
    ("style", 3),
    ("style", {"name": "anime"}),
    ("n", 0),
    ("n", 5),
    ("n", -1),
    ("n", 100),
    ("n", 2.0),
    ("n", 1.5),
    ("n", "2"),
    ("n", "two"),
    ("n", True),
    ("n", False),
    ("n", [2]),
    ("seed", "42"),
    ("seed", 42.0),
    ("seed", 4.2),
    ("seed", True),
    ("seed", [42]),
    ("seed", -1),  # assumptions.py: the models' seeds are unsigned 32-bit
    ("seed", 2**32),
]
BAD_VIDEO_VALUES: list[tuple[str, Any]] = [
    ("duration_seconds", 0),
    ("duration_seconds", 31),
    ("duration_seconds", -5),
    ("duration_seconds", 60),
    ("duration_seconds", 5.0),
    ("duration_seconds", 2.5),
    ("duration_seconds", "5"),
    ("duration_seconds", True),
    ("duration_seconds", [5]),
    ("aspect_ratio", "4:3"),  # an image ratio, not a video one
    ("aspect_ratio", "3:4"),
    ("aspect_ratio", "21:9"),
    ("aspect_ratio", 16),
    ("quality", "ultra"),
    ("quality", "fast"),
    ("quality", "HD"),
    ("quality", 0),
    ("fps", 25),
    ("fps", 60),
    ("fps", 0),
    ("fps", 24.0),
    ("fps", "24"),
    ("fps", True),
    ("seed", "1"),
    ("seed", 1.0),
    ("seed", False),
    ("seed", -1),
    ("seed", 2**32),
]
BLANK_PROMPTS: list[Any] = ["", " ", "   ", "\n\t ", "\u3000", "x" * 4001, " " * 4001]
WRONG_TYPE_PROMPTS: list[Any] = [42, 4.5, True, ["a cat"], {"text": "a cat"}]
BAD_BODIES: list[bytes] = [
    b"",
    b"   ",
    b"not json",
    b"{'prompt': 'single quotes'}",
    b'{"prompt": "a cat"',
    b'{"prompt": "a cat"} trailing',
    b"[]",
    b'[{"prompt": "a cat"}]',
    b'"a cat"',
    b"42",
    b"null",
    b"true",
    b"\xff\xfe\xfd",
    b'{"prompt": "caf\xe9"}',  # Latin-1, not UTF-8
    b'{"prompt": NaN}',
    b'{"prompt": "a cat", "n": NaN}',
    b'{"prompt": "a cat", "seed": Infinity}',
    b'{"prompt": "a cat", "seed": -Infinity}',
    b'{"prompt": "a cat", "seed": 1' + b"0" * 5000 + b"}",  # longer than int() will read
    b'{"prompt": "\\ud800 a lone surrogate"}',  # UTF-8 cannot encode it (nor echo it)
    b'{"prompt": "a cat", "\\udfff": 1}',
    b"[" * 100_000,
]


def assert_rejected_changing_nothing(
    api: Api, path: str, code: str, *, param: str | None = None, **request: Any
) -> None:
    """``POST path`` (with ``request``: json=, content=, headers=) is a 400 ``code`` naming
    ``param`` that changes nothing (decision 14). One job is made first, so that "nothing
    changed" is not trivially empty."""
    assert api.image({"prompt": "a cat"}).status == 200
    before = Snapshot.of(api.backend)

    r = api.request("POST", path, **request)

    assert_error(r, 400, code, param=param)
    assert Snapshot.of(api.backend) == before


@pytest.mark.parametrize(("field", "value"), BAD_IMAGE_VALUES)
def test_image__bad_parameter_is_invalid_parameter_naming_it(api: Api, field: str, value: Any) -> None:
    assert_rejected_changing_nothing(
        api, IMAGE_PATH, "invalid_parameter", param=field, json={"prompt": "a cat", field: value}
    )


@pytest.mark.parametrize(("field", "value"), BAD_VIDEO_VALUES)
def test_video__bad_parameter_is_invalid_parameter_naming_it(api: Api, field: str, value: Any) -> None:
    assert_rejected_changing_nothing(
        api, VIDEO_PATH, "invalid_parameter", param=field, json={"prompt": "a crab", field: value}
    )


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        (IMAGE_PATH, {"prompt": "a cat", "n": 5}, "n"),
        (IMAGE_PATH, {"prompt": "a cat", "aspect_ratio": "2:1"}, "aspect_ratio"),
        (VIDEO_PATH, {"prompt": "a crab", "fps": 25}, "fps"),
        (VIDEO_PATH, {"prompt": "a crab", "duration_seconds": "5"}, "duration_seconds"),
    ],
)
def test_generation__bad_parameter_through_every_door(
    api: Api, path: str, body: dict[str, Any], param: str
) -> None:
    r = api.request("POST", path, json=body)

    assert_error(r, 400, "invalid_parameter", param=param)
    assert api.backend.store.jobs == {}


@pytest.mark.parametrize(
    ("path", "body", "param", "message"),
    [
        (IMAGE_PATH, {"prompt": "a cat", "n": 5}, "n", "n must be between 1 and 4; got 5"),
        (IMAGE_PATH, {"prompt": "a cat", "n": "2"}, "n", "n must be an integer, got a string"),
        (IMAGE_PATH, {"prompt": "a cat", "n": True}, "n", "n must be an integer, got a boolean"),
        (
            IMAGE_PATH,
            {"prompt": "a cat", "aspect_ratio": "2:1"},
            "aspect_ratio",
            'aspect_ratio must be one of "1:1", "16:9", "9:16", "4:3", "3:4"; got "2:1"',
        ),
        (
            IMAGE_PATH,
            {"prompt": "a cat", "quality": "ultra"},
            "quality",
            'quality must be one of "standard", "hd"; got "ultra"',
        ),
        (
            VIDEO_PATH,
            {"prompt": "a crab", "duration_seconds": 31},
            "duration_seconds",
            "duration_seconds must be between 1 and 30; got 31",
        ),
        (VIDEO_PATH, {"prompt": "a crab", "fps": 25}, "fps", "fps must be one of 24, 30; got 25"),
        (IMAGE_PATH, {"prompt": 42}, "prompt", "prompt must be a string, got an integer"),
        (IMAGE_PATH, [], "body", "Request body must be a JSON object"),
    ],
)
def test_generation__invalid_parameter_body_is_exact(
    api: Api, path: str, body: Any, param: str, message: str
) -> None:
    r = api.request("POST", path, json=body)

    assert_error(r, 400, "invalid_parameter", message=message, param=param)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"aspect_ratio": "1:1"}, "prompt is required"),
        ({"prompt": None}, "prompt is required"),
        ({"prompt": ""}, "prompt must not be empty"),
        ({"prompt": "   "}, "prompt must not be empty"),
        ({"prompt": "x" * 4001}, "prompt must be at most 4000 characters, got 4001"),
    ],
)
def test_image__invalid_prompt_body_is_exact(api: Api, body: dict[str, Any], message: str) -> None:
    r = api.image(body)

    assert_error(r, 400, "invalid_prompt", message=message)


@pytest.mark.parametrize("path", [IMAGE_PATH, VIDEO_PATH])
@pytest.mark.parametrize("prompt", BLANK_PROMPTS)
def test_generation__empty_blank_or_too_long_prompt_is_invalid_prompt(
    api: Api, path: str, prompt: str
) -> None:
    assert_rejected_changing_nothing(api, path, "invalid_prompt", json={"prompt": prompt})


@pytest.mark.parametrize("path", [IMAGE_PATH, VIDEO_PATH])
@pytest.mark.parametrize("body", [{}, {"prompt": None}, {"negative_prompt": "hands"}, {"Prompt": "a cat"}])
def test_generation__missing_or_null_prompt_is_invalid_prompt(
    api: Api, path: str, body: dict[str, Any]
) -> None:
    assert_rejected_changing_nothing(api, path, "invalid_prompt", json=body)


@pytest.mark.parametrize("path", [IMAGE_PATH, VIDEO_PATH])
@pytest.mark.parametrize("prompt", WRONG_TYPE_PROMPTS)
def test_generation__non_string_prompt_is_invalid_parameter_naming_prompt(
    api: Api, path: str, prompt: Any
) -> None:
    assert_rejected_changing_nothing(api, path, "invalid_parameter", param="prompt", json={"prompt": prompt})


@pytest.mark.parametrize("path", [IMAGE_PATH, VIDEO_PATH])
def test_generation__prompt_of_4000_characters_is_accepted_and_echoed(api: Api, path: str) -> None:
    prompt = "a cat " * 666 + "meow"
    assert len(prompt) == 4000

    r = api.request("POST", path, json={"prompt": prompt})

    assert r.status == 200, r.body
    assert r.json()["prompt"] == prompt


def test_image__prompt_of_4000_emoji_is_accepted(api: Api) -> None:
    prompt = "🦀" * 4000  # characters, not UTF-8 bytes (16,000 of those)

    r = api.image({"prompt": prompt})

    assert r.status == 200, r.body
    assert r.json()["prompt"] == prompt


def test_image__escaped_surrogate_pair_is_one_character(api: Api) -> None:
    r = api.request("POST", IMAGE_PATH, content=b'{"prompt": "a crab \\ud83e\\udd80"}')

    assert r.status == 200, r.body
    assert r.json()["prompt"] == "a crab 🦀"


@pytest.mark.parametrize("path", [IMAGE_PATH, VIDEO_PATH])
@pytest.mark.parametrize("body", BAD_BODIES)
def test_generation__body_that_is_not_a_json_object_is_invalid_parameter_naming_body(
    api: Api, path: str, body: bytes
) -> None:
    assert_rejected_changing_nothing(
        api,
        path,
        "invalid_parameter",
        param="body",
        content=body,
        headers={"Content-Type": "application/json"},
    )


@pytest.mark.parametrize("body", [b"", b"not json", b"[1]", b"\xff", b'{"prompt": NaN}'])
def test_image__bad_body_through_every_door(api: Api, body: bytes) -> None:
    r = api.request("POST", IMAGE_PATH, content=body)

    assert_error(r, 400, "invalid_parameter", param="body")


def test_image__empty_body_message_is_exact(api: Api) -> None:
    r = api.request("POST", IMAGE_PATH, content=b"")

    message = "Request body is empty; expected a JSON object"
    assert_error(r, 400, "invalid_parameter", message=message, param="body")


def test_generation__rejection_uses_a_rate_limit_slot_and_is_journaled(api: Api) -> None:
    r = api.image({"prompt": "a cat", "n": 0})

    assert_error(r, 400, "invalid_parameter", param="n")
    assert r.headers["x-ratelimit-limit"] == "30"  # the default Pro plan
    assert r.headers["x-ratelimit-remaining"] == "29"
    assert_journaled_rejection(api, IMAGE_PATH, 400, "invalid_parameter")
    assert api.backend.store.jobs == {} and api.backend.store.media == {}
    assert api.backend.accounts[DEFAULT_KEY].spent == 0


def test_generation__validation_comes_before_the_balance(api: Api) -> None:
    api.backend.register_account(DEFAULT_KEY, "pro", "0")

    assert_error(api.image({"prompt": "a cat", "quality": "4k"}), 400, "invalid_parameter", param="quality")
    assert_error(api.video({"prompt": ""}), 400, "invalid_prompt")
    assert_error(api.image({"prompt": "a cat"}), 402, "insufficient_balance")


# --- unknown fields (decision 5): ignored and journaled, or refused in strict mode ----------


def test_image__unknown_fields_are_ignored_and_journaled(api: Api) -> None:
    r = api.image({"prompt": "a cat", "colour": "red", "count": 3, "quality": "hd", "model": None})

    assert r.status == 200, r.body
    body = r.json()
    assert len(body["outputs"]) == 1  # "count" (the snapshot's name for n) is not n
    assert (body["outputs"][0]["width"], body["outputs"][0]["height"]) == (2048, 2048)
    [entry] = api.backend.journal.query(path=IMAGE_PATH)
    assert entry.ignored_fields == ("colour", "count", "model")
    assert entry.job_id == body["job_id"]


def test_video__unknown_fields_are_ignored_and_journaled(api: Api) -> None:
    r = api.video({"n": 2, "prompt": "a crab", "resolution": "4k"})

    assert r.status == 200, r.body
    [entry] = api.backend.journal.query(path=VIDEO_PATH)
    assert entry.ignored_fields == ("n", "resolution")


def test_image__known_fields_only_journal_no_ignored_fields(api: Api) -> None:
    api.image({"prompt": "a cat", "n": 2, "seed": 1, "style": "anime"})

    [entry] = api.backend.journal.query(path=IMAGE_PATH)
    assert entry.ignored_fields == ()


@pytest.fixture
def strict(api_for: Callable[[MediaBackend], Api]) -> Api:
    """Strict mode (decision 5): unknown fields are refused."""
    return api_for(MediaBackend(MockConfig(strict=True)))


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (IMAGE_PATH, {"prompt": "a cat", "colour": "red"}, "colour"),
        (IMAGE_PATH, {"prompt": "a cat", "count": 2}, "count"),
        (IMAGE_PATH, {"prompt": "a cat", "fps": 24}, "fps"),  # a video field
        (IMAGE_PATH, {"prompt": "a cat", "extra": None}, "extra"),
        (VIDEO_PATH, {"prompt": "a crab", "n": 1}, "n"),
        (VIDEO_PATH, {"prompt": "a crab", "style": "anime"}, "style"),
    ],
)
def test_generation__strict_mode_refuses_unknown_fields(
    strict: Api, path: str, body: dict[str, Any], field: str
) -> None:
    r = strict.request("POST", path, json=body)

    assert_error(r, 400, "invalid_parameter", param=field)
    assert strict.backend.store.jobs == {}


def test_image__strict_mode_message_is_exact(strict: Api) -> None:
    r = strict.image({"prompt": "a cat", "colour": "red"})

    assert_error(r, 400, "invalid_parameter", message="Unknown parameter 'colour'", param="colour")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            IMAGE_PATH,
            {
                "prompt": "a cat",
                "negative_prompt": "dogs",
                "aspect_ratio": "4:3",
                "quality": "hd",
                "style": "anime",
                "n": 2,
                "seed": 9,
            },
        ),
        (
            VIDEO_PATH,
            {
                "prompt": "a crab",
                "duration_seconds": 3,
                "aspect_ratio": "1:1",
                "quality": "hd",
                "fps": 30,
                "seed": 9,
            },
        ),
        (IMAGE_PATH, {"prompt": "a cat", "style": None, "seed": None}),
    ],
)
def test_generation__strict_mode_accepts_every_documented_field(
    strict: Api, path: str, body: dict[str, Any]
) -> None:
    r = strict.request("POST", path, json=body)

    assert r.status == 200, r.body


# --- moderation (decision 5): a blocked prompt is invalid_prompt ---------------------------


@pytest.fixture
def moderated(api_for: Callable[[MediaBackend], Api]) -> Api:
    """Moderation rules that block the word "forbidden" (decision 5)."""
    return api_for(MediaBackend(MockConfig(blocked_terms=("forbidden",))))


@pytest.mark.parametrize("path", [IMAGE_PATH, VIDEO_PATH])
@pytest.mark.parametrize("prompt", ["a forbidden city", "Forbidden fruit", "FORBIDDEN", "it is forbidden."])
def test_generation__blocked_term_in_prompt_is_invalid_prompt(moderated: Api, path: str, prompt: str) -> None:
    assert_rejected_changing_nothing(moderated, path, "invalid_prompt", json={"prompt": prompt})


def test_image__blocked_prompt_message_is_exact(moderated: Api) -> None:
    r = moderated.image({"prompt": "the forbidden city at dawn"})

    message = "prompt contains disallowed content: 'forbidden'"
    assert_error(r, 400, "invalid_prompt", message=message)


def test_image__prompt_without_a_blocked_term_passes_moderation(moderated: Api) -> None:
    assert moderated.image({"prompt": "a permitted city"}).status == 200


def test_image__moderation_is_off_by_default(api: Api) -> None:
    assert api.image({"prompt": "a forbidden city"}).status == 200
