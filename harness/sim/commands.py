"""What the server answered, by kind: the command counter, and each command's kind.

Every request the server answers is one command of one kind: ``session`` (new or
delete), ``source``, ``screenshot``, ``find`` (element or elements, from the root or an
element), ``click``, ``value`` (send keys), ``clear``, ``actions`` (perform or release),
``execute:<script>`` (e.g. ``execute:mobile: listSms``) or ``other`` (everything else,
unknown endpoints included). A command also has a ``detail`` where its cost depends on
more than its kind: the locator strategy of a find, ``new`` or ``delete`` for a session.
Benchmarks and tests compare these counts between the harness and a hand-written script.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

_MOBILE = re.compile(r"^\s*mobile\s*:\s*(\S+)\s*$")


@dataclass(frozen=True)
class Command:
    """One answered command: ``kind`` is what is counted, ``detail`` refines its cost."""

    kind: str
    detail: str = ""

    @property
    def pace_keys(self) -> tuple[str, ...]:
        """Keys to look its cost up by, most specific first: ``find:xpath``, ``find``;
        ``execute:mobile: shell``, ``execute``."""
        keys = [f"{self.kind}:{self.detail}"] if self.detail else []
        keys.append(self.kind)
        base = self.kind.split(":", 1)[0]
        if base != self.kind:
            keys.append(base)
        return tuple(keys)


def script_name(script: object) -> str:
    """``mobile: NAME`` normalised (``mobile:listSms`` -> ``mobile: listSms``); any other
    script is ``script``, since only its kind matters, not its JavaScript."""
    if isinstance(script, str):
        match = _MOBILE.match(script)
        if match:
            return f"mobile: {match.group(1)}"
    return "script"


def classify(route_kind: str, method: str, body: Mapping[str, object]) -> Command:
    """The command a routed request is, from its route's kind and its body."""
    if route_kind == "find":
        using = body.get("using")
        return Command("find", using if isinstance(using, str) else "")
    if route_kind == "execute":
        return Command(f"execute:{script_name(body.get('script'))}")
    if route_kind == "session":
        return Command("session", "new" if method == "POST" else "delete")
    return Command(route_kind)


class CommandCounter:
    """Counts of answered commands by kind; thread-safe (one server thread per
    connection counts into it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, command: Command) -> None:
        with self._lock:
            self._counts[command.kind] += 1

    def snapshot(self) -> Counter[str]:
        """A copy of the counts so far."""
        with self._lock:
            return Counter(self._counts)

    def reset(self) -> Counter[str]:
        """Start counting from zero; returns the counts up to now."""
        with self._lock:
            counts, self._counts = self._counts, Counter()
        return counts
