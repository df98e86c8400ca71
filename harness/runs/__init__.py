"""Runs: many attempts at once, and work over what runs stored.

``batch`` plans and runs every selected scenario from every selected profile
(``harness run``, ``harness demo``); ``reclassify`` re-reads stored evidence under the
current rules (``harness reclassify``); ``inventory`` reads a farm's inventory file and
``farm`` writes its Selenium Grid configuration and checks what a hub serves
(``harness farm``); ``nightly`` runs one night of a configuration file
(``nightly_config``): store checks (``nightly_stores``), attempts, and the summary
(``nightly_summary``, ``triage``, ``nightly_report``) (``harness nightly``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from harness.support.lazy import lazy_exports

if TYPE_CHECKING:
    from harness.runs.batch import (
        BatchResult,
        preflight,
        run_batch,
    )
    from harness.runs.farm import (
        FarmCheck,
        FarmFile,
        ProfileCoverage,
        check_farm,
        farm_files,
        hub_toml,
        node_toml,
        stereotype,
        write_farm,
    )
    from harness.runs.inventory import (
        DeviceSpec,
        HubSpec,
        Inventory,
        NodeTiming,
        load_inventory,
        parse_inventory,
    )
    from harness.runs.nightly import (
        Heartbeat,
        resumable,
        run_nightly,
        select_instances,
    )
    from harness.runs.nightly_config import (
        NightlyConfig,
        StoreCheckPlan,
        load_nightly_config,
        parse_nightly_config,
    )
    from harness.runs.nightly_report import (
        NightlySummary,
        write_summary,
    )
    from harness.runs.nightly_stores import (
        StoreChange,
        StoreNight,
        run_store_checks,
        store_changes,
    )
    from harness.runs.nightly_summary import (
        Changes,
        FailureRate,
        InstanceChange,
        Rates,
        failure_rates,
        instance_changes,
        status_counts,
    )
    from harness.runs.reclassify import (
        BUILTIN_PREFIX,
        RECLASSIFIABLE_FAILURES,
        Outcome,
        Reclassified,
        ReclassifyReport,
        applicable,
        find_scenario,
        load_scenario_rules,
        read_page_source,
        reclassify,
        reclassify_measurement,
        rules_for,
        with_package,
    )
    from harness.runs.triage import (
        NewScreen,
        Triage,
        screen_signature,
        screens_to_triage,
    )

#: Each module and the public names it holds, imported on first use.
_HOMES: dict[str, tuple[str, ...]] = {
    "batch": ("BatchResult", "preflight", "run_batch"),
    "farm": (
        "FarmCheck",
        "FarmFile",
        "ProfileCoverage",
        "check_farm",
        "farm_files",
        "hub_toml",
        "node_toml",
        "stereotype",
        "write_farm",
    ),
    "inventory": (
        "DeviceSpec",
        "HubSpec",
        "Inventory",
        "NodeTiming",
        "load_inventory",
        "parse_inventory",
    ),
    "nightly": (
        "Heartbeat",
        "resumable",
        "run_nightly",
        "select_instances",
    ),
    "nightly_config": (
        "NightlyConfig",
        "StoreCheckPlan",
        "load_nightly_config",
        "parse_nightly_config",
    ),
    "nightly_report": ("NightlySummary", "write_summary"),
    "nightly_stores": (
        "StoreChange",
        "StoreNight",
        "run_store_checks",
        "store_changes",
    ),
    "nightly_summary": (
        "Changes",
        "FailureRate",
        "InstanceChange",
        "Rates",
        "failure_rates",
        "instance_changes",
        "status_counts",
    ),
    "reclassify": (
        "BUILTIN_PREFIX",
        "RECLASSIFIABLE_FAILURES",
        "Outcome",
        "Reclassified",
        "ReclassifyReport",
        "applicable",
        "find_scenario",
        "load_scenario_rules",
        "read_page_source",
        "reclassify",
        "reclassify_measurement",
        "rules_for",
        "with_package",
    ),
    "triage": (
        "NewScreen",
        "Triage",
        "screen_signature",
        "screens_to_triage",
    ),
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)

__all__ = [
    "BUILTIN_PREFIX",
    "RECLASSIFIABLE_FAILURES",
    "BatchResult",
    "Changes",
    "DeviceSpec",
    "FailureRate",
    "FarmCheck",
    "FarmFile",
    "Heartbeat",
    "HubSpec",
    "InstanceChange",
    "Inventory",
    "NewScreen",
    "NightlyConfig",
    "NightlySummary",
    "NodeTiming",
    "Outcome",
    "ProfileCoverage",
    "Rates",
    "Reclassified",
    "ReclassifyReport",
    "StoreChange",
    "StoreCheckPlan",
    "StoreNight",
    "Triage",
    "applicable",
    "check_farm",
    "failure_rates",
    "farm_files",
    "find_scenario",
    "hub_toml",
    "instance_changes",
    "load_inventory",
    "load_nightly_config",
    "load_scenario_rules",
    "node_toml",
    "parse_inventory",
    "parse_nightly_config",
    "preflight",
    "read_page_source",
    "reclassify",
    "reclassify_measurement",
    "resumable",
    "rules_for",
    "run_batch",
    "run_nightly",
    "run_store_checks",
    "screen_signature",
    "screens_to_triage",
    "select_instances",
    "status_counts",
    "stereotype",
    "store_changes",
    "with_package",
    "write_farm",
    "write_summary",
]
