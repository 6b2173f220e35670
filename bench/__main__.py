"""``python -m bench`` (``make bench``): run every benchmark, print the table, write the JSON.

Options:
    --quick: the ~40 s smoke version (also ``BENCH_QUICK=1``): fewer and shorter runs.
    --only SECTION: run some sections only (in-process, server, start-up, scale, virtual-time).
    --json PATH: where to write the results (default: bench/results/latest.json).
    --profile NAME: instead, profile one candidate path (see bench/profiling.py).

Exit status 0 whatever the verdicts (the table says PASS or FAIL per target); 1 if a
benchmark could not run.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .common import ROOT, Row, Settings, machine, table

SECTIONS = ("in-process", "server", "start-up", "scale", "virtual-time")
MODULES = {"in-process": "inprocess", "start-up": "startup", "scale": "scale", "virtual-time": "virtual_time"}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", default=os.environ.get("BENCH_QUICK", "") not in ("", "0")
    )
    parser.add_argument("--only", action="append", choices=SECTIONS)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "latest.json")
    parser.add_argument("--profile", metavar="NAME")
    args = parser.parse_args(argv)
    if args.profile:
        from .profiling import PATHS

        if args.profile not in PATHS:
            parser.error(f"--profile: one of {', '.join(PATHS)}")
        print(PATHS[args.profile]())
        return 0

    settings = Settings(quick=args.quick)
    info = machine()
    print(
        f"mock-media bench ({'quick' if settings.quick else 'full'}): {info['cpu']}, {info['cores']} cores, "
        f"{info['python']}, {info['os']}",
        flush=True,
    )
    rows: list[Row] = []
    extra: dict[str, Any] = {}
    started = time.perf_counter()
    for section in args.only or SECTIONS:
        print(f"... {section}", file=sys.stderr, flush=True)
        begun = time.perf_counter()
        new = _run_section(section, settings, extra)
        gc.collect()
        for row in new:
            print(f"    {row.verdict:<4} {row.name}: {row.ratio:.2f}x", file=sys.stderr, flush=True)
        print(f"    ({time.perf_counter() - begun:.0f} s)", file=sys.stderr, flush=True)
        rows.extend(new)
    elapsed = time.perf_counter() - started
    print()
    print(table(rows))
    resolved = extra.get("uvicorn")
    if resolved:
        for app, found in resolved.items():
            print(
                f"uvicorn loop/http 'auto' resolved in the {app} server to: {found['loop']} / {found['http']}"
            )
    passed = sum(row.passed is True for row in rows)
    failed = sum(row.passed is False for row in rows)
    print(f"\n{passed} PASS, {failed} FAIL, {len(rows) - passed - failed} INFO in {elapsed:.0f} s")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": settings.quick,
        "seconds": elapsed,
        "machine": info,
        "uvicorn": resolved,
        "rows": [row.to_dict() for row in rows],
    }
    args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    print(f"results: {args.json}")
    return 0


def _run_section(section: str, settings: Settings, extra: dict[str, Any]) -> list[Row]:
    if section == "server":
        from . import standalone

        rows, extra["uvicorn"] = standalone.run(settings)
        return rows
    module = importlib.import_module(f".{MODULES[section]}", __package__)
    found: list[Row] = module.run(settings)
    return found


if __name__ == "__main__":
    sys.exit(main())
