"""Figures that make the right-shift lag visible: overlay, lag scan, per-horizon error."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.store import atomic_write  # noqa: E402

ZOOM = 60


def model_colours(models: list[str]) -> dict[str, str]:
    """One colour per model, fixed by the model's position in the run, so every plot agrees."""
    cycle = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    palette = [c for c in cycle if c != "#7f7f7f"]  # grey is reserved for the actuals' shadow
    return {m: palette[i % len(palette)] for i, m in enumerate(models)}


def _date_axis(ax: plt.Axes) -> None:
    loc = mdates.AutoDateLocator(minticks=3, maxticks=7)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def overlay(
    fc: pd.DataFrame,
    series: pd.DataFrame,
    colours: dict[str, str],
    title: str,
    path: Path,
    h: int = 1,
) -> Path:
    """Actuals, each model's h-step forecasts, and the actuals shifted right by h (faint).

    A forecast curve that hugs the faint line rather than the actuals is persistence in disguise.
    """
    fc = fc[fc["h"] == h]
    first_seed = fc.groupby("model")["seed"].transform("min")
    fc = fc[fc["seed"] == first_seed]
    test_ds = np.sort(fc["ds"].unique())
    s = series.set_index("ds")["y"].sort_index()
    pos = s.index.get_indexer(test_ds)
    context = max(5, len(test_ds) // 4)
    windows = [(pos.min(), pos.max())]
    if len(test_ds) > ZOOM:
        windows.append((pos.max() - ZOOM + 1, pos.max()))
    fig, axes = plt.subplots(len(windows), 1, figsize=(11, 4.2 * len(windows)), squeeze=False)
    for ax, (lo, hi) in zip(axes[:, 0], windows, strict=True):
        start = max(0, lo - context)
        actual = s.iloc[start : hi + 1]
        shifted = s.shift(h).iloc[max(lo, start) : hi + 1]
        ax.plot(actual.index, actual.to_numpy(), color="black", lw=1.6, label="actual")
        ax.plot(shifted.index, shifted.to_numpy(), color="#7f7f7f", lw=3, alpha=0.35,
                label=f"actual shifted +{h} (persistence)")  # fmt: skip
        lo_ds = s.index[lo]
        for model, g in fc[fc["ds"] >= lo_ds].groupby("model", sort=False):
            g = g.sort_values("ds")
            ax.plot(g["ds"], g["y_hat"], color=colours[model], lw=1.2, marker="o", ms=2.5, label=model)
        ax.axvline(s.index[lo], color="#bbbbbb", ls=":", lw=1)
        ax.set_ylabel("value")
        ax.grid(alpha=0.25)
        _date_axis(ax)
        zoom = f" — last {hi - lo + 1} targets" if (lo, hi) != windows[0] else ""
        ax.set_title(f"{title}: {h}-step forecasts vs actuals{zoom}", fontsize=11)
    axes[0, 0].legend(loc="best", fontsize=8, ncol=2)
    axes[-1, 0].set_xlabel("date")
    return save_figure(fig, path)


def lag_scan(curves: pd.DataFrame, colours: dict[str, str], title: str, path: Path) -> Path:
    """MSE(ŷ_t, y_{t−k}) / MSE(ŷ_t, y_t) against the shift k per model; the minimum is starred.

    Dividing by each model's own unshifted MSE puts models of very different accuracy on one axis:
    a curve that dips below 1 at k = h fits the actuals shifted by h better than the actuals.
    """
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    draw_shift_ratios(ax, curves, colours)
    ax.set_xlabel("shift k (forecast compared with the actual k steps earlier)")
    ax.set_ylabel("MSE(ŷ_t, y_{t−k}) / MSE(ŷ_t, y_t)")
    ax.set_title(f"{title}: lag scan (★ = best shift; a lagging model's minimum sits at k = h)", fontsize=10)
    ax.grid(alpha=0.25)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def draw_shift_ratios(ax: plt.Axes, curves: pd.DataFrame, colours: dict[str, str]) -> None:
    """Each model's lag-scan curve MSE(k) / MSE(0) (``curves``: model, k, mse) with its minimum
    starred, and the k = 0 and ratio = 1 guides: the mean's and the variance's lag scans alike."""
    for model, g in curves.groupby("model", sort=False):
        g = g.sort_values("k")
        base = g.loc[g["k"] == 0, "mse"]
        if base.empty or not base.iloc[0] > 0:
            continue
        ratio = g["mse"] / base.iloc[0]
        ax.plot(g["k"], ratio, color=colours[model], marker="o", ms=3, lw=1.2, label=model)
        best = ratio.idxmin()
        ax.plot([g.loc[best, "k"]], [ratio[best]], marker="*", ms=13, color=colours[model], mec="black")
    ax.axvline(0, color="#bbbbbb", ls=":", lw=1)
    ax.axhline(1, color="#bbbbbb", ls=":", lw=1)


def per_horizon(table: pd.DataFrame, colours: dict[str, str], title: str, path: Path) -> Path:
    """MSE against the forecast step: the horizon profile of each model."""
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    for model, g in table.groupby("model", sort=False):
        g = g.sort_values("h")
        ax.plot(g["h"], g["mse"], color=colours[model], marker="o", ms=3, lw=1.2, label=model)
    ax.set_xlabel("steps ahead h")
    ax.set_ylabel("MSE")
    ax.set_title(f"{title}: error by horizon", fontsize=11)
    ax.grid(alpha=0.25)
    ax.legend(fontsize=8)
    return save_figure(fig, path)


def save_figure(fig: plt.Figure, path: Path) -> Path:
    """Write ``fig`` as a PNG atomically and close it (every report plot goes through here)."""
    fig.tight_layout()
    try:
        return atomic_write(Path(path), lambda p: fig.savefig(p, dpi=110, format="png"))
    finally:
        plt.close(fig)
