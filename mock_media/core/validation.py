"""JSON body -> validated request, or the documented 400 naming the offending field.

Driven by the parameter tables in :mod:`facts`, so a parameter added there is validated,
defaulted and published without touching this module.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .assumptions import PROMPT_MAX_CHARS, SEED_MAX, SEED_MIN
from .errors import InvalidParameter, InvalidPrompt
from .facts import PARAMS, Kind, Param
from .requests import GenerationRequest, ImageRequest, VideoRequest

# Ranges the doc leaves open but the real models enforce (see assumptions).
_EXTRA_RANGES: dict[str, tuple[int, int]] = {"seed": (SEED_MIN, SEED_MAX)}
_REQUEST_TYPES: dict[Kind, type[ImageRequest] | type[VideoRequest]] = {
    Kind.IMAGE: ImageRequest,
    Kind.VIDEO: VideoRequest,
}
_TYPE_NAMES = {str: "a string", int: "an integer"}


class Moderation:
    """The configured list of blocked words: a prompt containing one is ``invalid_prompt``."""

    def __init__(self, terms: Iterable[str] = ()) -> None:
        self.terms = tuple(sorted({t.strip().lower() for t in terms if t.strip()}))
        self._pattern = (
            re.compile(r"\b(" + "|".join(map(re.escape, self.terms)) + r")\b", re.IGNORECASE)
            if self.terms
            else None
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Moderation) and other.terms == self.terms

    def __hash__(self) -> int:
        return hash(self.terms)

    def __repr__(self) -> str:
        return f"Moderation({list(self.terms)!r})"

    def blocked_term(self, prompt: str) -> str | None:
        """The first blocked word the prompt contains, if any."""
        if self._pattern is None:
            return None
        match = self._pattern.search(prompt)
        return match.group(1).lower() if match else None


def parse_query_int(raw: str, name: str, low: int, high: int) -> int:
    """A whole number from a query string, within ``[low, high]``, or 400 naming ``name``.

    Digits are counted before ``int()`` sees them: a 5,000-digit value is "out of range", not
    the interpreter's digit-limit error.
    """
    if not raw.isascii() or not raw.isdigit():
        raise InvalidParameter(name, f"{name} must be an integer, got {raw[:40]!r}")
    value = int(raw) if len(raw) <= 20 else high + 1
    if not low <= value <= high:
        shown = raw if len(raw) <= 20 else raw[:20] + "..."
        raise InvalidParameter(name, f"{name} must be between {low} and {high}; got {shown}")
    return value


def parse_json_object(body: bytes) -> dict[str, Any]:
    """Decision 4/17: the body must be a JSON object; anything else is ``invalid_parameter``."""
    if not body.strip():
        raise InvalidParameter("body", "Request body is empty; expected a JSON object")
    try:
        text = body.decode("utf-8")
        if text.startswith("\ufeff"):  # json.loads says so; the decoder alone would not
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        data = _DECODER.decode(text)
    except UnicodeDecodeError:
        raise InvalidParameter("body", "Request body is not valid UTF-8") from None
    except (json.JSONDecodeError, RecursionError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
        raise InvalidParameter("body", f"Request body is not valid JSON: {detail}") from None
    except ValueError:
        # An integer longer than int()'s digit limit (sys.get_int_max_str_digits): no
        # parameter takes one, and letting the ValueError through would crash the request.
        raise InvalidParameter("body", "Request body is not valid JSON: a number is too long") from None
    if ("\\ud" in text or "\\uD" in text) and _has_lone_surrogate(data):
        # "\ud800" decodes to a string UTF-8 cannot encode: echoing it (the prompt) or
        # journaling it (an unknown field's name) would crash after the charge.
        raise InvalidParameter("body", "Request body is not valid JSON: unpaired surrogate in a string")
    if not isinstance(data, dict):
        raise InvalidParameter("body", "Request body must be a JSON object")
    return data


def _has_lone_surrogate(data: Any) -> bool:
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _reject_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity; JSON (and the real API) does not.
    raise json.JSONDecodeError(f"{name} is not a JSON value", name, 0)


# One decoder for every body: ``json.loads`` with options builds a new one per call.
_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def validate(
    kind: Kind,
    data: Mapping[str, Any],
    *,
    moderation: Moderation | None = None,
    strict: bool = False,
) -> tuple[GenerationRequest, tuple[str, ...]]:
    """Check a parsed body against the kind's parameter table.

    Returns:
        The request with defaults applied, and the unknown field names that were ignored.

    Raises:
        InvalidPrompt: the prompt is missing, blank, too long or blocked.
        InvalidParameter: any other field has a wrong type, value or range.
    """
    params = PARAMS[kind]
    values: dict[str, Any] = {}
    for param in params:
        raw = data.get(param.name)
        if param.name == "prompt":
            values["prompt"] = _check_prompt(raw, moderation)
        elif raw is not None:  # decision 17: null means absent
            values[param.name] = _check_value(param, raw)
        elif param.default is not None:  # the doc's default, from the one table
            values[param.name] = param.default
    known = {p.name for p in params}
    unknown = tuple(name for name in data if name not in known)
    if strict and unknown:
        raise InvalidParameter(unknown[0], f"Unknown parameter '{unknown[0]}'")
    return _REQUEST_TYPES[kind](**values), unknown


def _check_prompt(raw: Any, moderation: Moderation | None) -> str:
    if raw is None:
        raise InvalidPrompt("prompt is required")
    if not isinstance(raw, str):
        raise InvalidParameter("prompt", f"prompt must be a string, got {_json_type(raw)}")
    if not raw.strip():
        raise InvalidPrompt("prompt must not be empty")
    if len(raw) > PROMPT_MAX_CHARS:
        raise InvalidPrompt(f"prompt must be at most {PROMPT_MAX_CHARS} characters, got {len(raw)}")
    term = moderation.blocked_term(raw) if moderation else None
    if term is not None:
        raise InvalidPrompt(f"prompt contains disallowed content: '{term}'")
    return raw


def _check_value(param: Param, raw: Any) -> str | int:
    name = param.name
    if param.type is int:
        # Decision 17: booleans, floats (even 2.0) and numeric strings are not integers.
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise InvalidParameter(name, f"{name} must be an integer, got {_json_type(raw)}")
    elif not isinstance(raw, str):
        raise InvalidParameter(name, f"{name} must be a string, got {_json_type(raw)}")
    if param.choices is not None and raw not in param.choices:
        allowed = ", ".join(json.dumps(c) for c in param.choices)
        raise InvalidParameter(name, f"{name} must be one of {allowed}; got {json.dumps(raw)[:100]}")
    low, high = _EXTRA_RANGES.get(name, (param.minimum, param.maximum))
    if (low is not None and raw < low) or (high is not None and raw > high):
        raise InvalidParameter(name, f"{name} must be between {low} and {high}; got {raw}")
    return raw  # type: ignore[no-any-return]


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"
