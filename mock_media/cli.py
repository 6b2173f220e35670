"""``mock-media serve``: the standalone server's command line.

Bad input gets one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence
from decimal import Decimal
from typing import NoReturn
from urllib.parse import urlsplit

from .core.accounts import parse_usd
from .core.assumptions import DEFAULT_BALANCE_USD, DEFAULT_PLAN
from .core.clock import to_epoch
from .core.config import MockConfig
from .core.errors import ApiError
from .core.facts import MEDIA_HOST, PLANS
from .core.scenario import Scenario, ScenarioError
from .scenario_files import bundled, load_scenario

PROG = "mock-media"
# MockConfig names a bad setting by its field; the user typed the option.
_OPTION_OF_FIELD = {
    "default_balance_usd": "--balance",
    "default_plan": "--plan",
    "media_base": "--media-base",
    "blocked_terms": "--block",
    "start": "--start",
    "speed": "--speed",
    "clock": "--clock",
    "seed": "--seed",
}


class _Parser(argparse.ArgumentParser):
    """Errors are one line, ``mock-media: error: ...``, sub-commands included; no usage dump."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{PROG}: error: {' '.join(message.split())}\n")


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"port must be an integer from 0 to 65535, got {text!r}")
    return int(text)


def _integer(text: str) -> int:
    digits = text[1:] if text[:1] == "-" else text
    if not (digits.isascii() and digits.isdigit()):
        raise argparse.ArgumentTypeError(f"must be an integer, got {text!r}")
    return int(text)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _usd(text: str) -> Decimal:
    try:
        return parse_usd(text.strip())
    except ApiError:
        raise argparse.ArgumentTypeError(f"must be an amount of USD, zero or more, got {text!r}") from None


def _instant(text: str) -> str:
    try:
        to_epoch(text)
    except (TypeError, ValueError, OverflowError):
        raise argparse.ArgumentTypeError(
            f"must be an ISO-8601 instant such as 2025-03-14T12:00:00Z, got {text!r}"
        ) from None
    return text


def _media_base(text: str) -> str:
    base = text.rstrip("/")
    try:
        parts = urlsplit(base)
        parts.port  # noqa: B018 - raises ValueError for a bad port
    except ValueError:
        parts = urlsplit("")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise argparse.ArgumentTypeError(
            f"must be an http(s) URL such as http://127.0.0.1:8000, got {text!r}"
        )
    return base


def _scenario(text: str) -> Scenario:
    try:
        return load_scenario(text)
    except ScenarioError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    """The ``mock-media`` command and its sub-commands."""
    parser = _Parser(prog=PROG, description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = commands.add_parser("serve", help="run the standalone mock server")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port; 0 picks a free one (default: 8000)")
    serve.add_argument("--seed", type=_integer, default=0, help="seed for ids and content (default: 0)")
    serve.add_argument(
        "--clock",
        choices=("real", "virtual"),
        default="real",
        help="real: time passes (default); virtual: time moves only via POST /_mock/clock/advance",
    )
    serve.add_argument("--speed", type=_positive, default=1.0, help="real clock speed-up factor (default: 1)")
    serve.add_argument(
        "--start", type=_instant, help="virtual clock start, ISO-8601 (default: 2025-03-14T12:00:00Z)"
    )
    serve.add_argument(
        "--closed", action="store_true", help="accept only keys registered via POST /_mock/accounts"
    )
    serve.add_argument(
        "--plan",
        choices=PLANS,
        default=DEFAULT_PLAN,
        help=f"plan of auto-created accounts (default: {DEFAULT_PLAN})",
    )
    serve.add_argument(
        "--balance",
        type=_usd,
        default=DEFAULT_BALANCE_USD,
        help=f"USD balance of auto-created accounts (default: {DEFAULT_BALANCE_USD})",
    )
    serve.add_argument(
        "--media-base",
        type=_media_base,
        default=MEDIA_HOST,
        help="scheme://host[:port] of output URLs; point it at this server to download files",
    )
    serve.add_argument("--strict", action="store_true", help="reject unknown request fields")
    serve.add_argument(
        "--block", action="append", default=[], metavar="WORD", help="a word moderation blocks"
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.add_argument(
        "--scenario",
        type=_scenario,
        metavar="NAME|PATH",
        help="a scripted scenario in force from the start (see `mock-media scenarios`)",
    )
    commands.add_parser("scenarios", help="list the bundled scenarios, one line each")
    return parser


def config_from_args(args: argparse.Namespace) -> MockConfig:
    """The MockConfig the arguments describe.

    Raises:
        ValueError: a setting is out of range (the message names its option).
    """
    extra = {} if args.start is None else {"start": args.start}
    try:
        return MockConfig(
            seed=args.seed,
            clock=args.clock,
            speed=args.speed,
            closed=args.closed,
            default_plan=args.plan,
            default_balance_usd=args.balance,
            media_base=args.media_base.rstrip("/"),
            strict=args.strict,
            blocked_terms=tuple(args.block),
            scenario=args.scenario,
            **extra,
        )
    except ValueError as exc:
        message = str(exc)
        for name, option in _OPTION_OF_FIELD.items():
            if message.startswith(name + " "):
                message = f"argument {option}: {message}"
                break
        raise ValueError(message) from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mock-media`` and ``python -m mock_media``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "scenarios":
        for name, path in bundled().items():
            print(f"{name:<22}{load_scenario(path).description}")
        return 0
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    from .adapters.server import bind_socket, serve

    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        parser.error(
            f"argument --host/--port: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        )
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    print(
        f"{PROG}: serving on http://{shown}:{port} "
        f"(seed {config.seed}, {config.clock} clock, media at {config.media_base})",
        file=sys.stderr,
        flush=True,
    )
    serve(config, access_log=args.access_log, sock=sock)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
