"""``mock-media``: the standalone server, the bundled scenarios, replay and freeze.

Bad input gets one line on stderr and exit status 2, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import sys
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

from .core.accounts import parse_usd
from .core.assumptions import DEFAULT_BALANCE_USD, DEFAULT_PLAN
from .core.clock import to_epoch
from .core.config import MockConfig
from .core.errors import ApiError
from .core.facts import MEDIA_HOST, PLANS
from .core.scenario import Scenario, ScenarioError
from .media import PICTURES, PICTURES_ENV, describe_pictures
from .scenario_files import bundled, load_scenario
from .wire.control import ADMIN_TOKEN_ENV, ADMIN_TOKEN_HEADER, is_loopback, valid_admin_token

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


def _admin_token(text: str) -> str:
    try:
        return valid_admin_token(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None  # never echo the token itself


def _scenario(text: str) -> Scenario:
    try:
        return load_scenario(text)
    except ScenarioError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _scenario_or_none(text: str) -> Scenario | None:
    return None if text == "none" else _scenario(text)


def _non_negative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number, zero or more, got {text!r}")
    return value


def _at_least_one(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number, at least 1, got {text!r}")
    return value


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
        "--pictures",
        choices=PICTURES,
        help="drawn: a placeholder picture per image, with Pillow when installed; flat: one colour "
        f"each, far cheaper to serve (default: ${PICTURES_ENV}, else drawn)",
    )
    admin = serve.add_mutually_exclusive_group()
    admin.add_argument("--no-admin", action="store_true", help="turn the admin API (/_mock) off: a 404")
    admin.add_argument(
        "--admin-token",
        type=_admin_token,
        metavar="TOKEN",
        help=f"every admin request must send it in {ADMIN_TOKEN_HEADER} (default: ${ADMIN_TOKEN_ENV}; "
        "none: loopback clients only, or a generated token when --host is beyond loopback)",
    )
    serve.add_argument(
        "--scenario",
        type=_scenario,
        metavar="NAME|PATH",
        help="a scripted scenario in force from the start (see `mock-media scenarios`)",
    )
    commands.add_parser("scenarios", help="list the bundled scenarios, one line each")
    replay = commands.add_parser(
        "replay",
        help="re-drive a recorded session (a journal export) against a fresh fake and report differences",
    )
    replay.add_argument("file", type=Path, help="the recording, JSON Lines (GET /_mock/journal/export)")
    replay.add_argument("--seed", type=_integer, help="replay with another seed (default: the recorded one)")
    replay.add_argument(
        "--scenario",
        type=_scenario_or_none,
        default=argparse.SUPPRESS,
        metavar="NAME|PATH|none",
        help="replay under another scenario, or none (default: the recorded one)",
    )
    replay.add_argument(
        "--poll-interval", type=_non_negative, help="conduct: the least seconds between two looks at a job"
    )
    replay.add_argument(
        "--give-up-after", type=_at_least_one, help="conduct: retryable failures in a row that are too many"
    )
    replay.add_argument("--json", action="store_true", help="print the report as JSON")
    freeze = commands.add_parser(
        "freeze", help="turn a recording into a scenario file with its faults at the same requests"
    )
    freeze.add_argument("file", type=Path, help="the recording, JSON Lines")
    freeze.add_argument("-o", "--output", type=Path, help="write the scenario here (default: stdout)")
    freeze.add_argument("--name", help="the scenario's name (default: frozen-<recorded scenario>)")
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


def admin_from_args(args: argparse.Namespace, bound_host: str) -> tuple[bool, str | None, str]:
    """(admin API on, its token, the banner line saying so) for a server bound to ``bound_host``.

    A server listening beyond loopback is never an open control plane: with neither
    ``--no-admin`` nor a token (option or environment), it makes one up and prints it, once.

    Raises:
        ValueError: the environment's token could never match (the message names the variable).
    """
    label = f"{PROG}: admin API (/_mock): "
    if args.no_admin:
        return False, None, label + "off"
    token = args.admin_token
    if token is None and os.environ.get(ADMIN_TOKEN_ENV):
        try:
            token = valid_admin_token(os.environ[ADMIN_TOKEN_ENV])
        except ValueError as exc:
            raise ValueError(f"{ADMIN_TOKEN_ENV}: {exc}") from None
    if token is not None:
        return True, token, label + f"every request must send the admin token in {ADMIN_TOKEN_HEADER}"
    if is_loopback(bound_host):
        return True, None, label + "loopback clients only"
    token = secrets.token_urlsafe(24)
    line = (
        label
        + f"every request must send {ADMIN_TOKEN_HEADER}: {token} (generated: {bound_host} is not loopback)"
    )
    return True, token, line


def pictures_from_args(args: argparse.Namespace) -> str:
    """``--pictures``, else the environment's choice, else "drawn" (an empty variable is unset).

    Raises:
        ValueError: the environment's choice is unknown (the message names the variable).
    """
    if args.pictures is not None:
        return str(args.pictures)
    chosen = os.environ.get(PICTURES_ENV, "").strip()
    if not chosen:
        return "drawn"
    if chosen not in PICTURES:
        raise ValueError(f"{PICTURES_ENV}: must be one of {', '.join(PICTURES)}, got {chosen!r}")
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``mock-media`` and ``python -m mock_media``."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "scenarios":
        for name, path in bundled().items():
            print(f"{name:<22}{load_scenario(path).description}")
        return 0
    if args.command == "replay":
        return _replay(parser, args)
    if args.command == "freeze":
        return _freeze(parser, args)
    try:
        config = config_from_args(args)
        pictures = pictures_from_args(args)
    except ValueError as exc:
        parser.error(str(exc))
    from .adapters.server import bind_socket, implementations, serve

    try:
        sock = bind_socket(args.host, args.port)
    except OSError as exc:
        parser.error(
            f"argument --host/--port: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}"
        )
    host, port = sock.getsockname()[:2]
    try:
        admin, token, admin_line = admin_from_args(args, host)
    except ValueError as exc:
        sock.close()
        parser.error(str(exc))
    loop, http = implementations()
    slow = http == "h11" or (loop == "asyncio" and sys.platform != "win32")  # no uvloop on Windows
    hint = " (the fast extra adds uvloop and httptools)" if slow else ""
    shown = f"[{host}]" if ":" in host else host
    print(
        f"{PROG}: serving on http://{shown}:{port} "
        f"(seed {config.seed}, {config.clock} clock, media at {config.media_base})\n"
        f"{PROG}: uvicorn with {loop} and {http}{hint}; {describe_pictures(pictures)}\n"
        f"{admin_line}",
        file=sys.stderr,
        flush=True,
    )
    serve(
        config,
        access_log=args.access_log,
        sock=sock,
        admin=admin,
        admin_token=token,
        loop=loop,
        http=http,
        pictures=pictures,
    )
    return 0


def _replay(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    """Exit 0 when every answer matched, 1 when some differ (the report says where)."""
    from .core.conduct import ConductPolicy
    from .replayer import RECORDED, Recorded, replay

    policy = {
        name: value
        for name, value in (("poll_interval", args.poll_interval), ("give_up_after", args.give_up_after))
        if value is not None
    }
    scenario: Scenario | Recorded | None = args.scenario if "scenario" in args else RECORDED
    try:
        report = replay(args.file, seed=args.seed, scenario=scenario, policy=ConductPolicy(**policy))
    except ValueError as exc:
        parser.error(f"argument file: {exc}")
    print(json.dumps(report.to_dict(), indent=2) if args.json else report)
    return 0 if report.identical else 1


def _freeze(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    from .core.freeze import freeze, scenario_toml
    from .replayer import read_recording

    try:
        recording, _ = read_recording(args.file)
        text = scenario_toml(freeze(recording, name=args.name))
    except (ValueError, ScenarioError) as exc:
        parser.error(f"argument file: {exc}")
    if args.output is None:
        sys.stdout.write(text)
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        parser.error(f"argument --output: cannot write {args.output}: {exc.strerror or exc}")
    print(f"{PROG}: wrote {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
