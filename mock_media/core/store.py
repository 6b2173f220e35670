"""Jobs and media, indexed so that no read walks every stored item.

Media of one account are kept in an ordered index per listing (all, image, video) keyed by
(finish sequence, -output index), the finish sequence counting jobs in the order they
completed: reading it backwards gives decision 18's order (newest ``created_at``, i.e. the
job's ``completed_at``, first, then by output index), and a cursor is just a key to continue
below.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from .facts import JobStatus, Kind
from .requests import GenerationRequest


@dataclass(frozen=True, slots=True)
class Media:
    """One stored output file; its bytes are derived from ``content_seed`` on demand."""

    media_id: str
    job_id: str
    finish_seq: int  # the order its job completed in: a video can finish after later images
    account: str
    kind: Kind
    index: int
    path: str  # "/generated/{job_id}_{index}.webp" or "/generated/{job_id}.mp4"
    width: int
    height: int
    format: str
    size_bytes: int
    content_seed: int
    created_at: float
    duration_seconds: float | None = None
    fps: int | None = None

    @property
    def sort_key(self) -> tuple[int, int]:
        """Position in the account's listing (see the module docstring)."""
        return (self.finish_seq, -self.index)


@dataclass(slots=True, eq=False)
class Job:
    """A generation job; videos move processing -> completed | failed on the fake's clock."""

    job_id: str
    seq: int
    account: str
    request: GenerationRequest
    cost: Decimal
    created_at: float
    status: JobStatus
    due_at: float
    completed_at: float | None = None
    estimated_seconds: int | None = None
    media_ids: list[str] = field(default_factory=list)
    error: tuple[str, str] | None = None  # (code, message) of a failed job
    outcome_failure: tuple[str, str] | None = None  # decided at submission, applied when due
    planned: list[tuple[str, int]] = field(default_factory=list)  # (media_id, content_seed)

    @property
    def kind(self) -> Kind:
        """Image or video."""
        return self.request.kind


class _Index:
    """One account's media in listing order (decision 18), for paging by cursor.

    A delete leaves a tombstone instead of shifting the lists (an O(n) shift per delete made
    deleting from 100,000 media slow); the lists are compacted once tombstones reach a 64th of
    them, so a delete stays cheap and a page never skips more than that many.
    """

    __slots__ = ("gone", "items", "keys")

    def __init__(self) -> None:
        self.keys: list[tuple[int, int]] = []
        self.items: list[Media] = []
        self.gone: set[str] = set()  # media ids deleted but still in the lists

    def add(self, media: Media) -> None:
        key = media.sort_key
        if not self.keys or key > self.keys[-1]:  # the usual case: appended in order
            self.keys.append(key)
            self.items.append(media)
        else:
            pos = bisect_left(self.keys, key)
            self.keys.insert(pos, key)
            self.items.insert(pos, media)

    def remove(self, media: Media) -> None:
        self.gone.add(media.media_id)
        if len(self.gone) > max(64, len(self.keys) // 64):
            kept = [m for m in self.items if m.media_id not in self.gone]
            self.items, self.keys, self.gone = kept, [m.sort_key for m in kept], set()

    def below(self, key: tuple[int, int] | None) -> Iterator[Media]:
        """Items in listing order, starting after ``key`` (or from the newest)."""
        pos = len(self.keys) if key is None else bisect_left(self.keys, key)
        gone = self.gone
        for i in range(pos - 1, -1, -1):
            media = self.items[i]
            if media.media_id not in gone:
                yield media


class Store:
    """All jobs and media of the fake, partitioned by account where it matters."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.media: dict[str, Media] = {}
        self.files: dict[str, str] = {}  # url path -> media_id
        self._indexes: dict[tuple[str, Kind | None], _Index] = {}

    def add_job(self, job: Job) -> None:
        """Remember a job (its media come later, through ``add_media``)."""
        self.jobs[job.job_id] = job

    def add_media(self, media: Media) -> None:
        """Store a finished output and list it."""
        self.media[media.media_id] = media
        self.files[media.path] = media.media_id
        self.jobs[media.job_id].media_ids.append(media.media_id)
        for kind in (None, media.kind):
            self._indexes.setdefault((media.account, kind), _Index()).add(media)

    def delete_media(self, media: Media) -> None:
        """Forget an output everywhere: listing, file URL and its job's outputs."""
        del self.media[media.media_id]
        self.files.pop(media.path, None)
        self.jobs[media.job_id].media_ids.remove(media.media_id)
        for kind in (None, media.kind):
            self._indexes[(media.account, kind)].remove(media)

    def forget_account(self, account: str) -> None:
        """Drop every job and media of one account (a scoped reset); walks all jobs once."""
        for job_id in [j.job_id for j in self.jobs.values() if j.account == account]:
            job = self.jobs.pop(job_id)
            for media_id in job.media_ids:
                media = self.media.pop(media_id)
                self.files.pop(media.path, None)
        for kind in (None, Kind.IMAGE, Kind.VIDEO):
            self._indexes.pop((account, kind), None)

    def page(
        self, account: str, kind: Kind | None, after: tuple[int, int] | None, limit: int
    ) -> tuple[list[Media], bool]:
        """Up to ``limit`` media below ``after``, and whether more follow."""
        index = self._indexes.get((account, kind))
        if index is None:
            return [], False
        items: list[Media] = []
        for media in index.below(after):
            if len(items) == limit:
                return items, True
            items.append(media)
        return items, False

    def live_media(self, job: Job) -> list[Media]:
        """A job's outputs that have not been deleted, in index order."""
        return [self.media[m] for m in job.media_ids]
