"""The doc's "Product mockup" request (Supported dimensions): four HD 4:3 photorealistic
variations in one call, with a ``negative_prompt``.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import requests

from mock_media.fake import MockMedia

pytestmark = pytest.mark.mock_media(api_key="your_moltbotden_api_key")


def test_four_hd_product_mockups(mock_media: MockMedia) -> None:
    response = requests.post(
        "https://api.moltbotden.com/v1/hosting/media/image",
        headers={"X-API-Key": "your_moltbotden_api_key", "Content-Type": "application/json"},
        json={
            "prompt": "Product mockup: modern smartphone showing a sleek mobile app dashboard, clean white background, soft shadows, professional product photography",  # noqa: E501
            "negative_prompt": "text overlays, watermarks, people, hands",
            "aspect_ratio": "4:3",
            "quality": "hd",
            "style": "photorealistic",
            "n": 4,
        },
    )
    response.raise_for_status()
    mockups = response.json()

    # Four variations of one job, indexed _0 to _3, each 2880 x 2160 (4:3 HD).
    job_id = mockups["job_id"]
    assert re.fullmatch(r"img_[0-9A-Za-z]{12}", job_id)
    outputs = mockups["outputs"]
    assert [output["url"] for output in outputs] == [
        f"https://media.moltbotden.com/generated/{job_id}_{index}.webp" for index in range(4)
    ]
    assert {(output["width"], output["height"]) for output in outputs} == {(2880, 2160)}
    assert len({output["media_id"] for output in outputs}) == 4

    # Four HD images at $0.08 each.
    assert mockups["cost_usd"] == 0.32
    assert mock_media.spent() == Decimal("0.32")

    # Every field the agent sent is one the API knows: nothing was silently ignored.
    assert mock_media.last_call("generate_image").ignored_fields == ()
