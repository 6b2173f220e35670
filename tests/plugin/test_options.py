"""The plugin's settings: the closest marker, then the command line, then the ini file, then
the defaults; and a bad value stops the session before any test runs, naming the setting
and where it was written."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from .project import API, image_ids, make_ini, run, run_subprocess

# What the fake does under a test's settings, observed through the API: the first image's
# id (seed), the image rate limit (plan), the opening balance, the key the helpers use, a
# stranger's key (401 when closed) and an unknown field (400 when strict).
OBSERVE = f"""
from decimal import Decimal

import requests

API = "{API}"


def observe(fake, options):
    balance = fake.balance()
    key = {{"X-API-Key": fake.api_key}}
    first = requests.post(f"{{API}}/image", headers=key, json={{"prompt": "a cat"}})
    stranger = requests.post(f"{{API}}/image", headers={{"X-API-Key": "stranger"}}, json={{"prompt": "a"}})
    unknown = requests.post(f"{{API}}/image", headers=key, json={{"prompt": "a cat", "colour": "red"}})
    return {{
        "options": (options.seed, options.plan, options.balance_usd, options.api_key, options.closed,
                    options.strict),
        "first_id": first.json()["job_id"],
        "image_rpm": first.headers["X-RateLimit-Limit"],
        "balance": balance,
        "api_key": fake.account().api_key,
        "stranger": stranger.status_code,
        "unknown_field": unknown.status_code,
    }}
"""
RPM = {"starter": "10", "pro": "30", "business": "60"}


def expect(
    seed: int, plan: str, balance: str, api_key: str, *, closed: bool, strict: bool, given_plan: str | None
) -> dict[str, Any]:
    """What ``observe`` must see under these settings (``given_plan``: None if left default)."""
    return {
        "options": (seed, given_plan, None if balance == "100.00" else balance, api_key, closed, strict),
        "first_id": image_ids(seed, 1)[0],
        "image_rpm": RPM[plan],
        "balance": Decimal(balance),
        "api_key": api_key,
        "stranger": 401 if closed else 200,
        "unknown_field": 400 if strict else 200,
    }


def test_options__defaults_without_marker_command_line_or_ini(pytester: pytest.Pytester) -> None:
    make_ini(pytester)
    expected = expect(0, "pro", "100.00", "test-key", closed=False, strict=False, given_plan=None)
    pytester.makeconftest(OBSERVE)
    pytester.makepyfile(
        f"""
        from decimal import Decimal
        from conftest import observe

        def test_defaults(mock_media, mock_media_options):
            assert observe(mock_media, mock_media_options) == {expected!r}
        """
    )

    run(pytester).assert_outcomes(passed=1)


def test_options__closest_marker_beats_command_line_beats_ini(pytester: pytest.Pytester) -> None:
    make_ini(
        pytester,
        "mock_media_seed = 1",
        "mock_media_plan = business",
        "mock_media_balance_usd = 50",
        "mock_media_api_key = ini-key",
        "mock_media_closed = true",
        "mock_media_strict = true",
    )
    command_line = ("--mock-media-seed", "2", "--mock-media-plan", "pro", "--mock-media-balance-usd", "40")
    # Each setting is overridden at some layer, and each layer wins for some setting.
    unmarked = expect(2, "pro", "40.00", "ini-key", closed=True, strict=True, given_plan="pro")
    module = expect(3, "pro", "40.00", "ini-key", closed=False, strict=True, given_plan="pro")
    klass = expect(4, "starter", "40.00", "ini-key", closed=False, strict=False, given_plan="starter")
    function = expect(5, "starter", "1.00", "marker-key", closed=False, strict=False, given_plan="starter")
    pytester.makeconftest(OBSERVE)
    pytester.makepyfile(
        test_unmarked=f"""
        from decimal import Decimal
        from conftest import observe

        def test_command_line_then_ini(mock_media, mock_media_options):
            assert observe(mock_media, mock_media_options) == {unmarked!r}
        """,
        test_marked=f"""
        from decimal import Decimal
        import pytest
        from conftest import observe

        pytestmark = pytest.mark.mock_media(seed=3, closed=False)

        def test_module_marker(mock_media, mock_media_options):
            assert observe(mock_media, mock_media_options) == {module!r}

        @pytest.mark.mock_media(seed=4, plan="starter", strict=False)
        class TestClassMarker:
            def test_class_marker(self, mock_media, mock_media_options):
                assert observe(mock_media, mock_media_options) == {klass!r}

            @pytest.mark.mock_media(seed=5, balance_usd=1, api_key="marker-key")
            def test_function_marker(self, mock_media, mock_media_options):
                assert observe(mock_media, mock_media_options) == {function!r}
        """,
    )

    run(pytester, *command_line).assert_outcomes(passed=4)


MARKED = """
import pytest
from pathlib import Path

@pytest.mark.mock_media({marker})
def test_marked(mock_media):
    Path("ran-marked").touch()

def test_unmarked(mock_media):
    Path("ran-unmarked").touch()
"""
CLASS_MARKED = """
import pytest
from pathlib import Path

@pytest.mark.mock_media(plan="gold")
class TestBad:
    def test_in_class(self, mock_media):
        Path("ran-in-class").touch()
"""
OK = """
from pathlib import Path

def test_fine(mock_media):
    Path("ran-fine").touch()
"""


@pytest.mark.parametrize(
    ("source", "message"),
    [
        pytest.param(
            'plan="gold"',
            "test_bad.py::test_marked: @pytest.mark.mock_media: mock_media plan: "
            "expected one of starter, pro, business, enterprise, got 'gold'",
            id="plan",
        ),
        pytest.param(
            'seed="x"',
            "test_bad.py::test_marked: @pytest.mark.mock_media: mock_media seed: "
            "expected an integer, got 'x'",
            id="seed",
        ),
        pytest.param(
            'balance_usd="-1"',
            "test_bad.py::test_marked: @pytest.mark.mock_media: mock_media balance_usd: "
            "expected an amount of USD, zero or more, got '-1'",
            id="balance",
        ),
        pytest.param(
            "sead=7",
            "test_bad.py::test_marked: @pytest.mark.mock_media: "
            "unknown mock_media setting 'sead' (known: seed,",
            id="unknown-keyword",
        ),
        pytest.param(
            '"starter"',
            "test_bad.py::test_marked: @pytest.mark.mock_media "
            "takes keyword arguments only, got ('starter',)",
            id="positional",
        ),
        pytest.param(
            None,
            "test_bad.py::TestBad::test_in_class: @pytest.mark.mock_media on test_bad.py::TestBad: "
            "mock_media plan: expected one of starter, pro, business, enterprise, got 'gold'",
            id="class-marker",
        ),
    ],
)
def test_options__bad_marker_fails_collection_and_no_test_runs(
    pytester: pytest.Pytester, source: str | None, message: str
) -> None:
    make_ini(pytester)
    bad = CLASS_MARKED if source is None else MARKED.format(marker=source)
    pytester.makepyfile(test_bad=bad, test_ok=OK)

    result = run(pytester)

    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*ERROR collecting test_bad.py*", message + "*"])
    assert list(pytester.path.glob("ran-*")) == []


def test_options__bad_marker_keeps_its_tests_out_even_with_continue_on_collection_errors(
    pytester: pytest.Pytester,
) -> None:
    make_ini(pytester)
    pytester.makepyfile(test_bad=MARKED.format(marker='plan="gold"'), test_ok=OK)

    result = run(pytester, "--continue-on-collection-errors")

    result.assert_outcomes(passed=1, errors=1)
    assert [p.name for p in pytester.path.glob("ran-*")] == ["ran-fine"]


def test_options__bad_marker_under_xdist_is_the_same_collection_error(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID"):
        monkeypatch.delenv(name, raising=False)
    make_ini(pytester)
    pytester.makepyfile(test_bad=MARKED.format(marker='plan="gold"'), test_ok=OK)

    result = run_subprocess(pytester, "-n", "2")

    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(["*ERROR collecting test_bad.py*", "*mock_media plan: expected one of *"])
    # xdist, unlike plain pytest, still runs the other modules after a collection error.
    result.assert_outcomes(passed=1, errors=1)
    assert [p.name for p in pytester.path.glob("ran-*")] == ["ran-fine"]


@pytest.mark.parametrize(
    ("ini", "args", "message"),
    [
        pytest.param(
            "mock_media_plan = gold",
            (),
            "ini file (mock_media_plan): mock_media plan: "
            "expected one of starter, pro, business, enterprise, got 'gold'",
            id="ini-plan",
        ),
        pytest.param(
            "mock_media_balance_usd = -1",
            (),
            "ini file (mock_media_balance_usd): mock_media balance_usd: "
            "expected an amount of USD, zero or more, got '-1'",
            id="ini-balance",
        ),
        pytest.param(
            "mock_media_closed = maybe",
            (),
            "ini file (mock_media_closed): mock_media closed: expected true or false, got 'maybe'",
            id="ini-closed",
        ),
        pytest.param(
            "mock_media_plan = starter",
            ("--mock-media-plan", "gold"),
            "command line (--mock-media-plan): mock_media plan: "
            "expected one of starter, pro, business, enterprise, got 'gold'",
            id="command-line-plan",
        ),
        pytest.param(
            "",
            ("--mock-media-seed", "x"),
            "command line (--mock-media-seed): mock_media seed: expected an integer, got 'x'",
            id="command-line-seed",
        ),
    ],
)
def test_options__bad_ini_or_command_line_value_is_a_usage_error(
    pytester: pytest.Pytester, ini: str, args: tuple[str, ...], message: str
) -> None:
    make_ini(pytester, ini)
    pytester.makepyfile(test_ok=OK)

    result = run(pytester, *args)

    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: {message}"])
    assert list(pytester.path.glob("ran-*")) == []
