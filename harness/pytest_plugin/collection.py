"""Collection: each scenario YAML under a ``scenarios/`` folder, or named on the command
line, becomes a file node whose items are (scenario x selected profile), named ``<scenario
id>-<profile id>`` so that ``-k wechat-DE`` selects one.

The simulator's demo scenarios (``demo: true``) are collected only when the backend is the
simulator: on a real device their apps are never installed, so they would only add
failures to a real run. What was left out is said in the terminal summary, and a run that
collected nothing says why.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from harness.pytest_plugin.items import ScenarioItem
from harness.pytest_plugin.state import CONFIG_KEY, SELECTION_KEY, selected_profiles
from harness.spec.flows import is_flow_path
from harness.spec.scenarios import load_scenario
from harness.support.errors import ConfigError, ConfigErrors, display_path
from harness.vocabulary.outcomes import Backend

_YAML = (".yaml", ".yml")
#: Demo scenarios left out of this process's collection (the backend is not the simulator).
DEMO_LEFT_OUT = pytest.StashKey[list[str]]()


def is_scenario_path(path: Path) -> bool:
    """A ``*.yaml`` below a ``scenarios`` folder, except flows (``scenarios/flows/``) and
    files named ``_*``, which scenarios extend but which are not scenarios themselves."""
    return (path.suffix in _YAML and "scenarios" in path.parts[:-1]
            and not is_flow_path(path))


def invocation_paths(config: pytest.Config) -> list[Path]:
    """The files and folders named on pytest's command line, absolute."""
    here = Path(str(config.invocation_params.dir))
    out = []
    for arg in config.args:
        path = Path(arg.split("::")[0])
        out.append((path if path.is_absolute() else here / path).resolve())
    return out


def is_named_scenario(config: pytest.Config, path: Path) -> bool:
    """A YAML file named on the command line (``pytest my/apps/wechat.yaml``), wherever
    it lies, is taken for a scenario too (flows and ``_*`` files excepted)."""
    return (path.suffix in _YAML and not is_flow_path(path)
            and path.resolve() in invocation_paths(config))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if is_scenario_path(file_path) or is_named_scenario(parent.config, file_path):
        return ScenarioFile.from_parent(parent, path=file_path)
    return None


class ScenarioFile(pytest.File):
    def collect(self) -> Iterable[ScenarioItem]:
        try:
            scenario = load_scenario(self.path)
            profiles = selected_profiles(self.config)
        except (ConfigError, ConfigErrors) as exc:
            raise self.CollectError(str(exc)) from None
        apps = self.config.stash[SELECTION_KEY].apps
        if apps and scenario.id not in {a.strip() for a in apps.split(",")}:
            return
        if scenario.app.demo and self.config.stash[CONFIG_KEY].backend is not Backend.SIM:
            self.config.stash.setdefault(DEMO_LEFT_OUT, []).append(scenario.id)
            return
        for profile in profiles:
            yield ScenarioItem.from_parent(self, name=f"{scenario.id}-{profile.id}",
                                           scenario=scenario, profile=profile)


def collection_notes(config: pytest.Config, collected: bool) -> list[str]:
    """What the terminal summary says about scenarios not collected: demo apps left out
    of a real run, and, when nothing was collected, YAML files pytest did not look at."""
    notes = []
    demo = config.stash.get(DEMO_LEFT_OUT, [])
    if demo:
        notes.append(f"left out {len(demo)} simulator demo scenarios ({', '.join(demo)}): "
                     "they run only with --backend=sim")
    if not collected:
        stray = [p for d in invocation_paths(config) if d.is_dir()
                 for p in sorted(d.rglob("*.y*ml"))[:200]
                 if not is_scenario_path(p) and not is_flow_path(p)]
        if stray:
            notes.append(f"no scenarios collected: pytest collects scenario YAML files below "
                         f"a folder named scenarios/, and {display_path(stray[0])} "
                         f"({len(stray)} YAML files in all) is not below one. Name the "
                         "files themselves (pytest path/to/app.yaml) or put them in a "
                         "folder named scenarios/")
    return notes


__all__ = ["DEMO_LEFT_OUT", "ScenarioFile", "collection_notes", "invocation_paths",
           "is_named_scenario", "is_scenario_path"]
