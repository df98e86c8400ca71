"""Shared fixtures: a keyed-hash key that never touches ~/.config, screen builders, and a
new database on each backend (``db_url``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "postgres"))
# the real servers the tests start: Appium (tests/integration/_appium.py) and a Selenium
# Grid in front of several of them (tests/grid/_grid.py), importable from every test folder
sys.path.insert(0, str(Path(__file__).resolve().parent / "integration"))
sys.path.insert(0, str(Path(__file__).resolve().parent / "grid"))
# a real S3-compatible server (moto) for the evidence tests (tests/s3/objectstore.py)
sys.path.insert(0, str(Path(__file__).resolve().parent / "s3"))
from databases import BACKENDS, database
from objectstore import ObjectStore, environment, started

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _hash_key(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[None]:
    monkeypatch.setenv("HARNESS_HASH_KEY", "test-key")
    monkeypatch.setenv("HARNESS_HASH_KEY_FILE",
                       str(tmp_path_factory.getbasetemp() / "hash.key"))
    yield


def screen_xml(texts: list[str], package: str = "org.example.app",
               extra: str = "") -> str:
    """A UiAutomator2-style page source with one TextView per text."""
    nodes = []
    for i, t in enumerate(texts):
        nodes.append(
            f'<android.widget.TextView index="{i}" package="{package}" '
            f'class="android.widget.TextView" text={quoteattr(t)} resource-id="" '
            f'content-desc="" displayed="true" bounds="[0,{i * 100}][1080,{i * 100 + 90}]"/>')
    return ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>"
            '<hierarchy index="0" class="hierarchy" rotation="0" width="1080" height="2400">'
            f'<android.widget.FrameLayout index="0" package="{package}" '
            'class="android.widget.FrameLayout" text="" displayed="true" '
            'bounds="[0,0][1080,2400]">' + "".join(nodes) + extra +
            "</android.widget.FrameLayout></hierarchy>")


@pytest.fixture
def make_screen() -> Callable[..., str]:
    return screen_xml


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database on each backend: a SQLite path, then a PostgreSQL URL."""
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="session")
def object_store() -> Iterator[ObjectStore]:
    """A real S3-compatible server (moto in server mode) on 127.0.0.1, for this process."""
    pytest.importorskip("boto3")
    pytest.importorskip("moto.server")
    with started() as server:
        yield server


@pytest.fixture
def s3(object_store: ObjectStore, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
       ) -> ObjectStore:
    """The object store, this test's environment pointing at it with dummy credentials."""
    values, removed = environment(object_store.endpoint, tmp_path)
    for name in removed:
        monkeypatch.delenv(name, raising=False)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return object_store
