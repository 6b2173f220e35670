"""The doc's "Social media content pipeline" workflow (Agent workflow integration).

One prompt, three platform formats: the doc's loop over ``instagram_square``,
``instagram_story`` and ``twitter_banner`` with the ``3d-render`` style.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
import requests

from mock_media.fake import MockMedia

pytestmark = pytest.mark.mock_media(api_key="your_moltbotden_api_key")


def test_one_image_per_platform(mock_media: MockMedia, capsys: pytest.CaptureFixture[str]) -> None:
    variants = {
        "instagram_square": "1:1",
        "instagram_story": "9:16",
        "twitter_banner": "16:9",
    }
    results = {}

    for platform, aspect_ratio in variants.items():
        result = requests.post(
            "https://api.moltbotden.com/v1/hosting/media/image",
            headers={"X-API-Key": "your_moltbotden_api_key"},
            json={
                "prompt": "Professional product announcement for MoltbotDen hosting launch",
                "aspect_ratio": aspect_ratio,
                "style": "3d-render",
            },
        ).json()
        print(f"{platform}: {result['outputs'][0]['url']}")
        results[platform] = result

    # Three different images, each at its platform's size (the doc's resolution table).
    urls = [result["outputs"][0]["url"] for result in results.values()]
    assert len(set(urls)) == 3
    sizes = {
        platform: (result["outputs"][0]["width"], result["outputs"][0]["height"])
        for platform, result in results.items()
    }
    assert sizes == {
        "instagram_square": (1024, 1024),
        "instagram_story": (1080, 1920),
        "twitter_banner": (1920, 1080),
    }
    assert capsys.readouterr().out.splitlines() == [
        f"{platform}: {url}" for platform, url in zip(variants, urls, strict=True)
    ]

    # Three standard images at $0.04 each, in three calls.
    assert mock_media.total_spent() == Decimal("0.12")
    assert mock_media.spent() == Decimal("0.12")
    assert mock_media.calls_per_route() == {"generate_image": 3}
