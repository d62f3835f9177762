"""Per-series MSE ratio to the baseline, one box per model, on a log scale.

A mean over a collection hides whether a model wins a little everywhere or a lot on a few series;
the box shows the spread. Ratios are compared on the log scale (a ratio of 2 and one of 0.5 are
equally far from 1), so quartiles and whiskers are computed on log(ratio) and mapped back; the
diamond is the geometric mean, i.e. the table's AvgRelMSE.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import cbook  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from bench.report.plots import model_colours, save_figure  # noqa: E402


def _log_stats(values: np.ndarray, label: str) -> dict:
    """matplotlib's box statistics of log(values), mapped back to the ratio scale."""
    st = cbook.boxplot_stats(np.log(values), labels=[label])[0]
    for key in ("mean", "med", "q1", "q3", "whislo", "whishi", "cilo", "cihi"):
        st[key] = float(np.exp(st[key]))
    st["fliers"] = np.exp(st["fliers"])
    return st


def _minor_label(v: float, _pos: int) -> str:
    """Label only the 2s and 5s between the powers of ten (all of them crowd the axis)."""
    if not v > 0:
        return ""
    lead = round(v / 10 ** np.floor(np.log10(v)))
    return f"{v:g}" if lead in (2, 5) else ""


def ratio_distribution(
    per_series: pd.DataFrame,
    path: Path,
    *,
    baseline: str = "naive",
    title: str = "",
    colours: Mapping[str, str] | None = None,
) -> Path:
    """Box plot of ``rel_mse`` per model (the baseline, identically 1, is the dotted line).

    Pools every row handed in (filter to one dataset first). Ratios ≤ 0 or NaN cannot be drawn
    on a log scale and are left out; the tick label says how many series each box holds.
    """
    models = [m for m in pd.unique(per_series["model"]) if m != baseline]
    colours = dict(colours) if colours is not None else model_colours([baseline, *models])
    stats_, names = [], []
    rel = pd.to_numeric(per_series["rel_mse"], errors="coerce")
    for m in models:
        r = rel[per_series["model"] == m].to_numpy(float)
        r = r[np.isfinite(r) & (r > 0)]
        if r.size:
            stats_.append(_log_stats(r, f"{m}\n(n = {r.size})"))
            names.append(m)
    if not stats_:
        raise ValueError(
            f"ratio_distribution has no positive finite rel_mse for a model other than {baseline!r}"
        )
    fig, ax = plt.subplots(figsize=(1.2 * len(names) + 3.0, 4.2))
    art = ax.bxp(
        stats_, showmeans=True, patch_artist=True, meanprops=dict(marker="D", mfc="white", mec="black")
    )
    for box, m in zip(art["boxes"], names, strict=True):
        box.set_facecolor(colours.get(m, "#cccccc"))
        box.set_alpha(0.75)
    for med in art["medians"]:
        med.set_color("black")
    ax.axhline(1.0, color="#7f7f7f", ls=":", lw=1.2, label=f"{baseline} (ratio 1)")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))  # 0.1, 1 rather than 10⁰
    ax.yaxis.set_minor_formatter(FuncFormatter(_minor_label))
    ax.set_ylabel(f"MSE / {baseline} MSE (log scale)")
    head = f"{title}: " if title else ""
    ax.set_title(f"{head}per-series MSE ratio to {baseline} (◇ = geometric mean)", fontsize=10)
    ax.grid(alpha=0.25, axis="y", which="both")
    ax.legend(fontsize=8, loc="best")
    return save_figure(fig, Path(path))
