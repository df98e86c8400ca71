"""Stopping a run's attempts when the run is told to stop (SIGINT, SIGTERM).

An attempt cannot be cut off at an arbitrary instruction without leaving a row that is
neither a result nor honestly unfinished, so a stop is cooperative: the run sets its
``RunStop``, and every attempt's device, wrapped in a ``StoppableDevice``, refuses its
next command. The attempt then ends at once, and because something it would have
observed was not observed, it is stored as ``aborted`` (never a result, measured again by
``harness run --resume``), not as the failure or barrier the refused command would
otherwise have produced. An attempt that concluded before the stop keeps its verdict.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from harness.devices.base import DeviceError


class RunStop:
    """A run's request that its attempts stop; ``reason`` says why (``SIGTERM``)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    def set(self, reason: str) -> None:
        self.reason = self.reason or reason
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()


class AttemptStopped(DeviceError):
    """A device command refused because the run was told to stop."""


#: Commands that leave the device as it was found: still sent after a stop.
_CLEANUP = frozenset({"close", "set_http_proxy", "stop_app"})


class StoppableDevice:
    """A ``Device`` whose commands are refused once ``stop`` is set (``tripped`` then
    says that the attempt lost something it would have observed)."""

    def __init__(self, device: Any, stop: RunStop) -> None:
        self._device = device
        self._stop = stop
        self.tripped = False

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._device, name)
        if not callable(attr) or name in _CLEANUP:
            return attr
        return self._guarded(attr)

    def _guarded(self, command: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            if self._stop.is_set():
                self.tripped = True
                raise AttemptStopped(f"the run was stopped ({self._stop.reason}) before "
                                     "this attempt finished")
            return command(*args, **kwargs)
        return call


__all__ = ["AttemptStopped", "RunStop", "StoppableDevice"]
