"""Is the process that holds something still there? (runs, claims and job locks)

A holder on this host is alive while its pid is; a holder on another host cannot be asked,
so it is taken as gone once it has held for longer than a stated time.
"""

from __future__ import annotations

import os
import socket
from datetime import UTC, datetime, timedelta


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def holder_gone(hostname: str, pid: int, since: datetime, stale_after: timedelta,
                now: datetime | None = None) -> bool:
    """Whether the holder ``pid`` on ``hostname``, holding since ``since``, is gone."""
    if hostname == socket.gethostname():
        return pid != os.getpid() and not pid_alive(pid)
    since = since if since.tzinfo else since.replace(tzinfo=UTC)
    return (now or datetime.now(UTC)) - since > stale_after


__all__ = ["holder_gone", "pid_alive"]
