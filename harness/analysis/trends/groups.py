"""The affected and comparison groups of a trend model, from the harness's own evidence
or from the analyst's lists, with the measurements behind the choice.

From evidence (the ``by_app`` table, latest classifications, abroad only; see
``harness.analysis.definitions``): an app is *affected* when its latest conclusive
outcome is a **confirmed** RNR barrier in at least one country abroad
(``enforces_identifiability_confirmed``); it is in the *comparison* group when it was
tested in at least one country abroad and met no barrier of any kind there. Every other
app (an unconfirmed RNR barrier, a non-RNR barrier only, nothing tested) is left out,
and the reason is written beside the result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

EVIDENCE_RULE = ("affected: a confirmed RNR barrier as the latest conclusive outcome in at "
                 "least one country abroad; comparison: tested abroad with no barrier of "
                 "any kind as a latest conclusive outcome")


@dataclass
class Groups:
    """Which apps are compared, by which rule, and the evidence per app."""

    affected: list[str]
    comparison: list[str]
    rule: str
    excluded: dict[str, str] = field(default_factory=dict)
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"rule": self.rule, "affected": self.affected, "comparison": self.comparison,
                "excluded": self.excluded, "evidence": self.evidence}


def _reason(row: Any) -> str | None:
    if int(row.countries_tested) == 0:
        return "no conclusive result abroad"
    if int(row.rnr_countries) > 0 and int(row.confirmed_rnr_countries) == 0:
        return "RNR barrier not yet confirmed"
    if int(row.barrier_countries) > 0 and int(row.rnr_countries) == 0:
        return "a barrier, but not an RNR barrier"
    return None


def groups_from_evidence(by_app: pd.DataFrame) -> Groups:
    """The groups from a ``by_app`` table (``Analysis.by_app()``)."""
    groups = Groups([], [], EVIDENCE_RULE)
    row: Any
    for row in by_app.itertuples():
        app = str(row.app)
        groups.evidence.append({
            "app": app, "countries_tested": int(row.countries_tested),
            "barrier_countries": int(row.barrier_countries),
            "rnr_countries": int(row.rnr_countries),
            "confirmed_rnr_countries": int(row.confirmed_rnr_countries)})
        if int(row.confirmed_rnr_countries) > 0:
            groups.affected.append(app)
        elif int(row.countries_tested) > 0 and int(row.barrier_countries) == 0:
            groups.comparison.append(app)
        else:
            groups.excluded[app] = _reason(row) or "not classified"
    return groups


def groups_given(affected: Sequence[str], comparison: Sequence[str]) -> Groups:
    """The analyst's own lists."""
    return Groups(sorted(set(affected)), sorted(set(comparison)),
                  "given by the analyst (--group-apps / --vs-apps)")


__all__ = ["EVIDENCE_RULE", "Groups", "groups_from_evidence", "groups_given"]
