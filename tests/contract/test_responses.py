"""Real answers match the document: every body, status and header a session produces is
validated against the operation's documented response for that status (jsonschema, OpenAPI
3.1's 2020-12 dialect), and every error body against decision 3.

The success shapes and the common errors run through every door; the errors that need the
fake's state set up (a spent balance, an exhausted bucket, injected faults) run on the wire.
"""

from __future__ import annotations

from typing import Any

import pytest

from mock_media import MediaBackend, MockConfig, openapi_document
from mock_media.core.facts import ERROR_STATUS, ErrorCode
from tests.doc_tables import (
    API_PREFIX,
    DOC_IMAGE_REQUEST,
    DOC_PRODUCT_MOCKUP_REQUEST,
    DOC_VIDEO_REQUEST,
    IMAGE_PATH,
    VIDEO_PATH,
)
from tests.doors import Api, Reply, wire_api
from tests.helpers import one_mib_body

from .openapi_check import conformance_errors, decision_3_errors, schema_errors

DOCUMENT = openapi_document()
ITEM = API_PREFIX + "/{id}"
FILE = "/generated/{file}"


def conforms(reply: Reply, method: str, template: str, *, shape: str | None = None) -> Any:
    """Assert the reply is what the document promises for its status; return its JSON body.

    ``shape``: the component schema the body must also match (e.g. which job state).
    """
    problems = conformance_errors(DOCUMENT, method, template, reply.status, reply.headers, reply.body)
    assert problems == [], (method, template, reply.status, reply.body[:300])
    if not reply.body or not reply.headers.get("content-type", "").startswith("application/json"):
        return None
    body = reply.json()
    if reply.status >= 400:
        assert decision_3_errors(reply.status, body) == [], body
    if shape is not None:
        assert schema_errors(DOCUMENT, {"$ref": f"#/components/schemas/{shape}"}, body) == [], body
    return body


def test_session__every_answer_matches_the_document(api: Api) -> None:
    image = conforms(api.image(DOC_PRODUCT_MOCKUP_REQUEST), "POST", IMAGE_PATH, shape="ImageJob")
    video = conforms(api.video(DOC_VIDEO_REQUEST), "POST", VIDEO_PATH, shape="VideoJobProcessing")
    conforms(api.job(video["job_id"]), "GET", ITEM, shape="VideoJobProcessing")
    api.backend.finish_videos()
    conforms(api.job(video["job_id"]), "GET", ITEM, shape="VideoJobCompleted")
    conforms(api.job(image["job_id"]), "GET", ITEM, shape="ImageJob")
    page = conforms(api.list(params={"limit": 2}), "GET", API_PREFIX, shape="MediaPage")
    assert page["count"] == 2 and page["next_cursor"]
    conforms(api.list(params={"cursor": page["next_cursor"]}), "GET", API_PREFIX)
    conforms(api.list(params={"type": "video"}), "GET", API_PREFIX)
    conforms(api.delete(image["outputs"][0]["media_id"]), "DELETE", ITEM, shape="Deleted")
    # The errors every door can provoke with a request alone.
    conforms(api.image({}), "POST", IMAGE_PATH)  # 400 invalid_prompt
    conforms(api.video({"prompt": "a crab", "fps": 25}), "POST", VIDEO_PATH)  # 400 invalid_parameter
    conforms(api.list(params={"limit": 0}), "GET", API_PREFIX)  # 400 naming limit
    conforms(api.job(video["job_id"], key=None), "GET", ITEM)  # 401
    conforms(api.job("vid_000000000000"), "GET", ITEM)  # 404
    conforms(api.delete(image["outputs"][0]["media_id"]), "DELETE", ITEM)  # 404: deleted already
    conforms(api.request("GET", IMAGE_PATH), "GET", ITEM)  # 405 (decision 19)


def test_session__errors_that_need_state_match_the_document(wire: Api) -> None:
    backend = wire.backend
    conforms(wire.request("POST", IMAGE_PATH, content=one_mib_body(1024 * 1024 + 1)), "POST", IMAGE_PATH)
    backend.register_account("poor", balance_usd="0.00")
    conforms(wire.image(DOC_IMAGE_REQUEST, key="poor"), "POST", IMAGE_PATH)  # 402
    backend.faults.fail_next()
    conforms(wire.image(), "POST", IMAGE_PATH)  # 500
    backend.faults.model_down(seconds=30)
    conforms(wire.video(), "POST", VIDEO_PATH)  # 503
    backend.faults.clear()
    backend.faults.fail_next_video_jobs()
    failed = conforms(wire.video(), "POST", VIDEO_PATH)
    backend.finish_videos()
    conforms(wire.job(failed["job_id"]), "GET", ITEM, shape="VideoJobFailed")
    for _ in range(5):  # the Pro plan's video bucket: 5 a minute
        wire.video({"prompt": "a crab", "duration_seconds": 1})
    limited = wire.video()
    assert limited.status == 429
    conforms(limited, "POST", VIDEO_PATH)


def test_session__file_route_matches_the_document(wire: Api) -> None:
    job = wire.image().json()
    path = job["outputs"][0]["url"].removeprefix(wire.backend.config.media_base)
    whole = wire.request("GET", path, key=None)
    assert whole.status == 200
    conforms(whole, "GET", FILE)
    conforms(wire.request("HEAD", path, key=None), "HEAD", FILE)
    etag = {"If-None-Match": whole.headers["etag"]}
    for method, headers, status in [
        ("GET", {"Range": "bytes=0-99"}, 206),
        ("GET", {"Range": f"bytes={len(whole.body)}-"}, 416),
        ("GET", etag, 304),
        ("HEAD", etag, 304),
    ]:
        reply = wire.request(method, path, key=None, headers=headers)
        assert reply.status == status
        conforms(reply, method, FILE)
    conforms(wire.request("GET", "/generated/nothing.webp", key=None), "GET", FILE)


@pytest.mark.parametrize("code", list(ErrorCode))
def test_injected_fault__any_code_answers_decision_3(code: ErrorCode) -> None:
    """A fault (or a scenario rule) may script any code on a generation request: each still
    answers the document's body for its status (and a 429 its Retry-After, decision 7)."""
    api = wire_api(MediaBackend(MockConfig()))
    api.backend.faults.fail_next(code=code)
    reply = api.image()
    status = ERROR_STATUS[code]
    assert reply.status == status
    body = reply.json()
    assert schema_errors(DOCUMENT, {"$ref": f"#/components/schemas/Error{status}"}, body) == []
    assert decision_3_errors(status, body) == []
    if code is ErrorCode.RATE_LIMIT_EXCEEDED:
        assert int(reply.headers["retry-after"]) >= 1
