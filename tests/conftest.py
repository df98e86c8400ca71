"""Shared fixtures: a keyed-hash key that never touches ~/.config, screen builders, and a
new database on each backend (``db_url``)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from xml.sax.saxutils import quoteattr

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "postgres"))
from databases import BACKENDS, database

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
