"""End-to-end helpers: run the real commands in subprocesses."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def env(tmp: Path, fresh_machine: bool = False) -> dict[str, str]:
    """The environment of a command run by a test: ``HOME`` is ``tmp``; a fixed hash key
    unless ``fresh_machine`` (then no key anywhere, as on a machine never used before)."""
    e = dict(os.environ)
    if fresh_machine:
        e.pop("HARNESS_HASH_KEY", None)
        e.pop("HARNESS_HASH_KEY_FILE", None)
    else:
        e["HARNESS_HASH_KEY"] = "e2e-key"
    e["HOME"] = str(tmp)
    e.pop("HARNESS_DB", None)
    e["COLUMNS"] = "200"
    return e


def harness(args: list[str], tmp: Path, timeout: float = 300, cwd: Path = REPO,
            extra_env: dict[str, str] | None = None, fresh_machine: bool = False
            ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "harness"), *args], cwd=cwd,
                          env={**env(tmp, fresh_machine), **(extra_env or {})},
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def run_pytest(args: list[str], tmp: Path, timeout: float = 300,
               extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=REPO, env={**env(tmp), **(extra_env or {})},
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)
