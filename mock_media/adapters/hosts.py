"""Which URLs the in-process doors claim, and the error for the ones they refuse."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from respx.models import AllMockedAssertionError

from ..wire import WireResponse


class UnmatchedHostError(AllMockedAssertionError):
    """A request for a host that is not the Media API's, while other hosts are refused.

    It subclasses respx's ``AllMockedAssertionError`` so one ``except`` (or ``pytest.raises``)
    catches the refusal whichever library sent the request.
    """


def prefixes(bases: Iterable[str]) -> tuple[str, ...]:
    """``scheme://host[:port]/`` prefixes, lower-cased, for ``str.startswith``."""
    return tuple(base.rstrip("/").lower() + "/" for base in bases)


def refused(request: str) -> UnmatchedHostError:
    """The error for a request the doors will not let reach the network."""
    return UnmatchedHostError(
        f"mock_media: {request} is not the Media API; requests to other hosts fail "
        "(pass_through=True lets them through)"
    )


def enact(
    answer: WireResponse,
    reset: Callable[[str], BaseException],
    timeout: Callable[[str], BaseException],
) -> None:
    """What an in-process door does with a scripted transport fault: wait the latency a real
    clock asks for, then raise the client library's own error for a reset or a timeout."""
    if answer.delay:
        time.sleep(answer.delay)
    if answer.fault == "reset":
        raise reset("Connection reset by peer (mock-media scenario)")
    if answer.fault == "timeout":
        raise timeout("Read timed out (mock-media scenario)")
