"""One server process for the load benchmarks: the fake or the baseline app, on the same
uvicorn configuration (``loop="auto"``, ``http="auto"``, one worker, access log off, lifespan
off, the socket bound the same way), pinned to one CPU.

``python -m bench.server --app baseline|mock[-raw][-flat] --port P [--cpu N] [--profile FILE]``

Once it accepts requests it prints one JSON line on stdout: its pid and what uvicorn's "auto"
resolved to (the running loop's class and the HTTP protocol class). SIGINT stops it; with
``--profile`` the whole run is under cProfile and the stats are written to FILE on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import socket
import sys
from typing import Any

import uvicorn

from .common import pin

APPS = ("baseline", "mock", "mock-flat", "mock-raw", "mock-raw-flat")


def build_app(name: str) -> Any:
    """The ASGI app to serve:

    ``mock``: the fake exactly as ``mock-media serve --clock virtual`` builds it;
    ``-flat``: with one-colour pictures, as ``mock-media serve --pictures flat`` (a diagnostic);
    ``-raw``: behind ``bench/raw_door.py``, a bare ASGI callable, no Starlette (a diagnostic);
    ``baseline``: the minimal Starlette app.
    """
    if name == "baseline":
        from .baseline_app import app

        return app
    from mock_media.adapters.asgi import create_app
    from mock_media.core.backend import MediaBackend
    from mock_media.core.config import MockConfig
    from mock_media.media import pictures_renderer
    from mock_media.scenario_files import load_scenario
    from mock_media.wire import build_handler

    renderer = pictures_renderer("flat" if "-flat" in name else "drawn", deferred=True)
    backend = MediaBackend(MockConfig(clock="virtual"), renderer=renderer)
    if "-raw" in name:
        from .raw_door import raw_app

        return raw_app(build_handler(backend, scenario_loader=load_scenario))
    return create_app(backend)


def bind(port: int) -> socket.socket:
    """Bound as ``mock_media.adapters.server.bind_socket`` binds (IPPROTO_TCP, so that asyncio
    sets TCP_NODELAY), for both apps."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    return sock


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.server")
    parser.add_argument("--app", choices=APPS, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--cpu", type=int)
    parser.add_argument("--profile")
    args = parser.parse_args()
    pin(args.cpu)
    config = uvicorn.Config(
        build_app(args.app),
        loop="auto",
        http="auto",
        workers=None,
        log_level="warning",
        access_log=False,
        lifespan="off",
        forwarded_allow_ips="127.0.0.1,::1",  # as mock_media.adapters.server configures it
    )
    server = uvicorn.Server(config)
    sock = bind(args.port)

    async def serve() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started:
            if task.done():
                await task
                return
            await asyncio.sleep(0.005)
        loop = asyncio.get_running_loop()
        protocol = config.http_protocol_class
        ready = {
            "pid": os.getpid(),
            "app": args.app,
            "loop": f"{type(loop).__module__}.{type(loop).__qualname__}",
            "http": f"{protocol.__module__}.{protocol.__qualname__}",
        }
        print(json.dumps(ready), flush=True)
        await task

    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    try:
        with asyncio.Runner(loop_factory=config.get_loop_factory()) as runner:
            runner.run(serve())
    except KeyboardInterrupt:
        pass
    finally:
        sock.close()
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
    sys.exit(0)


if __name__ == "__main__":
    main()
