"""SIGINT and SIGTERM during a run: an exception in the main thread, and the exit status.

``harness run`` and ``harness demo`` stop the same way on Ctrl-C (SIGINT) and on a
service manager's or a farm scheduler's SIGTERM: the signal raises ``Interrupted`` in the
main thread, the run stops its attempts (``harness.attempt.stopping``), waits a bounded
time for those under way to end, stores the run as ``interrupted`` and exits with status
128 + the signal's number: 130 for SIGINT, 143 for SIGTERM (docs/faults.md).
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

#: The signals a run stops on.
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Interrupted(KeyboardInterrupt):
    """A stop signal arrived; ``exit_status`` is 128 + its number."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal.Signals(signum).name)

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name

    @property
    def exit_status(self) -> int:
        return 128 + self.signum


def _raise(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signum)


@contextmanager
def interruptible() -> Iterator[None]:
    """For the block, SIGINT and SIGTERM raise ``Interrupted`` in the main thread (each
    one: a second signal ends a wait the first began); the previous handlers after it.
    Outside the main thread (signals cannot be handled there) nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise) for s in STOP_SIGNALS}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


@contextmanager
def deferred() -> Iterator[list[int]]:
    """For the block (the run's last writes), stop signals are noted, not raised: the
    list holds those that arrived."""
    arrived: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield arrived
        return
    previous = {s: signal.signal(s, lambda n, _f: arrived.append(n)) for s in STOP_SIGNALS}
    try:
        yield arrived
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


__all__ = ["STOP_SIGNALS", "Interrupted", "deferred", "interruptible"]
