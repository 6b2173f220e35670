"""The package's public names: every one resolves and is listed, though some load on first use
so that ``mock-media serve`` does not import what it never needs."""

from __future__ import annotations

import subprocess
import sys

import pytest

import mock_media


@pytest.mark.parametrize("name", mock_media.__all__)
def test_public_name__resolves_and_is_listed(name: str) -> None:
    assert getattr(mock_media, name) is not None
    assert name in dir(mock_media)


def test_serve_imports__leave_the_fake_conduct_replayer_and_remote_unloaded() -> None:
    code = (
        "import sys, mock_media.cli, mock_media.adapters.server\n"
        "lazy = ['mock_media.fake', 'mock_media.core.conduct', 'mock_media.replayer', 'mock_media.remote']\n"
        "print([m for m in lazy if m in sys.modules])\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_unknown_name__is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        mock_media.nothing  # noqa: B018
