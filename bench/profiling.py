"""Where the candidate's time goes: cProfile of one path, top functions by own time.

``python -m bench --profile NAME`` with NAME one of ``respx``, ``requests``, ``handler``,
``fixture``, ``delete``, ``server-image``, ``server-status``, ``server-mixed``,
``startup``. The in-process paths run a few thousand calls under the profiler; the server
paths load the fake's server for a few seconds with the server itself under cProfile;
``startup`` shows what ``mock-media serve`` imports (``python -X importtime``), slowest first.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

from mock_media import MockMedia, WireRequest

from .common import BIN, IMAGE_PATH, ROOT
from .inprocess import HEADERS, PAYLOAD, URL, bench_fake

CALLS = 3000


def _report(profiler: cProfile.Profile | str, top: int = 30) -> str:
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.strip_dirs().sort_stats("tottime").print_stats(top)
    out.write("\n--- by cumulative time ---\n")
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def _profile(action: Callable[[], object], calls: int = CALLS) -> str:
    for _ in range(100):
        action()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(calls):
        action()
    profiler.disable()
    return _report(profiler)


def respx_path() -> str:
    fake = bench_fake()
    client = httpx.Client()
    with fake.router():
        return _profile(lambda: client.post(URL, headers=HEADERS, json=PAYLOAD))


def requests_path() -> str:
    session = bench_fake().session()
    return _profile(lambda: session.post(URL, headers=HEADERS, json=PAYLOAD))


def handler_path() -> str:
    fake = bench_fake()
    request = WireRequest.build("POST", IMAGE_PATH, headers=HEADERS, body=b'{"prompt": "a cat"}')
    return _profile(lambda: fake.handler(request))


def fixture_path() -> str:
    def fresh() -> None:
        fake = MockMedia(api_key="test-key")
        with fake.activate():
            pass

    return _profile(fresh, 1000)


def delete_path() -> str:
    from .scale import FILL, filled

    fake, _ = filled(100_000)
    media = list(fake.backend.store.media)[: CALLS // 2]
    requests = iter([WireRequest.build("DELETE", f"/v1/hosting/media/{m}", headers=HEADERS) for m in media])
    return _profile(lambda: fake.handler(next(requests)) or fake.handler(FILL), len(media) - 100)


def server_path(workload: str) -> str:
    from .standalone import profile_server

    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "server.prof"
        result = profile_server(workload, 4.0, out)
        head = f"load under the profiler: {result['rps']:.0f} req/s of 200s, {result['statuses']}\n"
        return head + _report(str(out))


def startup_path() -> str:
    done = subprocess.run(
        [str(BIN / "python"), "-X", "importtime", "-c", "import mock_media.cli, mock_media.adapters.server"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            first, cumulative, name = line.split("|", 2)
            own = first.split(":", 1)[1].strip()
            if own.isdigit() and cumulative.strip().isdigit():
                rows.append((int(cumulative), int(own), name.rstrip()))
    rows.sort(reverse=True)
    lines = [f"{'cumulative us':>14} {'own us':>8}  module"]
    lines += [f"{c:>14} {o:>8}  {n}" for c, o, n in rows[:40]]
    return "\n".join(lines)


PATHS: dict[str, Callable[[], str]] = {
    "respx": respx_path,
    "requests": requests_path,
    "handler": handler_path,
    "fixture": fixture_path,
    "delete": delete_path,
    "server-image": lambda: server_path("image"),
    "server-status": lambda: server_path("status"),
    "server-mixed": lambda: server_path("mixed"),
    "startup": startup_path,
}
