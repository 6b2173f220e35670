"""Store: jobs and media, the per-account listing indexes and their paging (decision 18)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mock_media.core.facts import JobStatus, Kind
from mock_media.core.requests import ImageRequest, VideoRequest
from mock_media.core.store import Job, Media, Store
from tests.doc_tables import START_EPOCH


def _add(
    store: Store, job_id: str, order: int, *, account: str = "a", outputs: int = 1, video: bool = False
) -> Job:
    """A finished job with ``outputs`` media, listed as the ``order``-th job to finish."""
    request = VideoRequest(prompt="v") if video else ImageRequest(prompt="i", n=outputs)
    job = Job(
        job_id=job_id,
        seq=order,
        account=account,
        request=request,
        cost=Decimal("0.04"),
        created_at=START_EPOCH,
        status=JobStatus.COMPLETED,
        due_at=START_EPOCH,
        completed_at=START_EPOCH + order,
    )
    store.add_job(job)
    for index in range(outputs):
        path = f"/generated/{job_id}.mp4" if video else f"/generated/{job_id}_{index}.webp"
        store.add_media(
            Media(
                media_id=f"media_{job_id}_{index}",
                job_id=job_id,
                finish_seq=order,
                account=account,
                kind=Kind.VIDEO if video else Kind.IMAGE,
                index=index,
                path=path,
                width=1024,
                height=1024,
                format="mp4" if video else "webp",
                size_bytes=100,
                content_seed=order * 10 + index,
                created_at=START_EPOCH + order,
            )
        )
    return job


def _ids(items: list[Media]) -> list[str]:
    return [m.media_id for m in items]


def test_store__empty_account_pages_nothing() -> None:
    assert Store().page("nobody", None, None, 50) == ([], False)


def test_store__newest_first_then_by_output_index() -> None:
    store = Store()
    _add(store, "j1", 1, outputs=3)
    _add(store, "j2", 2, outputs=2)
    items, more = store.page("a", None, None, 50)
    assert _ids(items) == ["media_j2_0", "media_j2_1", "media_j1_0", "media_j1_1", "media_j1_2"]
    assert more is False


def test_store__out_of_order_insertion_is_placed_by_its_key() -> None:
    store = Store()
    _add(store, "j3", 3)
    _add(store, "j1", 1, outputs=2)
    _add(store, "j2", 2)
    items, _ = store.page("a", None, None, 50)
    assert _ids(items) == ["media_j3_0", "media_j2_0", "media_j1_0", "media_j1_1"]


@pytest.mark.parametrize(
    ("limit", "count", "more"), [(1, 1, True), (4, 4, True), (5, 5, False), (6, 5, False)]
)
def test_store__page_limit_and_more_flag(limit: int, count: int, more: bool) -> None:
    store = Store()
    for order in range(1, 6):
        _add(store, f"j{order}", order)
    items, has_more = store.page("a", None, None, limit)
    assert (len(items), has_more) == (count, more)


def test_store__page_after_a_key_continues_below_it() -> None:
    store = Store()
    _add(store, "j1", 1, outputs=2)
    _add(store, "j2", 2, outputs=2)
    first, more = store.page("a", None, None, 3)
    assert more is True
    rest, more = store.page("a", None, first[-1].sort_key, 3)
    assert _ids(first) + _ids(rest) == ["media_j2_0", "media_j2_1", "media_j1_0", "media_j1_1"]
    assert more is False


def test_store__page_after_a_deleted_key_still_continues() -> None:
    store = Store()
    for order in range(1, 5):
        _add(store, f"j{order}", order)
    first, _ = store.page("a", None, None, 2)
    store.delete_media(first[-1])
    rest, more = store.page("a", None, first[-1].sort_key, 10)
    assert _ids(rest) == ["media_j2_0", "media_j1_0"]
    assert more is False


def test_store__kind_indexes_and_accounts_are_separate() -> None:
    store = Store()
    _add(store, "i1", 1)
    _add(store, "v1", 2, video=True)
    _add(store, "b1", 3, account="b")
    assert _ids(store.page("a", Kind.IMAGE, None, 10)[0]) == ["media_i1_0"]
    assert _ids(store.page("a", Kind.VIDEO, None, 10)[0]) == ["media_v1_0"]
    assert _ids(store.page("a", None, None, 10)[0]) == ["media_v1_0", "media_i1_0"]
    assert _ids(store.page("b", None, None, 10)[0]) == ["media_b1_0"]
    assert store.page("b", Kind.VIDEO, None, 10) == ([], False)


def test_store__add_media_registers_file_and_job_output() -> None:
    store = Store()
    job = _add(store, "j1", 1, outputs=2)
    assert store.files == {"/generated/j1_0.webp": "media_j1_0", "/generated/j1_1.webp": "media_j1_1"}
    assert job.media_ids == ["media_j1_0", "media_j1_1"]
    assert _ids(store.live_media(job)) == ["media_j1_0", "media_j1_1"]
    assert store.jobs == {"j1": job}


def test_store__delete_forgets_media_everywhere() -> None:
    store = Store()
    job = _add(store, "j1", 1, outputs=3)
    store.delete_media(store.media["media_j1_1"])
    assert set(store.media) == {"media_j1_0", "media_j1_2"}
    assert "/generated/j1_1.webp" not in store.files
    assert job.media_ids == ["media_j1_0", "media_j1_2"]
    assert _ids(store.live_media(job)) == ["media_j1_0", "media_j1_2"]
    assert _ids(store.page("a", None, None, 10)[0]) == ["media_j1_0", "media_j1_2"]
    assert _ids(store.page("a", Kind.IMAGE, None, 10)[0]) == ["media_j1_0", "media_j1_2"]
    assert store.jobs["j1"] is job  # the job stays (decision 19)


def test_store__deleting_every_output_leaves_an_empty_job() -> None:
    store = Store()
    job = _add(store, "v1", 1, video=True)
    store.delete_media(store.media["media_v1_0"])
    assert store.live_media(job) == []
    assert store.page("a", None, None, 10) == ([], False)
    assert store.page("a", Kind.VIDEO, None, 10) == ([], False)


def test_media__sort_key_orders_by_finish_then_index() -> None:
    store = Store()
    _add(store, "j1", 7, outputs=2)
    first, second = store.media["media_j1_0"], store.media["media_j1_1"]
    assert first.sort_key > second.sort_key  # read backwards: index 0 comes first


def test_job__kind_follows_its_request() -> None:
    store = Store()
    assert _add(store, "i", 1).kind is Kind.IMAGE
    assert _add(store, "v", 2, video=True).kind is Kind.VIDEO


@pytest.mark.parametrize("deleted_every", [2, 3, 7])
def test_store__many_deletes_page_what_remains_across_compactions(deleted_every: int) -> None:
    """Deletes leave tombstones that are compacted now and then: pages, cursors and the
    listing order never show a deleted item, before or after a compaction."""
    store = Store()
    for order in range(1, 401):
        _add(store, f"img_{order:04}", order, outputs=2)
    doomed = [m for m in store.media.values() if int(m.job_id[4:]) % deleted_every == 0]
    expected = sorted(
        (m for m in store.media.values() if m not in doomed), key=lambda m: m.sort_key, reverse=True
    )
    for i, media in enumerate(doomed):
        store.delete_media(media)
        if i == len(doomed) // 2:
            cursor = doomed[0].sort_key  # a deleted item's cursor still continues
            page, _ = store.page("a", None, cursor, 5)
            assert all(m.sort_key < cursor and m.media_id in store.media for m in page)

    seen: list[Media] = []
    after = None
    while True:
        page, more = store.page("a", None, after, 37)
        seen += page
        if not more:
            break
        after = page[-1].sort_key
    assert seen == expected
    assert store.page("a", Kind.IMAGE, None, 1000)[0] == expected
