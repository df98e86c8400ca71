"""The barrier candidates of one step: a verdict needs something that said no *and* a
flow that stopped.

A rule's match on a screen is a *candidate*. While the step's target is on screen the flow
goes on, and a candidate is kept as an observation of the step. While the target is absent,
a candidate that stays the same for the settle time becomes the verdict: the watch calls
``conclude`` (which ends the attempt).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from harness.spec.steps import Step
from harness.verdicts.rules import RuleMatch
from harness.verdicts.screen import Screen

#: Ends the attempt with a rule's match as its verdict: (step, match, screen, watch).
Conclude = Callable[[Step, RuleMatch, Screen, "CandidateWatch"], None]


@dataclass
class Candidate:
    match: RuleMatch
    since: float
    screen: Screen


class CandidateWatch:
    """The candidates of one step: a verdict once one persists while the flow is stopped,
    observations of the step otherwise."""

    def __init__(self, step: Step, clock: Callable[[], float], settle_time: float,
                 conclude: Conclude, clean: Callable[[str], str]) -> None:
        self.step = step
        self.clock = clock
        self.settle_time = settle_time
        self.conclude = conclude
        self.clean = clean
        self.current: Candidate | None = None
        self.observations: list[dict[str, Any]] = []

    def goes_on(self, match: RuleMatch | None) -> None:
        """The flow went on (the target showed): a candidate present, or one seen before
        and gone, is an observation."""
        if self.current is not None and (match is None
                                         or match.rule.id != self.current.match.rule.id):
            self._observe(self.current.match, "went away")
        if match is not None:
            self._observe(match, "shown while the step's target was on screen")
        self.current = None

    def stopped(self, match: RuleMatch | None, screen: Screen) -> None:
        """The target is not (or not reachably) on screen: a candidate that persists for
        the settle time is the verdict."""
        now = self.clock()
        if match is None:
            if self.current is not None:
                self._observe(self.current.match, "went away")
            self.current = None
            return
        if self.current is None or self.current.match.rule.id != match.rule.id:
            if self.current is not None:
                self._observe(self.current.match, "replaced by another")
            self.current = Candidate(match, now, screen)
            return
        self.current.screen = screen
        if now - self.current.since >= self.settle_time:
            self.conclude(self.step, self.current.match, screen, self)

    def timed_out(self) -> None:
        """The step's time is up: a candidate still on screen is the verdict."""
        if self.current is not None:
            self.conclude(self.step, self.current.match, self.current.screen, self)

    def _observe(self, match: RuleMatch, how: str) -> None:
        entry = {"rule_id": match.rule.id, "outcome": match.rule.outcome.value,
                 "role": match.role.value, "text": self.clean(match.sentence),
                 "how": how}
        if entry not in self.observations:
            self.observations.append(entry)
