"""The report's interval section: every model with an interval, model-based or conformal.

Built from the stored metrics row per model and the stored forecast rows (``y_interval`` says where
each row's interval came from); nothing is recomputed. One table (coverage, width, Winkler, CRPS,
CRPS against the baseline with its DM p-value, NLL, QLIKE), one sentence per model on whether it
beats persistence in distribution (DM on per-row CRPS), and the count of origins that had too few
earlier errors for a conformal interval.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.report.markdown import Column, metric_table
from bench.scoring.verdict import BEATS, WORSE, verdict


def interval_columns(baseline: str) -> list[Column]:
    """The table's columns, the CRPS ratio headed with the run's own baseline."""
    return [
        Column("interval", "interval", "{}"),
        Column("coverage", "coverage", "{:.0%}"),
        Column("width", "mean width", "{:.4g}"),  # narrower is only better at the same coverage
        Column("winkler", "Winkler", "{:.4g}", "low"),
        Column("crps", "CRPS", "{:.4g}", "low"),
        Column("rel_crps", f"CRPS / {baseline}", "{:.3f}", "low"),
        Column("dm_pvalue_crps", "DM p (CRPS)", "{:.3f}"),
        Column("nll", "NLL", "{:.3f}", "low"),
        Column("qlike", "QLIKE", "{:.3f}", "low"),
    ]


def interval_source(forecasts: pd.DataFrame) -> dict[str, str]:
    """Per model: "model" if its own distribution gave intervals, "conformal" if the conformal step
    did (or would have: "" when no origin had enough earlier errors)."""
    if forecasts.empty:
        return {}
    if "y_interval" not in forecasts:  # a run stored before the column existed: intervals were the model's
        forecasts = forecasts.assign(y_interval=forecasts["y_lo"].notna().map({True: "model", False: ""}))
    kinds = forecasts.groupby("model", sort=False)["y_interval"].agg(set)
    return {
        model: "model" if "model" in k else "conformal" if "conformal" in k else ""
        for model, k in kinds.items()
    }


def interval_section(
    m: pd.DataFrame, forecasts: pd.DataFrame, level: float, alpha: float = 0.05, conformal: bool = True
) -> list[str]:
    """The interval table of one series (``m``: its metrics rows; ``forecasts``: its stored rows)."""
    source = interval_source(forecasts)
    counts = conformal_counts(forecasts, [k for k, v in source.items() if v != "model"]) if conformal else []
    has = m[m["model"].map(source).fillna("").ne("")] if "coverage" in m else m.iloc[:0]
    if has.empty:
        return [*counts, ""] if counts else []
    baseline = str(m["baseline"].iloc[0]) if "baseline" in m and len(m) else "naive"
    has = has.assign(interval=has["model"].map(source))
    head = (
        f"Intervals ({level:.0%} nominal): the model's own predictive distribution, or conformal "
        "intervals from its own errors at earlier origins. CRPS and Winkler score the whole "
        "distribution and the interval (lower is better); NLL needs a predictive density."
    )
    lines = [head, "", metric_table(has, interval_columns(baseline)), ""]
    sentences = [crps_sentence(r, baseline, alpha) for r in has.to_dict("records") if r["model"] != baseline]
    lines += [f"- {s}" for s in sentences if s]
    lines += counts
    return lines + ([""] if len(lines) > 4 else [])


def crps_sentence(row: dict, baseline: str, alpha: float) -> str:
    """Does the model beat persistence in distribution: DM on per-row CRPS against the baseline."""
    p, stat, rel = (
        row.get("dm_pvalue_crps", np.nan),
        row.get("dm_stat_crps", np.nan),
        row.get("rel_crps", np.nan),
    )
    if not np.isfinite(rel):
        return ""
    head = {BEATS: "beats", WORSE: "worse than"}.get(verdict(stat, p, alpha), "no better than")
    p_txt = f"{p:.2g}" if np.isfinite(p) and p < 0.01 else (f"{p:.2f}" if np.isfinite(p) else "n/a")
    return (
        f"{row['model']}: in distribution {head} {baseline} (DM on CRPS p = {p_txt}, CRPS ratio {rel:.2f})."
    )


def conformal_counts(forecasts: pd.DataFrame, models: list[str]) -> list[str]:
    """ "k of n origins without a conformal interval" per conformal model (its first seed's rows)."""
    counts: dict[tuple[int, int], list[str]] = {}
    for model in models:
        f = forecasts[forecasts["model"] == model]
        f = f[f["seed"] == f["seed"].min()]
        missing = f.groupby("cutoff")["y_interval"].agg(lambda s: bool((s != "conformal").any()))
        counts.setdefault((int(missing.sum()), len(missing)), []).append(model)
    return [
        f"- {', '.join(ms)}: no predictive distribution of their own, so conformal intervals; {k} of {n} "
        "origins without one (too few earlier errors)"
        for (k, n), ms in counts.items()
    ]
