"""Screens to triage: the ``failure: ui_unrecognized`` attempts of a run that stopped on a
screen no earlier run stopped on.

An attempt ends as ``ui_unrecognized`` when neither the step's target nor any rule
appeared: the app showed something the scenario does not know. The same unknown screen
night after night is one thing to look at, not one a night, so each such attempt's last
saved page source is reduced to a *screen signature* (the app's visible texts and
element ids, digits masked, so a phone number or a countdown does not make two screens
differ) and compared with the signatures of the scenario's earlier ``ui_unrecognized``
attempts. An attempt whose page source cannot be read is compared by its step and detail
instead.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, select

from harness.storage.evidence_files import page_source
from harness.storage.models import Measurement, Run
from harness.storage.store import Store
from harness.support.errors import HarnessError
from harness.verdicts.screen import Screen, ScreenParseError
from harness.vocabulary.outcomes import Failure, Status

#: Earlier ``ui_unrecognized`` attempts of a scenario compared with a new one (newest).
EARLIER_LIMIT = 50

_DIGITS = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACE.sub(" ", _DIGITS.sub("#", text)).strip().lower()


def screen_signature(source: str, app_package: str | None = None) -> str | None:
    """A short stable hash of what the screen shows (None: not a UI hierarchy)."""
    try:
        screen = Screen(source, app_package)
        nodes = screen.app_nodes()
    except ScreenParseError:
        return None
    ids = {"#" + n.resource_id.rsplit("/", 1)[-1] for n in nodes if n.resource_id}
    parts = sorted({_norm(t) for t in screen.texts} | ids)
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Unrecognized:
    """One ``ui_unrecognized`` attempt and the screen it stopped on."""

    measurement_id: str
    scenario_id: str
    profile_id: str
    stage: str | None
    detail: str
    signature: str | None

    @property
    def key(self) -> tuple[str, str]:
        """What makes two attempts "the same screen": the signature, else the detail."""
        return (self.scenario_id, self.signature or "detail:" + _norm(self.detail))

    @property
    def command(self) -> str:
        return f"harness show {self.measurement_id[:12]}"


@dataclass(frozen=True)
class NewScreen:
    """A screen first met in this run, and every attempt of the run that stopped on it."""

    scenario_id: str
    signature: str | None
    detail: str
    attempts: tuple[Unrecognized, ...]

    def to_json(self) -> dict[str, object]:
        return {"scenario": self.scenario_id, "signature": self.signature,
                "stage": self.attempts[0].stage, "detail": self.detail,
                "measurements": [{"id": u.measurement_id, "profile": u.profile_id,
                                  "command": u.command} for u in self.attempts]}


@dataclass(frozen=True)
class Triage:
    """The run's ``ui_unrecognized`` attempts: how many, and the new screens among them."""

    unrecognized: int
    new: tuple[NewScreen, ...]

    @property
    def known(self) -> int:
        return self.unrecognized - sum(len(s.attempts) for s in self.new)


def _unrecognized_rows(store: Store, where: Sequence[ColumnElement[bool]],
                       limit: int | None = None) -> list[Measurement]:
    stmt = (select(Measurement).where(Measurement.status == Status.FAILURE.value,
                                      Measurement.failure == Failure.UI_UNRECOGNIZED.value,
                                      *where)
            .order_by(Measurement.started_at.desc(), Measurement.id))
    if limit is not None:
        stmt = stmt.limit(limit)
    with store.session() as s:
        return list(s.scalars(stmt).all())


def _read(store: Store, row: Measurement) -> Unrecognized:
    signature = None
    m = store.get_measurement(row.id)
    if m is not None:
        try:
            signature = screen_signature(page_source(m, store.artifacts), m.app_id)
        except (HarnessError, OSError):
            signature = None
    return Unrecognized(row.id, row.scenario_id, row.profile_id, row.stage,
                        row.failure_detail or "", signature)


def _earlier_keys(store: Store, run_id: str, scenarios: Iterable[str]) -> set[tuple[str, str]]:
    with store.session() as s:
        started = s.scalar(select(Run.started_at).where(Run.id == run_id))
    keys: set[tuple[str, str]] = set()
    for scenario in sorted(set(scenarios)):
        where: list[ColumnElement[bool]] = [Measurement.scenario_id == scenario,
                                            Measurement.run_id != run_id]
        if started is not None:
            where.append(Measurement.started_at < started)
        keys |= {_read(store, m).key for m in _unrecognized_rows(store, where, EARLIER_LIMIT)}
    return keys


def screens_to_triage(store: Store, run_id: str) -> Triage:
    """The run's ``ui_unrecognized`` attempts and the screens no earlier run stopped on,
    grouped by screen (attempts of several profiles on one new screen are one entry)."""
    tonight = [_read(store, m) for m in reversed(
        _unrecognized_rows(store, [Measurement.run_id == run_id]))]
    if not tonight:
        return Triage(0, ())
    seen = _earlier_keys(store, run_id, (u.scenario_id for u in tonight))
    groups: dict[tuple[str, str], list[Unrecognized]] = {}
    for u in tonight:
        if u.key not in seen:
            groups.setdefault(u.key, []).append(u)
    new = tuple(NewScreen(g[0].scenario_id, g[0].signature, g[0].detail, tuple(g))
                for _, g in sorted(groups.items()))
    return Triage(len(tonight), new)


__all__ = ["EARLIER_LIMIT", "NewScreen", "Triage", "Unrecognized", "screen_signature",
           "screens_to_triage"]
