"""Classifying saved screens: one page source now (``harness classify``), and the stored
evidence of past measurements again under newer rules (``harness reclassify``).

A verdict needs two signals: a rule candidate, and a flow that stopped (harness.attempt.runner).
Stored evidence keeps both: the steps say where the flow stopped, the page source of the
step that ended the attempt is the screen the runner was polling then. Reclassification
reads that screen again, at that step's stage, with the current rules:

- ``barrier`` or ``failure: challenge_required`` by a rule, ``failure: ui_unrecognized``
  and ``failure: timeout``: the first current rule that matches the stopping screen gives
  the new verdict (a rule written since may recognise a screen nothing recognised, or
  name it better); if none matches and the old verdict came from a rule, that rule no
  longer recognises its screen: the new verdict is ``failure: ui_unrecognized``; a
  verdict of the runner itself (``builtin.*``: calling code absent, SMS timeout) stands;
- ``access``: the flow never stopped, so no current rule can turn it into a barrier (a
  candidate on a screen the flow went past is an observation, not a verdict): it stands.

Failures of the instrument before or outside the app (proxy, vantage, device, session,
app not installed, unmapped errors) have no screen that could be a finding and are left
alone, as are ``running`` and ``aborted`` rows. The measurement rows are never changed:
each new verdict is a row in ``reclassifications`` beside the old one, with the rules
version that produced it, and a measurement already reclassified under the current
version is skipped (``force`` adds another row).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from harness.spec.scenarios import Scenario, find_scenario_files, load_scenario, load_scenarios
from harness.storage.artifacts import Artifacts
from harness.storage.locations import S3_SCHEME, ArtifactNotFound, StoredFile, scheme_of
from harness.storage.models import Measurement, Reclassification
from harness.storage.store import Store
from harness.support.errors import ConfigError, HarnessError, display_path
from harness.verdicts.rules import RuleSet, shared_rules
from harness.verdicts.screen import Screen, ScreenParseError
from harness.vocabulary.outcomes import Failure, Stage, Status

#: Rule ids of verdicts the runner concludes itself (not from a rule library).
BUILTIN_PREFIX = "builtin."

#: Failures whose saved screens can hold a barrier a newer rule recognises.
RECLASSIFIABLE_FAILURES = frozenset({Failure.UI_UNRECOGNIZED.value, Failure.TIMEOUT.value,
                                     Failure.CHALLENGE_REQUIRED.value})

PAGE_SOURCE = "page_source"


# --------------------------------------------------------------------------- one screen


def read_page_source(path: Path) -> Screen:
    """A saved page source (UiAutomator2 page source or ``uiautomator dump``)."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise HarnessError(f"{shown}: no such file") from None
    except UnicodeDecodeError:
        raise HarnessError(f"{shown}: not UTF-8 text; give the page source (.xml) of a "
                           "step, not its screenshot") from None
    except OSError as exc:
        raise HarnessError(f"{shown}: cannot be read ({exc.strerror})") from None
    try:
        return Screen(text)
    except ScreenParseError as exc:
        raise HarnessError(f"{shown}: not a UiAutomator page source ({exc}); save one with "
                           "`driver.page_source` or `adb shell uiautomator dump`") from None


def with_package(screen: Screen, package: str | None) -> Screen:
    """The same screen, read as the given app's (other apps' nodes are then ignored)."""
    return screen if package is None else Screen(screen.source, package)


def rules_for(scenario: Scenario | None, base: RuleSet | None = None) -> RuleSet:
    """The scenario's own rules first, then the shared library, as the runner tries them."""
    rules = base or shared_rules()
    return rules.with_app_rules(scenario.rules) if scenario is not None else rules


def find_scenario(ref: str, roots: Sequence[Path]) -> Scenario:
    """A scenario by file path, or by id among the scenarios under ``roots``."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_scenario(path)
    found: dict[str, Path] = {}
    for root in roots:
        if not root.exists():
            continue
        for p in find_scenario_files([root]):
            sid = _scenario_id(p)
            if sid is not None:
                found.setdefault(sid, p)
    if ref in found:
        return load_scenario(found[ref])
    near = _near(ref, list(found))
    where = ", ".join(display_path(r) for r in roots)
    hint = f"Did you mean {', '.join(near)}? " if near else ""
    raise ConfigError(f"--scenario={ref}", None,
                      f"no scenario with id {ref!r} under {where}",
                      hint + "Give a scenario id or the path of its file, or point "
                      "--scenarios at the folder that holds it")


def _edits(a: str, b: str) -> int:
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def _near(word: str, options: list[str]) -> list[str]:
    """Close matches for a mistyped id: a few edits away, or similar by difflib."""
    limit = max(1, len(word) // 3)
    close = sorted((d, o) for o in options if (d := _edits(word, o)) <= limit)
    out = [o for _, o in close]
    out += [o for o in difflib.get_close_matches(word, options, n=3) if o not in out]
    return out[:3]


def _scenario_id(path: Path) -> str | None:
    """The ``id:`` of a scenario file without validating the rest (cheap, for lookups)."""
    try:
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("id:"):
                    return line[3:].split("#", 1)[0].strip().strip("'\"") or None
    except (OSError, UnicodeDecodeError):
        return None
    return None


# --------------------------------------------------------------------------- reclassify


@dataclass(frozen=True)
class Outcome:
    """A verdict as the two tables record it."""

    status: str
    stage: str | None
    barrier: str | None
    rule_id: str | None
    matched_text: str | None = None
    failure: str | None = None
    access_level: str | None = None

    @property
    def label(self) -> str:
        if self.status == Status.BARRIER.value:
            return f"barrier: {self.barrier}"
        if self.status == Status.FAILURE.value and self.failure:
            return f"failure: {self.failure}"
        return self.status

    def key(self) -> tuple[str, str | None, str | None, str | None, str | None]:
        return (self.status, self.stage, self.barrier, self.failure, self.rule_id)


@dataclass(frozen=True)
class Reclassified:
    measurement_id: str
    scenario_id: str
    country: str
    previous_rules_version: str
    old: Outcome
    new: Outcome
    artifact_path: str | None
    changed: bool


@dataclass
class ReclassifyReport:
    rules_version: str
    results: list[Reclassified] = field(default_factory=list)
    already_done: int = 0         # reclassified under this version before
    current: int = 0              # measured under this version
    not_applicable: int = 0       # running, aborted, instrument failures
    without_evidence: int = 0     # no page source saved (or the files are gone)
    missing_files: int = 0        # page-source artifacts whose file is missing
    scenarios_not_found: set[str] = field(default_factory=set)

    @property
    def changed(self) -> list[Reclassified]:
        return [r for r in self.results if r.changed]


def _stage(value: str | None) -> Stage | None:
    try:
        return Stage(value) if value else None
    except ValueError:
        return None


def _stopping_screen(m: Measurement) -> tuple[Stage | None, StoredFile] | None:
    """(stage, stored page source) of the screen the attempt stopped on: the page source
    of its last step, when that step did not succeed; None when the flow went on to the
    end or the step saved no page source."""
    steps = sorted(m.steps, key=lambda s: s.idx)
    if not steps or steps[-1].outcome in ("ok", "skipped"):
        return None
    last = steps[-1]
    files = [StoredFile(a.path, a.url, a.sha256) for a in m.artifacts
             if a.kind == PAGE_SOURCE and a.step_idx == last.idx]
    if not files:
        return None
    return _stage(last.stage) or _stage(m.stage), files[-1]


def reclassify_measurement(m: Measurement, rules: RuleSet, artifacts: Artifacts | Path,
                           report: ReclassifyReport, app_rules_known: bool = True
                           ) -> Reclassified | None:
    """The verdict the current ``rules`` give ``m``'s stopping screen (None: no evidence).

    ``artifacts`` reads the stored page source (from a folder or an object store, by the
    row's URL). ``app_rules_known`` is False when the measurement's scenario (and so its
    own rules) could not be found: a barrier found by a rule that is not in ``rules`` then
    stands, since there is no telling whether its rule still recognises the screen.
    """
    old = Outcome(m.status, m.stage, m.barrier, m.rule_id, m.matched_text, m.failure,
                  m.access_level)
    if m.status == Status.ACCESS.value:
        return _result(m, old, old, None)  # the flow never stopped
    stop = _stopping_screen(m)
    if stop is None:
        report.without_evidence += 1
        return None
    stage, stored = stop
    # the evidence the new verdict read: its object-store URL, else its relative path
    rel = stored.url if stored.url and scheme_of(stored.url) == S3_SCHEME else stored.path
    source = artifacts if isinstance(artifacts, Artifacts) else Artifacts.local(artifacts)
    try:
        screen = Screen(source.read_stored(stored).decode("utf-8"), m.app_id)
    except (ArtifactNotFound, UnicodeDecodeError, ScreenParseError):
        report.missing_files += 1
        report.without_evidence += 1
        return None
    match = rules.classify(screen, stage)
    if match is not None:
        outcome = match.rule.outcome
        barrier = match.rule.barrier
        new = Outcome(Status.BARRIER.value if barrier else Status.FAILURE.value,
                      stage.value if stage else m.stage, barrier.value if barrier else None,
                      match.rule.id, match.sentence,
                      None if barrier else outcome.value, m.access_level)
        return _result(m, old, new, rel)
    by_rule = bool(old.rule_id) and not str(old.rule_id).startswith(BUILTIN_PREFIX) and (
        old.status == Status.BARRIER.value or old.failure == Failure.CHALLENGE_REQUIRED.value)
    if by_rule and (app_rules_known or rules.get(str(old.rule_id)) is not None):
        # the rule that concluded this verdict no longer recognises its screen
        new = Outcome(Status.FAILURE.value, old.stage, None, None, None,
                      Failure.UI_UNRECOGNIZED.value, m.access_level)
    else:
        new = old
    return _result(m, old, new, rel)


def _result(m: Measurement, old: Outcome, new: Outcome, path: str | None) -> Reclassified:
    return Reclassified(
        measurement_id=m.id, scenario_id=m.scenario_id, country=m.country,
        previous_rules_version=m.rules_version, old=old, new=new, artifact_path=path,
        changed=old.key() != new.key())


def applicable(m: Measurement) -> bool:
    if m.status in (Status.ACCESS.value, Status.BARRIER.value):
        return True
    return m.status == Status.FAILURE.value and m.failure in RECLASSIFIABLE_FAILURES


def reclassify(store: Store, scenarios: Iterable[Scenario] = (), *,
               rules: RuleSet | None = None, run_ids: Sequence[str] | None = None,
               dry_run: bool = False, force: bool = False,
               now: datetime | None = None) -> ReclassifyReport:
    """Re-run the current rules over the stored screens of past measurements.

    ``scenarios`` supplies each measurement's own rules (by scenario id); a measurement
    whose scenario is not among them is classified with the shared library alone (and its
    scenario id is listed in the report). New verdicts are written to
    ``reclassifications`` unless ``dry_run``; measurements are never modified.
    """
    base = rules or shared_rules()
    by_id = {s.id: s for s in scenarios}
    report = ReclassifyReport(rules_version=base.version)
    with store.session() as s:
        stmt = (select(Measurement)
                .options(selectinload(Measurement.steps), selectinload(Measurement.artifacts))
                .order_by(Measurement.started_at))
        if run_ids:
            stmt = stmt.where(Measurement.run_id.in_(list(run_ids)))
        measurements = list(s.scalars(stmt).all())
        done = set(s.scalars(select(Reclassification.measurement_id)
                             .where(Reclassification.rules_version == base.version)))
    for m in measurements:
        if not applicable(m):
            report.not_applicable += 1
            continue
        if not force and m.rules_version == base.version:
            report.current += 1
            continue
        if not force and m.id in done:
            report.already_done += 1
            continue
        scenario = by_id.get(m.scenario_id)
        if scenario is None:
            report.scenarios_not_found.add(m.scenario_id)
        result = reclassify_measurement(m, rules_for(scenario, base), store.artifacts,
                                        report, app_rules_known=scenario is not None)
        if result is not None:
            report.results.append(result)
    if not dry_run and report.results:
        _write(store, report, now or datetime.now(UTC))
    return report


def _write(store: Store, report: ReclassifyReport, when: datetime) -> None:
    extra = {"failure", "access_level"} & set(Reclassification.__table__.columns.keys())
    rows = [Reclassification(
        measurement_id=r.measurement_id, classified_at=when,
        rules_version=report.rules_version, previous_rules_version=r.previous_rules_version,
        status=r.new.status, stage=r.new.stage, barrier=r.new.barrier,
        rule_id=r.new.rule_id, matched_text=r.new.matched_text,
        artifact_path=r.artifact_path, changed=r.changed,
        **{k: getattr(r.new, k) for k in extra}) for r in report.results]
    for start in range(0, len(rows), 500):
        chunk = rows[start:start + 500]
        with store.session() as s, s.begin():
            s.add_all(chunk)


def load_scenario_rules(roots: Sequence[Path]) -> list[Scenario]:
    """Every scenario under ``roots`` that loads; a broken file is an error to fix first."""
    existing = [r for r in roots if r.exists()]
    return load_scenarios(existing) if existing else []


__all__ = [
    "BUILTIN_PREFIX",
    "RECLASSIFIABLE_FAILURES",
    "Outcome",
    "Reclassified",
    "ReclassifyReport",
    "applicable",
    "find_scenario",
    "load_scenario_rules",
    "read_page_source",
    "reclassify",
    "reclassify_measurement",
    "rules_for",
    "with_package",
]
