"""Scoring the rules on labelled screens: precision and recall per outcome, false positives.

A labelled screen is a saved page source with the outcome a person gave it (a barrier
code, ``challenge_required``, or ``none`` for an ordinary screen) and the stage where it
appears. Each screen is classified as the runner would at that stage; a screen labelled
``none`` that any rule flags is a false positive, the figure that matters most: a
research instrument that says "barrier" where there is none is worse than none.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from harness.verdicts.rules import RuleSet
from harness.verdicts.screen import Screen
from harness.vocabulary.outcomes import Stage

NONE = "none"


@dataclass(frozen=True)
class LabelledScreen:
    path: Path
    label: str
    stage: Stage | None
    language: str = ""
    kind: str = ""


@dataclass(frozen=True)
class Miss:
    screen: LabelledScreen
    got: str
    rule_id: str | None
    sentence: str | None


@dataclass
class CorpusScore:
    """Counts per outcome code: true positives, false positives, false negatives."""

    total: int = 0
    ordinary: int = 0
    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    false_positives: list[Miss] = field(default_factory=list)
    misses: list[Miss] = field(default_factory=list)
    by_language: Counter[tuple[str, str]] = field(default_factory=Counter)

    @property
    def codes(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))

    def precision(self, code: str) -> float | None:
        n = self.tp[code] + self.fp[code]
        return self.tp[code] / n if n else None

    def recall(self, code: str) -> float | None:
        n = self.tp[code] + self.fn[code]
        return self.tp[code] / n if n else None

    @property
    def barriers(self) -> int:
        return self.total - self.ordinary

    @property
    def overall_recall(self) -> float | None:
        """Share of non-ordinary screens given exactly their label."""
        hit = sum(self.tp.values())
        return hit / self.barriers if self.barriers else None


def score(rules: RuleSet, screens: Iterable[LabelledScreen]) -> CorpusScore:
    out = CorpusScore()
    for item in screens:
        screen = Screen(item.path.read_text(encoding="utf-8"))
        match = rules.classify(screen, item.stage)
        got = match.rule.outcome.value if match else NONE
        out.total += 1
        out.ordinary += item.label == NONE
        correct = got == item.label
        out.by_language[(item.language, "ok" if correct else "wrong")] += 1
        if correct:
            if got != NONE:
                out.tp[got] += 1
            continue
        miss = Miss(item, got, match.rule.id if match else None,
                    match.sentence if match else None)
        if got != NONE:
            out.fp[got] += 1
        if item.label != NONE:
            out.fn[item.label] += 1
            out.misses.append(miss)
        else:
            out.false_positives.append(miss)
    return out
