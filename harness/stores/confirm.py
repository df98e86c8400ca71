"""When a change in store availability is real: the confirmation rule.

A single check is one observation; stores flap, caches lag and proxies misroute. Like
GoogleCensorship, the harness reports a change only after it has repeated: a state is
*confirmed* once at least ``min_checks`` consecutive conclusive checks agree on it and
the first and last of them are at least ``min_hours`` apart (defaults 3 and 6).

- Failures (``available is None``) never count: they neither confirm a state nor break
  a run of agreeing checks.
- One conclusive check that disagrees ends the run; counting starts again from it.
- The run is measured as a whole, first agreeing check to latest. (Requiring the
  *latest* N checks to span H hours would make frequent checking unable to confirm
  anything: ten checks ten minutes apart never span six hours.)
- The first confirmed state of a series is its baseline (``previous is None``); every
  later confirmed state that differs from the one before is a change.

Pure functions over hand-made or stored timelines; no database access here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

DEFAULT_MIN_CHECKS = 3
DEFAULT_MIN_HOURS = 6.0


@dataclass(frozen=True)
class Point:
    """One check in a series: when, and what it said (None = failure of the instrument)."""

    checked_at: datetime
    available: bool | None
    #: For an ``unavailable`` check: ``in_country``, ``everywhere`` or ``unknown``
    #: (``harness.stores.model.StoreScope``); None when not recorded.
    scope: str | None = None


@dataclass(frozen=True)
class ConfirmationRule:
    min_checks: int = DEFAULT_MIN_CHECKS
    min_hours: float = DEFAULT_MIN_HOURS

    def __post_init__(self) -> None:
        if self.min_checks < 1:
            raise ValueError("min_checks must be at least 1")
        if self.min_hours < 0:
            raise ValueError("min_hours cannot be negative")


@dataclass(frozen=True)
class ConfirmedState:
    """A state that met the rule. ``since`` is the first check of the agreeing run."""

    available: bool
    previous: bool | None
    since: datetime
    confirmed_at: datetime
    checks: int
    #: The scope recorded by the check that confirmed an ``unavailable`` state.
    scope: str | None = None

    @property
    def is_change(self) -> bool:
        return self.previous is not None


@dataclass(frozen=True)
class PendingChange:
    """A run of agreeing checks that differs from the confirmed state but is not confirmed."""

    available: bool
    previous: bool | None
    first: datetime
    last: datetime
    checks: int
    #: The scope recorded by the latest check of an ``unavailable`` run.
    scope: str | None = None


@dataclass(frozen=True)
class SeriesStatus:
    history: tuple[ConfirmedState, ...]
    pending: PendingChange | None
    conclusive: int
    failures: int

    @property
    def current(self) -> ConfirmedState | None:
        return self.history[-1] if self.history else None

    @property
    def changes(self) -> tuple[ConfirmedState, ...]:
        return tuple(s for s in self.history if s.is_change)


def _utc(t: datetime) -> datetime:
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def confirm(points: Iterable[Point], rule: ConfirmationRule | None = None) -> SeriesStatus:
    """Walk one series in time order and return its confirmed states and pending change."""
    rule = rule or ConfirmationRule()
    span = timedelta(hours=rule.min_hours)
    ordered = sorted(((_utc(p.checked_at), p.available, p.scope) for p in points),
                     key=lambda x: x[0])
    history: list[ConfirmedState] = []
    confirmed: bool | None = None
    run_value: bool | None = None
    run: list[datetime] = []
    run_scope: str | None = None
    failures = 0
    for at, value, scope in ordered:
        if value is None:
            failures += 1
            continue
        if value != run_value:
            run_value, run = value, []
        run.append(at)
        run_scope = scope
        if (value != confirmed and len(run) >= rule.min_checks
                and run[-1] - run[0] >= span):
            history.append(ConfirmedState(available=value, previous=confirmed, since=run[0],
                                          confirmed_at=at, checks=len(run), scope=scope))
            confirmed = value
    pending = None
    if run_value is not None and run_value != confirmed:
        pending = PendingChange(available=run_value, previous=confirmed, first=run[0],
                                last=run[-1], checks=len(run), scope=run_scope)
    return SeriesStatus(tuple(history), pending, len(ordered) - failures, failures)
