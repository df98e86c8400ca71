"""Device leases: two concurrent attempts never drive the same device.

A profile names one device (``device.emulator`` / ``device.udid``) or a pool of them
(``device.pool``). Each attempt leases one for its whole duration. Leases are advisory
file locks (``flock``) in a shared lock folder, so they hold between threads of one
process (``harness run --workers N``), between pytest-xdist workers, and between
separate runs on the same host. UiAutomator2 also needs a distinct ``systemPort`` per
concurrent session on a host; a port in 8200-8299 is leased the same way unless the
profile pins one.

A farm endpoint (Selenium Grid, appium-device-farm, a cloud) allocates devices itself:
a profile without an emulator, udid or pool is not leased here.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from harness.devices.base import DeviceUnavailable
from harness.spec.profile import DeviceSlot
from harness.storage.preflight import LOCK_DIR_ENV, lock_dir
from harness.support.errors import ConfigError

SYSTEM_PORTS = range(8200, 8300)


@dataclass(frozen=True)
class Lease:
    slot: DeviceSlot
    system_port: int | None


def default_lock_dir() -> Path:
    """``$HARNESS_LOCK_DIR`` or the system's temporary folder's ``rnr-harness-locks``,
    made if missing (``harness.storage.preflight`` checks it before a run)."""
    path = lock_dir()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"{LOCK_DIR_ENV}={path}", None, f"the device-lease folder cannot "
                          f"be made ({exc.strerror or exc})",
                          f"Set {LOCK_DIR_ENV} to a folder this user may write") from None
    return path


class _Lock:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self.fd = fd
        return True

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


class DevicePool:
    """Hands out device slots and system ports, one holder at a time."""

    def __init__(self, endpoint: str, lock_dir: Path | None = None, wait: float = 600.0,
                 poll: float = 0.25, sleep: Callable[[float], None] = time.sleep) -> None:
        self.endpoint = endpoint
        self.lock_dir = lock_dir or default_lock_dir()
        self.wait = wait
        self.poll = poll
        self.sleep = sleep

    def _path(self, kind: str, name: str) -> Path:
        digest = hashlib.sha256(f"{self.endpoint}|{kind}|{name}".encode()).hexdigest()[:20]
        return self.lock_dir / f"{kind}-{digest}.lock"

    @contextlib.contextmanager
    def lease(self, slots: Sequence[DeviceSlot], who: str,
              needs_system_port: bool = True) -> Iterator[Lease]:
        """Hold one free slot (and a system port) until the block ends."""
        if not slots or all(s.label == "farm" for s in slots):
            yield Lease(slots[0] if slots else DeviceSlot(), None)
            return
        held: list[_Lock] = []
        try:
            slot = self._acquire_slot(slots, who, held)
            port = slot.system_port
            if port is None and needs_system_port:
                port = self._acquire_port(held, who)
            yield Lease(slot, port)
        finally:
            for lock in reversed(held):
                lock.release()

    def _acquire_slot(self, slots: Sequence[DeviceSlot], who: str,
                      held: list[_Lock]) -> DeviceSlot:
        deadline = time.monotonic() + self.wait
        while True:
            for slot in slots:
                lock = _Lock(self._path("device", slot.label))
                if lock.try_acquire():
                    held.append(lock)
                    return slot
            if time.monotonic() >= deadline:
                names = ", ".join(s.label for s in slots)
                raise DeviceUnavailable(
                    f"{who}: every device of the pool ({names}) stayed busy for "
                    f"{self.wait:.0f} s; add devices to `device.pool` or run fewer workers")
            self.sleep(self.poll)

    def _acquire_port(self, held: list[_Lock], who: str) -> int:
        for port in SYSTEM_PORTS:
            lock = _Lock(self._path("systemport", str(port)))
            if lock.try_acquire():
                held.append(lock)
                return port
        raise DeviceUnavailable(f"{who}: all UiAutomator2 system ports 8200-8299 are in use "
                                "on this host")
