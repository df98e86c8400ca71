"""Per-process state of a scenario run, kept in ``config.stash``.

Each process (the only one, or each xdist worker) opens its own store connection and its
own endpoint (a simulator on a free port, or the Appium URL) the first time an item runs,
and closes them at session end. The run id is made by the controller and handed to the
workers, so that all their measurements belong to one run.
"""

from __future__ import annotations

import contextlib
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest

from harness.spec.config import RunConfig
from harness.spec.profile import Profile
from harness.spec.profiles import load_profiles, select_profiles

if TYPE_CHECKING:
    from harness.attempt.vantage import VantageChecker
    from harness.devices.base import DeviceFactory
    from harness.devices.pool import DevicePool
    from harness.runs.measure import Placement
    from harness.storage.store import Store
    from harness.stores.stage import StoreStage


@dataclass(frozen=True)
class Selection:
    countries: str | None
    regions: str | None
    apps: str | None


@dataclass
class RunState:
    """Resources opened lazily by the first item of this process."""

    run_id: str
    is_controller: bool
    store: Store | None = None
    stack: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)
    open_device: DeviceFactory | None = None
    pool: DevicePool | None = None
    vantage: VantageChecker | None = None
    store_stage: StoreStage | None = None
    run_started: bool = False
    #: The endpoint is a farm (a Selenium Grid hub) that allocates devices itself.
    via_farm: bool = False
    #: Where an attempt whose farm device failed is tried again (``grid_placement``).
    retry: Placement | None = None
    outcomes: list[dict[str, Any]] = field(default_factory=list)
    profiles: list[Profile] | None = None


CONFIG_KEY = pytest.StashKey[RunConfig]()
SELECTION_KEY = pytest.StashKey[Selection]()
STATE_KEY = pytest.StashKey[RunState]()


def get_state(config: pytest.Config) -> RunState:
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        workerinput = getattr(config, "workerinput", None)
        if workerinput is not None and "harness_run_id" in workerinput:
            state = RunState(run_id=str(workerinput["harness_run_id"]), is_controller=False)
        else:
            state = RunState(run_id=uuid.uuid4().hex, is_controller=workerinput is None)
        config.stash[STATE_KEY] = state
    return state


def selected_profiles(config: pytest.Config) -> list[Profile]:
    """Profiles chosen by --country / --region, loaded once per process."""
    state = get_state(config)
    if state.profiles is None:
        run_config = config.stash[CONFIG_KEY]
        sel = config.stash[SELECTION_KEY]
        state.profiles = select_profiles(load_profiles(run_config.profiles_dir),
                                         sel.countries, sel.regions)
    return state.profiles
