"""Scenarios and flows: any change to a real file parses or names its file, line and field."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from _parsing import (
    REPO,
    Mutated,
    Rejected,
    check_errors,
    damaged,
    line_of,
    load_seed,
    mutated,
    names_place,
    parse,
    parse_change,
    repo_files,
)
from hypothesis import given
from hypothesis import strategies as st

from harness.spec.flows import load_flow
from harness.spec.scenarios import Scenario, load_scenario, load_scenarios

SCENARIOS = repo_files("scenarios/*.yaml", "scenarios/demo/*.yaml")
FLOWS = repo_files("scenarios/flows/*.yaml")


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A scenario folder with the project's flows beside it, as ``scenarios/`` has."""
    d = tmp_path / "scenarios"
    shutil.copytree(REPO / "scenarios" / "flows", d / "flows")
    return d


def _flows_in(folder: Path) -> list[Path]:
    return sorted((folder / "flows").glob("*.yaml"))


@given(seed=st.sampled_from(SCENARIOS), data=st.data())
def test_a_changed_scenario_parses_or_names_the_change(folder: Path, seed: Path,
                                                       data: st.DataObject) -> None:
    change: Mutated = data.draw(mutated(load_seed(seed)))
    path = folder / seed.name
    text = change.text()
    path.write_text(text, encoding="utf-8")
    got = parse(load_scenario, path)
    if isinstance(got, Scenario):
        assert got.steps, "a scenario without steps was accepted"
        return
    check_errors(got, [path, *_flows_in(folder)])
    assert names_place(got, change.loc, line_of(text, change.loc, folder.parent)), \
        (change.kind, change.loc, [str(e) for e in got])


@given(seed=st.sampled_from(SCENARIOS), data=st.data())
def test_a_damaged_scenario_text_parses_or_names_its_file(folder: Path, seed: Path,
                                                          data: st.DataObject) -> None:
    path = folder / seed.name
    path.write_text(data.draw(damaged(seed.read_text(encoding="utf-8"))), encoding="utf-8")
    got = parse(load_scenario, path)
    if isinstance(got, Rejected):
        check_errors(got, [path, *_flows_in(folder)])


@pytest.mark.parametrize("seed", FLOWS, ids=lambda p: p.stem)
@given(data=st.data())
def test_a_changed_flow_parses_or_names_the_change(tmp_path: Path, seed: Path,
                                                   data: st.DataObject) -> None:
    change: Mutated = data.draw(mutated(load_seed(seed)))
    path = tmp_path / "flows" / seed.name
    path.parent.mkdir(exist_ok=True)
    parse_change(load_flow, change, path, tmp_path)


@given(data=st.data())
def test_scenarios_extending_a_changed_flow_load_or_name_a_file(folder: Path,
                                                                data: st.DataObject) -> None:
    """A broken flow is reported at the flow's own line, once, for all that extend it."""
    seed = FLOWS[0]
    change: Mutated = data.draw(mutated(load_seed(seed)))
    (folder / "flows" / seed.name).write_text(change.text(), encoding="utf-8")
    for s in SCENARIOS:
        if "demo" not in s.parts:
            shutil.copy(s, folder / s.name)
    got = parse(lambda p: load_scenarios([p]), folder)
    if isinstance(got, Rejected):
        check_errors(got, [*folder.glob("*.yaml"), *_flows_in(folder)])
        assert len({str(e) for e in got}) == len(got), "an error reported twice"
