"""Binomial proportions with Wilson score intervals.

The Wilson interval stays inside [0, 1] and behaves at 0 and n successes and for small
samples, where the normal ("Wald") interval collapses to a point; barrier counts per
region are often small, so it is the one every table and chart uses.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from harness.analysis.definitions import Z_95


def wilson(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """The Wilson score interval ``(low, high)`` for ``successes`` out of ``trials``.

    ``(nan, nan)`` when ``trials`` is 0 (no estimate). Raises ``ValueError`` unless
    ``0 <= successes <= trials``. With ``p = k/n``::

        centre = (p + z²/2n) / (1 + z²/n)
        half   = z / (1 + z²/n) * sqrt(p(1-p)/n + z²/4n²)
    """
    if trials < 0 or successes < 0 or successes > trials:
        raise ValueError(f"need 0 <= successes <= trials, got {successes}/{trials}")
    if trials == 0:
        return (math.nan, math.nan)
    n = float(trials)
    p = successes / n
    z2 = z * z
    denom = 1.0 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == trials else min(1.0, centre + half)
    return (low, high)


def wilson_columns(successes: pd.Series, trials: pd.Series, z: float = Z_95
                   ) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Vectorised share, Wilson low and Wilson high for aligned count columns.

    Rows with 0 trials get NaN in all three columns.
    """
    k = successes.astype("float64").to_numpy()
    n = trials.astype("float64").to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(n > 0, k / n, np.nan)
        z2 = z * z
        denom = 1.0 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
        low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
        high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    idx = successes.index
    return (pd.Series(p, index=idx, dtype="float64"), pd.Series(low, index=idx, dtype="float64"),
            pd.Series(high, index=idx, dtype="float64"))
