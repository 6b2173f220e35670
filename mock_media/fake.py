"""MockMedia: the fake as a test (or any Python caller) uses it.

One object holds the backend, the wire handler and the test-facing helpers (accounts,
clock, faults, journal queries) and builds every in-process door over the same handler.
Doors import their libraries lazily, so using one never requires the others.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from .core.accounts import Account
from .core.backend import MediaBackend
from .core.clock import Clock
from .core.conduct import ConductPolicy, ConductReport, check, judge
from .core.config import MockConfig
from .core.content import Renderer
from .core.facts import API_HOST, Kind
from .core.faults import FaultRule, Faults
from .core.journal import Journal, JournalEntry, Recording
from .core.scenario import Scenario
from .core.store import Job
from .media import default_renderer
from .scenario_files import load_scenario
from .wire import Dispatcher, WireRequest, WireResponse, build_handler

if TYPE_CHECKING:
    import httpx
    import requests

    from .adapters.respx_router import MediaRouter
    from .adapters.server import MediaServer

DEFAULT_API_KEY = "test-key"


class MockMediaAssertionError(AssertionError):
    """A test's expectation about the fake's journal did not hold."""


class MockMedia:
    """A deterministic fake of the Media API with every in-process door.

    Args:
        config: the fake's settings (seed, clock, plan and balance of new accounts, ...).
        api_key: the key the helpers use by default (``client()``, ``balance()``, ...).
        api_base: where the respx router and ``patch_*`` doors expect the API.
        clock: a clock to share with other fakes (default: one built from ``config``).
        renderer: makes the files' bytes (default: ``mock_media.media.default_renderer()``,
            real WebP pictures when Pillow is installed).
    """

    def __init__(
        self,
        config: MockConfig | None = None,
        *,
        api_key: str = DEFAULT_API_KEY,
        api_base: str = API_HOST,
        clock: Clock | None = None,
        renderer: Renderer | None = None,
    ) -> None:
        self.backend = MediaBackend(config, clock=clock, renderer=renderer or default_renderer())
        self.handler: Dispatcher = build_handler(self.backend, scenario_loader=load_scenario)
        self.api_key = api_key
        self.api_base = api_base.rstrip("/")

    def __call__(self, request: WireRequest) -> WireResponse:
        """Answer one wire request (the object is itself a wire handler)."""
        return self.handler(request)

    def __repr__(self) -> str:
        config = self.backend.config
        return f"MockMedia(seed={config.seed}, clock={config.clock!r}, api_key={self.api_key!r})"

    # --- state ------------------------------------------------------------------------------
    @property
    def config(self) -> MockConfig:
        """The settings the fake was built (or last reset) with."""
        return self.backend.config

    @property
    def media_base(self) -> str:
        """Scheme and host of output URLs."""
        return self.backend.config.media_base

    @property
    def clock(self) -> Clock:
        """The fake's clock (virtual unless configured otherwise)."""
        return self.backend.clock

    @property
    def journal(self) -> Journal:
        """Every request and response, in order."""
        return self.backend.journal

    @property
    def faults(self) -> Faults:
        """Hand-injected faults (see also ``fail_next`` and friends)."""
        return self.backend.faults

    def reset(self, *, seed: int | None = None) -> None:
        """Back to a fresh start: no accounts, jobs, media or journal; the clock at its start."""
        self.backend.reset(seed=seed)

    def now(self) -> float:
        """The fake's current instant, in epoch seconds."""
        return self.backend.now()

    def advance(self, seconds: float) -> None:
        """Move the virtual clock on; videos that became due finish."""
        self.backend.advance(seconds)

    def finish_videos(self) -> list[Job]:
        """Move the clock to the moment the last processing video is due; returns those jobs."""
        # The backend measures each wait on its account's own clock (the admin API can move
        # one account's time ahead); a due instant minus the fake's time would overshoot.
        return self.backend.finish_videos()

    # --- accounts ---------------------------------------------------------------------------
    def register_account(
        self,
        api_key: str | None = None,
        plan: str | None = None,
        balance_usd: Decimal | float | int | str | None = None,
        **custom_limits: int,
    ) -> Account:
        """Create or change an account (Enterprise takes ``image_rpm``, ``video_rpm``,
        ``concurrent_jobs``); the key defaults to ``api_key``."""
        return self.backend.register_account(api_key or self.api_key, plan, balance_usd, **custom_limits)

    def account(self, api_key: str | None = None) -> Account:
        """An account, opened now if the fake is in open mode and it has not been used yet."""
        key = api_key or self.api_key
        with self.backend.lock:
            account = self.backend.authenticate(None, key)
        if account is None:
            raise MockMediaAssertionError(f"no account with api_key {key!r} (the fake is in closed mode)")
        return account

    def balance(self, api_key: str | None = None) -> Decimal:
        """An account's balance in USD, exact."""
        with self.backend.lock:
            self.backend.settle()  # a video that failed since the last request is refunded
            return self.account(api_key).balance

    def spent(self, api_key: str | None = None) -> Decimal:
        """What an account has been charged, refunds deducted, in USD."""
        with self.backend.lock:
            self.backend.settle()
            return self.account(api_key).spent

    # --- scenarios --------------------------------------------------------------------------
    def use_scenario(self, scenario: Scenario | str | Path | None) -> Scenario | None:
        """Put a scripted scenario in force from now: a bundled one by name (``"429-storm"``),
        a file, a ``Scenario``, or None to stop. It stays in force across ``reset()``."""
        loaded = scenario if isinstance(scenario, Scenario) or scenario is None else load_scenario(scenario)
        self.backend.load_scenario(loaded)
        return loaded

    # --- faults -----------------------------------------------------------------------------
    def fail_next(self, kind: Kind | str | None = None, **kwargs: Any) -> FaultRule:
        """Answer the next generation request(s) with 500 ``generation_failed`` (or ``code``)."""
        with self.backend.lock:
            return self.faults.fail_next(kind, **kwargs)

    def model_down(self, kind: Kind | str | None = None, **kwargs: Any) -> FaultRule:
        """503 ``model_unavailable`` for ``seconds`` (or until an epoch, or until cleared)."""
        with self.backend.lock:
            return self.faults.model_down(kind, **kwargs)

    def fail_next_video_jobs(self, **kwargs: Any) -> FaultRule:
        """Accept the next video(s), then have them end ``failed`` and refunded."""
        with self.backend.lock:
            return self.faults.fail_next_video_jobs(**kwargs)

    # --- journal ----------------------------------------------------------------------------
    def calls(
        self,
        operation: str | None = None,
        *,
        status: int | None = None,
        api_key: str | None = None,
        error_code: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> list[JournalEntry]:
        """Journal entries matching every filter given; ``operation`` is a route name such as
        ``"generate_image"``, ``"generate_video"``, ``"get_job"``, ``"list_media"``,
        ``"delete_media"`` or ``"get_file"``."""
        with self.backend.lock:  # a live server may be writing the journal meanwhile
            entries = self.journal.query(
                account=api_key, method=method, path=path, status=status, error_code=error_code
            )
        return [e for e in entries if operation is None or e.operation == operation]

    def last_call(self, operation: str | None = None, **filters: Any) -> JournalEntry:
        """The newest matching entry.

        Raises:
            MockMediaAssertionError: nothing matched; the message lists what was called.
        """
        found = self.calls(operation, **filters)
        if not found:
            seen = ", ".join(f"{k} x{v}" for k, v in self.calls_per_route().items()) or "nothing"
            wanted = ", ".join(f"{k}={v!r}" for k, v in {"operation": operation, **filters}.items() if v)
            raise MockMediaAssertionError(f"no call matched ({wanted or 'any'}); the fake saw: {seen}")
        return found[-1]

    def calls_per_route(self) -> dict[str, int]:
        """How many requests each route received, e.g. ``{"generate_image": 3}``."""
        with self.backend.lock:
            entries = list(self.journal)
        return dict(Counter(e.operation or f"{e.method} {e.path}" for e in entries))

    def rate_limited(self, api_key: str | None = None) -> list[JournalEntry]:
        """The requests answered 429."""
        return self.calls(status=429, api_key=api_key)

    def total_spent(self, api_key: str | None = None) -> Decimal:
        """The sum of the journal's charges (before refunds) for one account, or for all."""
        with self.backend.lock:
            entries = list(self.journal)
        return sum(
            (e.cost_usd for e in entries if e.cost_usd is not None and api_key in (None, e.account)),
            Decimal("0"),
        )

    # --- recording and conduct ----------------------------------------------------------------
    def export_journal(self, path: str | Path | None = None) -> str:
        """The session as JSON Lines (settings, every request and answer, the control events
        between them), written to ``path`` too if given: what ``mock-media replay`` re-drives
        and ``mock-media freeze`` turns into a scenario."""
        with self.backend.lock:
            text = "".join(self.journal.export(self.backend.session_header()))
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return text

    def conduct(self, api_key: str | None = None, **policy: Any) -> ConductReport:
        """Judge the client from the journal: early retries, refused POSTs sent again, polls
        too fast, retry loops that never give up (``policy``: ``poll_interval``,
        ``give_up_after``); ``api_key`` narrows it to one account."""
        return judge(self.calls(api_key=api_key), ConductPolicy(**policy))

    def assert_well_behaved(self, api_key: str | None = None, **policy: Any) -> ConductReport:
        """Fail (``MisconductError``, an ``AssertionError``) with the conduct report unless the
        client behaved; see ``conduct``."""
        return check(self.calls(api_key=api_key), ConductPolicy(**policy))

    # --- doors ------------------------------------------------------------------------------
    def router(self, *, pass_through: bool = False) -> MediaRouter:
        """A respx router for httpx (sync and async) over this fake; start it with ``with``,
        ``@router`` or ``router.start()``; ``router.fake`` is this fake."""
        from .adapters.respx_router import build_router

        router = build_router(
            self.handler, api_base=self.api_base, media_base=self.media_base, pass_through=pass_through
        )
        router.fake = self
        return router

    def transport(self, module: ModuleType | None = None) -> Any:
        """A ``MockTransport`` of httpx (or of ``module``, e.g. httpx2) over this fake."""
        from .adapters.httpx_transport import mock_transport

        return mock_transport(self.handler, module)

    def client(self, **kwargs: Any) -> httpx.Client:
        """An ``httpx.Client`` wired to this fake, based at the API, sending ``api_key``."""
        import httpx

        kwargs.setdefault("base_url", self.api_base)
        kwargs.setdefault("headers", {"X-API-Key": self.api_key})
        return httpx.Client(transport=self.transport(), **kwargs)

    def async_client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` wired to this fake, based at the API, sending ``api_key``."""
        import httpx

        kwargs.setdefault("base_url", self.api_base)
        kwargs.setdefault("headers", {"X-API-Key": self.api_key})
        return httpx.AsyncClient(transport=self.transport(), **kwargs)

    def session(self) -> requests.Session:
        """A ``requests.Session`` with the fake mounted for the API and media hosts."""
        import requests

        from .adapters.requests_adapter import mount

        return mount(requests.Session(), self.handler, self.api_base, self.media_base)

    @contextmanager
    def patch_requests(self, *, refuse_others: bool = False, allowed: tuple[str, ...] = ()) -> Iterator[None]:
        """While the block runs, plain ``requests.post(...)`` to the API or media host is
        answered by this fake (``refuse_others``: other hosts raise, but ``allowed``)."""
        from .adapters.requests_adapter import patch_requests

        with patch_requests(
            self.handler, self.api_base, self.media_base, refuse_others=refuse_others, allowed=allowed
        ):
            yield

    @contextmanager
    def patch_httpx2(self, *, refuse_others: bool = False, allowed: tuple[str, ...] = ()) -> Iterator[None]:
        """While the block runs, every httpx2 client's requests to the API or media host are
        answered by this fake (``refuse_others``: other hosts raise, but ``allowed``)."""
        import httpx2

        from .adapters.httpx_transport import patch_transports

        with patch_transports(
            httpx2, self.handler, self.api_base, self.media_base, refuse_others=refuse_others, allowed=allowed
        ):
            yield

    @contextmanager
    def activate(self, *, pass_through: bool = False, allowed: tuple[str, ...] = ()) -> Iterator[MockMedia]:
        """Every in-process door at once: respx for httpx, and requests and httpx2 when they
        are installed.

        Args:
            pass_through: let requests to other hosts reach the network; by default they
                raise (respx's ``AllMockedAssertionError``, or its subclass
                ``UnmatchedHostError`` from requests and httpx2).
            allowed: base URLs that may reach the network anyway (e.g. a live server).
        """
        with ExitStack() as stack:
            router = stack.enter_context(self.router(pass_through=pass_through))
            for base in allowed:
                router.route(url__startswith=base.rstrip("/") + "/").pass_through()
            refuse = not pass_through
            if _installed("requests"):
                stack.enter_context(self.patch_requests(refuse_others=refuse, allowed=allowed))
            if _installed("httpx2"):
                stack.enter_context(self.patch_httpx2(refuse_others=refuse, allowed=allowed))
            yield self

    def serve(self, host: str = "127.0.0.1") -> MediaServer:
        """A live server over this fake on a free port (start it, or use it with ``with``)."""
        from .adapters.server import MediaServer

        return MediaServer(self.handler, host)


def assert_well_behaved(
    source: MockMedia | Recording | Iterable[JournalEntry] | str | Path, **policy: Any
) -> ConductReport:
    """Fail with the conduct report unless the client behaved: judged from a fake, a
    recording (or its file), or journal entries (``policy``: ``poll_interval``,
    ``give_up_after``).

    Raises:
        MisconductError: an ``AssertionError`` whose message is the report.
    """
    if isinstance(source, MockMedia):
        return source.assert_well_behaved(**policy)
    if isinstance(source, str | Path):
        text = Path(source).read_text(encoding="utf-8")
        source = Recording.parse(text.splitlines(), str(source))
    entries = source.entries if isinstance(source, Recording) else source
    return check(entries, ConductPolicy(**policy))


def _installed(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is not None
