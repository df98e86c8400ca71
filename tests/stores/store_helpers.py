"""Helpers for the store-check tests: recorded responses, the loopback store, fake time."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from store_replay import ReplayServer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "stores"

FACEBOOK_ID = 284882215
ORANGE_ID = 338986109
WHEREAMI = "com.adex77.WhereAmI"
TRANSLATE = "com.google.android.apps.translate"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def replay_server(**overrides: Any) -> ReplayServer:
    """A loopback store serving the recorded responses; ``overrides`` tune it."""
    kwargs: dict[str, Any] = dict(
        apple_record=fixture_bytes("itunesLookup-284882215.json"),
        apple_empty=fixture_bytes("itunesLookup-0.json"),
        apple_invalid=fixture_bytes("itunesLookup-invalid.json"),
        play_page=fixture_bytes("gplay-app-whereami.html"),
        play_not_found=fixture_bytes("gplay-datasafety-missing.html"),
        apple_verbatim={
            ("US", (FACEBOOK_ID,)): fixture_bytes("itunesLookup-284882215.json"),
            ("FR", (ORANGE_ID,)): fixture_bytes("itunesLookup-338986109_FR.json"),
        },
        play_verbatim={
            WHEREAMI: fixture_bytes("gplay-app-whereami.html"),
            TRANSLATE: fixture_bytes("gplay-app-translate.html"),
        },
    )
    kwargs.update(overrides)
    return ReplayServer(**kwargs)


class FakeTime:
    """A clock that only moves when something sleeps: retries and budgets cost no time."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def socks_proxy(user: str = "harness", password: str = "s3cret") -> Iterator[str]:
    """A real SOCKS5 proxy (pproxy) on 127.0.0.1 with a password; yields its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [str(Path(sys.executable).parent / "pproxy"), "-l",
         f"socks5://127.0.0.1:{port}#{user}:{password}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("pproxy did not start") from None
                time.sleep(0.05)
        yield f"socks5://{user}:{password}@127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
