"""Rules files (the shared library's format, and a scenario's own ``rules:``) and the app
catalog: any change parses or names its file, line and field."""

from __future__ import annotations

from pathlib import Path

from _parsing import (
    REPO,
    Mutated,
    Rejected,
    check_errors,
    damaged,
    load_seed,
    mutated,
    parse,
    parse_change,
)
from hypothesis import given
from hypothesis import strategies as st

from harness.spec.catalog import Catalog, load_catalog
from harness.verdicts.rules import RuleSet, load_ruleset

RULES = REPO / "harness" / "data" / "rules.yaml"
CATALOG = REPO / "harness" / "data" / "catalog.yaml"
#: A small rules file in the library's format: every kind of entry, few lines.
SMALL_RULES = """\
version: "t1"
concepts:
  demand_id: {description: an identity document, zh: ["身份证"], en: ["\\\\bID card\\\\b"]}
  cue: {zh: ["请", "需要"], en: ["please", "required"], scope: sentence}
  offer: {en: ["optional"]}
  country: {names: countries}
common_unless: [offer]
rules:
  - id: t.id_required
    barrier: id_verification_required
    when: [demand_id, cue]
    unless: [offer]
    roles: [dialog, toast]
    stages: [verification]
  - id: t.literal
    barrier: region_blocked
    match: ["not available in your (country|region)"]
    language: en
  - id: t.slider
    failure: challenge_required
    when: [[cue, demand_id | country]]
"""


def _rules_seed(tmp: Path) -> Path:
    path = tmp / "small.yaml"
    path.write_text(SMALL_RULES, encoding="utf-8")
    return path


@given(data=st.data())
def test_a_changed_rules_file_parses_or_names_the_change(tmp_path: Path,
                                                         data: st.DataObject) -> None:
    seed = data.draw(st.sampled_from([RULES, _rules_seed(tmp_path)]))
    change: Mutated = data.draw(mutated(load_seed(seed)))
    path = tmp_path / "rules.yaml"
    got = parse_change(load_ruleset, change, path, tmp_path)
    if got is not None:
        assert isinstance(got, RuleSet) and got.version


@given(data=st.data())
def test_a_damaged_rules_text_parses_or_names_its_file(tmp_path: Path,
                                                       data: st.DataObject) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(data.draw(damaged(SMALL_RULES)), encoding="utf-8")
    got = parse(load_ruleset, path)
    if isinstance(got, Rejected):
        check_errors(got, [path])


@given(patterns=st.lists(st.one_of(st.text(max_size=12),
                                   st.sampled_from(["(?i)x", "(?P<a>x)", "a{2,1}", "\\\\",
                                                    "[", "(?<=a+)b", "(?x) a # b", "\\\\p{L}",
                                                    "\\\\1", "(?#", "a**"])),
                         min_size=1, max_size=4),
       field=st.sampled_from(["zh", "en", "any"]))
def test_any_concept_patterns_compile_or_name_the_concept(tmp_path: Path, patterns: list[str],
                                                          field: str) -> None:
    import yaml

    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump({
        "version": "p1", "concepts": {"probe": {field: patterns}},
        "rules": [{"id": "p.probe", "barrier": "region_blocked", "when": ["probe"]}]},
        allow_unicode=True, sort_keys=False), encoding="utf-8")
    got = parse(load_ruleset, path)
    if isinstance(got, Rejected):
        check_errors(got, [path])
        assert [e.field for e in got] in (["concepts.probe"], [f"concepts.probe.{field}"]), \
            [str(e) for e in got]
    else:
        assert got.lexicon["probe"].regex.pattern


@given(data=st.data())
def test_a_changed_catalog_parses_or_names_the_change(tmp_path: Path,
                                                      data: st.DataObject) -> None:
    change: Mutated = data.draw(mutated(load_seed(CATALOG)))
    path = tmp_path / "catalog.yaml"
    got = parse_change(load_catalog, change, path, tmp_path)
    if got is not None:
        assert isinstance(got, Catalog) and len({a.id for a in got.apps}) == len(got.apps)
