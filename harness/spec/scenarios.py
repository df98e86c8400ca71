"""Scenarios: one YAML file per app, describing how a person signs up.

Two layers. The parse layer accepts the short forms people write (``tap: "Agree"``,
``tap: {text: ["同意", "Agree"]}``, ``- launch``) and checks every field, reporting
``file:line``, the field and a correct example. It produces a frozen ``Scenario`` whose
steps are small immutable dataclasses the runner executes. See docs/scenarios.md.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.spec.compose import compose
from harness.spec.flows import (
    EXTENDS_EXAMPLE,
    find_flow_files,
    is_flow_document,
    is_flow_path,
    load_flow,
)
from harness.spec.selectors import Selector, parse_selector
from harness.spec.steps import (
    DEFAULT_OTP_PATTERN,
    KIND_ALIASES,
    MODIFIERS,
    STEP_KINDS,
    ChooseCallingCode,
    EnterOtp,
    Feature,
    Input,
    Launch,
    RequestOtp,
    Step,
    Tap,
    Wait,
)
from harness.spec.templates import VARIABLES, unknown_variables
from harness.support.errors import ConfigError, ConfigErrors, display_path
from harness.support.yamlfile import LoadedYaml, dotted, load_many, load_yaml, validation_errors
from harness.verdicts.rules import Rule, parse_rules
from harness.vocabulary.outcomes import Backend, Stage

DEFAULT_TIMEOUT = 15.0
DEFAULT_OTP_TIMEOUT = 90.0

SCENARIO_EXAMPLE = """\
id: demo-openchat
version: 1
app:
  name: OpenChat
  android_package: org.harnessdemo.openchat
steps:
  - launch: {clear: true}
  - tap: {text: ["同意", "同意", "Agree"]}
    stage: signup
  - choose_calling_code: {open: {id: country_code}, search: {id: country_search}}
  - input: {into: {id: phone_input}, text: "{phone.national}"}
  - request_otp: {tap: {id: get_code}}
  - enter_otp: {into: {id: code_input}}
  - wait: "Welcome"
    stage: account
"""

STEP_EXAMPLES: dict[str, str] = {
    "launch": "- launch: {clear: true}      # clear: reset the app's data first",
    "tap": '- tap: {text: ["同意", "同意", "Agree"]}\n- tap: {id: submit}',
    "input": '- input: {into: {id: phone_input}, text: "{phone.national}"}',
    "wait": '- wait: "Welcome"           # alias: expect',
    "choose_calling_code": "- choose_calling_code:\n    open: {id: country_code}\n"
                           "    search: {id: country_search}\n    list: {id: country_list}",
    "request_otp": "- request_otp: {tap: {text: [获取验证码, 獲取驗證碼, Get code]}}",
    "enter_otp": "- enter_otp: {into: {id: code_input}, timeout: 90}",
    "feature": "- feature: post\n  steps:\n    - tap: {id: compose}\n    - expect: Posted",
}

_DEFAULT_STAGE = {
    "launch": Stage.LAUNCH,
    "choose_calling_code": Stage.PHONE,
    "request_otp": Stage.OTP,
    "enter_otp": Stage.OTP,
    "feature": Stage.FEATURES,
}

# --------------------------------------------------------------------------- domain


@dataclass(frozen=True)
class FlowRef:
    """The flow a scenario extends (``extends:``)."""

    name: str
    version: int
    source: Path


@dataclass(frozen=True)
class App:
    name: str
    android_package: str
    developer: str | None = None
    apple_id: int | None = None
    bundle_id: str | None = None
    demo: bool = False
    category: str | None = None


@dataclass(frozen=True)
class Scenario:
    id: str
    version: int
    app: App
    steps: tuple[Step, ...]
    rules: tuple[Rule, ...]
    source: Path
    verified: bool = False
    flow: FlowRef | None = None

    @property
    def name(self) -> str:
        return display_path(self.source)

    def all_steps(self) -> list[Step]:
        out: list[Step] = []
        for s in self.steps:
            out.append(s)
            if isinstance(s, Feature):
                out.extend(s.steps)
        return out


# --------------------------------------------------------------------------- parse layer


class AppIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1)
    android_package: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")
    developer: str | None = None
    apple_id: int | None = None
    bundle_id: str | None = None
    category: str | None = None
    demo: bool = False


class DefaultsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    timeout: float = Field(default=DEFAULT_TIMEOUT, gt=0, le=600)


class ScenarioIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    version: int = Field(default=1, ge=1)
    verified: bool = False
    app: AppIn
    defaults: DefaultsIn = Field(default_factory=DefaultsIn)
    rules: list[Any] | None = None
    steps: list[Any] | None = Field(default=None, min_length=1)
    extends: str | None = Field(default=None, min_length=1)
    with_: dict[str, Any] | None = Field(default=None, alias="with")
    append: list[Any] | None = None


class _StepParser:
    """Turns the raw ``steps:`` list into domain steps, collecting every error."""

    def __init__(self, doc: LoadedYaml, default_timeout: float) -> None:
        self.doc = doc
        self.default_timeout = default_timeout
        self.errors: list[ConfigError] = []

    def err(self, loc: Sequence[str | int], problem: str, fix: str | None = None,
            example: str | None = None) -> None:
        self.errors.append(self.doc.error(loc, problem, fix, example))

    def selector(self, value: Any, loc: Sequence[str | int]) -> Selector | None:
        """The selector written at ``loc``, or None once its errors are reported."""
        return parse_selector(value, loc, self.err, self.template)

    def flag(self, src: dict[str, Any], key: str, default: bool,
             loc: Sequence[str | int]) -> bool:
        """A true/false field; anything else (including the string "false") is an error."""
        value = src.get(key, default)
        if isinstance(value, bool):
            return value
        self.err((*loc, key), f"{value!r} is not true or false",
                 "Write true or false without quotes")
        return default

    def template(self, text: str, loc: Sequence[str | int]) -> None:
        bad = unknown_variables(text)
        if bad:
            self.err(loc, f"unknown template variable {{{bad[0]}}}",
                     "Known variables: " + ", ".join("{" + v + "}" for v in VARIABLES)
                     + "; write {{ and }} for literal braces")

    def steps(self, items: list[Any], loc: Sequence[str | int], inherited: Stage,
              in_feature: bool = False) -> tuple[list[Step], Stage]:
        out: list[Step] = []
        stage = inherited
        for i, raw in enumerate(items):
            step = self.step(raw, (*loc, i), stage, in_feature)
            if step is not None:
                out.append(step)
                stage = step.stage
        return out, stage

    def step(self, raw: Any, loc: Sequence[str | int], stage: Stage, in_feature: bool
             ) -> Step | None:
        if isinstance(raw, str):
            raw = {raw: None}
        if not isinstance(raw, dict):
            self.err(loc, "a step must be a mapping such as `- tap: \"Agree\"`",
                     example=SCENARIO_EXAMPLE)
            return None
        written = self._kind(raw, loc)
        if written is None:
            return None
        kind = KIND_ALIASES.get(written, written)
        if "steps" in raw and kind != "feature":
            self.err((*loc, "steps"), "only a `feature` step has nested `steps`")
        value = raw[written]
        vloc = (*loc, written)
        # common modifiers
        stage = self._stage(raw, kind, loc, stage, in_feature)
        timeout = self._timeout(raw, value, kind, loc)
        optional = self.flag(raw, "optional", False, loc)
        name = str(raw.get("name") or written)
        common = {"stage": stage, "timeout": timeout, "optional": optional,
                  "line": self.doc.line_of(loc), "name": name, "origin": self.doc.where(loc)}
        return self._build(kind, value, vloc, loc, raw, common)

    def _kind(self, raw: dict[str, Any], loc: Sequence[str | int]) -> str | None:
        """The step's kind as written (a kind or an alias), or None once its error is reported."""
        kinds = [k for k in raw if k not in MODIFIERS]
        if len(kinds) != 1:
            if not kinds:
                problem = "has no step kind"
            else:
                problem = f"has {len(kinds)} step kinds ({', '.join(kinds)}); one per list item"
            self.err(loc, problem, "Step kinds: " + ", ".join(STEP_KINDS))
            return None
        written = kinds[0]
        kind = KIND_ALIASES.get(written, written)
        if kind not in STEP_KINDS:
            near = difflib.get_close_matches(written, [*STEP_KINDS, *KIND_ALIASES], n=1)
            hint = f"Did you mean `{near[0]}`?" if near else None
            self.err((*loc, written), f"unknown step kind `{written}`",
                     (hint + " " if hint else "") + "Step kinds: " + ", ".join(STEP_KINDS),
                     SCENARIO_EXAMPLE)
            return None
        return written

    def _stage(self, raw: dict[str, Any], kind: str, loc: Sequence[str | int], stage: Stage,
               in_feature: bool) -> Stage:
        """The step's stage: its ``stage:``, else its kind's default, else the inherited one."""
        stage_v = raw.get("stage")
        if stage_v is not None:
            try:
                return Stage(stage_v)
            except ValueError:
                self.err((*loc, "stage"), f"{stage_v!r} is not a stage",
                         "Use one of " + ", ".join(s.value for s in Stage))
                return stage
        if kind in _DEFAULT_STAGE and not in_feature:
            return _DEFAULT_STAGE[kind]
        return stage

    def _timeout(self, raw: dict[str, Any], value: Any, kind: str,
                 loc: Sequence[str | int]) -> float:
        """The step's timeout: a ``timeout:`` beside its kind or in its value, else the default."""
        timeout = self.default_timeout
        if kind == "enter_otp":
            timeout = max(timeout, DEFAULT_OTP_TIMEOUT)
        for src in (raw, value if isinstance(value, dict) else {}):
            if "timeout" in src:
                t = src["timeout"]
                if isinstance(t, int | float) and not isinstance(t, bool) and 0 < t <= 3600:
                    timeout = float(t)
                else:
                    self.err((*loc, "timeout"), f"{t!r} is not a number of seconds in (0, 3600]")
        return timeout

    def _fields(self, value: Any, vloc: Sequence[str | int], allowed: Iterable[str],
                kind: str) -> dict[str, Any] | None:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            self.err(vloc, "must be a mapping", example=STEP_EXAMPLES[kind])
            return None
        extra = [k for k in value if k not in allowed and k != "timeout"]
        for k in extra:
            near = difflib.get_close_matches(k, list(allowed), n=1)
            self.err((*vloc, k), f"unknown field `{k}` for {kind}",
                     f"Did you mean `{near[0]}`?" if near else
                     "Fields: " + ", ".join(allowed), STEP_EXAMPLES[kind])
        return value

    def _build(self, kind: str, value: Any, vloc: Sequence[str | int],
               loc: Sequence[str | int], raw: dict[str, Any], common: dict[str, Any]
               ) -> Step | None:
        """Build one step of ``kind`` from its value, or None once its errors are reported."""
        if kind == "launch":
            f = self._fields(value, vloc, ("clear",), kind)
            if f is None:
                return None
            return Launch(**common, clear=self.flag(f, "clear", False, vloc))
        if kind in ("tap", "wait"):
            sel = self.selector(value, vloc)
            if sel is None:
                return None
            return Tap(**common, target=sel) if kind == "tap" else Wait(**common, target=sel)
        if kind == "input":
            return self._build_input(value, vloc, common)
        if kind == "choose_calling_code":
            return self._build_calling_code(value, vloc, common)
        if kind == "request_otp":
            target = value.get("tap") if isinstance(value, dict) and "tap" in value else value
            if isinstance(value, dict) and "tap" in value:
                self._fields(value, vloc, ("tap",), kind)
            sel = self.selector(target, (*vloc, "tap") if target is not value else vloc)
            return RequestOtp(**common, target=sel) if sel else None
        if kind == "enter_otp":
            return self._build_enter_otp(value, vloc, common)
        return self._build_feature(value, vloc, loc, raw, common)

    def _build_input(self, value: Any, vloc: Sequence[str | int], common: dict[str, Any]
                     ) -> Step | None:
        """Build an `input` step: its `into` selector, `text` template and `clear` flag."""
        f = self._fields(value, vloc, ("into", "text", "clear"), "input")
        if f is None:
            return None
        if "into" not in f or "text" not in f:
            self.err(vloc, "needs `into` (a selector) and `text`", example=STEP_EXAMPLES["input"])
            return None
        sel = self.selector(f["into"], (*vloc, "into"))
        text = str(f["text"])
        self.template(text, (*vloc, "text"))
        if sel is None:
            return None
        return Input(**common, target=sel, text=text,
                     clear=self.flag(f, "clear", True, vloc))

    def _build_calling_code(self, value: Any, vloc: Sequence[str | int],
                            common: dict[str, Any]) -> Step | None:
        """Build a `choose_calling_code` step: its picker selectors and entry/search texts."""
        f = self._fields(value, vloc, ("open", "search", "list", "entry", "search_text"),
                         "choose_calling_code")
        if f is None:
            return None
        sels: dict[str, Selector | None] = {}
        for key in ("open", "search", "list"):
            sels[key] = self.selector(f[key], (*vloc, key)) if f.get(key) else None
        if not any(f.get(key) for key in ("open", "search", "list")):
            self.err(vloc, "needs at least one of `open`, `search`, `list`",
                     example=STEP_EXAMPLES["choose_calling_code"])
            return None
        if not (sels["open"] or sels["search"] or sels["list"]):
            return None  # the selectors' own errors were reported
        entry = str(f.get("entry", "+{phone.calling_code}"))
        search_text = str(f.get("search_text", "{phone.calling_code}"))
        self.template(entry, (*vloc, "entry"))
        self.template(search_text, (*vloc, "search_text"))
        return ChooseCallingCode(**common, open=sels["open"], search=sels["search"],
                                 list=sels["list"], entry=entry, search_text=search_text)

    def _build_enter_otp(self, value: Any, vloc: Sequence[str | int], common: dict[str, Any]
                         ) -> Step | None:
        """Build an `enter_otp` step: its selector (bare or under `into`) and code pattern."""
        if isinstance(value, dict) and "into" in value:
            f = self._fields(value, vloc, ("into", "pattern"), "enter_otp") or {}
            target = f.get("into")
            tloc: tuple[str | int, ...] = (*vloc, "into")
        else:
            f, target, tloc = {}, value, tuple(vloc)
        pattern = str(f.get("pattern", DEFAULT_OTP_PATTERN))
        try:
            if re.compile(pattern).groups < 1:
                self.err((*vloc, "pattern"), "the pattern needs one capture group "
                         "around the code", example=r'pattern: "code is (\d{6})"')
        except re.error as exc:
            self.err((*vloc, "pattern"), f"not a valid regular expression: {exc}")
        sel = self.selector(target, tloc)
        return EnterOtp(**common, target=sel, pattern=pattern) if sel else None

    def _build_feature(self, value: Any, vloc: Sequence[str | int], loc: Sequence[str | int],
                       raw: dict[str, Any], common: dict[str, Any]) -> Step | None:
        """Build a `feature` step: its name and its non-empty list of nested steps."""
        if not isinstance(value, str) or not value.strip():
            self.err(vloc, "needs the feature's name, e.g. `feature: post`",
                     example=STEP_EXAMPLES["feature"])
            return None
        nested = raw.get("steps")
        if not isinstance(nested, list) or not nested:
            self.err((*loc, "steps"), "a feature needs a non-empty `steps:` list",
                     example=STEP_EXAMPLES["feature"])
            return None
        inner, _ = self.steps(nested, (*loc, "steps"), common["stage"], in_feature=True)
        return Feature(**common, feature=value.strip(), steps=tuple(inner))


def _compose(doc: LoadedYaml, raw: ScenarioIn) -> tuple[LoadedYaml, list[Any], FlowRef | None]:
    """The document the steps are read from and the raw steps: the scenario's own, or
    those of the flow it extends filled with its ``with:`` values (see harness/spec/flows.py)."""
    if raw.extends is None:
        errors = []
        for key in ("with", "append"):
            if key in doc.data:
                errors.append(doc.error((key,), f"`{key}:` only goes with `extends:`",
                                        "Add `extends: flows/<flow>.yaml`, or write the "
                                        "steps under `steps:`", EXTENDS_EXAMPLE))
        if raw.steps is None:
            errors.append(doc.error(("steps",), "is required but missing",
                                    "Write the steps, or extend a flow with `extends:`",
                                    SCENARIO_EXAMPLE))
        if errors:
            raise ConfigErrors(errors)
        assert raw.steps is not None
        return doc, raw.steps, None
    if raw.steps is not None:
        raise ConfigErrors([doc.error(
            ("steps",), "a scenario that extends a flow takes no `steps:`",
            "Fill the flow's parameters under `with:` (its step lists too) and add steps "
            "after the flow's with `append:`", EXTENDS_EXAMPLE)])
    composed, flow = compose(doc, raw.extends, doc.data.get("with"), doc.data.get("append"),
                             MODIFIERS)
    return composed, composed.data["steps"], FlowRef(flow.name, flow.version, flow.path)


def _validated(doc: LoadedYaml) -> ScenarioIn:
    """The scenario document checked field by field (a flow document is refused)."""
    if not isinstance(doc.data, dict):
        raise ConfigErrors([doc.error((), "a scenario must be a YAML mapping",
                                      example=SCENARIO_EXAMPLE)])
    if is_flow_document(doc.data):
        raise ConfigErrors([doc.error(
            ("flow",), "this is a flow, not a scenario",
            "Scenarios use it with `extends:`; keep flows in a `flows/` folder (or name the "
            "file with a leading _) so they are not collected as scenarios",
            EXTENDS_EXAMPLE)])
    try:
        return ScenarioIn.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigErrors(validation_errors(
            doc, exc, {"app": SCENARIO_EXAMPLE, "steps": SCENARIO_EXAMPLE,
                       "extends": EXTENDS_EXAMPLE, "with": EXTENDS_EXAMPLE,
                       "append": EXTENDS_EXAMPLE,
                       "id": "id: demo-openchat   # lowercase letters, digits, - and _"}
        )) from None


def _sequence_problems(steps_doc: LoadedYaml, steps: list[Step]) -> list[ConfigError]:
    """What the step sequence as a whole lacks: a launch, a step of stage ``account``."""
    problems: list[ConfigError] = []
    if steps and not any(isinstance(s, Launch) for s in steps):
        problems.append(steps_doc.error(("steps",), "the steps never launch the app",
                                        "Start with `- launch: {clear: true}`"))
    if steps and not any(s.stage is Stage.ACCOUNT and not s.optional for s in steps):
        problems.append(steps_doc.error(
            ("steps",), "no step of stage `account`: access can only be reported once a "
            "step shows that the account exists",
            "End sign-up with a step that waits for something only a signed-in user sees "
            "(a tab of the signed-in home, the new account's name), with `stage: account`",
            '- wait: {text: ["通讯录", "通訊錄", "Contacts"]}\n  stage: account'))
    return problems


def parse_scenario(doc: LoadedYaml) -> Scenario:
    raw = _validated(doc)
    steps_doc, raw_steps, flow = _compose(doc, raw)
    parser = _StepParser(steps_doc, raw.defaults.timeout)
    steps, _ = parser.steps(raw_steps, ("steps",), Stage.LAUNCH)
    errors = list(parser.errors)
    rules: list[Rule] = []
    try:
        rules = parse_rules(doc, raw.rules, ("rules",), f"scenario:{raw.id}")
    except ConfigErrors as exc:
        errors.extend(exc.errors)
    errors.extend(_sequence_problems(steps_doc, steps))
    if errors:
        raise ConfigErrors(errors)
    app = raw.app
    return Scenario(
        id=raw.id,
        version=raw.version,
        verified=raw.verified,
        app=App(name=app.name, android_package=app.android_package, developer=app.developer,
                apple_id=app.apple_id, bundle_id=app.bundle_id, demo=app.demo,
                category=app.category),
        steps=tuple(steps),
        rules=tuple(rules),
        source=doc.path,
        flow=flow,
    )


def load_scenario(path: Path) -> Scenario:
    return parse_scenario(load_yaml(path))


def find_scenario_files(paths: Iterable[Path]) -> list[Path]:
    """Scenario files: the files given, and every ``*.yaml`` / ``*.yml`` below the folders
    given, except flows (files under a ``flows/`` folder) and files named ``_*``."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(q for q in p.rglob("*.y*ml")
                              if q.suffix in (".yaml", ".yml") and not is_flow_path(q, p)))
        elif p.exists():
            out.append(p)
        else:
            raise ConfigError(display_path(p), None, "no such file or directory")
    return out


def load_scenarios(paths: Iterable[Path]) -> list[Scenario]:
    """Every scenario under ``paths``; all errors from all files reported together.

    Flow files below the folders are checked on their own as well, and an error in a flow
    that several scenarios extend is reported once.
    """
    paths = list(paths)
    errors: list[ConfigError] = []
    for flow_path in find_flow_files(paths):
        try:
            load_flow(flow_path)
        except ConfigErrors as exc:
            errors.extend(exc.errors)
        except ConfigError as exc:
            errors.append(exc)
    scenarios: list[Scenario] = []
    try:
        scenarios = load_many(find_scenario_files(paths), load_scenario,
                              lambda s: (s.id, s.source), "scenario")
    except ConfigErrors as exc:
        errors.extend(exc.errors)
    if errors:
        unique: dict[str, ConfigError] = {}
        for e in errors:
            unique.setdefault(str(e), e)
        raise ConfigErrors(list(unique.values()))
    return scenarios


def for_backend(scenarios: Sequence[Scenario], backend: Backend
                ) -> tuple[list[Scenario], list[str]]:
    """The scenarios a run on ``backend`` measures, and the ids it leaves out: the
    simulator's demo apps (``demo: true``) run only on the simulator, since a real device
    never has them installed."""
    if backend is Backend.SIM:
        return list(scenarios), []
    return ([s for s in scenarios if not s.app.demo], [s.id for s in scenarios if s.app.demo])


__all__ = [
    "App", "ChooseCallingCode", "EnterOtp", "Feature", "FlowRef", "Input", "Launch",
    "RequestOtp", "Scenario", "Step", "Tap", "Wait", "dotted", "find_scenario_files", "for_backend",
    "load_scenario", "load_scenarios", "parse_scenario",
]
