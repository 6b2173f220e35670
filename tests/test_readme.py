"""The README's Python examples run as written: a stale example is a failing test."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_readme__has_python_examples() -> None:
    assert len(BLOCKS) >= 6


def _name(block: str) -> str:
    found = re.search(r"def (test_\w+)", block) or re.search(r"^(?:with )?(\w+) = ", block, re.M)
    return found.group(1) if found else block.split("\n")[0]


@pytest.mark.parametrize("block", [b for b in BLOCKS if "def test_" not in b], ids=_name)
def test_readme__script_example_runs(block: str) -> None:
    exec(compile(block, str(README), "exec"), {"__name__": "readme_example"})


@pytest.mark.parametrize("block", [b for b in BLOCKS if "def test_" in b], ids=_name)
def test_readme__test_example_passes(pytester: pytest.Pytester, block: str) -> None:
    pytester.makeini("[pytest]\nasyncio_default_fixture_loop_scope = function\n")
    pytester.makepyfile(test_example=block)

    result = pytester.runpytest("-p", "no:cacheprovider")

    result.assert_outcomes(passed=1)
