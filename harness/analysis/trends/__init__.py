"""Download trends around an intervention: monthly counts in (``harness trends import``),
interrupted time series and difference-in-differences out (``harness trends fit``).

``series`` reads files; ``downloads`` validates the download format; ``its`` and ``did``
fit the models (statsmodels, pyfixest); ``effects`` derives prevented counts and each
definition of the drop; ``groups`` forms the affected and comparison groups from the
measurements; ``fitting`` joins them; ``render`` and ``chart`` show the result.
Definitions: docs/analysis.md, "Download trends".
"""

from __future__ import annotations

from harness.analysis.trends.effects import Estimate, drops, prevented
from harness.analysis.trends.fitting import SeriesColumns, TrendResult, fit_file, fit_groups
from harness.analysis.trends.groups import Groups, groups_from_evidence, groups_given
from harness.analysis.trends.its import ItsFit, ItsSpec, fit_its

__all__ = [
    "Estimate",
    "Groups",
    "ItsFit",
    "ItsSpec",
    "SeriesColumns",
    "TrendResult",
    "drops",
    "fit_file",
    "fit_groups",
    "fit_its",
    "groups_from_evidence",
    "groups_given",
    "prevented",
]
