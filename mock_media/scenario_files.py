"""Scenario files: the bundled ones (``scenarios/*.toml``) and any a user writes.

TOML is read with the standard library; JSON works too. A malformed file is refused with
the file, the rule and the field named (see :class:`mock_media.core.scenario.ScenarioError`).
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from .core.scenario import Scenario, ScenarioError

_PACKAGED = Path(__file__).resolve().parent / "_scenarios"  # in a wheel
_SOURCE = Path(__file__).resolve().parent.parent / "scenarios"  # in a checkout


def scenarios_dir() -> Path:
    """Where the bundled scenarios live."""
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE


def bundled() -> dict[str, Path]:
    """The bundled scenarios by name, sorted."""
    return {p.stem: p for p in sorted(scenarios_dir().glob("*.toml"))}


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A bundled scenario by name, or a scenario file (``.toml`` or ``.json``) by path.

    Raises:
        ScenarioError: no such scenario, or the file is malformed.
    """
    text = str(name_or_path)
    path = bundled().get(text) if isinstance(name_or_path, str) else None
    if path is None:
        path = Path(name_or_path)
        if not path.is_file():
            names = ", ".join(bundled())
            raise ScenarioError(f"{text}: no such scenario file, and not a bundled scenario ({names})")
    try:
        raw = path.read_bytes()
        data = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ScenarioError(f"{path}: cannot read it: {exc}") from None
    return Scenario.from_dict(data, str(path))
