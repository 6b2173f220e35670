"""Start-up: a server process from exec to its first 200, and a fresh ``mock_media`` fixture.

Server: ``mock-media serve --port P`` (first 200 of ``GET /_mock/health``) vs the bare
``uvicorn bench.baseline_app:app --port P`` (first 200 of ``GET /``), the same uvicorn defaults
(loop and http "auto"), alternately; target: at most 1.5x.

Fixture: what the ``mock_media`` fixture does per test (``MockConfig``, ``MockMedia``, and
``activate()`` entered and left) vs a bare ``respx.MockRouter`` started and stopped; target:
under 1 ms per fresh state (the ratio is reported).
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import respx

from mock_media import MockMedia
from mock_media.core.config import MockConfig

from .common import BIN, ROOT, Row, Settings, alternate, free_port, http_status, maps_libraries, median

SECTION = "start-up"
LIMIT = 1.5
FIXTURE_LIMIT_MS = 1.0
POLL_SECONDS = 0.001
PYCACHE = ROOT / "bench" / "results" / "pycache"


def time_to_first_200(
    command: list[str], port: int, path: str, env: dict[str, str]
) -> tuple[float, dict[str, bool], str]:
    """Seconds from spawning ``command`` to the first 200 of ``GET path``, which fast
    libraries the process had loaded by then, and what it wrote on stderr."""
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        while True:
            status = http_status(port, path)
            if status == 200:
                elapsed = time.perf_counter() - start
                break
            if process.poll() is not None:
                raise RuntimeError(
                    f"{command[0]} exited: {process.stderr.read() if process.stderr else ''!r}"
                )
            if time.perf_counter() - start > 30:
                raise RuntimeError(f"{command} gave no 200 in 30 s")
            time.sleep(POLL_SECONDS)
        libraries = maps_libraries(process.pid, ("uvloop", "httptools"))
    finally:
        process.send_signal(signal.SIGINT)
        try:
            _, errors = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            _, errors = process.communicate()
    return elapsed, libraries, errors.decode(errors="replace")


def environment(bytecode: bool) -> dict[str, str]:
    """The children's environment. With ``bytecode``, compiled modules are cached (under
    bench/results/pycache, not beside the sources) as on any normal install; without, every
    start compiles the project's modules again, as it does here when ``PYTHONDONTWRITEBYTECODE``
    is set (site-packages keep the bytecode pip wrote)."""
    env = dict(os.environ)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    return env


def server_row(settings: Settings, *, bytecode: bool) -> Row:
    """``mock-media serve`` vs bare uvicorn, process start to first 200."""
    libraries: dict[str, dict[str, bool]] = {}
    banner: list[str] = []  # what mock-media serve says it runs
    env = environment(bytecode)

    def baseline() -> float:
        port = free_port()
        command = [str(BIN / "uvicorn"), "bench.baseline_app:app", "--port", str(port)]
        command += ["--log-level", "warning", "--no-access-log", "--lifespan", "off"]
        seconds, libraries["uvicorn bench.baseline_app:app"], _ = time_to_first_200(command, port, "/", env)
        return seconds * 1000

    def candidate() -> float:
        port = free_port()
        command = [str(BIN / "mock-media"), "serve", "--port", str(port)]
        seconds, libraries["mock-media serve"], said = time_to_first_200(command, port, "/_mock/health", env)
        banner.extend(line.strip() for line in said.splitlines() if "uvicorn with" in line)
        return seconds * 1000

    base, cand = alternate(baseline, candidate, settings.startup_rounds)  # the warm-up compiles
    b, c = median(base), median(cand)
    loaded = "; ".join(
        f"{name}: {', '.join(lib for lib, present in found.items() if present) or 'neither'}"
        for name, found in libraries.items()
    )
    name = "process start to first 200 (mock-media serve vs bare uvicorn)"
    row = Row(
        SECTION,
        name if bytecode else name + ", no bytecode cache",
        "ms",
        b,
        c,
        f"<= {LIMIT:g}x",
        c <= LIMIT * b,
        f"loaded: {loaded}; {banner[-1] if banner else 'no banner'}"
        if bytecode
        else "every start compiles mock_media (PYTHONDONTWRITEBYTECODE=1)",
        {
            "baseline_samples": base,
            "candidate_samples": cand,
            "libraries": libraries,
            "banner": banner[-1:],
            "bytecode": bytecode,
        },
    )
    if not bytecode:
        row.passed, row.target = None, f"({row.target})"
    return row


def fixture_row(settings: Settings) -> Row:
    """A fresh ``mock_media`` fixture state vs a bare respx router, per state."""
    states = 200

    def baseline() -> float:
        start = time.thread_time_ns()
        for _ in range(states):
            router = respx.MockRouter(assert_all_called=False)
            router.start()
            router.stop()
        return (time.thread_time_ns() - start) / states / 1e6

    def candidate() -> float:
        start = time.thread_time_ns()
        for _ in range(states):
            fake = MockMedia(MockConfig(), api_key="test-key")
            with fake.activate():
                pass
        return (time.thread_time_ns() - start) / states / 1e6

    base, cand = alternate(baseline, candidate, settings.rounds)
    b, c = median(base), median(cand)
    return Row(
        SECTION,
        "fresh mock_media fixture state (MockMedia + activate) vs respx.MockRouter start/stop",
        "ms (CPU)",
        b,
        c,
        f"< {FIXTURE_LIMIT_MS:g} ms",
        c < FIXTURE_LIMIT_MS,
        f"{c * 1000:.0f} us per fresh state",
        {"baseline_samples": base, "candidate_samples": cand},
    )


def run(settings: Settings) -> list[Row]:
    """The start-up rows."""
    return [server_row(settings, bytecode=True), server_row(settings, bytecode=False), fixture_row(settings)]
