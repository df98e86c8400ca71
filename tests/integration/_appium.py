"""A real Appium 3 server with the fake driver, from the committed npm lockfile.

`make test` installs tests/appium/node_modules with `npm ci --ignore-scripts`. The server
listens on 127.0.0.1 on a free port with APPIUM_HOME set to tests/appium, and is stopped
by its process id when the session ends. Under CI=true a missing install is an error,
not a skip.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

APPIUM_HOME = Path(__file__).resolve().parents[1] / "appium"
APPIUM_MAIN = APPIUM_HOME / "node_modules" / "appium" / "index.js"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppiumServer:
    def __init__(self, log: Path, port: int | None = None, home: Path = APPIUM_HOME) -> None:
        """``home`` is the APPIUM_HOME whose drivers the server loads (one without the
        fake driver makes a server that answers /status but opens no session)."""
        self.port = port or _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.home = home
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90) -> None:
        node = shutil.which("node")
        assert node is not None
        env = dict(os.environ, APPIUM_HOME=str(self.home), NO_COLOR="1")
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(
                [node, str(APPIUM_MAIN), "--address", "127.0.0.1", "--port", str(self.port),
                 "--log-level", "info", "--log-no-colors"],
                env=env, stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"Appium exited with {self.proc.returncode}; see {self.log}")
            try:
                if httpx.get(self.url + "/status", timeout=2).json()["value"]["ready"]:
                    return
            except (httpx.HTTPError, ValueError, KeyError):
                pass
            time.sleep(0.2)
        raise RuntimeError(f"Appium did not answer /status within {timeout} s; see {self.log}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)

    def kill(self) -> None:
        """Die as a crashed server would: SIGKILL, no goodbye."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)


def require_install() -> None:
    problem = None
    if shutil.which("node") is None:
        problem = "node is not on PATH"
    elif not APPIUM_MAIN.exists():
        problem = ("tests/appium/node_modules is missing: run `make test` (it runs "
                   "`npm ci --ignore-scripts` in tests/appium)")
    if problem:
        if os.environ.get("CI") == "true":
            pytest.fail(f"real-Appium tests cannot run under CI: {problem}")
        pytest.skip(problem)


@contextmanager
def running(log: Path) -> Iterator[AppiumServer]:
    """A real Appium server (fake driver) logging to ``log``, stopped on leaving."""
    require_install()
    server = AppiumServer(log)
    server.start()
    try:
        yield server
    finally:
        server.stop()
