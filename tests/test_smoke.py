from __future__ import annotations

from .doors import Api


def test_image__defaults(api: Api) -> None:
    r = api.image()
    assert r.status == 200, r.body
    assert r.json()["outputs"][0]["width"] == 1024
    assert r.headers["x-ratelimit-reset"] == "1741953660"
