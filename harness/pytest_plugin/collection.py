"""Collection: each scenario YAML under a ``scenarios/`` folder becomes a file node whose
items are (scenario x selected profile), named ``<scenario id>-<profile id>`` so that
``-k wechat-DE`` selects one."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import pytest

from harness.pytest_plugin.items import ScenarioItem
from harness.pytest_plugin.state import SELECTION_KEY, selected_profiles
from harness.spec.flows import is_flow_path
from harness.spec.scenarios import load_scenario
from harness.support.errors import ConfigError, ConfigErrors


def is_scenario_path(path: Path) -> bool:
    """A ``*.yaml`` below a ``scenarios`` folder, except flows (``scenarios/flows/``) and
    files named ``_*``, which scenarios extend but which are not scenarios themselves."""
    return (path.suffix in (".yaml", ".yml") and "scenarios" in path.parts[:-1]
            and not is_flow_path(path))


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
    if is_scenario_path(file_path):
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
        for profile in profiles:
            yield ScenarioItem.from_parent(self, name=f"{scenario.id}-{profile.id}",
                                           scenario=scenario, profile=profile)
