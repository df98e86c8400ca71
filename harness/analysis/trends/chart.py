"""The trend chart: observed counts, the fitted model, the counterfactual with its 95%
band over the post period, and the intervention month, one panel per series (PNG)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from harness.analysis.trends.effects import counterfactual_band
from harness.analysis.trends.fitting import TrendResult

_OBSERVED, _FITTED, _COUNTERFACTUAL = "#263238", "#1565c0", "#c62828"


def trend_chart(result: TrendResult, title: str | None = None) -> bytes:
    """The chart of every series of ``result`` as PNG bytes."""
    n = len(result.series)
    fig, axes = plt.subplots(n, 1, figsize=(10, 3.6 * n), squeeze=False)
    for ax, (series, fit) in zip(axes[:, 0], result.series, strict=True):
        x = pd.PeriodIndex(fit.months, freq="M").to_timestamp()
        post = fit.post == 1
        lo, hi = counterfactual_band(fit)
        ax.plot(x, fit.observed, "o", ms=3, color=_OBSERVED, label="observed")
        ax.plot(x, fit.fitted, "-", color=_FITTED, lw=1.6, label="fitted")
        ax.plot(x[post], fit.counterfactual[post], "--", color=_COUNTERFACTUAL, lw=1.6,
                label="counterfactual (no intervention)")
        ax.fill_between(x[post], lo[post], hi[post], color=_COUNTERFACTUAL, alpha=0.15,
                        lw=0, label="counterfactual 95% band")
        t0 = pd.Period(fit.spec.intervention, "M").to_timestamp()
        ax.axvline(t0, color="#555", lw=1, ls=":")
        ax.annotate(f"intervention {fit.spec.intervention}", (t0, 1.0),
                    xycoords=("data", "axes fraction"), xytext=(4, -12),
                    textcoords="offset points", fontsize=8, color="#333")
        level = fit.term("level")
        rr = f"level RR {level.rate_ratio:.3f}" if level else ""
        ax.set_title(f"{series.label}: {rr}, {fit.spec.family}, {fit.errors_label}",
                     fontsize=10, loc="left")
        ax.set_ylabel("count per month")
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.25)
        ax.legend(fontsize=8, loc="lower left", frameon=False, ncol=2)
    if title:
        fig.suptitle(title, fontsize=12, x=0.01, ha="left")
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, facecolor="white", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


__all__ = ["trend_chart"]
