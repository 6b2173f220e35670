"""What every benchmark shares: settings, alternation and medians, result rows, the table,
the machine's description, and small helpers for processes and sockets."""

from __future__ import annotations

import os
import platform
import socket
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(sys.executable).parent
API = "https://api.moltbotden.com"
IMAGE_PATH = "/v1/hosting/media/image"
BENCH_KEY = "bench"
# A key that nothing refuses: a huge balance and Enterprise limits far above any load here.
BENCH_ACCOUNT: dict[str, Any] = {
    "api_key": BENCH_KEY,
    "plan": "enterprise",
    "balance_usd": "1000000000",
    "image_rpm": 100_000_000,
    "video_rpm": 100_000_000,
    "concurrent_jobs": 100_000_000,
}
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Settings:
    """How long and how often to measure; ``quick`` is the ~40 s smoke version."""

    quick: bool = False

    @property
    def rounds(self) -> int:
        """Alternations of baseline and candidate for in-process timings."""
        return 3 if self.quick else 15

    @property
    def server_rounds(self) -> int:
        """Alternations of baseline and candidate load runs."""
        return 1 if self.quick else 3

    @property
    def server_seconds(self) -> float:
        """Length of one load run."""
        return 1.0 if self.quick else 2.5

    @property
    def connections(self) -> tuple[int, ...]:
        """Keep-alive connections of the load generator."""
        return (16,) if self.quick else (16, 64)

    @property
    def startup_rounds(self) -> int:
        """Alternations of process starts."""
        return 2 if self.quick else 9

    @property
    def large_store(self) -> int:
        """Media per account in the large store of the scale benchmark."""
        return 10_000 if self.quick else 100_000

    @property
    def memory_jobs(self) -> int:
        """Jobs stored to measure memory per job."""
        return 10_000 if self.quick else 100_000


@dataclass
class Row:
    """One line of the table: a baseline, a candidate, their ratio, and the target."""

    section: str
    name: str
    unit: str  # of baseline and candidate, e.g. "us/call", "req/s", "ms"
    baseline: float
    candidate: float
    target: str  # e.g. "<= 1.5x", ">= 0.7x", "< 1 ms"
    passed: bool | None  # None: reported, no target
    detail: str = ""  # one short line for the table: latencies, CPU, ...
    data: dict[str, Any] = field(default_factory=dict)  # everything else, for the JSON

    @property
    def ratio(self) -> float:
        """Candidate over baseline."""
        return self.candidate / self.baseline if self.baseline else float("inf")

    @property
    def verdict(self) -> str:
        """PASS, FAIL or INFO."""
        return "INFO" if self.passed is None else ("PASS" if self.passed else "FAIL")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "section": self.section,
            "name": self.name,
            "unit": self.unit,
            "baseline": self.baseline,
            "candidate": self.candidate,
            "ratio": self.ratio,
            "target": self.target,
            "verdict": self.verdict,
            "detail": self.detail,
            "data": self.data,
        }


def median(values: list[float]) -> float:
    """The median (of an odd count, a measured value)."""
    return statistics.median(values)


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(0, min(len(sorted_values) - 1, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[rank]


def per_call_us(action: Callable[[], object], calls: int) -> float:
    """CPU microseconds (of this thread) per call of ``calls`` back-to-back calls of ``action``.

    Thread CPU time, not wall time: on an idle machine they are the same, but other processes
    (the machine is shared) steal wall time from a block and not its CPU time.
    """
    start = time.thread_time_ns()
    for _ in range(calls):
        action()
    return (time.thread_time_ns() - start) / calls / 1000


def alternate(
    baseline: Callable[[], float], candidate: Callable[[], float], rounds: int
) -> tuple[list[float], list[float]]:
    """Run baseline, candidate, baseline, candidate... ``rounds`` times each (after one
    unrecorded warm-up of each) and return both lists of measurements."""
    baseline()
    candidate()
    base: list[float] = []
    cand: list[float] = []
    for _ in range(rounds):
        base.append(baseline())
        cand.append(candidate())
    return base, cand


def timing_row(
    section: str,
    name: str,
    base: list[float],
    cand: list[float],
    *,
    limit: float,
    unit: str = "us/call (CPU)",
    detail: str = "",
) -> Row:
    """A row whose target is ``candidate <= limit x baseline`` (medians)."""
    b, c = median(base), median(cand)
    return Row(
        section,
        name,
        unit,
        b,
        c,
        f"<= {limit:g}x",
        c <= limit * b,
        detail,
        {"baseline_samples": base, "candidate_samples": cand},
    )


# --- processes --------------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used (``/proc/<pid>/stat`` utime + stime)."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # fields 14 and 15 of the whole line


def rss_bytes(pid: int | None = None) -> int:
    """Resident set size of a process (default: this one)."""
    with open(f"/proc/{pid or 'self'}/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


def maps_libraries(pid: int, names: tuple[str, ...]) -> dict[str, bool]:
    """Whether each named library (e.g. ``uvloop``) has a file mapped into the process: a
    compiled extension that is mapped has been imported."""
    with open(f"/proc/{pid}/maps", encoding="utf-8", errors="replace") as maps:
        text = maps.read()
    return {name: f"/{name}/" in text for name in names}


def pin(cpu: int | None) -> None:
    """Run this process on one CPU only (when the machine has it)."""
    if cpu is not None and hasattr(os, "sched_setaffinity") and cpu < (os.cpu_count() or 1):
        os.sched_setaffinity(0, {cpu})


def free_port() -> int:
    """A port that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def http_status(port: int, path: str, timeout: float = 1.0) -> int | None:
    """The status of one ``GET path`` on a fresh connection, or None if nothing answers."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
            head = sock.recv(64)
    except OSError:
        return None
    if not head.startswith(b"HTTP/1.1 "):
        return None
    return int(head[9:12])


# --- the machine --------------------------------------------------------------------------------
def machine() -> dict[str, Any]:
    """CPU model, cores, Python, OS: what the docs print beside the table."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    os_name = platform.platform()
    try:
        with open("/etc/os-release", encoding="utf-8") as release:
            for line in release:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"') + f" (Linux {platform.release()})"
    except OSError:
        pass
    versions: dict[str, str] = {}
    from importlib.metadata import PackageNotFoundError, version

    for package in ("uvicorn", "uvloop", "httptools", "starlette", "httpx", "respx", "requests", "Pillow"):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "load_average": os.getloadavg(),
        "cpu": model,
        "cores": os.cpu_count(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "os": os_name,
        "packages": versions,
    }


# --- the table ---------------------------------------------------------------------------------
def _number(value: float) -> str:
    if value != value:  # NaN
        return "-"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def table(rows: list[Row]) -> str:
    """The results as a Markdown table (readable in a terminal too)."""
    header = ["section", "benchmark", "unit", "baseline", "candidate", "ratio", "target", "result", "notes"]
    lines = [header]
    for row in rows:
        lines.append(
            [
                row.section,
                row.name,
                row.unit,
                _number(row.baseline),
                _number(row.candidate),
                f"{row.ratio:.2f}x",
                row.target,
                row.verdict,
                row.detail,
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for index, line in enumerate(lines):
        out.append("| " + " | ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)) + " |")
        if index == 0:
            out.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return "\n".join(out)
