"""The requests door's two ways of building a response: a whole body (no ``stream=True``, no
file) is handed over directly, everything else goes through requests' own ``build_response``
over an in-memory urllib3 response. A caller must not be able to tell them apart, so each
answer is read both ways and every visible part compared, and the shortcut is checked to be
taken (else the comparison would prove nothing)."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import pytest
import requests
from requests.cookies import RequestsCookieJar
from requests.structures import CaseInsensitiveDict
from urllib3.response import HTTPResponse

from mock_media import MockMedia, WireRequest, WireResponse
from mock_media.adapters.requests_adapter import MediaAdapter, mount

from ..doc_tables import IMAGE_PATH

API = "https://api.moltbotden.com"
MEDIA = "https://media.moltbotden.com"
KEY = {"X-API-Key": "k"}
CAT = b'{"prompt": "a cat"}'


# --- answers, recorded once from a fake and replayed as often as a test asks -------------------
class Recorded:
    """One answer of the fake, replayable: a file's bytes come back in chunks, as served."""

    def __init__(self, answer: WireResponse) -> None:
        self.status = answer.status
        self.headers = dict(answer.headers)
        self.file = answer.chunks is not None
        self.body = answer.read()

    def __call__(self, request: WireRequest) -> WireResponse:
        if self.file:
            half = len(self.body) // 2
            return WireResponse(self.status, dict(self.headers), chunks=[self.body[:half], self.body[half:]])
        return WireResponse(self.status, dict(self.headers), self.body)


@cache
def recorded() -> dict[str, Recorded]:
    """The fake's own answers of each kind the door must carry unchanged."""
    fake = MockMedia()

    def ask(method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b"") -> WireResponse:
        return fake(WireRequest.build(method, path, headers=KEY if headers is None else headers, body=body))

    image = ask("POST", IMAGE_PATH, body=CAT)
    answers = {
        "image 200": image,
        "empty prompt 400": ask("POST", IMAGE_PATH, body=b'{"prompt": ""}'),
        "no key 401": ask("POST", IMAGE_PATH, headers={}, body=CAT),
        "unknown job 404": ask("GET", "/v1/hosting/media/img_nope"),
        "openapi 200": ask("GET", "/openapi.json", headers={}),
        "file 200": ask("GET", image.json()["outputs"][0]["url"].removeprefix(MEDIA), headers={}),
    }
    fake.use_scenario("429-storm")
    for _ in range(20):
        storm = ask("POST", IMAGE_PATH, body=CAT)
        if storm.status == 429:
            answers["rate limited 429"] = storm
            break
    return {name: Recorded(answer) for name, answer in answers.items()}


# Answers the fake does not give today, each one a reason for the shortcut to step aside.
SYNTHETIC: dict[str, WireResponse] = {
    "text, charset": WireResponse(
        200, {"Content-Type": "text/plain; charset=latin-1"}, "caf\xe9".encode("latin-1")
    ),
    "text, no charset": WireResponse(200, {"Content-Type": "text/plain", "Content-Length": "2"}, b"ok"),
    "no headers": WireResponse(200, {}, b"bare\nlines\n"),
    "gzip": WireResponse(
        200, {"Content-Type": "application/json", "Content-Encoding": "gzip"}, gzip.compress(b'{"a": 1}')
    ),
    "short body": WireResponse(200, {"Content-Type": "application/json", "Content-Length": "9"}, b"{}"),
    "names differing in case": WireResponse(200, {"X-Tag": "a", "x-tag": "b", "Content-Length": "1"}, b"."),
    "set-cookie": WireResponse(200, {"Set-Cookie": "session=1; Path=/", "Content-Length": "2"}, b"{}"),
    "no content 204": WireResponse(204, {}, b""),
}


def replay(name: str) -> Callable[[WireRequest], WireResponse]:
    if name in SYNTHETIC:
        answer = SYNTHETIC[name]
        return lambda request: WireResponse(answer.status, dict(answer.headers), answer.body)
    return recorded()[name]


RECORDED = (
    "image 200",
    "empty prompt 400",
    "no key 401",
    "unknown job 404",
    "openapi 200",
    "file 200",
    "rate limited 429",
)
NAMES = [*RECORDED, *SYNTHETIC]


def url_for(name: str) -> str:
    return MEDIA + "/generated/x.webp" if name == "file 200" else API + "/x"


@pytest.fixture
def build_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many responses requests' ``HTTPAdapter.build_response`` has built (any adapter)."""
    calls: list[int] = []
    original = requests.adapters.HTTPAdapter.build_response

    def counting(self: requests.adapters.HTTPAdapter, req: Any, resp: Any) -> requests.Response:
        calls.append(1)
        return original(self, req, resp)

    monkeypatch.setattr(requests.adapters.HTTPAdapter, "build_response", counting)
    yield calls


def session_for(name: str) -> requests.Session:
    return mount(requests.Session(), replay(name))


def observe(name: str, *, stream: bool, method: str = "GET") -> dict[str, Any]:
    """Everything a caller can see of one answer, the body read in full (or what was raised)."""
    try:
        r = session_for(name).request(method, url_for(name), stream=stream)
        content = r.content
    except requests.RequestException as exc:
        return {"raised": type(exc)}
    raw = r.raw
    seen = {
        "status_code": r.status_code,
        "reason": r.reason,
        "url": r.url,
        "headers": (type(r.headers), list(r.headers.items())),
        "encoding": r.encoding,
        "apparent text": r.text,
        "content": content,
        "cookies": (type(r.cookies), r.cookies.get_dict()),
        "connection": type(r.connection),
        "raw": (type(raw), list(raw.headers.items()), raw.status, raw.reason, raw.version),
        "raw state": (raw.closed, raw.length_remaining, raw.url, raw.tell()),
        "raw.read()": (raw.read(), raw.read(5), list(raw.stream(4))),
        "iter_content": list(r.iter_content(7)),
        "iter_lines": list(r.iter_lines()),
    }
    with r:
        pass
    r.close()
    seen["closed after close()"] = raw.closed
    return seen


# --- the two ways agree ----------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_whole_body__reads_exactly_as_the_urllib3_path(name: str) -> None:
    # stream=True always builds over urllib3; reading .content then is what Session.send does
    # for a non-streamed request on that path, so the two must leave the same response.
    assert observe(name, stream=False) == observe(name, stream=True)


@pytest.mark.parametrize("name", ["image 200", "no headers", "no content 204"])
def test_head__reads_exactly_as_the_urllib3_path(name: str) -> None:
    # urllib3 expects no body after HEAD: the shortcut must not hand over one it would refuse.
    assert observe(name, stream=False, method="HEAD") == observe(name, stream=True, method="HEAD")


def test_recorded__has_every_kind_of_answer() -> None:
    statuses = {name: answer.status for name, answer in recorded().items()}

    assert statuses == dict(zip(RECORDED, [200, 400, 401, 404, 200, 200, 429], strict=True))
    assert [name for name, answer in recorded().items() if answer.file] == ["file 200"]


@pytest.mark.parametrize(
    ("name", "shortcut"),
    [
        ("image 200", True),
        ("empty prompt 400", True),
        ("rate limited 429", True),
        ("openapi 200", True),
        ("text, charset", True),
        ("set-cookie", True),
        ("file 200", False),
        ("gzip", False),
        ("short body", False),
        ("names differing in case", False),
        ("no content 204", False),
    ],
)
def test_whole_body__built_without_build_response_unless_urllib3_would_read_it_differently(
    name: str, shortcut: bool, build_calls: list[int]
) -> None:
    try:
        session_for(name).get(url_for(name))
    except requests.RequestException:
        pass

    assert build_calls == ([] if shortcut else [1])


def test_streamed__always_over_urllib3(build_calls: list[int]) -> None:
    session_for("image 200").get(API + "/x", stream=True)

    assert build_calls == [1]


# --- what a caller sees, pinned --------------------------------------------------------------
def test_json_answer__what_the_caller_sees() -> None:
    recorded_body = recorded()["image 200"].body

    r = session_for("image 200").post(API + IMAGE_PATH, headers=KEY, data=CAT)

    assert (r.status_code, r.reason, r.encoding, r.url) == (200, "OK", "utf-8", API + IMAGE_PATH)
    assert isinstance(r.headers, CaseInsensitiveDict)
    assert r.headers["content-type"] == "application/json"
    assert r.headers["Content-Length"] == str(len(recorded_body))
    assert r.content == recorded_body
    assert r.json()["status"] == "completed"
    assert isinstance(r.cookies, RequestsCookieJar) and not r.cookies
    assert r.request.url == API + IMAGE_PATH
    assert isinstance(r.raw, HTTPResponse)
    assert (r.raw.status, r.raw.reason, r.raw.headers["content-type"]) == (200, "OK", "application/json")
    assert (r.raw.read(), r.raw.closed) == (b"", True)
    assert b"".join(r.iter_content(100)) == recorded_body
    with r as same:
        assert same is r


def test_rate_limited__reason_and_retry_after() -> None:
    r = session_for("rate limited 429").post(API + IMAGE_PATH, headers=KEY, data=CAT)

    assert (r.status_code, r.reason) == (429, "Too Many Requests")
    assert int(r.headers["retry-after"]) >= 1
    assert r.json()["error"]["code"] == "rate_limit_exceeded"
    with pytest.raises(requests.HTTPError, match="429 Client Error: Too Many Requests"):
        r.raise_for_status()


def test_text_answer__encoding_from_its_headers() -> None:
    charset = session_for("text, charset").get(API + "/x")
    plain = session_for("text, no charset").get(API + "/x")

    assert (charset.encoding, charset.text) == ("latin-1", "caf\xe9")
    assert (plain.encoding, plain.text) == ("ISO-8859-1", "ok")


def test_streamed_json__raw_and_iter_content_give_the_body() -> None:
    body = recorded()["image 200"].body
    session = session_for("image 200")

    with session.get(API + "/x", stream=True) as r:
        assert b"".join(r.iter_content(16)) == body
    with session.get(API + "/x", stream=True) as r:
        assert r.raw.read() == body
        assert r.raw.read() == b""
    with session.get(API + "/x", stream=True) as r:
        assert list(r.iter_lines()) == [body]


def test_file_download__same_bytes_streamed_or_not() -> None:
    body = recorded()["file 200"].body
    session = session_for("file 200")

    whole = session.get(MEDIA + "/generated/x.webp")
    with session.get(MEDIA + "/generated/x.webp", stream=True) as streamed:
        chunks = list(streamed.iter_content(8192))

    assert (whole.status_code, whole.headers["Content-Type"]) == (200, "image/webp")
    assert whole.content == b"".join(chunks) == body
    assert len(body) == int(whole.headers["Content-Length"])


def test_adapter_alone__whole_body_without_a_session() -> None:
    request = requests.Request("GET", API + "/x").prepare()

    r = MediaAdapter(replay("image 200")).send(request)

    assert (r.status_code, r.content, r.request) == (200, recorded()["image 200"].body, request)


@pytest.mark.parametrize("stream", [False, True])
def test_connection__is_the_fake_so_a_resend_never_reaches_the_network(stream: bool) -> None:
    # requests re-sends through ``response.connection`` (digest auth's second try).
    session = session_for("image 200")
    r = session.get(url_for("image 200"), stream=stream)
    assert isinstance(r.connection, MediaAdapter)
    assert r.connection is session.get_adapter(API + "/")
