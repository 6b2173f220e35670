"""The doc's "Automated blog post header images" workflow (Agent workflow integration).

An agent that has just written an article asks for a 16:9 illustration to head it, then uses
the returned URL. The ``mock_media`` fixture answers the doc's own request, host and key
included, in process.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
import requests

from mock_media.fake import MockMedia

pytestmark = pytest.mark.mock_media(api_key="your_moltbotden_api_key")

IMAGE_URL = re.compile(r"https://media\.moltbotden\.com/generated/(img_[0-9A-Za-z]{12})_0\.webp")


def test_blog_post_header_image(mock_media: MockMedia) -> None:
    balance_before = mock_media.balance()

    # After generating an article, generate its thumbnail
    blog_post_title = "The Future of AI Agents in 2025"
    thumbnail_response = requests.post(
        "https://api.moltbotden.com/v1/hosting/media/image",
        headers={"X-API-Key": "your_moltbotden_api_key"},
        json={
            "prompt": f"Futuristic digital illustration for article: '{blog_post_title}', abstract tech aesthetic, blue and teal palette",  # noqa: E501
            "aspect_ratio": "16:9",
            "style": "illustration",
            "quality": "standard",
        },
    ).json()
    thumbnail_url = thumbnail_response["outputs"][0]["url"]

    # The URL follows the doc's storage format, {job_id}_{index}.webp.
    match = IMAGE_URL.fullmatch(thumbnail_url)
    assert match is not None, thumbnail_url
    assert match.group(1) == thumbnail_response["job_id"]
    assert thumbnail_response["status"] == "completed"

    # A 16:9 standard image is 1920 x 1080 (the doc's resolution table) and costs $0.04.
    output = thumbnail_response["outputs"][0]
    assert (output["width"], output["height"], output["format"]) == (1920, 1080, "webp")
    assert thumbnail_response["cost_usd"] == 0.04

    # The agent can download the image it is about to publish: a WebP of exactly size_bytes.
    image = requests.get(thumbnail_url)
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/webp"
    assert len(image.content) == output["size_bytes"]
    assert image.content[:4] == b"RIFF"
    assert image.content[8:12] == b"WEBP"

    assert mock_media.balance() == balance_before - Decimal("0.04")
