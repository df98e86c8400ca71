"""Barrier rules: data that says which prompt means which barrier.

A rule has a stable id (never reused for a different meaning), the outcome it concludes
(a ``barrier`` code, or ``failure: challenge_required`` for a routine challenge), and what
it means, in one of two forms:

- ``when``: concept combinations (see ``harness.verdicts.concepts``), any of which must
  meet in one sentence of a prompt: ``when: [[id_document, demand]]``; an entry may offer
  alternatives with ``|`` (``demand|refusal``). ``unless`` names concepts that cancel the
  match when they appear in the same sentence (an offer, a notice that a code was sent, a
  description of data collection). ``screen_needs`` names concepts that must appear
  somewhere among the screen's prompts, controls and list rows, and ``screen_unless``
  concepts that must not (an identity check on a screen about an SMS code is not a
  document check);
- ``match``: regular expressions matched on each prompt (``unless`` then holds regular
  expressions too), for a scenario's own phrasing of its app.

Rules read the screen's prompts only (``harness.verdicts.prompts``: dialogs, toasts,
titles, notices, field hints; ``roles`` widens or narrows that), and optionally only at
some stages. They are checked in order and the first match wins: a scenario's own rules,
then the shared library in ``harness/data/rules.yaml``. A match is a *candidate*: the
runner concludes a barrier only when it persists and the flow stops
(``harness.attempt.runner``). ``RULES_VERSION`` is recorded with every verdict, so old evidence
can be re-classified when the rules improve.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from harness.support.errors import ConfigError, ConfigErrors
from harness.support.yamlfile import LoadedYaml, load_yaml, validation_errors
from harness.verdicts.concepts import ConceptError, Lexicon, compile_concept, script_of
from harness.verdicts.prompts import PROMPT_ROLES, Role, TextBlock, read_prompts
from harness.verdicts.screen import Node, Screen
from harness.vocabulary.countries import country_name_patterns
from harness.vocabulary.outcomes import Barrier, Failure, Stage

RULE_EXAMPLE = """\
- id: myapp.id_card
  barrier: id_verification_required
  when: [[id_document, demand]]          # concepts of the shared library
  unless: [offer, data_use]
# or, for a phrasing only this app uses:
- id: myapp.invite_only
  barrier: friend_verification_required
  match: ["仅限邀请注册", "invitation only"]
"""

#: Failures a rule may conclude (a routine challenge is not the app refusing anyone).
RULE_FAILURES = (Failure.CHALLENGE_REQUIRED,)


class RuleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    barrier: Barrier | None = None
    failure: Failure | None = None
    when: list[list[str]] | None = None
    match: list[str] | None = None
    unless: list[str] = Field(default_factory=list)
    screen_needs: list[str] = Field(default_factory=list)
    screen_unless: list[str] = Field(default_factory=list)
    roles: list[Role] | None = None
    stages: list[Stage] | None = None
    language: str | None = None
    description: str | None = None

    @field_validator("match", "unless", "screen_needs", "screen_unless", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return [v] if isinstance(v, str) else v

    @field_validator("when", mode="before")
    @classmethod
    def _conjunctions(cls, v: Any) -> Any:
        if isinstance(v, list) and v and all(isinstance(x, str) for x in v):
            return [v]  # one conjunction written flat
        return v

    def model_post_init(self, __context: Any) -> None:
        if (self.barrier is None) == (self.failure is None):
            raise ValueError("give exactly one of `barrier` or `failure`")
        if self.failure is not None and self.failure not in RULE_FAILURES:
            raise ValueError(f"a rule may only conclude failure {RULE_FAILURES[0].value}")
        if (self.when is None) == (self.match is None):
            raise ValueError("give exactly one of `when` (concepts) or `match` (patterns)")
        if self.match is not None:
            for pattern in (*self.match, *self.unless):
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise ValueError(f"{pattern!r} is not a valid regular expression: "
                                     f"{exc}") from None


@dataclass(frozen=True)
class Rule:
    id: str
    outcome: Barrier | Failure
    #: concept rules: alternatives of conjunctions; each entry a set of alternatives
    when: tuple[tuple[frozenset[str], ...], ...] = ()
    unless: frozenset[str] = frozenset()
    screen_needs: frozenset[str] = frozenset()
    screen_unless: frozenset[str] = frozenset()
    #: pattern rules
    match: tuple[re.Pattern[str], ...] = ()
    unless_patterns: tuple[re.Pattern[str], ...] = ()
    roles: frozenset[Role] = PROMPT_ROLES
    stages: frozenset[Stage] | None = None
    language: str | None = None
    description: str | None = None
    source: str = "shared"

    @property
    def barrier(self) -> Barrier | None:
        return self.outcome if isinstance(self.outcome, Barrier) else None

    @property
    def failure(self) -> Failure | None:
        return self.outcome if isinstance(self.outcome, Failure) else None

    @property
    def concepts(self) -> frozenset[str]:
        names: set[str] = set(self.unless) | set(self.screen_needs) | set(self.screen_unless)
        for conj in self.when:
            for alts in conj:
                names |= alts
        return frozenset(names)

    def applies_at(self, stage: Stage | None) -> bool:
        return stage is None or self.stages is None or stage in self.stages


@dataclass(frozen=True)
class RuleMatch:
    """A candidate: the rule, the prompt and the sentence it read, and why it fired."""

    rule: Rule
    text: str
    role: Role = Role.NOTICE
    sentence: str = ""
    concepts: dict[str, str] = field(default_factory=dict)
    node: Node | None = None

    @property
    def language(self) -> str:
        return script_of(self.sentence or self.text)


@dataclass
class Attempted:
    """How one rule fared on one sentence: for ``harness classify --explain``."""

    rule: Rule
    block: TextBlock
    sentence: str
    found: dict[str, str]
    missing: list[str]
    cancelled_by: dict[str, str]


@dataclass(frozen=True)
class _Hits:
    """Concepts of one sentence: found anywhere in it, and clause by clause."""

    sentence: dict[str, str]
    clauses: list[dict[str, str]]
    sentence_scoped: frozenset[str]

    def keys(self) -> set[str]:
        return set(self.sentence)

    def cancellers(self, unless: frozenset[str], conj: tuple[frozenset[str], ...]
                   ) -> dict[str, str]:
        """The ``unless`` concepts that cancel a match of ``conj``: sentence-scoped ones
        anywhere in the sentence, the others in the match's anchor clause (the clause that
        holds most of the combination; a clause elsewhere in the sentence does not cancel
        it: "注册成功，请完成实名认证" still demands)."""
        def held(clause: dict[str, str]) -> int:
            return sum(1 for alts in conj if alts & clause.keys())

        anchor = max(self.clauses, key=held) if self.clauses else self.sentence
        out: dict[str, str] = {}
        for name in sorted(unless):
            if name in self.sentence_scoped and name in self.sentence:
                out[name] = self.sentence[name]
            elif name in anchor:
                out[name] = anchor[name]
        return out


class _Sentences:
    """The concept hits of every sentence of every text on one screen, computed once."""

    def __init__(self, screen: Screen, lexicon: Lexicon) -> None:
        self.blocks = read_prompts(screen)
        self.lexicon = lexicon
        self._hits: dict[tuple[int, int], _Hits] = {}
        self._screen_concepts: dict[str, str] | None = None
        self._by_role: dict[Role, set[str]] | None = None
        self._sentence_scoped = frozenset(n for n, c in lexicon.concepts.items()
                                          if c.scope == "sentence")

    def hits(self, bi: int, si: int) -> _Hits:
        key = (bi, si)
        if key not in self._hits:
            block = self.blocks[bi]
            clause_hits = [self.lexicon.hits(c) for c in block.clauses[si]]
            whole = self.lexicon.hits(block.sentences[si])
            for ch in clause_hits:  # a concept seen in a clause counts for the sentence
                for k, v in ch.items():  # (a sentence-scoped one only in the sentence:
                    if k not in self._sentence_scoped:  # "^用于" starts a sentence)
                        whole.setdefault(k, v)
            self._hits[key] = _Hits(whole, clause_hits, self._sentence_scoped)
        return self._hits[key]

    def could_fire(self, rule: Rule) -> bool:
        """Whether some conjunction of ``rule`` has each of its alternatives somewhere in
        the sentences of the roles it reads: a rule that cannot fire on any one sentence
        is not tried on each of them."""
        if self._by_role is None:
            self._by_role = {}
            for bi, block in enumerate(self.blocks):
                found = self._by_role.setdefault(block.role, set())
                for si in range(len(block.sentences)):
                    found.update(self.hits(bi, si).sentence)
        present: set[str] = set()
        for role in rule.roles:
            present |= self._by_role.get(role, set())
        return any(all(alts & present for alts in conj) for conj in rule.when)

    def screen_concepts(self) -> dict[str, str]:
        """Concepts found in any prompt, control or list row of the screen, each with the
        first text it was found in."""
        if self._screen_concepts is None:
            found: dict[str, str] = {}
            for bi, b in enumerate(self.blocks):
                if b.is_prompt or b.role in (Role.CONTROL, Role.ITEM):
                    for si in range(len(b.sentences)):
                        for name in self.hits(bi, si).sentence:
                            found.setdefault(name, b.sentences[si])
            self._screen_concepts = found
        return self._screen_concepts


def _concept_match(rule: Rule, hits: _Hits, screen: _Sentences
                   ) -> tuple[dict[str, str] | None, list[str], dict[str, str]]:
    """(the concepts that made it fire or None, what was missing, what cancelled it)."""
    best_missing: list[str] | None = None
    found = hits.sentence
    for conj in rule.when:
        missing = ["|".join(sorted(alts)) for alts in conj if not alts & found.keys()]
        if missing:
            if best_missing is None or len(missing) < len(best_missing):
                best_missing = missing
            continue
        used_names = [name for alts in conj for name in sorted(alts) if name in found]
        cancelled = hits.cancellers(rule.unless, conj)
        if cancelled:
            return None, [], cancelled
        on_screen = screen.screen_concepts()
        if rule.screen_needs and not rule.screen_needs & on_screen.keys():
            return None, ["screen: " + "|".join(sorted(rule.screen_needs))], {}
        against = sorted(rule.screen_unless & on_screen.keys())
        if against:
            return None, [], {f"screen: {name}": on_screen[name] for name in against}
        return {name: found[name] for name in used_names}, [], {}
    return None, best_missing or [], {}


@dataclass(frozen=True)
class RuleSet:
    """Rules in the order they are tried (the first match wins) and their concepts."""

    version: str
    rules: tuple[Rule, ...]
    lexicon: Lexicon = field(default_factory=lambda: Lexicon({}))
    #: Cancellers every concept rule has (a release note, a question, a bare status).
    common_unless: frozenset[str] = frozenset()

    def with_app_rules(self, app_rules: Iterable[Rule]) -> RuleSet:
        return RuleSet(self.version, (*app_rules, *self.rules), self.lexicon,
                       self.common_unless)

    def matches(self, screen: Screen, stage: Stage | None = None,
                first_only: bool = False) -> list[RuleMatch]:
        """Every rule that matches a prompt of ``screen``, in the order tried."""
        sents = _Sentences(screen, self.lexicon)
        out: list[RuleMatch] = []
        for rule in self.rules:
            if not rule.applies_at(stage):
                continue
            m = self._match_rule(rule, sents)
            if m is not None:
                out.append(m)
                if first_only:
                    break
        return out

    def classify(self, screen: Screen, stage: Stage | None = None) -> RuleMatch | None:
        """The first rule matching a prompt of ``screen``: a candidate, or None."""
        found = self.matches(screen, stage, first_only=True)
        return found[0] if found else None

    def _match_rule(self, rule: Rule, sents: _Sentences) -> RuleMatch | None:
        if not rule.match and not sents.could_fire(rule):
            return None
        for bi, block in enumerate(sents.blocks):
            if block.role not in rule.roles:
                continue
            if rule.match:
                if any(u.search(block.text) for u in rule.unless_patterns):
                    continue
                for pattern in rule.match:
                    m = pattern.search(block.text)
                    if m:
                        return RuleMatch(rule, block.text, block.role, block.text,
                                         {"pattern": m.group(0)}, block.node)
                continue
            for si, sentence in enumerate(block.sentences):
                used, _missing, _cancelled = _concept_match(rule, sents.hits(bi, si), sents)
                if used is not None:
                    return RuleMatch(rule, block.text, block.role, sentence, used, block.node)
        return None

    def explain(self, screen: Screen, stage: Stage | None = None
                ) -> tuple[list[TextBlock], list[Attempted]]:
        """Every text with its role, and for every rule the sentence that came closest
        (fired, or was cancelled, or lacked the fewest concepts)."""
        sents = _Sentences(screen, self.lexicon)
        attempts: list[Attempted] = []
        for rule in self.rules:
            if not rule.applies_at(stage) or rule.match:
                continue
            best: Attempted | None = None
            for bi, block in enumerate(sents.blocks):
                if block.role not in rule.roles:
                    continue
                for si, sentence in enumerate(block.sentences):
                    hits = sents.hits(bi, si)
                    used, missing, cancelled = _concept_match(rule, hits, sents)
                    cand = Attempted(rule, block, sentence, used or {}, missing, cancelled)
                    if used is not None:
                        best = cand
                        break
                    if best is None or _closer(cand, best):
                        best = cand
                if best is not None and not best.missing and not best.cancelled_by:
                    break
            if best is not None:
                attempts.append(best)
        return sents.blocks, attempts

    def get(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)


def _closer(a: Attempted, b: Attempted) -> bool:
    """Whether ``a`` came closer to firing than ``b``: cancelled beats missing concepts."""
    def score(x: Attempted) -> tuple[int, int]:
        return (0 if x.cancelled_by else 1, len(x.missing))
    return score(a) < score(b)


# --------------------------------------------------------------------------- loading


def _compile(raw: RuleIn, source: str, lexicon: Lexicon, doc: LoadedYaml,
             loc: Sequence[str | int], common_unless: frozenset[str] = frozenset()
             ) -> tuple[Rule | None, list[ConfigError]]:
    errors: list[ConfigError] = []
    outcome: Barrier | Failure = raw.barrier if raw.barrier is not None else \
        raw.failure  # type: ignore[assignment]
    if raw.match is not None:
        flags = re.IGNORECASE | re.DOTALL
        return Rule(id=raw.id, outcome=outcome,
                    match=tuple(re.compile(p, flags) for p in raw.match),
                    unless_patterns=tuple(re.compile(p, flags) for p in raw.unless),
                    roles=frozenset(raw.roles) if raw.roles else PROMPT_ROLES,
                    stages=frozenset(raw.stages) if raw.stages else None,
                    language=raw.language, description=raw.description,
                    source=source), []
    assert raw.when is not None
    when: list[tuple[frozenset[str], ...]] = []
    for ci, conj in enumerate(raw.when):
        entries = []
        for ei, entry in enumerate(conj):
            alts = frozenset(a.strip() for a in entry.split("|") if a.strip())
            for a in sorted(alts):
                if a not in lexicon:
                    errors.append(doc.error((*loc, "when", ci, ei),
                                            f"unknown concept {a!r}",
                                            "Use a concept of the shared library "
                                            "(harness concepts lists them) or define it under "
                                            "`concepts:`"))
            entries.append(alts)
        if not entries:
            errors.append(doc.error((*loc, "when", ci), "an empty combination"))
        when.append(tuple(entries))
    for key, names in (("unless", raw.unless), ("screen_needs", raw.screen_needs),
                       ("screen_unless", raw.screen_unless)):
        for i, name in enumerate(names):
            if name not in lexicon:
                errors.append(doc.error((*loc, key, i), f"unknown concept {name!r}",
                                        "Name a concept of the library, or use `match:` "
                                        "with regular expressions instead of `when:`"))
    if errors:
        return None, errors
    return Rule(id=raw.id, outcome=outcome, when=tuple(when),
                unless=frozenset(raw.unless) | common_unless,
                screen_needs=frozenset(raw.screen_needs),
                screen_unless=frozenset(raw.screen_unless),
                roles=frozenset(raw.roles) if raw.roles else PROMPT_ROLES,
                stages=frozenset(raw.stages) if raw.stages else None,
                language=raw.language, description=raw.description, source=source), []


def parse_rules(doc: LoadedYaml, items: Any, base: Sequence[str | int], source: str,
                lexicon: Lexicon | None = None,
                common_unless: frozenset[str] | None = None) -> list[Rule]:
    """Rules from a YAML list at ``base`` inside ``doc``; errors name file:line and field.

    Concept names are resolved against ``lexicon`` and every concept rule also has the
    ``common_unless`` cancellers (both the shared library's by default).
    """
    if items is None:
        return []
    if not isinstance(items, list):
        raise ConfigErrors([doc.error(base, "must be a list of rules", example=RULE_EXAMPLE)])
    shared = shared_rules() if lexicon is None or common_unless is None else None
    lex = lexicon if lexicon is not None else shared.lexicon  # type: ignore[union-attr]
    common = common_unless if common_unless is not None else \
        shared.common_unless  # type: ignore[union-attr]
    rules: list[Rule] = []
    errors: list[ConfigError] = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        try:
            raw = RuleIn.model_validate(item)
        except ValidationError as exc:
            errors.extend(validation_errors(doc, exc, {"match": RULE_EXAMPLE,
                                                        "when": RULE_EXAMPLE,
                                                        "barrier": RULE_EXAMPLE},
                                            base=(*base, i)))
            continue
        if raw.id in seen:
            errors.append(doc.error((*base, i, "id"), f"rule id {raw.id!r} is used twice",
                                    "Give every rule a unique, stable id"))
        seen.add(raw.id)
        rule, errs = _compile(raw, source, lex, doc, (*base, i), common)
        errors.extend(errs)
        if rule is not None:
            rules.append(rule)
    if errors:
        raise ConfigErrors(errors)
    return rules


#: Name lists a concept may include (``names: countries``): every country's names in
#: English and in Chinese, from harness/data/country_names.csv.
NAME_LISTS: dict[str, Callable[[], tuple[str, ...]]] = {"countries": country_name_patterns}


def parse_lexicon(doc: LoadedYaml, items: Any, base: Sequence[str | int]) -> Lexicon:
    if items is None:
        return Lexicon({})
    if not isinstance(items, dict):
        raise ConfigErrors([doc.error(base, "must be a mapping of concept names")])
    concepts = {}
    errors: list[ConfigError] = []
    for name, spec in items.items():
        loc = (*base, name)
        if not isinstance(spec, dict):
            errors.append(doc.error(loc, "a concept is a mapping with `zh:` and/or `en:` "
                                         "lists of patterns"))
            continue
        unknown = set(spec) - {"description", "zh", "en", "any", "scope", "names"}
        if unknown:
            errors.append(doc.error(loc, f"unknown key(s) {sorted(unknown)}",
                                    "A concept has description, zh, en, any, names and scope"))
            continue
        lists = [k for k in ("zh", "en", "any") if spec.get(k) is not None and not (
            isinstance(spec[k], list) and all(isinstance(x, str) for x in spec[k]))]
        if lists:
            errors.append(doc.error((*loc, lists[0]), "must be a list of patterns (text)",
                                    example=f"{name}:\n  {lists[0]}: [\"pattern\"]"))
            continue
        names = spec.get("names")
        if names is not None and (not isinstance(names, str) or names not in NAME_LISTS):
            errors.append(doc.error((*loc, "names"), f"unknown name list {names!r}",
                                    f"Use one of {sorted(NAME_LISTS)}"))
            continue
        try:
            concepts[str(name)] = compile_concept(
                str(name), str(spec.get("description") or ""), spec.get("zh") or [],
                spec.get("en") or [],
                [*(spec.get("any") or []), *(NAME_LISTS[names]() if names else ())],
                str(spec.get("scope") or "clause"))
        except ConceptError as exc:
            errors.append(doc.error(loc, str(exc)))
    if errors:
        raise ConfigErrors(errors)
    return Lexicon(concepts)


def load_ruleset(path: Path) -> RuleSet:
    doc = load_yaml(path)
    if not isinstance(doc.data, dict) or "version" not in doc.data:
        raise ConfigErrors([doc.error((), "a rules file needs `version:`, `concepts:` and "
                                          "`rules:`")])
    lexicon = parse_lexicon(doc, doc.data.get("concepts"), ("concepts",))
    raw_common = doc.data.get("common_unless") or []
    if not isinstance(raw_common, list) or not all(isinstance(c, str) for c in raw_common):
        raise ConfigErrors([doc.error(("common_unless",), "must be a list of concept names")])
    unknown = [c for c in raw_common if c not in lexicon]
    if unknown:
        raise ConfigErrors([doc.error(("common_unless",), f"unknown concept {unknown[0]!r}")])
    common = frozenset(raw_common)
    rules = parse_rules(doc, doc.data.get("rules"), ("rules",), "shared", lexicon, common)
    return RuleSet(str(doc.data["version"]), tuple(rules), lexicon, common)


@cache
def shared_rules() -> RuleSet:
    """The shared library shipped with the package."""
    path = Path(str(resources.files("harness.data").joinpath("rules.yaml")))
    return load_ruleset(path)


def rules_version() -> str:
    return shared_rules().version
