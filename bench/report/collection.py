"""The report section of a collection: the across-series page plus a few series shown in full."""

from __future__ import annotations

import pandas as pd

from bench.report.across_series import across_series_section
from bench.report.context import ReportContext
from bench.report.representative import representative_series
from bench.report.series import series_section
from bench.report.tries import collection_tries_lines
from bench.types import DatasetInfo

NETS = ("rnn", "gru", "lstm")


def dataset_intro(name: str, meta: DatasetInfo) -> list[str]:
    """Source, size and origins of a dataset; for a collection, counts and length range too."""
    source = meta.source or "source not stated"
    if meta.n_series > 1:
        what = (f"{meta.n_series} series of {meta.min_length}–{meta.max_length} observations "
                f"({meta.n_evaluated} evaluated, {meta.n_skipped} too short), {meta.folds} "
                "forecast origins each, counted back from each series' own end")  # fmt: skip
    else:
        what = (f"{meta.n} observations ({meta.start[:10]} → {meta.end[:10]}), {meta.folds} "
                f"forecast origins {meta.first_cutoff[:10]} → {meta.last_cutoff[:10]}")  # fmt: skip
    window = f"; windowed models read {meta.window} values" if meta.window else ""
    out = [f"## {name}", "", f"{source} — {what}; pipeline: {meta.pipeline}{window}.", ""]
    fewer = {m: k for m, k in meta.scored.items() if k < meta.n_evaluated}
    if fewer:
        listed = ", ".join(f"{m} on {k}" for m, k in fewer.items())
        out += [f"Not every model can fit every series: {listed} of the {meta.n_evaluated} "
                "(the others are recorded `skipped` for that model, with the reason, in `folds.parquet`); "
                "ranks use the series every model was scored on.", ""]  # fmt: skip
    out += [f"> note: {n}" for n in meta.notes]
    return out + ([""] if meta.notes else [])


def collection_report(
    name: str,
    meta: DatasetInfo,
    per_series: pd.DataFrame,
    agg: pd.DataFrame,
    data: dict[str, pd.DataFrame],
    ctx: ReportContext,
) -> list[str]:
    """Aggregate table, CD diagram, ratio spread, then overlay + lag scan of the chosen series only."""
    sc, caps = ctx.scoring, ctx.caps
    nets = tuple(m for m in ctx.models if caps.get(m, {}).get("stochastic")) or NETS
    lines = across_series_section(name, per_series, agg, ctx, nets=nets)
    lines += collection_tries_lines(agg, sc)
    folds = data["folds"]
    lines += [
        time_per_series(folds, {m for m in ctx.models if caps.get(m, {}).get("scope") == "global"}),
        "",
    ]
    lines += skipped_lines(folds)
    for uid, why in representative_series(per_series, nets=nets, baseline=sc.baseline):
        one = {k: v[v["unique_id"] == uid] for k, v in data.items()}
        m = per_series[per_series["unique_id"] == uid]
        lines += [f"#### {name} / {uid} — {why}", ""]
        lines += series_section(f"{name} / {uid}", meta, m, one, ctx, plot_name=f"{name}_{uid}")
    return lines


def skipped_lines(folds: pd.DataFrame) -> list[str]:
    """Per model: how many series it was not scored on (too short), with the first reason."""
    skipped = folds[folds["status"] == "skipped"].drop_duplicates(["model", "unique_id"])
    out = [
        f"- {model}: {len(g)} series too short for it (listed in `folds.parquet`), e.g. "
        f"{g['unique_id'].iloc[0]}: {g['error'].iloc[0]}"
        for model, g in skipped.groupby("model", sort=False)
    ]
    return out + [""] if out else []


def _duration(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def time_per_series(folds: pd.DataFrame, global_models: set[str]) -> str:
    """Fit + forecast seconds per series and model (all folds and seeds), from ``folds.parquet``.

    A global model's time is its networks' training and forecasting spread over the series it
    served; its total is given too, since that is what one more series does not add.
    """
    done = folds[folds["status"] != "skipped"]
    parts = []
    for model, g in done.groupby("model", sort=False):
        total, n = float(g["seconds"].sum()), g["unique_id"].nunique()
        text = f"{model} {_duration(total / max(n, 1))}"
        if model in global_models:
            text += f" (global: {_duration(total)} in all)"
        parts.append(text)
    return "Time per series (fit and forecast, every fold and seed): " + ", ".join(parts) + "."
