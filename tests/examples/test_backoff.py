# mypy: disable-error-code="type-arg,no-any-return"
# (generate_with_backoff below is the doc's, line for line: it returns a bare ``dict``.)
"""The doc's "Rate limits" section: ``generate_with_backoff``, copied verbatim, against the
fake's real rate limiter (fixed one-minute windows) with ``mock_media_virtual_sleep``, so
its ``time.sleep`` calls move the fake's clock instead of the wall clock.

The doc's schedule waits 2, 3, 5 and 9 seconds between its five attempts (and 17 more after
the last one), 19 seconds in all before the final try: it rides out a burst that ends near
the close of a minute, and gives up on one that used the whole minute at its start.
"""

from __future__ import annotations

import time
from decimal import Decimal

import pytest
import requests

from mock_media.fake import MockMedia

pytestmark = pytest.mark.mock_media(api_key="your_moltbotden_api_key", plan="starter")


# fmt: off
# The doc's code, line for line (its two imports are at the top of this module).
def generate_with_backoff(prompt: str, max_retries: int = 5) -> dict:
    url = "https://api.moltbotden.com/v1/hosting/media/image"
    headers = {"X-API-Key": "your_moltbotden_api_key", "Content-Type": "application/json"}
    payload = {"prompt": prompt, "aspect_ratio": "1:1"}
    for attempt in range(max_retries):
        response = requests.post(url, headers=headers, json=payload)
        if response.status_code == 200:
            return response.json()
        elif response.status_code == 429:
            wait = (2 ** attempt) + 1
            print(f"Rate limited. Waiting {wait}s...")
            time.sleep(wait)
        else:
            response.raise_for_status()
    raise Exception(f"Failed after {max_retries} retries")
# fmt: on


def use_the_minutes_budget() -> None:
    """What the agent did before: a Starter account's 10 image requests for this minute."""
    for number in range(10):
        response = requests.post(
            "https://api.moltbotden.com/v1/hosting/media/image",
            headers={"X-API-Key": "your_moltbotden_api_key"},
            json={"prompt": f"Draft thumbnail #{number}"},
        )
        assert response.status_code == 200
    assert response.headers["X-RateLimit-Remaining"] == "0"


@pytest.mark.mock_media(start="2025-03-14T12:00:45Z")
def test_backoff_rides_out_a_burst(
    mock_media_virtual_sleep: MockMedia, capsys: pytest.CaptureFixture[str]
) -> None:
    mock_media = mock_media_virtual_sleep
    use_the_minutes_budget()  # at 12:00:45, so the window resets at 12:01:00
    started, wall_started = mock_media.now(), time.perf_counter()

    result = generate_with_backoff("A lighthouse on a cliff at dawn")

    # Attempts at :45, :47, :50 and :55 were refused; the one at 12:01:04 went through.
    assert len(mock_media.rate_limited()) == 4
    assert capsys.readouterr().out.splitlines() == [
        "Rate limited. Waiting 2s...",
        "Rate limited. Waiting 3s...",
        "Rate limited. Waiting 5s...",
        "Rate limited. Waiting 9s...",
    ]
    # The API said when to come back (Retry-After); the doc's schedule does not ask.
    assert [entry.retry_after for entry in mock_media.rate_limited()] == [15, 13, 10, 5]
    assert mock_media.now() - started == 2 + 3 + 5 + 9
    assert time.perf_counter() - wall_started < 10.0

    # The successful answer is the doc's image response.
    assert result["status"] == "completed"
    assert result["model"] == "imagen-4"
    assert result["created_at"] == "2025-03-14T12:01:04Z"
    assert result["prompt"] == "A lighthouse on a cliff at dawn"
    assert result["cost_usd"] == 0.04
    [output] = result["outputs"]
    assert output["url"] == f"https://media.moltbotden.com/generated/{result['job_id']}_0.webp"
    assert (output["width"], output["height"], output["format"]) == (1024, 1024, "webp")
    assert output["expires_at"] is None

    # A refused request costs nothing: 10 earlier images plus this one.
    assert mock_media.spent() == Decimal("0.44")


def test_backoff_gives_up_within_one_window(
    mock_media_virtual_sleep: MockMedia, capsys: pytest.CaptureFixture[str]
) -> None:
    mock_media = mock_media_virtual_sleep
    use_the_minutes_budget()  # at 12:00:00, the start of the minute
    started, wall_started = mock_media.now(), time.perf_counter()

    with pytest.raises(Exception, match=r"^Failed after 5 retries$"):
        generate_with_backoff("A lighthouse on a cliff at dawn")

    # Five attempts, at 12:00:00, :02, :05, :10 and :19, all inside the spent minute.
    assert len(mock_media.rate_limited()) == 5
    assert len(capsys.readouterr().out.splitlines()) == 5
    assert mock_media.now() - started == 2 + 3 + 5 + 9 + 17
    assert time.perf_counter() - wall_started < 10.0
    assert mock_media.spent() == Decimal("0.40")


def test_backoff_does_not_retry_a_model_outage(mock_media_virtual_sleep: MockMedia) -> None:
    mock_media = mock_media_virtual_sleep
    mock_media.model_down("image", seconds=300)
    started = mock_media.now()

    with pytest.raises(requests.HTTPError) as raised:
        generate_with_backoff("A lighthouse on a cliff at dawn")

    # The doc's function retries 429 only: the 503 (which the doc calls retryable) is raised
    # at once by raise_for_status, without a single sleep.
    assert raised.value.response is not None
    assert raised.value.response.status_code == 503
    assert raised.value.response.json()["error"]["code"] == "model_unavailable"
    assert mock_media.calls_per_route() == {"generate_image": 1}
    assert mock_media.rate_limited() == []
    assert mock_media.now() == started
    assert mock_media.spent() == Decimal("0")
