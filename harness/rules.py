"""Barrier rules: data that says which screen means which barrier.

A rule has a stable id (never reused for a different meaning), the barrier it concludes,
regular expressions that match the app's visible text node by node (``match``: any of
them; ``unless``: none of them in the same node, e.g. to skip privacy-policy boilerplate
that names an ID card), and optionally the stages where it applies. Rules are checked in
order and the first match wins: a scenario's own rules, then the shared library in
``harness/data/rules.yaml``. ``RULES_VERSION`` is recorded with every verdict, so old
evidence can be re-classified when the rules improve.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.errors import ConfigError, ConfigErrors
from harness.outcomes import Barrier, Stage
from harness.screen import Screen
from harness.yamlfile import LoadedYaml, load_yaml, validation_errors

RULE_EXAMPLE = """\
- id: myapp.id_card
  barrier: id_verification_required
  match: ["请完成实名认证", "verify your identity"]
"""


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    barrier: Barrier
    match: list[str] = Field(min_length=1)
    unless: list[str] = Field(default_factory=list)
    stages: list[Stage] | None = None
    language: str | None = None
    description: str | None = None

    @field_validator("match", "unless", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("match", "unless")
    @classmethod
    def _compiles(cls, v: list[str]) -> list[str]:
        for pattern in v:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}"
                                 ) from None
        return v


@dataclass(frozen=True)
class Rule:
    id: str
    barrier: Barrier
    match: tuple[re.Pattern[str], ...]
    unless: tuple[re.Pattern[str], ...] = ()
    stages: frozenset[Stage] | None = None
    language: str | None = None
    description: str | None = None
    source: str = "shared"

    def applies_at(self, stage: Stage) -> bool:
        return self.stages is None or stage in self.stages

    def match_text(self, text: str) -> str | None:
        """The matched excerpt of ``text``, or None."""
        if any(u.search(text) for u in self.unless):
            return None
        for pattern in self.match:
            m = pattern.search(text)
            if m:
                return text
        return None


@dataclass(frozen=True)
class RuleMatch:
    rule: Rule
    text: str


def _compile(raw: RuleIn, source: str) -> Rule:
    flags = re.IGNORECASE | re.DOTALL
    return Rule(
        id=raw.id,
        barrier=raw.barrier,
        match=tuple(re.compile(p, flags) for p in raw.match),
        unless=tuple(re.compile(p, flags) for p in raw.unless),
        stages=frozenset(raw.stages) if raw.stages else None,
        language=raw.language,
        description=raw.description,
        source=source,
    )


def parse_rules(doc: LoadedYaml, items: Any, base: Sequence[str | int], source: str
                ) -> list[Rule]:
    """Rules from a YAML list at ``base`` inside ``doc``; errors name file:line and field."""
    if items is None:
        return []
    if not isinstance(items, list):
        raise ConfigErrors([doc.error(base, "must be a list of rules", example=RULE_EXAMPLE)])
    rules: list[Rule] = []
    errors: list[ConfigError] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        try:
            raw = RuleIn.model_validate(item)
        except ValidationError as exc:
            errors.extend(validation_errors(doc, exc, {"match": RULE_EXAMPLE,
                                                        "barrier": RULE_EXAMPLE},
                                            base=(*base, i)))
            continue
        if raw.id in seen:
            errors.append(doc.error((*base, i, "id"), f"rule id {raw.id!r} is used twice",
                                    "Give every rule a unique, stable id"))
        seen.add(raw.id)
        rules.append(_compile(raw, source))
    if errors:
        raise ConfigErrors(errors)
    return rules


@dataclass(frozen=True)
class RuleSet:
    """Rules in the order they are tried; the first match wins."""

    version: str
    rules: tuple[Rule, ...]

    def with_app_rules(self, app_rules: Iterable[Rule]) -> RuleSet:
        return RuleSet(self.version, (*app_rules, *self.rules))

    def classify(self, screen: Screen, stage: Stage | None = None) -> RuleMatch | None:
        """The first rule matching any of the app's visible texts on ``screen``."""
        texts = screen.texts
        for rule in self.rules:
            if stage is not None and not rule.applies_at(stage):
                continue
            for text in texts:
                if rule.match_text(text):
                    return RuleMatch(rule, text)
        return None

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def load_ruleset(path: Path) -> RuleSet:
    doc = load_yaml(path)
    if not isinstance(doc.data, dict) or "version" not in doc.data:
        raise ConfigErrors([doc.error((), "a rules file needs `version:` and `rules:`")])
    rules = parse_rules(doc, doc.data.get("rules"), ("rules",), "shared")
    return RuleSet(str(doc.data["version"]), tuple(rules))


@cache
def shared_rules() -> RuleSet:
    """The shared library shipped with the package."""
    path = Path(str(resources.files("harness.data").joinpath("rules.yaml")))
    return load_ruleset(path)


def rules_version() -> str:
    return shared_rules().version
