"""Unit tests of mock_media.core.validation: body parsing, parameter checks, moderation."""

from __future__ import annotations

from typing import Any

import pytest

from mock_media import Kind
from mock_media.core.errors import InvalidParameter, InvalidPrompt
from mock_media.core.requests import ImageRequest, VideoRequest
from mock_media.core.validation import Moderation, parse_json_object, validate
from tests.doc_tables import DOC_IMAGE_DEFAULTS, DOC_VIDEO_DEFAULTS
from tests.helpers import assert_error

# --- parse_json_object --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"prompt": "a cat"}', {"prompt": "a cat"}),
        (b' \n{"prompt": "a cat", "n": 2}\n ', {"prompt": "a cat", "n": 2}),
        (b"{}", {}),
        ('{"prompt": "café 🦀"}'.encode(), {"prompt": "café 🦀"}),
        (b'{"prompt": "\\ud83e\\udd80"}', {"prompt": "🦀"}),
        (b'{"prompt": "\\\\ud800 is just text"}', {"prompt": "\\ud800 is just text"}),
        (b'{"n": 2.0, "seed": 1e400}', {"n": 2.0, "seed": float("inf")}),
    ],
)
def test_parse_json_object__object_is_returned_as_is(body: bytes, expected: dict[str, Any]) -> None:
    assert parse_json_object(body) == expected


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "Request body is empty; expected a JSON object"),
        (b" \r\n\t", "Request body is empty; expected a JSON object"),
        (b"\xff", "Request body is not valid UTF-8"),
        (b'{"prompt": "caf\xe9"}', "Request body is not valid UTF-8"),
        (b"[]", "Request body must be a JSON object"),
        (b"null", "Request body must be a JSON object"),
        (b'"a cat"', "Request body must be a JSON object"),
        (b"7", "Request body must be a JSON object"),
        (b'{"prompt": NaN}', "Request body is not valid JSON: NaN is not a JSON value"),
        (b'{"seed": Infinity}', "Request body is not valid JSON: Infinity is not a JSON value"),
        (b'{"seed": -Infinity}', "Request body is not valid JSON: -Infinity is not a JSON value"),
        (b"[" * 50_000, "Request body is not valid JSON: nested too deeply"),
        (
            b'\xef\xbb\xbf{"prompt": "a"}',
            "Request body is not valid JSON: Unexpected UTF-8 BOM (decode using utf-8-sig)",
        ),
        (b'{"n": 1' + b"0" * 4400 + b"}", "Request body is not valid JSON: a number is too long"),
        (b'{"prompt": "\\ud800"}', "Request body is not valid JSON: unpaired surrogate in a string"),
        (
            b'{"prompt": "a", "x": ["\\uDC00"]}',
            "Request body is not valid JSON: unpaired surrogate in a string",
        ),
        (b'{"\\udbff": 1}', "Request body is not valid JSON: unpaired surrogate in a string"),
    ],
)
def test_parse_json_object__not_an_object_is_invalid_parameter_body(body: bytes, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_json_object(body)

    assert caught.value.param == "body"
    assert caught.value.message == message
    assert caught.value.status == 400


@pytest.mark.parametrize("body", [b"not json", b'{"prompt": "a cat"', b"{} {}", b"{'a': 1}"])
def test_parse_json_object__syntax_error_says_not_valid_json(body: bytes) -> None:
    with pytest.raises(InvalidParameter) as caught:
        parse_json_object(body)

    assert caught.value.param == "body"
    assert caught.value.message.startswith("Request body is not valid JSON: ")


# --- validate: defaults, unknown fields, strict mode ----------------------------------------


def test_validate__image_prompt_only_gets_the_doc_defaults() -> None:
    request, ignored = validate(Kind.IMAGE, {"prompt": "a cat"})

    assert request == ImageRequest(prompt="a cat", **DOC_IMAGE_DEFAULTS)
    assert ignored == ()


def test_validate__video_prompt_only_gets_the_doc_defaults() -> None:
    request, ignored = validate(Kind.VIDEO, {"prompt": "a crab"})

    assert request == VideoRequest(prompt="a crab", **DOC_VIDEO_DEFAULTS)
    assert ignored == ()


def test_validate__nulls_are_absent() -> None:
    image, _ = validate(
        Kind.IMAGE,
        {
            "prompt": "a",
            "negative_prompt": None,
            "aspect_ratio": None,
            "quality": None,
            "style": None,
            "n": None,
        },
    )
    video, _ = validate(
        Kind.VIDEO, {"prompt": "a", "duration_seconds": None, "aspect_ratio": None, "fps": None, "seed": None}
    )

    assert image == ImageRequest(prompt="a")
    assert video == VideoRequest(prompt="a")


@pytest.mark.parametrize(
    ("kind", "data"),
    [
        (
            Kind.IMAGE,
            {
                "prompt": "p",
                "negative_prompt": "np",
                "aspect_ratio": "3:4",
                "quality": "hd",
                "style": "3d-render",
                "n": 4,
                "seed": 4294967295,
            },
        ),
        (
            Kind.VIDEO,
            {
                "prompt": "p",
                "duration_seconds": 30,
                "aspect_ratio": "9:16",
                "quality": "hd",
                "fps": 30,
                "seed": 0,
            },
        ),
    ],
    ids=["image", "video"],
)
def test_validate__every_field_is_carried_over(kind: Kind, data: dict[str, Any]) -> None:
    request, _ = validate(kind, data)

    assert request == (ImageRequest if kind is Kind.IMAGE else VideoRequest)(**data)


def test_validate__unknown_fields_are_returned_in_body_order() -> None:
    _, ignored = validate(Kind.IMAGE, {"zeta": 1, "prompt": "a", "alpha": None, "fps": 30})

    assert ignored == ("zeta", "alpha", "fps")


def test_validate__video_fields_are_unknown_to_images_and_back() -> None:
    _, image_ignored = validate(Kind.IMAGE, {"prompt": "a", "duration_seconds": 5, "fps": 24})
    _, video_ignored = validate(Kind.VIDEO, {"prompt": "a", "n": 2, "style": "anime", "negative_prompt": "x"})

    assert image_ignored == ("duration_seconds", "fps")
    assert video_ignored == ("n", "style", "negative_prompt")


def test_validate__strict_refuses_the_first_unknown_field() -> None:
    with pytest.raises(InvalidParameter) as caught:
        validate(Kind.IMAGE, {"prompt": "a", "colour": "red", "size": 2}, strict=True)

    assert caught.value.param == "colour"
    assert caught.value.message == "Unknown parameter 'colour'"


def test_validate__strict_accepts_known_fields() -> None:
    request, ignored = validate(Kind.VIDEO, {"prompt": "a", "fps": 30}, strict=True)

    assert request == VideoRequest(prompt="a", fps=30)
    assert ignored == ()


# --- validate: bad values -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "field", "value", "message"),
    [
        (Kind.IMAGE, "n", 0, "n must be between 1 and 4; got 0"),
        (Kind.IMAGE, "n", 5, "n must be between 1 and 4; got 5"),
        (Kind.IMAGE, "n", 2.0, "n must be an integer, got a number"),
        (Kind.IMAGE, "n", "2", "n must be an integer, got a string"),
        (Kind.IMAGE, "n", True, "n must be an integer, got a boolean"),
        (Kind.IMAGE, "n", [2], "n must be an integer, got an array"),
        (Kind.IMAGE, "n", {"v": 2}, "n must be an integer, got an object"),
        (Kind.IMAGE, "seed", -1, "seed must be between 0 and 4294967295; got -1"),
        (Kind.IMAGE, "seed", 2**32, "seed must be between 0 and 4294967295; got 4294967296"),
        (
            Kind.IMAGE,
            "style",
            "cartoon",
            "style must be one of "
            '"photorealistic", "illustration", "anime", "painting", "3d-render"; got "cartoon"',
        ),
        (Kind.IMAGE, "negative_prompt", 3, "negative_prompt must be a string, got an integer"),
        (Kind.IMAGE, "quality", False, "quality must be a string, got a boolean"),
        (Kind.VIDEO, "aspect_ratio", "4:3", 'aspect_ratio must be one of "16:9", "9:16", "1:1"; got "4:3"'),
        (Kind.VIDEO, "duration_seconds", 0, "duration_seconds must be between 1 and 30; got 0"),
        (Kind.VIDEO, "duration_seconds", 31, "duration_seconds must be between 1 and 30; got 31"),
        (Kind.VIDEO, "fps", 25, "fps must be one of 24, 30; got 25"),
        (Kind.VIDEO, "fps", 24.0, "fps must be an integer, got a number"),
    ],
)
def test_validate__bad_value_names_the_field(kind: Kind, field: str, value: Any, message: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        validate(kind, {"prompt": "a", field: value})

    assert caught.value.param == field
    assert caught.value.message == message
    assert_error(caught.value.body(), 400, "invalid_parameter", message=message, param=field)


def test_validate__long_enum_value_is_cut_in_the_message() -> None:
    with pytest.raises(InvalidParameter) as caught:
        validate(Kind.IMAGE, {"prompt": "a", "style": "x" * 10_000})

    assert len(caught.value.message) < 300


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        (None, "prompt is required"),
        ("", "prompt must not be empty"),
        (" \t\n\u3000", "prompt must not be empty"),
        ("x" * 4001, "prompt must be at most 4000 characters, got 4001"),
    ],
)
@pytest.mark.parametrize("kind", [Kind.IMAGE, Kind.VIDEO])
def test_validate__bad_prompt_is_invalid_prompt(kind: Kind, prompt: Any, message: str) -> None:
    data = {} if prompt is None else {"prompt": prompt}

    with pytest.raises(InvalidPrompt) as caught:
        validate(kind, data)

    assert caught.value.message == message
    assert caught.value.param is None
    assert_error(caught.value.body(), 400, "invalid_prompt", message=message)


@pytest.mark.parametrize(("prompt", "kind"), [(1, "an integer"), (["a"], "an array"), ({}, "an object")])
def test_validate__non_string_prompt_is_invalid_parameter(prompt: Any, kind: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        validate(Kind.IMAGE, {"prompt": prompt})

    assert caught.value.param == "prompt"
    assert caught.value.message == f"prompt must be a string, got {kind}"


def test_validate__prompt_is_checked_before_the_other_fields() -> None:
    with pytest.raises(InvalidPrompt):
        validate(Kind.IMAGE, {"prompt": "", "n": 9})


def test_validate__bad_value_is_reported_before_strict_unknowns() -> None:
    with pytest.raises(InvalidParameter) as caught:
        validate(Kind.IMAGE, {"colour": "red", "prompt": "a", "n": 9}, strict=True)

    assert caught.value.param == "n"


def test_validate__prompt_of_4000_characters_is_kept_whole() -> None:
    prompt = " padded prompt " + "y" * 3985
    assert len(prompt) == 4000

    request, _ = validate(Kind.IMAGE, {"prompt": prompt})

    assert request.prompt == prompt  # not stripped


# --- moderation ---------------------------------------------------------------------------


def test_moderation__terms_are_normalised_and_blanks_dropped() -> None:
    moderation = Moderation(["  Forbidden ", "forbidden", "", "   ", "Gore"])

    assert moderation.terms == ("forbidden", "gore")


@pytest.mark.parametrize(
    ("prompt", "term"),
    [
        ("a forbidden city", "forbidden"),
        ("A FORBIDDEN CITY", "forbidden"),
        ("forbidden", "forbidden"),
        ("(Forbidden!)", "forbidden"),
        ("some gore, then forbidden", "gore"),
        ("a permitted city", None),
        ("unforbidden", None),  # whole words only
        ("", None),
    ],
)
def test_moderation__finds_blocked_words(prompt: str, term: str | None) -> None:
    assert Moderation(("forbidden", "gore")).blocked_term(prompt) == term


def test_moderation__without_terms_blocks_nothing() -> None:
    assert Moderation().blocked_term("anything forbidden at all") is None


def test_moderation__term_with_regex_characters_is_literal() -> None:
    moderation = Moderation(["a.b"])

    assert moderation.blocked_term("a.b") == "a.b"
    assert moderation.blocked_term("axb") is None


def test_validate__blocked_prompt_is_invalid_prompt() -> None:
    with pytest.raises(InvalidPrompt) as caught:
        validate(Kind.VIDEO, {"prompt": "a Forbidden crab"}, moderation=Moderation(["forbidden"]))

    assert caught.value.message == "prompt contains disallowed content: 'forbidden'"
