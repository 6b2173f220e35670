"""The respx door: a router with one catch-all route per host, both answered by the core.

Path routing is the wire layer's job, so there is no route ordering to get wrong; a request
to another host passes through to the network or fails, as the caller chooses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import respx

from ..core.facts import API_HOST, GENERATED_DIR, MEDIA_HOST
from ..wire import Handler
from .httpx_transport import handler_function

if TYPE_CHECKING:
    from ..fake import MockMedia


class MediaRouter(respx.MockRouter):
    """A ``respx.MockRouter`` answered by the fake; ``fake`` is the MockMedia behind it, when
    it was built by one (``MockMedia.router()``, or the ready ``mock_media.respx_mock``)."""

    fake: MockMedia | None = None
    reset_on_start = False

    def __enter__(self) -> MediaRouter:
        super().__enter__()
        return self

    def start(self) -> None:
        """Start mocking; the ready router also starts its fake afresh, like a new fixture."""
        if self.reset_on_start and self.fake is not None:
            self.fake.reset()
        super().start()


class _HandlerRoute(respx.Route):
    """A catch-all route answered by the wire handler.

    respx inspects a side effect's signature on every call (to offer it ``route``), about a
    tenth of an in-process request; the handler never wants it, so this route calls it
    directly, keeping respx's error wrapping.
    """

    def _call_side_effect(self, effect: Any, request: httpx.Request, **kwargs: Any) -> Any:
        try:
            return effect(request, **kwargs)
        except Exception as error:
            raise respx.models.SideEffectError(self, origin=error) from error


def build_router(
    handler: Handler,
    *,
    api_base: str = API_HOST,
    media_base: str = MEDIA_HOST,
    pass_through: bool = False,
) -> MediaRouter:
    """A ``respx.MockRouter`` serving the API at ``api_base`` and files under ``media_base``.

    Args:
        handler: the wire handler (``MockMedia.handler``, or ``build_handler(backend)``).
        api_base: scheme and host of the API (the doc's ``https://api.moltbotden.com``).
        media_base: scheme and host of output URLs (the doc's ``https://media.moltbotden.com``).
        pass_through: let requests to other hosts reach the network; by default respx raises
            ``AllMockedAssertionError`` for them, so a test can never call a real paid API.

    Use it as respx users expect: ``with router:``, ``@router``, or ``router.start()``.
    """
    router = MediaRouter(assert_all_called=False, assert_all_mocked=not pass_through)
    handle = handler_function(handler, httpx)
    api = urlsplit(api_base)
    api_route = _HandlerRoute(scheme=api.scheme, host=api.hostname)
    router.add(api_route, name="mock_media_api").mock(side_effect=handle)
    media = urlsplit(media_base)
    if (media.scheme, media.netloc) != (api.scheme, api.netloc):
        files = _HandlerRoute(scheme=media.scheme, host=media.hostname, path__startswith=GENERATED_DIR + "/")
        router.add(files, name="mock_media_files").mock(side_effect=handle)
    if pass_through:
        router.route(name="pass_through").pass_through()
    return router


def ready_router() -> MediaRouter:
    """A router over a fresh default ``MockMedia`` that starts afresh each time it is started:
    ``with router:`` or ``@router`` gives every use a new fake, as respx's ``respx.mock`` gives
    every use fresh routes."""
    from ..fake import MockMedia

    router = MockMedia().router()
    router.reset_on_start = True
    return router
