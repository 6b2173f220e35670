"""Which URLs the in-process doors claim, and the error for the ones they refuse."""

from __future__ import annotations

from collections.abc import Iterable

from respx.models import AllMockedAssertionError


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
