"""docs/fidelity.md stays true: every test and code location it cites exists.

The document maps each documented fact to code and tests; a renamed test or a moved table
would silently break that map, so this reads every back-quoted reference and checks it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "fidelity.md"
TEST_REF = re.compile(r"^(?P<file>tests/[\w/]*test_\w+\.py)?(?:::(?P<name>\w+))?$")
CODE_REF = re.compile(r"^(?P<file>(?:core|wire|adapters)/\w+\.py)(?::\s*(?P<symbols>.+))?$")


def _spans() -> list[str]:
    return re.findall(r"`([^`]+)`", DOC.read_text(encoding="utf-8"))


def _references() -> list[tuple[str, str]]:
    """(kind, reference) pairs in the order they appear, bare ``::name`` resolved."""
    refs: list[tuple[str, str]] = []
    current: str | None = None
    for span in _spans():
        test = TEST_REF.match(span)
        if test and (test["file"] or test["name"]):
            current = test["file"] or current
            assert current is not None, f"bare reference {span!r} before any test file"
            refs.append(("test", f"{current}::{test['name']}" if test["name"] else current))
            continue
        code = CODE_REF.match(span)
        if code:
            refs.append(("code", span))
    return refs


REFERENCES = _references()


def test_fidelity_doc__cites_tests_and_code() -> None:
    kinds = {kind for kind, _ in REFERENCES}

    assert kinds == {"test", "code"}
    assert len(REFERENCES) > 100


@pytest.mark.parametrize("ref", sorted({r for k, r in REFERENCES if k == "test"}))
def test_fidelity_doc__every_cited_test_exists(ref: str) -> None:
    file, _, name = ref.partition("::")
    path = ROOT / file

    assert path.is_file(), f"{file} does not exist"
    if name:
        assert re.search(rf"^(async )?def {name}\(", path.read_text(), re.M), f"{ref} does not exist"


@pytest.mark.parametrize("ref", sorted({r for k, r in REFERENCES if k == "code"}))
def test_fidelity_doc__every_cited_code_location_exists(ref: str) -> None:
    found = CODE_REF.match(ref)
    assert found is not None
    path = ROOT / "mock_media" / found["file"]
    assert path.is_file(), f"mock_media/{found['file']} does not exist"
    text = path.read_text()
    for symbol in re.split(r",\s*", found["symbols"] or ""):
        name = symbol.split("(")[0].strip().split(".")[-1]
        if name and name.isidentifier():
            assert re.search(rf"\b{name}\b", text), f"{name} is not in mock_media/{found['file']}"
