"""Choosing a few series of a collection worth plotting: where the nets lag, win, and a typical one.

A collection's tables average over hundreds of series; the overlay plots can show only a few.
Picking them by hand invites picking the flattering ones, so the choice is a rule over the
per-series metrics, deterministic (ties broken by unique_id) and stated next to each series.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats


def _per_series(per_series: pd.DataFrame, nets: Sequence[str]) -> pd.DataFrame:
    """Per unique_id: the nets' geometric-mean MSE ratio, mean echo ratio and how many lag."""
    d = per_series[per_series["model"].isin(nets)].copy()
    # a fixed row order (series, then the nets' order) so the sums and the texts never depend on input order
    d = d.assign(_o=d["model"].map({n: i for i, n in enumerate(nets)}), _u=d["unique_id"].astype(str))
    d = d.sort_values(["_u", "_o"], kind="stable")
    d["rel_mse"] = pd.to_numeric(d["rel_mse"], errors="coerce")
    d = d[np.isfinite(d["rel_mse"]) & (d["rel_mse"] > 0)]
    if d.empty:
        return pd.DataFrame(columns=["unique_id", "rel", "echo", "n_lag", "lagging", "models"])
    d["lagging"] = d["lagging"].astype("boolean").fillna(False).astype(bool)
    g = d.groupby("unique_id", sort=True)
    out = pd.DataFrame(
        {
            "rel": g["rel_mse"].agg(lambda r: float(stats.gmean(r))),
            "echo": g["echo_ratio"].agg(lambda e: float(np.nanmean(e)) if np.isfinite(e).any() else np.nan),
            "n_lag": g["lagging"].sum().astype(int),
            "lagging": d[d["lagging"]].groupby("unique_id")["model"].agg(", ".join),
            "models": g["model"].agg(lambda m: ", ".join(m)),
        }
    )
    out["lagging"] = out["lagging"].fillna("")
    return out.reset_index()


def _first_new(ranked: pd.DataFrame, taken: set[str]) -> pd.Series | None:
    for _, row in ranked.iterrows():
        if row["uid"] not in taken:
            return row
    return None


def representative_series(
    per_series: pd.DataFrame,
    *,
    nets: Sequence[str] = ("rnn", "gru", "lstm"),
    baseline: str = "naive",
) -> list[tuple[str, str]]:
    """Up to three ``(unique_id, why)``: where the nets lag most, where they win most, the median.

    Per series the nets present are summarised by the geometric mean of their MSE ratios to the
    baseline (ratios ≤ 0 or NaN left out), their mean echo ratio and how many are flagged lagging.
    "Lag most": the most nets lagging, then the largest ratio, then the lowest echo ratio — or, when
    no net lags anywhere, the lowest echo ratio. "Win most": the smallest ratio. "Typical": the
    median ratio (the lower middle for an even count). Ties go to the smaller unique_id; a series is
    chosen once (the next in line is taken). One dataset's rows only; [] when no net has a ratio.
    """
    datasets = pd.unique(per_series["dataset"]) if "dataset" in per_series else []
    if len(datasets) > 1:
        raise ValueError(f"representative_series needs one dataset's rows; got datasets {list(datasets)}")
    s = _per_series(per_series, [n for n in nets if n != baseline])
    if s.empty:
        return []
    s = s.assign(uid=s["unique_id"].astype(str))
    picks: list[tuple[str, str]] = []
    taken: set[str] = set()

    def take(row: pd.Series | None, why: str) -> None:
        if row is not None:
            picks.append((row["uid"], why))
            taken.add(row["uid"])

    ratio = f"MSE / {baseline}"
    if (s["n_lag"] > 0).any():
        lag = s.sort_values(["n_lag", "rel", "echo", "uid"], ascending=[False, False, True, True])
        row = _first_new(lag, taken)
        take(row, f"the nets lag most: {row['lagging']} flagged lagging, {ratio} {row['rel']:.3f} "
                  f"(geometric mean of {row['models']}), echo ratio {row['echo']:.2f}")  # fmt: skip
    elif s["echo"].notna().any():
        row = _first_new(s.dropna(subset=["echo"]).sort_values(["echo", "uid"]), taken)
        take(row, f"no net flagged lagging; the lowest echo ratio, {row['echo']:.2f} "
                  f"(mean of {row['models']}), {ratio} {row['rel']:.3f}")  # fmt: skip
    win = s.sort_values(["rel", "uid"])
    row = _first_new(win, taken)
    if row is not None:
        take(row, f"the nets win most: {ratio} {row['rel']:.3f} (geometric mean of {row['models']})")
    mid = (len(win) - 1) // 2
    near = sorted(range(len(win)), key=lambda i: (abs(i - mid), i))  # the median, then its neighbours
    row = _first_new(win.iloc[near], taken)
    if row is not None:
        where = "the median" if row["uid"] == win["uid"].iloc[mid] else "next to the median"
        take(row, f"typical: {where} of the nets' {ratio} over {len(win)} series, {row['rel']:.3f} "
                  f"(geometric mean of {row['models']})")  # fmt: skip
    return picks
