"""The run record and the terminal summary.

The controller (the only process, or xdist's controller) checks the backend once before
anything runs, hands the run id to workers, gathers every item's outcome from the test
reports, closes the run at the end, and prints the barrier table.
"""

from __future__ import annotations

from typing import Any

import pytest

from harness.pytest_plugin.collection import (
    collection_notes,
    invocation_paths,
    is_named_scenario,
    is_scenario_path,
)
from harness.pytest_plugin.state import CONFIG_KEY, STATE_KEY, get_state, selected_profiles
from harness.support.errors import ConfigErrors, HarnessError
from harness.support.secrets import shown_db
from harness.vocabulary.outcomes import Backend


def _scenario_run(config: pytest.Config) -> bool:
    for path in invocation_paths(config):
        if path.is_file() and (is_scenario_path(path) or is_named_scenario(config, path)):
            return True
        if path.is_dir() and ("scenarios" in path.parts or
                              any(is_scenario_path(p) for p in path.rglob("*.y*ml"))):
            return True
    return False


def pytest_sessionstart(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput") or not _scenario_run(config):
        return
    if config.option.collectonly:
        return  # listing items needs no secrets and no Appium
    get_state(config)
    run_config = config.stash[CONFIG_KEY]
    try:
        from harness.runs.batch import preflight
        from harness.storage.preflight import check_targets, for_run

        # once, before any item: a bad --db is one paragraph, not a traceback per item
        check_targets(for_run(run_config.db, run_config.artifacts_dir,
                              leases=run_config.backend is Backend.APPIUM))
        preflight(selected_profiles(config), run_config)
    except (HarnessError, ConfigErrors) as exc:
        raise pytest.UsageError(str(exc)) from None
    if run_config.backend is Backend.APPIUM:
        from harness.devices.backends import check_appium, check_farm_serves, via_farm

        try:
            check_appium(run_config.appium_url)
            if via_farm(run_config.appium_url, run_config):
                check_farm_serves(run_config.appium_url, selected_profiles(config))
        except (HarnessError, ConfigErrors) as exc:
            raise pytest.UsageError(str(exc)) from None


def pytest_configure_node(node: Any) -> None:
    """xdist: every worker writes into the controller's run."""
    node.workerinput["harness_run_id"] = get_state(node.config).run_id


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Collect each attempt's outcome; an attempt that raised inside the harness, or that
    ended without a recorded outcome, counts as an error of the run."""
    if report.when != "call":
        return
    planned = recorded = False
    for key, value in report.user_properties:
        if key == "harness_attempt":
            planned = True
        if key == "harness" and isinstance(value, dict):
            recorded = True
            _pending.append(value)
            _errors[0] += bool(value.get("crashed"))
    if planned and not recorded:
        _errors[0] += 1


_pending: list[dict[str, Any]] = []
_errors = [0]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash.get(STATE_KEY, None)
    if state is None:
        return
    state.outcomes.extend(_pending)
    _pending.clear()
    errors, _errors[0] = _errors[0], 0
    if state.store is not None:
        if state.is_controller and state.run_started:
            interrupted = exitstatus == pytest.ExitCode.INTERRUPTED
            state.store.finish_run(state.run_id, "interrupted" if interrupted else "completed",
                                   errors=errors)
        state.stack.close()
        state.store = None
    if state.is_controller and not state.run_started and state.outcomes:
        # xdist: the workers wrote the measurements; the controller closes the run.
        from harness.storage.store import Store

        run_config = config.stash[CONFIG_KEY]
        # closing the run touches no evidence: the artifact store is not opened
        store = Store.open(run_config.db, None, migrate_schema=False, writes_evidence=False)
        try:
            store.finish_run(state.run_id, "completed", errors=errors)
        finally:
            store.close()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config
                            ) -> None:
    notes = collection_notes(config, exitstatus != pytest.ExitCode.NO_TESTS_COLLECTED)
    for note in notes:
        terminalreporter.write_line(f"harness: {note}", yellow=True)
    state = config.stash.get(STATE_KEY, None)
    if state is None or not state.outcomes:
        return
    from harness.analysis.terminal_table import Cell, render_text

    cells = [Cell(o["app"], o["country"], o["status"], o.get("barrier"), o.get("failure"),
                  o.get("access_level")) for o in state.outcomes]
    run_config = config.stash[CONFIG_KEY]
    width = max(getattr(terminalreporter._tw, "fullwidth", 100), 80)
    terminalreporter.section("harness barrier table")
    terminalreporter.write(render_text(
        cells, title=f"run {state.run_id[:8]}, backend {run_config.backend.value}",
        width=width, color=terminalreporter.hasmarkup))
    db = shown_db(run_config.db)
    terminalreporter.write_line(f"{len(cells)} measurements stored in {db} "
                                f"(harness runs --db {db})")
