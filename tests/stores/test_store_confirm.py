"""The confirmation rule on hand-made timelines."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from harness.stores.confirm import ConfirmationRule, Point, confirm

T0 = datetime(2025, 3, 1, tzinfo=UTC)
Y, N, F = True, False, None


def series(*items: tuple[float, bool | None]) -> list[Point]:
    """(hours after T0, available) pairs."""
    return [Point(T0 + timedelta(hours=h), v) for h, v in items]


def test_three_agreeing_checks_over_six_hours_confirm_a_baseline() -> None:
    s = confirm(series((0, Y), (3, Y), (6, Y)))
    assert s.current is not None and s.current.available is True
    assert s.current.previous is None and not s.changes
    assert s.current.since == T0 and s.current.confirmed_at == T0 + timedelta(hours=6)


def test_too_few_or_too_close_checks_do_not_confirm() -> None:
    assert confirm(series((0, Y), (7, Y))).current is None          # two checks only
    assert confirm(series((0, Y), (1, Y), (5.9, Y))).current is None  # under six hours
    assert confirm(series((0, Y), (1, Y), (5.9, Y), (6, Y))).current is not None


def test_a_change_is_reported_only_when_confirmed() -> None:
    base = [(0, Y), (3, Y), (6, Y)]
    s = confirm(series(*base, (10, N), (12, N)))
    assert not s.changes
    assert s.pending is not None and s.pending.available is False and s.pending.checks == 2
    s = confirm(series(*base, (10, N), (12, N), (16, N)))
    assert len(s.changes) == 1
    change = s.changes[0]
    assert (change.previous, change.available) == (True, False)
    assert change.since == T0 + timedelta(hours=10)
    assert change.confirmed_at == T0 + timedelta(hours=16) and change.checks == 3
    assert s.pending is None


def test_failures_never_count_and_never_break_a_run() -> None:
    s = confirm(series((0, Y), (1, F), (2, F), (3, Y), (4, F), (6, Y)))
    assert s.current is not None and s.current.available is True and s.current.checks == 3
    assert (s.conclusive, s.failures) == (3, 3)
    only_failures = confirm(series((0, F), (10, F), (20, F), (30, F)))
    assert only_failures.current is None and only_failures.pending is None


def test_one_contrary_check_restarts_the_count() -> None:
    s = confirm(series((0, Y), (3, Y), (6, Y), (8, N), (9, N), (10, Y), (20, N), (21, N)))
    assert not s.changes  # the unavailable runs were 2 checks each, never 3
    assert s.pending is not None and s.pending.checks == 2


def test_frequent_checks_confirm_once_the_run_spans_the_window() -> None:
    # a check every 10 minutes: the latest three never span 6 h, the run does
    pts = [(i / 6, Y) for i in range(40)]  # 0 .. 6.5 h
    s = confirm(series(*pts))
    assert s.current is not None
    assert s.current.confirmed_at == T0 + timedelta(hours=36 / 6)


def test_flapping_back_is_a_second_change() -> None:
    s = confirm(series((0, Y), (3, Y), (6, Y), (7, N), (10, N), (13, N), (14, Y), (17, Y),
                       (20, Y)))
    assert [(c.previous, c.available) for c in s.changes] == [(True, False), (False, True)]


def test_order_of_input_does_not_matter_and_naive_times_are_utc() -> None:
    pts = series((6, Y), (0, Y), (3, Y))
    naive = [Point(p.checked_at.replace(tzinfo=None), p.available) for p in pts]
    assert confirm(pts).current == confirm(naive).current


def test_rule_is_configurable_and_validated() -> None:
    pts = series((0, N), (1, N))
    assert confirm(pts, ConfirmationRule(min_checks=2, min_hours=1)).current is not None
    assert confirm(pts, ConfirmationRule(min_checks=2, min_hours=2)).current is None
    with pytest.raises(ValueError):
        ConfirmationRule(min_checks=0)
    with pytest.raises(ValueError):
        ConfirmationRule(min_hours=-1)
