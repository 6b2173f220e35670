"""The pure, deterministic core: standard library only, no I/O, no real time, no global RNG."""

from __future__ import annotations

from .accounts import Account
from .backend import Accepted, MediaBackend, Page
from .clock import Clock, ManualClock, SystemClock, iso8601, to_epoch
from .config import MockConfig
from .errors import ApiError
from .facts import ErrorCode, JobStatus, Kind
from .faults import FaultRule, Faults, FaultSource, GenerationContext
from .journal import Journal, JournalEntry
from .requests import GenerationRequest, ImageRequest, VideoRequest
from .store import Job, Media

__all__ = [
    "Accepted",
    "Account",
    "ApiError",
    "Clock",
    "ErrorCode",
    "FaultRule",
    "FaultSource",
    "Faults",
    "GenerationContext",
    "GenerationRequest",
    "ImageRequest",
    "Job",
    "JobStatus",
    "Journal",
    "JournalEntry",
    "Kind",
    "ManualClock",
    "Media",
    "MediaBackend",
    "MockConfig",
    "Page",
    "SystemClock",
    "VideoRequest",
    "iso8601",
    "to_epoch",
]
