"""Reusable flows: the sign-up steps many apps share, written once, filled per app.

A flow file (``scenarios/flows/<name>.yaml``) is a list of steps with *placeholders*; a
scenario says ``extends: flows/phone_signup.yaml`` and fills them under ``with:``. A
placeholder is a whole YAML value written ``$name`` (``tap: $consent``); as a list item
of ``steps`` it splices a list of steps (``- $after_code``). It can never collide with
the runtime template variables (``{phone.national}``), which are replaced during a run:
placeholders are replaced once, when the scenario is loaded, and only in flow files (a
``with:`` value is taken literally). ``$$`` at the start of a flow value writes a
literal ``$``.

Every parameter is declared under ``params:`` with its kind (``selector``, ``text``,
``steps`` or ``number``), a description and, when it may be left out, a ``default``.
A parameter whose value is ``null`` leaves out what uses it: the step whose own value it
is (``tap: $consent``), the field it fills (``search: $picker_search``), or the spliced
list. Errors name the file and line where the fix belongs: a parameter's value in the
scenario, or the step in the flow, with the other file named beside it.
"""

from __future__ import annotations

import difflib
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.spec.steps import KIND_ALIASES, MODIFIERS, STEP_KINDS
from harness.support.errors import ConfigError, ConfigErrors, display_path
from harness.support.yamlfile import LoadedYaml, PathKey, load_yaml, validation_errors
from harness.vocabulary.outcomes import Stage

#: The folder, under a scenarios root, that holds flows (never collected as scenarios).
FLOWS_DIR = "flows"

ParamKind = Literal["selector", "text", "steps", "number"]

_PLACEHOLDER = re.compile(r"^\$([A-Za-z_][A-Za-z0-9_]*)$")
_EMBEDDED = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")

FLOW_EXAMPLE = """\
flow: phone_signup
version: 1
description: Phone sign-up with an SMS code.
params:
  consent:
    kind: selector
    default: null          # optional: a step using it is left out when not given
    description: Accepts the privacy dialog.
  home:
    kind: selector         # no default: every scenario must give it
    description: Shows once the account exists.
  after_code:
    kind: steps
    default: []
    stage: verification    # the stage of the first inserted step
    description: Profile set-up screens after the SMS code.
steps:
  - launch: {clear: true}
  - tap: $consent
    stage: signup
  - $after_code
  - wait: $home
    stage: account
"""

EXTENDS_EXAMPLE = """\
extends: flows/phone_signup.yaml
with:
  consent: [同意, 同意, Agree]
  home: [通讯录, 通訊錄, Contacts]
append:                    # optional: steps after the flow's own
  - feature: post
    steps:
      - tap: [发布, 發佈, Post]
"""


class _Omit:
    """The value of a parameter that was left out (``null``)."""

    def __repr__(self) -> str:
        return "OMIT"


OMIT = _Omit()


# --------------------------------------------------------------------------- flow files


class ParamIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: ParamKind = "selector"
    description: str = Field(min_length=1)
    default: Any = None
    stage: Stage | None = None


class FlowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    flow: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    version: int = Field(default=1, ge=1)
    description: str | None = None
    params: dict[str, ParamIn] = Field(default_factory=dict)
    steps: list[Any] = Field(min_length=1)


@dataclass(frozen=True)
class FlowParam:
    name: str
    kind: ParamKind
    description: str
    required: bool
    default: Any
    stage: Stage | None
    line: int | None


@dataclass(frozen=True)
class Flow:
    """A parsed flow file: its declared parameters and its raw steps (with placeholders)."""

    name: str
    version: int
    description: str | None
    params: dict[str, FlowParam]
    doc: LoadedYaml = field(compare=False, repr=False)

    @property
    def path(self) -> Path:
        return self.doc.path

    @property
    def where(self) -> str:
        return display_path(self.doc.path)


def is_flow_document(data: Any) -> bool:
    """True for a mapping that looks like a flow file rather than a scenario."""
    return isinstance(data, dict) and "flow" in data and "id" not in data


def placeholder_name(value: Any) -> str | None:
    if isinstance(value, str):
        m = _PLACEHOLDER.match(value)
        if m:
            return m.group(1)
    return None


def _references(items: list[Any], loc: PathKey, out: list[tuple[str, PathKey, bool]]
                ) -> None:
    """Every placeholder in a step list: (name, where, is it a whole list item)."""
    for i, item in enumerate(items):
        name = placeholder_name(item)
        if name is not None:
            out.append((name, (*loc, i), True))
        elif isinstance(item, dict):
            for k, v in item.items():
                if k == "steps" and isinstance(v, list):
                    _references(v, (*loc, i, k), out)
                else:
                    _value_refs(v, (*loc, i, k), out)


def _value_refs(value: Any, loc: PathKey, out: list[tuple[str, PathKey, bool]]) -> None:
    name = placeholder_name(value)
    if name is not None:
        out.append((name, loc, False))
    elif isinstance(value, dict):
        for k, v in value.items():
            _value_refs(v, (*loc, k), out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _value_refs(v, (*loc, i), out)


def parse_flow(doc: LoadedYaml) -> Flow:
    """Check a flow file on its own: fields, declared and used parameters agree."""
    if not isinstance(doc.data, dict):
        raise ConfigErrors([doc.error((), "a flow must be a YAML mapping",
                                      example=FLOW_EXAMPLE)])
    try:
        raw = FlowIn.model_validate(doc.data)
    except ValidationError as exc:
        raise ConfigErrors(validation_errors(
            doc, exc, {"params": FLOW_EXAMPLE, "steps": FLOW_EXAMPLE, "flow": FLOW_EXAMPLE}
        )) from None
    params, errors = _parse_params(doc, raw)
    errors.extend(_check_references(doc, raw.steps, params))
    errors.extend(_check_step_kinds(doc, raw.steps, ("steps",)))
    errors.extend(_check_embedded(doc, raw.steps, params))
    if errors:
        raise ConfigErrors(errors)
    return Flow(name=raw.flow, version=raw.version, description=raw.description,
                params=params, doc=doc)


def _parse_params(doc: LoadedYaml, raw: FlowIn) -> tuple[dict[str, FlowParam], list[ConfigError]]:
    """Build the declared parameters, checking their names, stages and defaults."""
    errors: list[ConfigError] = []
    params: dict[str, FlowParam] = {}
    raw_params = doc.data.get("params") or {}
    for name, spec in raw.params.items():
        ploc = ("params", name)
        if not re.fullmatch(r"[a-z_][a-z0-9_]*", name):
            errors.append(doc.error(ploc, f"parameter name {name!r} is not lowercase "
                                    "letters, digits and _", example=FLOW_EXAMPLE))
        given = raw_params.get(name, {})
        has_default = isinstance(given, dict) and "default" in given
        if spec.stage is not None and spec.kind != "steps":
            errors.append(doc.error((*ploc, "stage"), "only a parameter of kind steps has "
                                    "a `stage` (given to the first inserted step)"))
        if has_default and spec.default is not None:
            problem = kind_problem(spec.kind, spec.default)
            if problem:
                errors.append(doc.error((*ploc, "default"), problem))
        params[name] = FlowParam(name=name, kind=spec.kind, description=spec.description,
                                 required=not has_default, default=spec.default,
                                 stage=spec.stage, line=doc.line_of(ploc))
    return params, errors


def _check_references(doc: LoadedYaml, steps: list[Any], params: dict[str, FlowParam]
                      ) -> list[ConfigError]:
    """Check placeholders are declared and used as their kind allows; every parameter is used."""
    errors: list[ConfigError] = []
    refs: list[tuple[str, PathKey, bool]] = []
    _references(steps, ("steps",), refs)
    used = set()
    for name, loc, whole_item in refs:
        used.add(name)
        param = params.get(name)
        if param is None:
            near = difflib.get_close_matches(name, list(params), n=1)
            errors.append(doc.error(loc, f"`${name}` is not a declared parameter",
                                    f"Did you mean `${near[0]}`?" if near else
                                    f"Declare it under `params:` (or write `$${name}` for "
                                    f"a literal `${name}`)", FLOW_EXAMPLE))
        elif whole_item and param.kind != "steps":
            errors.append(doc.error(loc, f"`- ${name}` stands for a list of steps, but "
                                    f"`{name}` is of kind {param.kind}",
                                    f"Use it as a step's value (`tap: ${name}`) or declare "
                                    "it with `kind: steps`"))
        elif not whole_item and param.kind == "steps":
            errors.append(doc.error(loc, f"`${name}` is a list of steps: it can only stand "
                                    "as a whole item of a `steps` list (`- $" + name + "`)"))
    for name in params:
        if name not in used:
            errors.append(doc.error(("params", name), f"parameter `{name}` is declared but "
                                    "no step uses it", "Remove it, or use it as `$" + name
                                    + "` in a step"))
    return errors


def _check_embedded(doc: LoadedYaml, steps: list[Any], params: dict[str, FlowParam]
                    ) -> list[ConfigError]:
    """Check that no declared parameter's placeholder is embedded inside a longer text."""
    errors: list[ConfigError] = []
    for text, loc in _embedded_placeholders(steps, ("steps",)):
        names = [n for n in _EMBEDDED.findall(text) if n in params]
        if names:
            errors.append(doc.error(loc, f"`${names[0]}` inside {text!r}: a placeholder "
                                    "stands for a whole value",
                                    "Make the whole value the placeholder, or write `$$` "
                                    "for a literal `$`"))
    return errors


def _check_step_kinds(doc: LoadedYaml, items: list[Any], loc: PathKey) -> list[ConfigError]:
    """The flow's own steps name known step kinds (a mistake there is the flow's, whatever
    values the scenarios give)."""
    known = [*STEP_KINDS, *KIND_ALIASES]
    out: list[ConfigError] = []
    for i, item in enumerate(items):
        if isinstance(item, str) and placeholder_name(item) is None:
            item = {item: None}
        if not isinstance(item, dict):
            continue
        kinds = [k for k in item if k not in MODIFIERS]
        for k in kinds:
            if k not in known:
                near = difflib.get_close_matches(k, known, n=1)
                out.append(doc.error((*loc, i, k), f"unknown step kind `{k}`",
                                     (f"Did you mean `{near[0]}`? " if near else "")
                                     + "Step kinds: " + ", ".join(STEP_KINDS)))
        nested = item.get("steps")
        if isinstance(nested, list):
            out.extend(_check_step_kinds(doc, nested, (*loc, i, "steps")))
    return out


def _embedded_placeholders(value: Any, loc: PathKey) -> Iterable[tuple[str, PathKey]]:
    if isinstance(value, str):
        if placeholder_name(value) is None and not value.startswith("$$") and "$" in value:
            yield value, loc
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _embedded_placeholders(v, (*loc, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _embedded_placeholders(v, (*loc, i))


def kind_problem(kind: ParamKind, value: Any) -> str | None:
    """Why ``value`` cannot be a parameter of ``kind``, or None (details are checked later,
    where the value is used: a selector's keys, a step's fields)."""
    if kind == "selector":
        ok = (isinstance(value, str | int | float | dict) and not isinstance(value, bool)) or (
            isinstance(value, list) and all(isinstance(v, str) for v in value))
        return None if ok else "must be a selector: a text, a list of texts, or a mapping " \
                               "such as {id: submit}"
    if kind == "text":
        return None if isinstance(value, str) else "must be a text"
    if kind == "number":
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "must be a number"
    return None if isinstance(value, list) else "must be a list of steps"


_cache: dict[Path, tuple[tuple[int, int], Flow]] = {}


def load_flow(path: Path) -> Flow:
    """A flow file, parsed once per process while it is unchanged on disk."""
    key = path.resolve()
    try:
        st = os.stat(key)
    except OSError:
        return parse_flow(load_yaml(path))  # load_yaml reports the missing file
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _cache.get(key)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    flow = parse_flow(load_yaml(path))
    _cache[key] = (stamp, flow)
    return flow


def resolve_flow_path(ref: str, scenario: Path) -> tuple[Path | None, list[Path]]:
    """Where ``extends: <ref>`` points: relative to the scenario file's folder, then to
    each folder above it up to the nearest one named ``scenarios`` (the scenarios root).
    Returns the path found (or None) and every path tried."""
    p = Path(ref)
    if p.is_absolute():
        return (p if p.is_file() else None), [p]
    tried: list[Path] = []
    here = scenario.resolve().parent
    bases = [here]
    if here.name != "scenarios":
        for anc in here.parents:
            bases.append(anc)
            if anc.name == "scenarios":
                break
        else:
            bases = [here]
    for base in bases:
        cand = base / p
        tried.append(cand)
        if cand.is_file():
            return cand, tried
    return None, tried


def is_flow_path(path: Path, root: Path | None = None) -> bool:
    """A file that is part of a flow library rather than a scenario: under a ``flows``
    folder (below ``root``, or below the last ``scenarios`` folder of the path), or whose
    name starts with ``_``."""
    if path.name.startswith("_"):
        return True
    if root is not None:
        try:
            parts = path.relative_to(root).parts[:-1]
        except ValueError:
            parts = path.parts[:-1]
        if root.name == FLOWS_DIR:
            return True
    else:
        parts = path.parts[:-1]
        if "scenarios" in parts:
            idx = len(parts) - 1 - parts[::-1].index("scenarios")
            parts = parts[idx + 1:]
    return FLOWS_DIR in parts


def find_flow_files(paths: Iterable[Path]) -> list[Path]:
    """The flow files below scenario folders (for checking them on their own)."""
    out: list[Path] = []
    for p in paths:
        if not p.is_dir():
            continue
        for q in sorted(p.rglob("*.y*ml")):
            if q.suffix in (".yaml", ".yml") and is_flow_path(q, p) \
                    and not q.name.startswith("_"):
                out.append(q)
    return out


__all__ = [
    "FLOWS_DIR",
    "OMIT",
    "Flow",
    "FlowParam",
    "find_flow_files",
    "is_flow_document",
    "is_flow_path",
    "kind_problem",
    "load_flow",
    "parse_flow",
    "placeholder_name",
    "resolve_flow_path",
]
