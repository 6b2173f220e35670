"""List, delete and file URLs: decisions 10, 12, 13, 18, 19 and 25."""

from __future__ import annotations

import pytest

from mock_media import MediaBackend
from tests.doc_tables import LIST_ITEM_KEYS, MEDIA_HOST
from tests.doors import Api, wire_api
from tests.helpers import assert_error, assert_served_file, path_of

IMAGE_ITEM_KEYS = LIST_ITEM_KEYS
VIDEO_ITEM_KEYS = IMAGE_ITEM_KEYS | {"duration_seconds", "fps"}
EMPTY = {"media": [], "count": 0, "next_cursor": None}


def _ids(page: dict[str, object]) -> list[str]:
    media = page["media"]
    assert isinstance(media, list)
    return [m["media_id"] for m in media]


def _all_pages(api: Api, limit: int, key: str = "test-key", **params: str) -> list[dict[str, object]]:
    pages = []
    cursor: str | None = None
    while True:
        query = {"limit": str(limit), **params} | ({"cursor": cursor} if cursor else {})
        r = api.list(key=key, params=query)
        assert r.status == 200, r.body
        page = r.json()
        pages.append(page)
        assert page["count"] == len(page["media"])
        cursor = page["next_cursor"]
        if cursor is None:
            return pages
        assert isinstance(cursor, str) and cursor
        assert len(pages) < 100, "paging never ends"


def _make_images(api: Api, outputs: int, per_job: int = 4, key: str = "test-key") -> list[str]:
    """Jobs of ``per_job`` images, 3 s apart (within Pro's 30 rpm); media ids newest first."""
    newest_first: list[str] = []
    left = outputs
    while left:
        n = min(per_job, left)
        body = api.image({"prompt": "p", "n": n}, key=key).json()
        newest_first = [o["media_id"] for o in body["outputs"]] + newest_first
        left -= n
        api.advance(3)
    return newest_first


# --- shape ----------------------------------------------------------------------------------
def test_list__empty(api: Api) -> None:
    r = api.list()
    assert r.status == 200, r.body
    assert r.json() == EMPTY


def test_list__items_carry_the_decided_fields(api: Api) -> None:
    image = api.image({"prompt": "img", "aspect_ratio": "16:9", "n": 2}).json()
    api.advance(5)
    video = api.video({"prompt": "vid", "duration_seconds": 3, "fps": 30, "aspect_ratio": "9:16"}).json()
    api.advance(video["estimated_completion_seconds"])
    video = api.job(video["job_id"]).json()
    page = api.list().json()
    assert set(page) == {"media", "count", "next_cursor"}
    assert page["count"] == 3
    assert page["next_cursor"] is None
    by_id = {m["media_id"]: m for m in page["media"]}
    for out in image["outputs"]:
        item = by_id[out["media_id"]]
        assert set(item) == IMAGE_ITEM_KEYS
        assert item == {
            "media_id": out["media_id"],
            "job_id": image["job_id"],
            "type": "image",
            "url": out["url"],
            "width": 1920,
            "height": 1080,
            "format": "webp",
            "size_bytes": out["size_bytes"],
            "created_at": image["completed_at"],
        }
    [out] = video["outputs"]
    item = by_id[out["media_id"]]
    assert set(item) == VIDEO_ITEM_KEYS
    assert item == {
        "media_id": out["media_id"],
        "job_id": video["job_id"],
        "type": "video",
        "url": f"{MEDIA_HOST}/generated/{video['job_id']}.mp4",
        "width": 1080,
        "height": 1920,
        "format": "mp4",
        "size_bytes": out["size_bytes"],
        "created_at": video["completed_at"],  # decision 18: the job's completed_at
        "duration_seconds": 3.0,
        "fps": 30,
    }


def test_list__newest_first_then_by_output_index(api: Api) -> None:
    first = api.image({"prompt": "first", "n": 3}).json()
    api.advance(10)
    second = api.image({"prompt": "second", "n": 2}).json()
    urls = [m["url"] for m in api.list().json()["media"]]
    assert [u.rsplit("/", 1)[1] for u in urls] == [
        f"{second['job_id']}_0.webp",
        f"{second['job_id']}_1.webp",
        f"{first['job_id']}_0.webp",
        f"{first['job_id']}_1.webp",
        f"{first['job_id']}_2.webp",
    ]


def test_list__newest_is_by_completion_not_by_submission(api: Api) -> None:
    # Decision 18: an item's created_at is its job's completed_at, and the list is newest
    # first; a video submitted before an image but finished after it is the newer item.
    slow = api.video({"prompt": "slow", "duration_seconds": 30, "quality": "hd"}).json()
    fast = api.video({"prompt": "fast", "duration_seconds": 1}).json()
    api.advance(fast["estimated_completion_seconds"] + 1)
    image = api.image({"prompt": "between"}).json()
    api.advance(slow["estimated_completion_seconds"])
    items = api.list().json()["media"]
    assert [m["job_id"] for m in items] == [slow["job_id"], image["job_id"], fast["job_id"]]
    created = [m["created_at"] for m in items]
    assert created == sorted(created, reverse=True)


def test_list__processing_and_failed_videos_are_not_listed(api: Api) -> None:
    api.backend.faults.fail_next_video_jobs()
    failed = api.video({"prompt": "doomed"}).json()
    ok = api.video({"prompt": "fine"}).json()
    assert api.list().json() == EMPTY
    api.advance(119)
    assert api.list(params={"type": "video"}).json() == EMPTY
    api.advance(1)
    assert [m["job_id"] for m in api.list().json()["media"]] == [ok["job_id"]]
    assert failed["job_id"] not in {m["job_id"] for m in api.list(params={"type": "video"}).json()["media"]}


# --- type filter ----------------------------------------------------------------------------
def test_list__type_filter(api: Api) -> None:
    image = api.image({"prompt": "i", "n": 2}).json()
    video = api.video().json()
    api.advance(120)
    images = api.list(params={"type": "image"}).json()
    videos = api.list(params={"type": "video"}).json()
    assert _ids(images) == [o["media_id"] for o in image["outputs"]]
    assert {m["type"] for m in images["media"]} == {"image"}
    assert [m["job_id"] for m in videos["media"]] == [video["job_id"]]
    assert videos["count"] == 1
    assert api.list().json()["count"] == 3


@pytest.mark.parametrize("value", ["images", "IMAGE", "Video", "", "audio", "image,video"])
def test_list__unknown_type__invalid_parameter(api: Api, value: str) -> None:
    assert_error(api.list(params={"type": value}), 400, "invalid_parameter", param="type")


# --- limit ----------------------------------------------------------------------------------
def test_list__limit_defaults_to_50_and_goes_up_to_100(api: Api) -> None:
    ids = _make_images(api, 103)
    page = api.list().json()
    assert page["count"] == 50 and _ids(page) == ids[:50]
    assert page["next_cursor"] is not None
    page = api.list(params={"limit": "100"}).json()
    assert page["count"] == 100 and _ids(page) == ids[:100]
    page = api.list(params={"limit": "1"}).json()
    assert page["count"] == 1 and _ids(page) == ids[:1]


@pytest.mark.parametrize(
    "value", ["0", "101", "-1", "abc", "", "1.5", "1e2", "+5", " 5", "999999999999999999999"]
)
def test_list__bad_limit__invalid_parameter(api: Api, value: str) -> None:
    api.image()
    assert_error(api.list(params={"limit": value}), 400, "invalid_parameter", param="limit")


@pytest.mark.parametrize("value", ["1", "2", "99", "100"])
def test_list__limit_in_range_is_accepted(api: Api, value: str) -> None:
    ids = _make_images(api, 3, per_job=3)
    page = api.list(params={"limit": value}).json()
    assert _ids(page) == ids[: int(value)]
    assert (page["next_cursor"] is None) == (int(value) >= 3)


def test_list__bad_query__through_the_doors(api: Api) -> None:
    api.image()
    assert_error(api.list(params={"limit": "0"}), 400, "invalid_parameter", param="limit")
    assert_error(api.list(params={"type": "images"}), 400, "invalid_parameter", param="type")
    assert_error(api.list(params={"cursor": "abc"}), 400, "invalid_parameter", param="cursor")
    assert _ids(api.list(params={"limit": "1", "type": "image"}).json()) != []


# --- cursors --------------------------------------------------------------------------------
@pytest.mark.parametrize(("total", "limit"), [(23, 5), (10, 5), (7, 1), (4, 100), (0, 3), (101, 50)])
def test_list__paging_yields_every_item_exactly_once(api: Api, total: int, limit: int) -> None:
    ids = _make_images(api, total, per_job=3)
    pages = _all_pages(api, limit)
    assert [p["count"] for p in pages[:-1]] == [limit] * (len(pages) - 1)
    assert [i for p in pages for i in _ids(p)] == ids
    assert len(pages) == max(1, -(-total // limit))  # no empty trailing page


def test_list__paging_through_the_doors(api: Api) -> None:
    ids = _make_images(api, 7)
    pages = _all_pages(api, 3)
    assert [p["count"] for p in pages] == [3, 3, 1]
    assert [i for p in pages for i in _ids(p)] == ids


def test_list__paging_with_a_type_filter(api: Api) -> None:
    images: list[str] = []
    for i in range(4):
        images = [o["media_id"] for o in api.image({"prompt": "i", "n": 2}).json()["outputs"]] + images
        api.video({"prompt": f"v{i}"})
        api.advance(61)
    api.advance(120)
    pages = _all_pages(api, 3, type="image")
    assert [i for p in pages for i in _ids(p)] == images
    videos = [i for p in _all_pages(api, 3, type="video") for i in _ids(p)]
    assert len(videos) == 4
    everything = [i for p in _all_pages(api, 5) for i in _ids(p)]
    assert sorted(everything) == sorted(images + videos)


def test_list__cursor_of_a_deleted_item_still_continues(api: Api) -> None:
    ids = _make_images(api, 6, per_job=2)
    page = api.list(params={"limit": "3"}).json()
    assert _ids(page) == ids[:3]
    assert api.delete(ids[2]).status == 200  # the item the cursor points after
    assert api.delete(ids[4]).status == 200  # and one on the next page
    rest = api.list(params={"limit": "3", "cursor": page["next_cursor"]}).json()
    assert _ids(rest) == [ids[3], ids[5]]
    assert rest["next_cursor"] is None


def test_list__items_added_after_a_cursor_do_not_disturb_it(api: Api) -> None:
    ids = _make_images(api, 6, per_job=1)
    page = api.list(params={"limit": "2"}).json()
    _make_images(api, 3, per_job=1)
    rest = [i for p in _all_pages_from(api, 2, page["next_cursor"]) for i in _ids(p)]
    assert rest == ids[2:]


def _all_pages_from(api: Api, limit: int, cursor: str) -> list[dict[str, object]]:
    pages = []
    next_cursor: str | None = cursor
    while next_cursor is not None:
        page = api.list(params={"limit": str(limit), "cursor": next_cursor}).json()
        pages.append(page)
        next_cursor = page["next_cursor"]
    return pages


def test_list__cursor_of_another_account__invalid_parameter(api: Api) -> None:
    _make_images(api, 3, key="alice")
    _make_images(api, 3, key="bob")
    cursor = api.list(key="alice", params={"limit": "1"}).json()["next_cursor"]
    assert cursor
    assert_error(api.list(key="bob", params={"cursor": cursor}), 400, "invalid_parameter", param="cursor")
    assert api.list(key="alice", params={"cursor": cursor}).status == 200


@pytest.mark.parametrize(
    "cursor",
    ["", "abc", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "not a cursor!", "eyJvZmZzZXQiOiAzfQ", "0" * 30],
)
def test_list__cursor_never_issued__invalid_parameter(api: Api, cursor: str) -> None:
    _make_images(api, 3)
    assert_error(api.list(params={"cursor": cursor}), 400, "invalid_parameter", param="cursor")


def test_list__tampered_cursor__invalid_parameter(api: Api) -> None:
    _make_images(api, 3)
    cursor = api.list(params={"limit": "1"}).json()["next_cursor"]
    assert isinstance(cursor, str)
    flipped = ("B" if cursor[0] == "A" else "A") + cursor[1:]
    assert_error(api.list(params={"cursor": flipped}), 400, "invalid_parameter", param="cursor")
    assert_error(api.list(params={"cursor": cursor + "A"}), 400, "invalid_parameter", param="cursor")


def test_list__cursor_from_another_server_is_refused(api: Api) -> None:
    other = MediaBackend()
    other.reset(seed=99)
    second = wire_api(other)  # the other server only issues the cursor
    _make_images(api, 3)
    _make_images(second, 3)
    cursor = second.list(params={"limit": "1"}).json()["next_cursor"]
    assert_error(api.list(params={"cursor": cursor}), 400, "invalid_parameter", param="cursor")


# --- delete ---------------------------------------------------------------------------------
def test_delete__removes_media_everywhere(api: Api) -> None:
    job = api.image({"prompt": "two", "n": 2}).json()
    gone, kept = job["outputs"]
    r = api.delete(gone["media_id"])
    assert r.status == 200, r.body
    assert r.json() == {"status": "deleted", "media_id": gone["media_id"]}
    assert _ids(api.list().json()) == [kept["media_id"]]
    file = api.request("GET", path_of(gone["url"]), key=None)
    assert_error(file, 404, "not_found")
    assert api.request("GET", path_of(kept["url"]), key=None).status == 200
    status = api.job(job["job_id"]).json()
    assert status["status"] == "completed"
    assert [o["media_id"] for o in status["outputs"]] == [kept["media_id"]]
    assert_error(
        api.delete(gone["media_id"]), 404, "not_found", message=f"No media with id '{gone['media_id']}'"
    )


def test_delete__all_outputs__job_still_answers_with_empty_outputs(api: Api) -> None:
    job = api.image({"prompt": "two", "n": 2}).json()
    for out in job["outputs"]:
        assert api.delete(out["media_id"]).status == 200
    status = api.job(job["job_id"])
    assert status.status == 200
    assert status.json()["outputs"] == []
    assert status.json()["status"] == "completed"
    assert api.list().json() == EMPTY


def test_delete__a_video(api: Api) -> None:
    job_id = api.video().json()["job_id"]
    api.advance(120)
    [out] = api.job(job_id).json()["outputs"]
    assert api.delete(out["media_id"]).json() == {"status": "deleted", "media_id": out["media_id"]}
    assert api.job(job_id).json()["outputs"] == []
    assert api.request("GET", f"/generated/{job_id}.mp4", key=None).status == 404
    assert api.list(params={"type": "video"}).json() == EMPTY


@pytest.mark.parametrize("target", ["job_id", "unknown", "url"])
def test_delete__anything_but_a_media_id__404(api: Api, target: str) -> None:
    job = api.image().json()
    value = {"job_id": job["job_id"], "unknown": "media_000000000000", "url": "generated"}[target]
    assert_error(api.delete(value), 404, "not_found")
    assert api.list().json()["count"] == 1


# --- file URLs ------------------------------------------------------------------------------
def test_file__image_served_with_type_and_exact_size(api: Api) -> None:
    job = api.image({"prompt": "files", "n": 2, "aspect_ratio": "4:3"}).json()
    for index, out in enumerate(job["outputs"]):
        assert out["url"] == f"{MEDIA_HOST}/generated/{job['job_id']}_{index}.webp"
        data = assert_served_file(api, out, "image/webp")
        assert data[:4] == b"RIFF" and data[8:12] == b"WEBP"


def test_file__video_served_with_type_and_exact_size(api: Api) -> None:
    job_id = api.video({"prompt": "short", "duration_seconds": 1, "aspect_ratio": "1:1"}).json()["job_id"]
    assert api.request("GET", f"/generated/{job_id}.mp4", key=None).status == 404  # not yet
    api.advance(120)
    [out] = api.job(job_id).json()["outputs"]
    data = assert_served_file(api, out, "video/mp4")
    assert data[4:8] == b"ftyp"


def test_file__same_bytes_on_every_download(api: Api) -> None:
    out = api.image().json()["outputs"][0]
    first = api.request("GET", path_of(out["url"]), key=None).body
    api.advance(3600)
    assert api.request("GET", path_of(out["url"]), key="someone-else").body == first


def test_file__head_gives_the_size_without_a_body(api: Api) -> None:
    out = api.image().json()["outputs"][0]
    r = api.request("HEAD", path_of(out["url"]), key=None)
    assert r.status == 200
    assert int(r.headers["content-length"]) == out["size_bytes"]
    assert r.body == b""


@pytest.mark.parametrize(
    "path", ["/generated/img_000000000000_0.webp", "/generated/nothing", "/generated/x.mp4"]
)
def test_file__unknown_file__404(api: Api, path: str) -> None:
    api.image()
    assert_error(api.request("GET", path, key=None), 404, "not_found")


def test_file__urls_are_permanent(api: Api) -> None:
    out = api.image().json()["outputs"][0]
    assert out["expires_at"] is None
    api.advance(365 * 86400)
    assert api.request("GET", path_of(out["url"]), key=None).status == 200
    assert api.list().json()["media"][0]["url"] == out["url"]


def test_list__created_at_of_an_image_is_its_completion(api: Api) -> None:
    api.advance(42)
    job = api.image().json()
    [item] = api.list().json()["media"]
    assert item["created_at"] == job["completed_at"] == "2025-03-14T12:00:42Z"
