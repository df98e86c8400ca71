"""What each instance's attempts say over time: streaks, the last confirmed outcome and
the changes between consecutive conclusive outcomes.

The matrix (``barrier_matrix``) says whether the *latest* outcome is confirmed; a reader
of a fresh measurement also wants to see what was confirmed before it. Both come from the
same rule, :class:`~harness.analysis.definitions.Confirmation`: a *streak* is a run of
consecutive conclusive attempts of one (app, country) with the same outcome (failures and
aborted attempts neither break nor extend it), and a streak is confirmed when it has at
least ``min_attempts`` attempts whose first and last started at least ``min_hours`` apart.
The functions take the measurements export (one row per attempt, the verdicts in effect)
and return plain tables, so the pages and the tests read the same numbers.
"""

from __future__ import annotations

import pandas as pd

from harness.analysis.definitions import CONCLUSIVE_STATUSES, Confirmation
from harness.analysis.queries import SPAN_TOLERANCE_HOURS

#: The columns :func:`streaks` returns.
STREAK_COLUMNS: tuple[str, ...] = (
    "app", "country", "streak", "outcome", "attempts", "first_at", "last_at", "span_hours",
    "confirmed", "first_measurement_id", "last_measurement_id", "latest")


def _conclusive(attempts: pd.DataFrame) -> pd.DataFrame:
    """The conclusive attempts, oldest first within each (app, country)."""
    keep = attempts[attempts["status"].isin(CONCLUSIVE_STATUSES)]
    return keep.sort_values(["scenario_id", "country", "started_at", "measurement_id"],
                            kind="stable").reset_index(drop=True)


def streaks(attempts: pd.DataFrame, rule: Confirmation) -> pd.DataFrame:
    """One row per streak of each (app, country), oldest first; ``latest`` marks the
    streak that ends with the instance's latest conclusive attempt."""
    df = _conclusive(attempts)
    if df.empty:
        return pd.DataFrame(columns=list(STREAK_COLUMNS))
    key = [df["scenario_id"], df["country"]]
    new = (df["outcome"] != df.groupby(key)["outcome"].shift()).astype(int)
    df = df.assign(streak=new.groupby(key).cumsum())
    g = df.groupby(["scenario_id", "country", "streak"], sort=True)
    out = g.agg(outcome=("outcome", "first"), attempts=("outcome", "size"),
                first_at=("started_at", "min"), last_at=("started_at", "max"),
                first_measurement_id=("measurement_id", "first"),
                last_measurement_id=("measurement_id", "last")).reset_index()
    out = out.rename(columns={"scenario_id": "app"})
    out["span_hours"] = (out["last_at"] - out["first_at"]).dt.total_seconds() / 3600
    out["confirmed"] = ((out["attempts"] >= rule.min_attempts)
                        & (out["span_hours"] >= rule.min_hours - SPAN_TOLERANCE_HOURS))
    last = out.groupby(["app", "country"])["streak"].transform("max")
    out["latest"] = out["streak"] == last
    return out[list(STREAK_COLUMNS)]


def last_confirmed(streak_table: pd.DataFrame) -> pd.DataFrame:
    """Per (app, country): the outcome of its newest confirmed streak
    (``confirmed_outcome``), when it was confirmed (``confirmed_at``: the attempt that
    completed the rule is not tracked, so the streak's last attempt) and whether that
    streak is the latest one (``confirmed_is_latest``). Instances never confirmed are
    absent."""
    done = streak_table[streak_table["confirmed"].astype(bool)]
    if done.empty:
        return pd.DataFrame(columns=["app", "country", "confirmed_outcome", "confirmed_at",
                                     "confirmed_is_latest"])
    newest = done.sort_values("streak").groupby(["app", "country"]).tail(1)
    return pd.DataFrame({"app": newest["app"], "country": newest["country"],
                         "confirmed_outcome": newest["outcome"],
                         "confirmed_at": newest["last_at"],
                         "confirmed_is_latest": newest["latest"]}).reset_index(drop=True)


def change_events(streak_table: pd.DataFrame) -> pd.DataFrame:
    """Every change of outcome: the first attempt of each streak after an instance's
    first, with the outcome before, the streak's support and whether it is confirmed,
    still open (the latest streak, not yet confirmed) or was left again unconfirmed.
    Newest first."""
    cols = ["app", "country", "at", "previous_outcome", "previous_confirmed", "outcome",
            "attempts", "span_hours", "state", "measurement_id"]
    s = streak_table.sort_values(["app", "country", "streak"]).reset_index(drop=True)
    if s.empty:
        return pd.DataFrame(columns=cols)
    same = (s["app"] == s["app"].shift()) & (s["country"] == s["country"].shift())
    prev_outcome = s["outcome"].shift()
    prev_confirmed = s["confirmed"].shift()
    state = s["confirmed"].map({True: "confirmed", False: "unconfirmed"}).where(
        s["confirmed"].astype(bool) | s["latest"].astype(bool), "reverted")
    out = pd.DataFrame({
        "app": s["app"], "country": s["country"], "at": s["first_at"],
        "previous_outcome": prev_outcome, "previous_confirmed": prev_confirmed,
        "outcome": s["outcome"], "attempts": s["attempts"], "span_hours": s["span_hours"],
        "state": state, "measurement_id": s["first_measurement_id"]})[same]
    return out.sort_values("at", ascending=False, kind="stable").reset_index(drop=True)


def per_run(attempts: pd.DataFrame) -> pd.DataFrame:
    """Per run (oldest first): when it started, its attempts by status, and the apps and
    countries it covered."""
    cols = ["run_id", "started", "attempts", "access", "barrier", "failure", "apps",
            "countries"]
    if attempts.empty:
        return pd.DataFrame(columns=cols)
    g = attempts.groupby("run_id")
    out = pd.DataFrame({
        "started": g["started_at"].min(), "attempts": g.size(),
        "access": g["status"].apply(lambda s: int((s == "access").sum())),
        "barrier": g["status"].apply(lambda s: int((s == "barrier").sum())),
        "failure": g["status"].apply(lambda s: int((s == "failure").sum())),
        "apps": g["scenario_id"].nunique(), "countries": g["country"].nunique(),
    }).reset_index()
    return out.sort_values("started", kind="stable").reset_index(drop=True)[cols]


__all__ = [
    "STREAK_COLUMNS",
    "change_events",
    "last_confirmed",
    "per_run",
    "streaks",
]
