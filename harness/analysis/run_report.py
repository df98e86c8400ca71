"""The HTML page of one run, as written by ``harness demo --report`` and ``harness run
--report``: the full analyst report (``harness.analysis.report``) restricted to that run,
simulator rows included.

Nothing is loaded from the internet; evidence is linked by relative path so the report
folder and the artifacts folder can be copied together (evidence kept in an object store
is copied into ``evidence/`` beside the report).
"""

from __future__ import annotations

from pathlib import Path

from harness.analysis.filters import Filters
from harness.analysis.report import write_report
from harness.analysis.tables import Analysis
from harness.storage.store import Store


def write_run_report(store: Store, run_id: str, path: Path) -> Path:
    """Write the report of run ``run_id`` to ``path`` and return it.

    The matrix shows the latest conclusive attempt of each (app, country) in the run,
    each with its evidence row (``id='m-<measurement id>'``); instrument failures of the
    run are listed after them; changes compare the run with the attempts before it.
    """
    filters = Filters(runs=(run_id,), include_simulated=True)
    with Analysis(store, filters) as analysis:
        return write_report(analysis, path, title=f"Barrier report, run {run_id[:8]}")
