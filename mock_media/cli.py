"""``mock-media serve``: the standalone server's command line.

Bad input gets one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from .core.assumptions import DEFAULT_BALANCE_USD, DEFAULT_PLAN
from .core.config import MockConfig
from .core.facts import MEDIA_HOST, PLANS


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


def _port(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"port must be an integer from 0 to 65535, got {text!r}")
    return int(text)


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The ``mock-media`` command and its sub-commands."""
    parser = _Parser(prog="mock-media", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    serve = commands.add_parser("serve", help="run the standalone mock server")
    serve.add_argument("--host", default="127.0.0.1", help="interface (default: 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port (default: 8000)")
    serve.add_argument("--seed", type=int, default=0, help="seed for ids and content (default: 0)")
    serve.add_argument(
        "--clock",
        choices=("real", "virtual"),
        default="real",
        help="real: time passes (default); virtual: time moves only via POST /_mock/clock/advance",
    )
    serve.add_argument("--speed", type=_positive, default=1.0, help="real clock speed-up factor (default: 1)")
    serve.add_argument("--start", help="virtual clock start, ISO-8601 (default: 2025-03-14T12:00:00Z)")
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
        default=str(DEFAULT_BALANCE_USD),
        help=f"USD balance of auto-created accounts (default: {DEFAULT_BALANCE_USD})",
    )
    serve.add_argument(
        "--media-base",
        default=MEDIA_HOST,
        help="scheme://host[:port] of output URLs; point it at this server to download files",
    )
    serve.add_argument("--strict", action="store_true", help="reject unknown request fields")
    serve.add_argument(
        "--block", action="append", default=[], metavar="WORD", help="a word moderation blocks"
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    return parser


def config_from_args(args: argparse.Namespace) -> MockConfig:
    """The MockConfig the arguments describe.

    Raises:
        ValueError: a setting is out of range (the message names it).
    """
    extra = {} if args.start is None else {"start": args.start}
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
        **extra,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mock-media`` and ``python -m mock_media``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        config = config_from_args(args)
    except ValueError as exc:
        parser.error(str(exc).replace("default_balance_usd", "--balance"))
    from .adapters.server import serve

    print(
        f"mock-media: serving on http://{args.host}:{args.port} "
        f"(seed {config.seed}, {config.clock} clock, media at {config.media_base})",
        file=sys.stderr,
        flush=True,
    )
    serve(config, args.host, args.port, access_log=args.access_log)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
