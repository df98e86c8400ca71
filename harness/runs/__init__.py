"""Runs: many attempts at once, and work over what runs stored.

``batch`` plans and runs every selected scenario from every selected profile
(``harness run``, ``harness demo``); ``reclassify`` re-reads stored evidence under the
current rules (``harness reclassify``).
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

#: Each module and the public names it holds, imported on first use.
_HOMES: dict[str, tuple[str, ...]] = {
    "batch": ("BatchResult", "preflight", "run_batch"),
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
}
__getattr__, __dir__ = lazy_exports(__name__, _HOMES)

__all__ = [
    "BUILTIN_PREFIX",
    "RECLASSIFIABLE_FAILURES",
    "BatchResult",
    "Outcome",
    "Reclassified",
    "ReclassifyReport",
    "applicable",
    "find_scenario",
    "load_scenario_rules",
    "preflight",
    "read_page_source",
    "reclassify",
    "reclassify_measurement",
    "rules_for",
    "run_batch",
    "with_package",
]
