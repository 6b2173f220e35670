"""MediaBackend's Python surface: accounts, reset and time, without HTTP."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mock_media import Kind, MediaBackend, MockConfig
from mock_media.core.errors import InvalidParameter
from tests.doc_tables import START_EPOCH


def test_register_account__update_keeps_what_it_leaves_out() -> None:
    backend = MediaBackend(MockConfig())
    backend.register_account("k", "starter", "5.00")

    account = backend.register_account("k", balance_usd="7.50")

    assert (account.plan, account.balance, account.limits.image_rpm) == ("starter", Decimal("7.50"), 10)


def test_register_account__enterprise_update_keeps_custom_limits_left_out() -> None:
    backend = MediaBackend(MockConfig())
    backend.register_account("k", "enterprise", "1", image_rpm=7, video_rpm=3, concurrent_jobs=2)

    account = backend.register_account("k", video_rpm=4)

    assert (account.limits.image_rpm, account.limits.video_rpm, account.limits.concurrent_jobs) == (7, 4, 2)


def test_register_account__leaving_enterprise_drops_custom_limits() -> None:
    backend = MediaBackend(MockConfig())
    backend.register_account("k", "enterprise", "1", image_rpm=7)

    account = backend.register_account("k", "pro")

    assert (account.limits.image_rpm, account.limits.video_rpm, account.limits.concurrent_jobs) == (30, 5, 5)


@pytest.mark.parametrize("key", ["", "   ", " k", "k\t"])
def test_register_account__blank_or_padded_key__invalid_parameter(key: str) -> None:
    with pytest.raises(InvalidParameter) as info:
        MediaBackend(MockConfig()).register_account(key)

    assert info.value.param == "api_key"


def test_register_account__blank_plan__invalid_parameter() -> None:
    with pytest.raises(InvalidParameter) as info:
        MediaBackend(MockConfig()).register_account("k", "")

    assert info.value.param == "plan"


def test_reset__same_seed_gives_the_same_ids_and_time_again() -> None:
    backend = MediaBackend(MockConfig(seed=3))
    account = backend.register_account("k")
    first = backend.generate(account, Kind.IMAGE, b'{"prompt": "a cat"}').job.job_id
    backend.advance(90)

    backend.reset()
    again = backend.generate(backend.register_account("k"), Kind.IMAGE, b'{"prompt": "a cat"}')

    assert again.job.job_id == first
    assert again.job.created_at == START_EPOCH
