"""The layering, checked on the source: the core is pure (standard library only), and the wire
contract adds nothing but itself on top, so no web framework or test library leaks inward.

The rules read every ``import`` and ``from ... import`` statement, wherever it sits (module
level, functions, ``if TYPE_CHECKING:``), resolve relative imports against the module's
package, and forbid dynamic imports (``__import__``, ``importlib.import_module``) outright.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import mock_media

PACKAGE_DIR = Path(mock_media.__file__).parent
# Third-party names a leak would most likely bring in; any non-stdlib name fails anyway.
WEB_AND_TEST_LIBRARIES = ("starlette", "uvicorn", "httpx", "httpx2", "respx", "pytest", "hypothesis", "anyio")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _package_of(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE_DIR.parent).parent.parts)


def imported_names(source: str, package: str) -> list[tuple[int, str]]:
    """(line, absolute module name) for every import in ``source``, relative ones resolved.

    ``from . import x`` yields the package and ``package.x`` (x may be a submodule). A
    dynamic import yields ``<dynamic import>``, which no rule allows.
    """
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                if node.level - 1 >= len(parts):
                    found.append((node.lineno, "<import above the top-level package>"))
                    continue
                base = ".".join(parts[: len(parts) - (node.level - 1)])
                target = f"{base}.{node.module}" if node.module else base
                found.append((node.lineno, target))
                if node.module is None:
                    found.extend((node.lineno, f"{base}.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, node.module or ""))
        elif isinstance(node, ast.Call):
            func = node.func
            name = (
                func.id
                if isinstance(func, ast.Name)
                else func.attr
                if isinstance(func, ast.Attribute)
                else ""
            )
            if name in ("__import__", "import_module"):
                found.append((node.lineno, "<dynamic import>"))
    return found


def _allowed(name: str, own_packages: tuple[str, ...]) -> bool:
    if any(name == own or name.startswith(own + ".") for own in own_packages):
        return True
    return name.split(".")[0] in sys.stdlib_module_names


def violations(layer: str, own_packages: tuple[str, ...]) -> list[str]:
    """Every import in ``mock_media/<layer>`` that is neither stdlib nor one of ``own_packages``."""
    bad = []
    for path in sorted((PACKAGE_DIR / layer).rglob("*.py")):
        for line, name in imported_names(path.read_text(encoding="utf-8"), _package_of(path)):
            if not _allowed(name, own_packages):
                bad.append(f"{_module_name(path)}:{line} imports {name}")
    return bad


def test_core__imports_only_the_standard_library_and_itself() -> None:
    assert violations("core", ("mock_media.core",)) == []


def test_core__has_modules_to_check() -> None:
    modules = {p.stem for p in (PACKAGE_DIR / "core").glob("*.py")}
    assert {"__init__", "backend", "config", "clock"} <= modules


def test_wire__imports_only_the_standard_library_core_and_itself() -> None:
    assert violations("wire", ("mock_media.core", "mock_media.wire")) == []


def test_wire__has_modules_to_check() -> None:
    modules = {p.stem for p in (PACKAGE_DIR / "wire").glob("*.py")}
    assert {"__init__", "dispatch", "control", "routes"} <= modules


# --- the checker itself: it must be able to fail ---------------------------------------------
@pytest.mark.parametrize(
    ("source", "package", "expected"),
    [
        ("import starlette", "mock_media.core", ["starlette"]),
        ("import os.path, json", "mock_media.core", ["os.path", "json"]),
        ("from starlette.requests import Request", "mock_media.wire", ["starlette.requests"]),
        ("from .clock import Clock", "mock_media.core", ["mock_media.core.clock"]),
        ("from ..wire import render", "mock_media.core", ["mock_media.wire"]),
        ("from . import render", "mock_media.wire", ["mock_media.wire", "mock_media.wire.render"]),
        ("from .. import adapters", "mock_media.core", ["mock_media", "mock_media.adapters"]),
        ("from ...x import y", "mock_media.core", ["<import above the top-level package>"]),
        ("def f():\n    import uvicorn\n", "mock_media.core", ["uvicorn"]),
        ("if TYPE_CHECKING:\n    import httpx\n", "mock_media.wire", ["httpx"]),
        ("m = __import__('starlette')", "mock_media.core", ["<dynamic import>"]),
        (
            "import importlib\nm = importlib.import_module('x')",
            "mock_media.core",
            ["importlib", "<dynamic import>"],
        ),
    ],
)
def test_imported_names__resolves_every_form(source: str, package: str, expected: list[str]) -> None:
    assert [name for _, name in imported_names(source, package)] == expected


@pytest.mark.parametrize(
    ("name", "own", "allowed"),
    [
        ("json", ("mock_media.core",), True),
        ("__future__", ("mock_media.core",), True),
        ("collections.abc", ("mock_media.core",), True),
        ("mock_media.core.clock", ("mock_media.core",), True),
        ("mock_media.core", ("mock_media.core",), True),
        ("mock_media.wire", ("mock_media.core",), False),
        ("mock_media.adapters.asgi", ("mock_media.core", "mock_media.wire"), False),
        ("mock_media", ("mock_media.core",), False),
        ("mock_media.corex", ("mock_media.core",), False),
        ("starlette", ("mock_media.core", "mock_media.wire"), False),
        ("pytest", ("mock_media.core", "mock_media.wire"), False),
        ("<dynamic import>", ("mock_media.core",), False),
    ],
)
def test_allowed__stdlib_and_own_packages_only(name: str, own: tuple[str, ...], allowed: bool) -> None:
    assert _allowed(name, own) is allowed


def test_import__core_and_wire_load_no_web_or_test_library() -> None:
    """At run time too: importing the package (core and wire) pulls in none of them."""
    code = (
        "import sys, mock_media, mock_media.core, mock_media.wire\n"
        f"leaked = sorted(m for m in sys.modules if m.split('.')[0] in {WEB_AND_TEST_LIBRARIES!r})\n"
        "print(','.join(leaked))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=20, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
