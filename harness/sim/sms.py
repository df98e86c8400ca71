"""The device's SMS inbox.

Apps deliver their verification codes here, ``mobile: sendSms`` injects messages as
the emulator's console does, and ``mobile: listSms`` reads them back in the shape
UiAutomator2 returns (newest first, every field a string as Android's content provider
gives it). That is the path the harness's OTP reader uses on a real emulator, so the
simulator exercises it unchanged.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class SmsMessage:
    """One received message; ``date_ms`` is epoch milliseconds."""

    id: int
    address: str
    body: str
    date_ms: int

    def to_json(self) -> dict[str, object]:
        """The row as UiAutomator2's ``mobile: listSms`` returns it."""
        return {
            "_id": str(self.id),
            "address": self.address,
            "person": None,
            "date": str(self.date_ms),
            "read": "0",
            "status": "-1",
            "type": "1",
            "subject": None,
            "body": self.body,
            "service_center": None,
        }


class SmsInbox:
    """A thread-safe, append-only list of received messages."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._messages: list[SmsMessage] = []

    def receive(self, address: str, body: str) -> SmsMessage:
        """Store an incoming message and return it."""
        with self._lock:
            message = SmsMessage(
                id=len(self._messages) + 1,
                address=address,
                body=body,
                date_ms=int(time.time() * 1000),
            )
            self._messages.append(message)
            return message

    def latest(self, limit: int | None = None) -> list[SmsMessage]:
        """Messages newest first, at most ``limit`` of them."""
        with self._lock:
            newest_first = list(reversed(self._messages))
        return newest_first if limit is None else newest_first[: max(limit, 0)]

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)
