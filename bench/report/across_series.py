"""Markdown for one collection: the across-series table, the CD diagram, the ratio spread, examples.

Built only from the per-series metrics frame and its aggregate (``bench.scoring.aggregate``);
nothing is refitted. Order: the aggregate table (models as rows) with a line on how the ranks
were computed, then the critical-difference diagram, the distribution of per-series MSE ratios,
and the representative series with the reason each was chosen.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from bench.report.cd_diagram import cd_diagram
from bench.report.context import ReportContext
from bench.report.distribution import ratio_distribution
from bench.report.markdown import Column, metric_table
from bench.report.representative import representative_series

LABELS = {"smape": "sMAPE", "mase": "MASE", "mse": "MSE", "mae": "MAE", "rel_mse": "MSE ratio"}


def aggregate_columns(baseline: str, reference: str, rank_by: str = "smape") -> list[Column]:
    """The table's columns, headed with the run's own baseline and reference names."""
    return [
        Column("n_series", "series", "{:.0f}"),
        Column("n_skipped", "skipped (too short)", "{:.0f}"),
        Column("smape_mean", "sMAPE mean", "{:.2f}", "low"),
        Column("smape_median", "sMAPE median", "{:.2f}", "low"),
        Column("mase_mean", "MASE mean", "{:.3f}", "low"),
        Column("mase_median", "MASE median", "{:.3f}", "low"),
        Column("mape_mean", "MAPE mean", "{:.2f}", "low"),
        Column("avg_rel_mse", f"AvgRelMSE vs {baseline}", "{:.3f}", "low"),
        Column("mean_rank", f"mean rank ({LABELS.get(rank_by, rank_by)})", "{:.2f}", "low"),
        Column("win_rate_baseline", f"wins vs {baseline}", "{:.0%}", "high"),
        Column("win_rate_reference", f"wins vs {reference}", "{:.0%}", "high"),
        Column("share_dm_beats", f"DM: beats {baseline}", "{:.0%}", "high"),
        Column("share_dm_worse", f"DM: worse than {baseline}", "{:.0%}", "low"),
        Column("share_lagging", "lagging", "{:.0%}"),
        Column("crps_mean", "CRPS mean", "{:.4g}", "low"),
        Column("avg_rel_crps", f"AvgRelCRPS vs {baseline}", "{:.3f}", "low"),
        Column("share_in_mcs", "in MCS", "{:.0%}", "high"),
    ]


def _p(p: float) -> str:
    if not math.isfinite(p):
        return "n/a"
    return f"{p:.2g}" if p < 0.01 else f"{p:.2f}"


def aggregate_lines(
    agg: pd.DataFrame,
    *,
    baseline: str = "naive",
    reference: str = "arima",
    alpha: float = 0.05,
    rank_by: str = "smape",
) -> list[str]:
    """The aggregate table of one dataset, then one paragraph on how to read it (counts included)."""
    if agg["dataset"].nunique() > 1:
        raise ValueError(
            f"aggregate_lines needs one dataset's rows; got datasets {list(agg['dataset'].unique())}"
        )
    cols = aggregate_columns(baseline, reference, rank_by)
    if "n_skipped" not in agg or not (agg["n_skipped"].fillna(0) > 0).any():
        cols = [c for c in cols if c.key != "n_skipped"]  # every model scored every series
    out = [metric_table(agg, cols), ""]
    first = agg.iloc[0]
    what = LABELS.get(rank_by, rank_by)
    text = (
        f"Means and medians over each model's series. AvgRelMSE is the geometric mean over series of "
        f"MSE / {baseline} MSE (< 1: better than {baseline}). Wins count the series with a lower MSE "
        f"(ties count half); the DM columns count the series where the Diebold–Mariano test against "
        f"{baseline} is significant at {alpha:.0%}. Ranks by {what} on each of the "
        f"{int(first['rank_series'])} series where every model has one ({int(first['rank_excluded'])} left "
        "out); "
        f"Friedman p = {_p(first['friedman_pvalue'])}"
    )
    cd = first["nemenyi_cd"]
    if math.isfinite(cd):
        text += f", Nemenyi critical difference {cd:.2f} at {alpha:.0%}: mean ranks closer than that are not "
        text += "significantly different."
    else:
        text += "; no critical difference (needs at least two models and one series)."
    out += [text, ""]
    dropped = agg[agg["rel_mse_excluded"] > 0]
    if len(dropped):
        listed = ", ".join(f"{r.model} {int(r.rel_mse_excluded)}" for r in dropped.itertuples())
        out += [f"AvgRelMSE leaves out series whose MSE ratio is 0 or undefined: {listed}.", ""]
    return out


def figure_line(path: Path, report_dir: Path, alt: str) -> str:
    """A markdown image line with the path relative to the report (so the folder can be moved)."""
    rel = Path(os.path.relpath(Path(path).resolve(), Path(report_dir).resolve())).as_posix()
    return f"![{alt}]({rel})"


def representative_lines(picks: Sequence[tuple[str, str]]) -> list[str]:
    """The chosen series as a list, each with the rule that chose it."""
    if not picks:
        return []
    return (
        ["Representative series (chosen by rule, not by hand):", ""]
        + [f"- `{u}`: {why}" for u, why in picks]
        + [""]
    )


def across_series_section(
    name: str,
    per_series: pd.DataFrame,
    agg: pd.DataFrame,
    ctx: ReportContext,
    *,
    rank_by: str = "smape",
    nets: Sequence[str] = ("rnn", "gru", "lstm"),
) -> list[str]:
    """Markdown lines for dataset ``name``: table, CD diagram, ratio distribution, representatives.

    Writes ``<name>_cd.png`` and ``<name>_ratios.png`` into ``ctx.plot_dir``; a figure with nothing
    to draw (no finite mean rank, no positive ratio) is left out rather than drawn empty.
    """
    plot_dir, report_dir, colours = ctx.plot_dir, ctx.report_dir, ctx.colours or None
    baseline, reference, alpha = ctx.scoring.baseline, ctx.scoring.reference, ctx.scoring.alpha
    a = agg[agg["dataset"] == name]
    s = per_series[per_series["dataset"] == name]
    if a.empty:
        raise ValueError(f"no aggregate rows for dataset {name!r}; have {sorted(agg['dataset'].unique())}")
    lines = [f"### {name}: across {int(a['n_series'].max())} series", ""]
    lines += aggregate_lines(a, baseline=baseline, reference=reference, alpha=alpha, rank_by=rank_by)
    ranks = dict(zip(a["model"], a["mean_rank"], strict=True))
    if any(math.isfinite(r) for r in ranks.values()):
        title = f"{name}: mean rank by {LABELS.get(rank_by, rank_by)} (bars: not significantly different)"
        cd = cd_diagram(ranks, float(a["nemenyi_cd"].iloc[0]), Path(plot_dir) / f"{name}_cd.png", title=title)
        lines += [figure_line(cd, report_dir, f"{name}: critical-difference diagram"), ""]
    others = pd.to_numeric(s.loc[s["model"] != baseline, "rel_mse"], errors="coerce")
    if (np.isfinite(others) & (others > 0)).any():
        path = Path(plot_dir) / f"{name}_ratios.png"
        dist = ratio_distribution(s, path, baseline=baseline, title=name, colours=colours)
        lines += [figure_line(dist, report_dir, f"{name}: per-series MSE ratio to {baseline}"), ""]
    lines += representative_lines(representative_series(s, nets=nets, baseline=baseline))
    return lines
