"""A scenario that ``extends:`` a flow, assembled: the flow's steps with the scenario's
values in place of the placeholders, then the scenario's ``append:`` steps.

Every location in the assembled steps maps back to the file and field it came from (the
scenario's ``with:`` value, or the flow's step), so an error points at where the fix
belongs. The placeholder syntax and the flow file format are in ``harness.spec.flows``.
"""

from __future__ import annotations

import difflib
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

from harness.spec.flows import (
    EXTENDS_EXAMPLE,
    OMIT,
    Flow,
    kind_problem,
    load_flow,
    placeholder_name,
    resolve_flow_path,
)
from harness.support.errors import ConfigError, ConfigErrors, display_path
from harness.support.yamlfile import LoadedYaml, PathKey, dotted

#: A parameter's value: (the value, the document it was written in, where), or OMIT.
Values = dict[str, Any]


@dataclass(frozen=True)
class _Origin:
    doc: LoadedYaml
    loc: PathKey
    note: str | None


@dataclass
class ComposedYaml(LoadedYaml):
    """A scenario document whose steps were assembled from a flow and the scenario.

    Every location in the assembled data maps back to the file and field it came from,
    so errors and step lines point at what the author wrote.
    """

    origins: dict[PathKey, _Origin] = field(default_factory=dict)

    def _origin(self, loc: Sequence[str | int]) -> tuple[_Origin, PathKey]:
        key: PathKey = tuple(loc)
        rest: PathKey = ()
        while True:
            o = self.origins.get(key)
            if o is not None:
                return o, rest
            if not key:
                return _Origin(LoadedYaml(self.path, self.data, self.lines), (), None), rest
            rest = (key[-1], *rest)
            key = key[:-1]

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        o, rest = self._origin(loc)
        return o.doc.line_of((*o.loc, *rest))

    def where(self, loc: Sequence[str | int] = ()) -> str:
        o, rest = self._origin(loc)
        return o.doc.where((*o.loc, *rest))

    def error(self, loc: Sequence[str | int], problem: str, fix: str | None = None,
              example: str | None = None) -> ConfigError:
        o, rest = self._origin(loc)
        full = (*o.loc, *rest)
        if o.note:
            problem = problem.rstrip(".") + f" ({o.note})"
        return ConfigError(o.doc.where(full), dotted(full) or None, problem, fix, example)


class _Composer:
    def __init__(self, flow: Flow, scenario: LoadedYaml, values: dict[str, Any],
                 modifiers: Collection[str]) -> None:
        self.flow = flow
        self.scenario = scenario
        self.values = values  # name -> (value, doc, loc) or OMIT
        self.modifiers = modifiers
        self.origins: dict[PathKey, _Origin] = {}
        self.extended_by = f"in flow {flow.where}, extended by {scenario.where(('extends',))}"

    def copy(self, value: Any, doc: LoadedYaml, src: PathKey, dst: PathKey, note: str | None,
             origins: dict[PathKey, _Origin]) -> Any:
        origins[dst] = _Origin(doc, src, note)
        if isinstance(value, dict):
            return {k: self.copy(v, doc, (*src, k), (*dst, k), note, origins)
                    for k, v in value.items()}
        if isinstance(value, list):
            return [self.copy(v, doc, (*src, i), (*dst, i), note, origins)
                    for i, v in enumerate(value)]
        return value

    def param_note(self, name: str, src: PathKey) -> str:
        return f"`${name}` fills {dotted(src)} at {self.flow.doc.where(src)}"

    def subst(self, value: Any, src: PathKey, dst: PathKey,
              origins: dict[PathKey, _Origin]) -> Any:
        name = placeholder_name(value)
        if name is not None:
            got = self.values.get(name, OMIT)
            if got is OMIT:
                return OMIT
            val, doc, loc = got
            return self.copy(val, doc, loc, dst, self.param_note(name, src), origins)
        origins[dst] = _Origin(self.flow.doc, src, self.extended_by)
        if isinstance(value, str) and value.startswith("$$"):
            return value[1:]
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for k, v in value.items():
                r = self.subst(v, (*src, k), (*dst, k), origins)
                if r is not OMIT:
                    out[k] = r
            return out
        if isinstance(value, list):
            items: list[Any] = []
            for i, v in enumerate(value):
                r = self.subst(v, (*src, i), (*dst, len(items)), origins)
                if r is not OMIT:
                    items.append(r)
            return items
        return value

    def steps(self, items: list[Any], src: PathKey, dst: PathKey) -> list[Any]:
        out: list[Any] = []
        for i, item in enumerate(items):
            name = placeholder_name(item)
            if name is not None:
                out.extend(self.splice(name, (*src, i), dst, len(out)))
                continue
            local: dict[PathKey, _Origin] = {}
            here = (*dst, len(out))
            if not isinstance(item, dict):
                out.append(self.subst(item, (*src, i), here, local))
                self.origins.update(local)
                continue
            local[here] = _Origin(self.flow.doc, (*src, i), self.extended_by)
            step: dict[str, Any] = {}
            dropped = False
            for k, v in item.items():
                if k == "steps" and isinstance(v, list):
                    # a feature's nested steps may splice too
                    sub = _Composer(self.flow, self.scenario, self.values, self.modifiers)
                    step[k] = sub.steps(v, (*src, i, k), (*here, k))
                    local.update(sub.origins)
                    local[(*here, k)] = _Origin(self.flow.doc, (*src, i, k), self.extended_by)
                    continue
                r = self.subst(v, (*src, i, k), (*here, k), local)
                if r is OMIT:
                    if k not in self.modifiers:
                        dropped = True  # the step's own value was left out: so is the step
                    continue
                step[k] = r
            if not dropped:
                out.append(step)
                self.origins.update(local)
        return out

    def splice(self, name: str, src: PathKey, dst: PathKey, start: int) -> list[Any]:
        got = self.values.get(name, OMIT)
        if got is OMIT:
            return []
        val, doc, loc = got
        if not isinstance(val, list):
            return []  # kind was checked when the value was read
        note = self.param_note(name, src)
        param = self.flow.params[name]
        out = []
        for j, st in enumerate(val):
            item = self.copy(st, doc, (*loc, j), (*dst, start + j), note, self.origins)
            if j == 0 and param.stage is not None and isinstance(item, dict) \
                    and "stage" not in item:
                item["stage"] = param.stage.value
            out.append(item)
        return out


def compose(doc: LoadedYaml, flow_ref: str, given: Any, append: Any,
            modifiers: Collection[str]) -> tuple[ComposedYaml, Flow]:
    """The scenario ``doc`` with ``steps`` assembled from the flow it extends.

    ``given`` is the scenario's ``with:`` mapping and ``append`` its ``append:`` list.
    Raises ``ConfigErrors`` naming ``file:line`` in the scenario and, where relevant, in
    the flow.
    """
    flow = _extended_flow(doc, flow_ref)
    if given is None:
        given = {}
    if not isinstance(given, dict):
        raise ConfigErrors([doc.error(("with",), "must be a mapping of parameter names to "
                                      "values", example=EXTENDS_EXAMPLE)])
    values, errors = _given_values(doc, flow, given)
    defaults, missing = _default_values(doc, flow, given)
    values.update(defaults)
    errors.extend(missing)
    if append is not None and not isinstance(append, list):
        errors.append(doc.error(("append",), "must be a list of steps",
                                example=EXTENDS_EXAMPLE))
    if errors:
        raise ConfigErrors(errors)
    composer = _Composer(flow, doc, values, modifiers)
    steps = composer.steps(flow.doc.data["steps"], ("steps",), ("steps",))
    origins = composer.origins
    origins[("steps",)] = _Origin(flow.doc, ("steps",), composer.extended_by)
    for j, st in enumerate(append or []):
        steps.append(composer.copy(st, doc, ("append", j), ("steps", len(steps)), None,
                                   origins))
    data = dict(doc.data)
    data["steps"] = steps
    return ComposedYaml(path=doc.path, data=data, lines=doc.lines, origins=origins), flow


def _extended_flow(doc: LoadedYaml, flow_ref: str) -> Flow:
    """The flow ``extends:`` names, found relative to the scenario."""
    path, tried = resolve_flow_path(flow_ref, doc.path)
    if path is None:
        raise ConfigErrors([doc.error(
            ("extends",), f"flow file {flow_ref!r} not found (tried "
            + ", ".join(display_path(t) for t in tried) + ")",
            "Give the path relative to this file or to the scenarios folder, e.g. "
            "flows/phone_signup.yaml", EXTENDS_EXAMPLE)])
    return load_flow(path)


def _given_values(doc: LoadedYaml, flow: Flow, given: dict[str, Any]
                  ) -> tuple[Values, list[ConfigError]]:
    """The values the scenario gives under ``with:``, each checked against its parameter."""
    errors: list[ConfigError] = []
    values: Values = {}
    for name, value in given.items():
        loc: PathKey = ("with", name)
        param = flow.params.get(name)
        if param is None:
            near = difflib.get_close_matches(name, list(flow.params), n=1)
            hint = f"Did you mean `{near[0]}`? " if near else ""
            errors.append(doc.error(loc, f"unknown parameter `{name}` of flow {flow.where}",
                                    hint + "Its parameters: " + ", ".join(flow.params)))
            continue
        if value is None:
            if param.required:
                errors.append(doc.error(loc, f"`{name}` is required by flow {flow.where}:"
                                        f"{param.line} and cannot be null",
                                        f"Give it: {param.description}"))
            values[name] = OMIT
            continue
        problem = kind_problem(param.kind, value)
        if problem:
            errors.append(doc.error(loc, f"{problem} (parameter `{name}` of flow "
                                    f"{flow.where}:{param.line})"))
            continue
        values[name] = (value, doc, loc)
    return values, errors


def _default_values(doc: LoadedYaml, flow: Flow, given: dict[str, Any]
                    ) -> tuple[Values, list[ConfigError]]:
    """The flow's defaults for the parameters the scenario leaves out; an error for each
    required one it leaves out."""
    errors: list[ConfigError] = []
    values: Values = {}
    for name, param in flow.params.items():
        if name in given:
            continue
        if param.required:
            where: PathKey = ("with",) if ("with",) in doc.lines else ("extends",)
            errors.append(doc.error(
                (*where, name) if where == ("with",) else where,
                f"parameter `{name}` is required by flow {flow.where}:{param.line} but "
                "not given", f"Add it under `with:`: {param.description}", EXTENDS_EXAMPLE))
        elif param.default is None:
            values[name] = OMIT
        else:
            values[name] = (param.default, flow.doc, ("params", name, "default"))
    return values, errors


__all__ = ["ComposedYaml", "compose"]
