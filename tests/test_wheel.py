"""The wheel as a third party gets it: built from this repository, installed with its
dependencies from PyPI into a fresh virtualenv outside the repository, and used by a test
suite that knows the project only through its pytest plugin.

Slow (it builds and installs from PyPI, tens of seconds) but not optional: it runs with the
rest of the suite, in CI too.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import zipfile
from collections.abc import Sequence
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT = 300  # seconds; an isolated build fetches hatchling from PyPI
INSTALL_TIMEOUT = 600
RUN_TIMEOUT = 180
FIXTURES = ("mock_media", "mock_media_server", "mock_media_virtual_sleep", "mock_media_options")

# Settings of the outer run that must not leak into the third party's processes.
_LEAKY = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV", "PYTEST_", "COV_CORE_")

THIRD_PARTY_INI = """\
[pytest]
addopts = --strict-markers --strict-config -p no:cacheprovider
filterwarnings = error
mock_media_plan = business
"""

THIRD_PARTY_TESTS = '''\
"""A downstream project's tests: the agent talks to the real hosts; the plugin answers."""

from __future__ import annotations

import time
from decimal import Decimal

import httpx
import pytest
import requests

from mock_media.fake import MockMedia
from mock_media.remote import RemoteMockMedia

API = "https://api.moltbotden.com/v1/hosting/media"
HEADERS = {"X-API-Key": "downstream-key"}


def test_requests(mock_media: MockMedia) -> None:
    reply = requests.post(f"{API}/image", headers=HEADERS, json={"prompt": "a lighthouse"})
    assert reply.status_code == 200
    assert reply.headers["X-RateLimit-Limit"] == "60"  # the ini's business plan
    body = reply.json()
    assert body["cost_usd"] == 0.04
    image = requests.get(body["outputs"][0]["url"])
    assert image.headers["Content-Type"] == "image/webp"
    assert len(image.content) == body["outputs"][0]["size_bytes"]
    assert mock_media.calls_per_route() == {"generate_image": 1, "get_file": 1}


def test_httpx(mock_media: MockMedia) -> None:
    reply = httpx.post(f"{API}/image", headers=HEADERS, json={"prompt": "a lighthouse", "n": 2})
    assert reply.status_code == 200
    assert len(reply.json()["outputs"]) == 2
    assert mock_media.spent("downstream-key") == Decimal("0.08")


@pytest.mark.mock_media(plan="starter", balance_usd="1.00", api_key="downstream-key")
def test_marker(mock_media: MockMedia) -> None:
    for _ in range(10):
        assert requests.post(f"{API}/image", headers=HEADERS, json={"prompt": "p"}).status_code == 200
    refused = requests.post(f"{API}/image", headers=HEADERS, json={"prompt": "p"})
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"
    assert refused.headers["X-RateLimit-Limit"] == "10"
    assert len(mock_media.rate_limited()) == 1
    assert mock_media.balance() == Decimal("0.60")


def test_virtual_sleep(mock_media_virtual_sleep: MockMedia) -> None:
    job = requests.post(f"{API}/video", headers=HEADERS, json={"prompt": "a crab"}).json()
    assert job["status"] == "processing"
    wall = time.monotonic()
    time.sleep(job["estimated_completion_seconds"])
    assert time.monotonic() - wall < 5
    done = requests.get(f"{API}/{job['job_id']}", headers=HEADERS).json()
    assert done["status"] == "completed"


def test_live_server(mock_media_server: RemoteMockMedia) -> None:
    server = mock_media_server
    reply = requests.post(server.endpoint("image"), headers=server.headers, json={"prompt": "a lighthouse"})
    assert reply.status_code == 200
    url = reply.json()["outputs"][0]["url"]
    assert url.startswith(server.url + "/generated/")
    image = requests.get(url)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/webp"
    # Downloads carry no key; the journal files them under the media's owner.
    assert [entry["operation"] for entry in server.journal()] == ["generate_image", "get_file"]


def test_the_plugin_is_the_installed_one() -> None:
    import mock_media
    import pytest_plugin.plugin

    for module in (mock_media, pytest_plugin.plugin):
        assert "site-packages" in (module.__file__ or ""), module.__file__
'''
THIRD_PARTY_TEST_COUNT = 6


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(_LEAKY)}
    env.update(PYTHONNOUSERSITE="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")
    return env


def run(args: Sequence[str | Path], *, cwd: Path, timeout: float) -> subprocess.CompletedProcess[str]:
    """Run a command to completion within ``timeout``; fail the test, with its output, if it fails."""
    command = [str(arg) for arg in args]
    try:
        result = subprocess.run(
            command, cwd=cwd, env=_environment(), capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"{' '.join(command)} did not finish within {timeout} s\n{exc.stdout!r}\n{exc.stderr!r}")
    assert result.returncode == 0, (
        f"{' '.join(command)} exited {result.returncode}\n"
        f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
    )
    return result


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel, built in isolation (as a release would be) into a temporary directory."""
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", dist, REPO], cwd=dist, timeout=BUILD_TIMEOUT)
    [built] = dist.glob("mock_media-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(tmp_path_factory: pytest.TempPathFactory, wheel: Path) -> Path:
    """A fresh virtualenv outside the repository with the wheel, pytest and requests installed;
    its ``bin`` directory."""
    root = tmp_path_factory.mktemp("venv")
    assert not root.is_relative_to(REPO)
    run([sys.executable, "-m", "venv", root], cwd=root, timeout=RUN_TIMEOUT)
    bin_dir = root / ("Scripts" if os.name == "nt" else "bin")
    run(
        [bin_dir / "python", "-m", "pip", "install", "--quiet", wheel, "pytest", "requests"],
        cwd=root,
        timeout=INSTALL_TIMEOUT,
    )
    return bin_dir


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A downstream project: a pytest.ini and one test module, nothing of this repository."""
    root = tmp_path_factory.mktemp("downstream")
    (root / "pytest.ini").write_text(THIRD_PARTY_INI)
    (root / "test_agent.py").write_text(THIRD_PARTY_TESTS)
    return root


def test_wheel_contents(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        entry_points_text = archive.read(entry_points).decode()
        [metadata] = [n for n in names if n.endswith(".dist-info/METADATA")]
        metadata_text = archive.read(metadata).decode()

    for required in (
        "mock_media/__init__.py",
        "mock_media/py.typed",
        "mock_media/_scenarios/README.md",
        "mock_media/core/facts.py",
        "mock_media/wire/routes.py",
        "mock_media/adapters/server.py",
        "pytest_plugin/plugin.py",
    ):
        assert required in names, f"{required} missing from {wheel.name}"
    assert not [n for n in names if n.startswith(("tests/", "scenarios/")) or n.endswith(".pyc")]

    assert re.search(r"^\[pytest11\]\s*\nmock_media = pytest_plugin\.plugin$", entry_points_text, re.M)
    assert re.search(r"^mock-media = mock_media\.cli:main$", entry_points_text, re.M)
    for dependency in ("starlette", "uvicorn", "httpx", "respx"):
        assert re.search(rf"^Requires-Dist: {dependency}\b", metadata_text, re.M), dependency


def test_installed_package_comes_from_the_wheel(venv: Path, project: Path) -> None:
    probe = (
        "import importlib.resources, mock_media, pytest_plugin.plugin\n"
        "print(mock_media.__file__)\n"
        "print(pytest_plugin.plugin.__file__)\n"
        "print(importlib.resources.files('mock_media').joinpath('_scenarios/README.md').is_file())\n"
    )
    lines = run([venv / "python", "-c", probe], cwd=project, timeout=RUN_TIMEOUT).stdout.splitlines()
    venv_root = venv.parent.resolve()
    for module_file in lines[:2]:
        assert Path(module_file).resolve().is_relative_to(venv_root), module_file
    assert lines[2] == "True"


def test_cli_runs_from_the_venv(venv: Path, project: Path) -> None:
    result = run([venv / "mock-media", "--help"], cwd=project, timeout=RUN_TIMEOUT)
    assert "serve" in result.stdout


def test_pytest_lists_the_plugins_fixtures_and_marker(venv: Path, project: Path) -> None:
    fixtures = run([venv / "python", "-m", "pytest", "--fixtures"], cwd=project, timeout=RUN_TIMEOUT).stdout
    listed = set(re.findall(r"^(mock_media\w*)\b", fixtures, re.M))
    assert listed >= set(FIXTURES), fixtures
    markers = run([venv / "python", "-m", "pytest", "--markers"], cwd=project, timeout=RUN_TIMEOUT).stdout
    assert "@pytest.mark.mock_media(" in markers


def test_third_party_suite_passes(venv: Path, project: Path) -> None:
    result = run([venv / "python", "-m", "pytest", "-v"], cwd=project, timeout=RUN_TIMEOUT)
    summary = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(rf"=+ {THIRD_PARTY_TEST_COUNT} passed in [\d.]+s =+", summary), result.stdout
