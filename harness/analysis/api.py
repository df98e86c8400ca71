"""The analyst tables for notebooks, as pandas DataFrames.

    from harness.analysis import open_results

    with open_results("results.db", country="DE,FR", since="30d") as r:
        r.barrier_matrix()      # app x country: latest conclusive outcome, confirmation
        r.by_region()           # barrier and RNR shares with Wilson 95% intervals
        r.by_app(); r.funnel(); r.summary(); r.changes(); r.measurements()

    with open_results("results.db", as_measured=True) as r:   # verdicts as measured
        ...

These are the very tables ``harness export`` writes (same columns, docs/data-dictionary.md;
same definitions, docs/analysis.md). Everything is computed by the database; the result
holds one connection until closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from harness.analysis.definitions import RNR_BARRIERS, Confirmation
from harness.analysis.filters import Filters, parse_filters
from harness.analysis.formats import read_table
from harness.analysis.stats import wilson
from harness.analysis.tables import Analysis, Source
from harness.support.errors import ConfigError

__all__ = [
    "RNR_BARRIERS",
    "Analysis",
    "Confirmation",
    "Filters",
    "open_results",
    "read_table",
    "wilson",
]


def _joined(value: str | Sequence[str] | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return ",".join(value)


def open_results(db: Source = "results.db", *, run: str | Sequence[str] | None = None,
                 since: str | None = None, country: str | Sequence[str] | None = None,
                 region: str | Sequence[str] | None = None,
                 app: str | Sequence[str] | None = None, include_simulated: bool = False,
                 regions_file: Path | str | None = None, min_attempts: int = 3,
                 min_hours: float = 6.0, verified_only: bool = False,
                 as_measured: bool = False) -> Analysis:
    """An :class:`Analysis` of ``db`` with the same options as ``harness export``.

    List options take a comma-separated string or a sequence; ``since`` takes
    ``2024-03-01``, ``2024-03-01T18:30+08:00`` or an age such as ``7d``. Every table
    carries each measurement's latest classification (its newest ``harness reclassify``
    verdict, else its own); ``as_measured=True`` gives the verdicts as measured.
    ``verified_only=True`` keeps only measurements of verified scenarios. Bad values raise
    ``harness.support.errors.ConfigError`` with the same one-paragraph message as the CLI.
    """
    for name, value in (("verified_only", verified_only), ("as_measured", as_measured),
                        ("include_simulated", include_simulated)):
        if not isinstance(value, bool):
            raise ConfigError(f"{name}={value!r}", None, "must be True or False",
                              None, f"open_results(db, {name}=True)")
    filters = parse_filters(run=_joined(run), since=since, country=_joined(country),
                            region=_joined(region), app=_joined(app),
                            include_simulated=include_simulated,
                            regions_file=Path(regions_file) if regions_file else None,
                            verified_only=verified_only, as_measured=as_measured)
    return Analysis(db, filters, Confirmation(min_attempts, min_hours))
