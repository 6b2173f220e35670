"""Contract fuzzing: schemathesis drives the ASGI app from its own ``/openapi.json``.

Each operation gets schemathesis' example, coverage (boundaries, missing fields, undeclared
methods) and fuzzing phases, in positive and negative mode, bounded by ``MAX_EXAMPLES``. Every
answer must pass schemathesis' checks (no 5xx, documented status, content type, headers and
body schema; invalid data rejected; undeclared methods 405 with Allow; no key or a wrong key
401) plus ours: decision 3 on every error body, and a well-formed request succeeds.

The fake runs in closed mode with one registered key and a balance no run can spend, and is
reset before every case, so no case sees another's jobs, spend or rate-limit slots. Each
operation's test prints how many cases it tried and how many 5xx it saw (stderr gets through
pytest's capture and xdist's workers).
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    ignored_auth,
    missing_required_header,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
)

from mock_media import MediaBackend, MockConfig
from mock_media.adapters.asgi import create_app
from mock_media.core.facts import PARAMS
from mock_media.wire.openapi import OPENAPI_PATH
from tests.doc_tables import IMAGE_PATH, VIDEO_PATH

from .openapi_check import decision_3_errors

KEY = "contract-fuzz-key"
BALANCE = Decimal("1000000000")  # $1bn: 20 million of the dearest videos, far beyond any run
# Fuzzing-phase examples per operation (the example and coverage phases add their own fixed
# cases): many where a body or a query can be wrong, few where any id gets the same 404 (a
# fresh fake holds none). ~1,500 cases in all: ~15 s on one core, about half on two.
MAX_EXAMPLES = 300
MAX_EXAMPLES_BY_ID = 50
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    ignored_auth,
]
GENERATION_ROUTES = frozenset(path.rsplit("/", 1)[1] for path in (IMAGE_PATH, VIDEO_PATH))
INTEGER_FIELDS = frozenset(p.name for params in PARAMS.values() for p in params if p.type is int)

backend = MediaBackend(MockConfig(closed=True, default_balance_usd=BALANCE))
# A fixed seed: CI fuzzes the same cases every run, so a failure reproduces.
schema = schemathesis.openapi.from_asgi(OPENAPI_PATH, create_app(backend), config=schemathesis.Config(seed=0))
by_request = schema.exclude(path_regex=r"\{")
by_id = schema.include(path_regex=r"\{")
HEALTH = [HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much, HealthCheck.too_slow]


def _fresh() -> None:
    backend.reset()
    backend.register_account(KEY)


def _whole_float_integer(case: Any) -> bool:
    """A body integer sent as ``2.0``: JSON Schema calls it an integer, decision 17 does not
    (the document says so in words; no schema keyword can), so it is 400, not a success."""
    body = case.body
    return isinstance(body, dict) and any(isinstance(body.get(name), float) for name in INTEGER_FIELDS)


def _expected_success(case: Any) -> int | None:
    """The status a well-formed case must get, or None when no one status is owed."""
    meta = case.meta
    if (
        meta is None
        or not meta.generation.mode.is_positive
        or case.method.upper() != case.operation.method.upper()
    ):
        return None
    if case.operation.path.endswith("{id}"):
        # A fresh fake holds no job or media; /media/image and /media/video are 405 (decision 19).
        ident = unquote(str((case.path_parameters or {}).get("id", "")))
        return 405 if ident in GENERATION_ROUTES else 404
    if case.operation.path.endswith("{file}"):
        return 404
    if "cursor" in (case.query or {}) or _whole_float_integer(case):
        return None  # decision 25: a cursor the fake never issued is 400; see above for 2.0
    return 200


# Paths and methods Starlette would answer itself, in plain text, if the door had routes (the
# fuzzer found them): the door sends every path and method to the fake.
DOOR_PROBES = (("GET", "/v1/hosting/media/a%0Ab"), ("TRACE", "/v1/hosting/media"))


def _door_answers(method: str, path: str) -> tuple[int, str, bytes]:
    from starlette.testclient import TestClient

    _fresh()
    with TestClient(create_app(backend)) as client:
        r = client.request(method, path, headers={"X-API-Key": KEY})
    return r.status_code, r.headers.get("content-type", ""), r.content


@pytest.fixture
def tally(request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]) -> Iterator[Counter[int]]:
    """Statuses seen by this operation's run; printed when it ends, pass or fail."""
    counts: Counter[int] = Counter()
    started = time.perf_counter()
    yield counts
    seconds = time.perf_counter() - started
    server_errors = sum(n for status, n in counts.items() if status >= 500)
    statuses = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
    with capsys.disabled():
        print(
            f"\ncontract fuzz {request.node.name}: {sum(counts.values())} cases, "
            f"{server_errors} server errors, {seconds:.1f} s ({statuses})",
            file=sys.stderr,
        )


def _call_and_check(case: Any, tally: Counter[int]) -> None:
    """Send one case, run schemathesis' checks and ours, and count its status."""
    _fresh()
    response = case.call_and_validate(headers={"X-API-Key": KEY}, checks=CHECKS)
    status = response.status_code
    tally[status] += 1
    assert status < 500, response.text
    expected = _expected_success(case)
    if expected is not None:
        assert status == expected, (case.method, case.formatted_path, case.query, case.body, response.text)
    if status >= 400 and response.content and case.method.upper() != "HEAD":
        assert decision_3_errors(status, json.loads(response.content)) == [], response.text


@by_request.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, database=None, suppress_health_check=HEALTH)
def test_fuzz__generation_and_list_answers_conform(case: Any, tally: Counter[int]) -> None:
    _call_and_check(case, tally)


@by_id.parametrize()
@settings(max_examples=MAX_EXAMPLES_BY_ID, deadline=None, database=None, suppress_health_check=HEALTH)
def test_fuzz__id_and_file_answers_conform(case: Any, tally: Counter[int]) -> None:
    _call_and_check(case, tally)


def test_asgi__every_path_and_method_gets_decision_3() -> None:
    """Found by the fuzzer: through the Starlette door (and so the standalone server) a path
    holding an encoded newline, or a method no route listed (TRACE), got Starlette's own
    plain-text 404/405 instead of the fake's JSON."""
    for method, path in DOOR_PROBES:
        status, content_type, body = _door_answers(method, path)
        assert content_type == "application/json", (method, path, status, body)
        assert decision_3_errors(status, json.loads(body)) == []
