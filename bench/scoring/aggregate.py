"""Aggregation over the series of a collection, as the M-competition papers report it.

Input: the per-series metrics frame, one row per dataset × unique_id × model (seeds already
averaged) with at least ``dataset, unique_id, model, mse, smape, mase, rel_mse, dm_stat,
dm_pvalue, lagging``. Output: one row per dataset × model. Means and medians of sMAPE and MASE
(M3/M4), AvgRelMSE — the geometric mean of per-series MSE ratios to the baseline (Davydenko &
Fildes 2013; the arithmetic mean of ratios is dominated by a few bad series and is not symmetric) —,
mean ranks with the Friedman test and Nemenyi critical difference (Demšar 2006), win rates and
the shares of series where the DM test and the lag diagnostics decide, and the tries counted:
the share of series where the SPA test says some model beats the baseline beside the share where
some model's own DM says so, and each model's share of series in the Model Confidence Set. Pure pandas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from bench.scoring import ranks as rk
from bench.scoring.verdict import BEATS, WORSE, spa_rejects, verdict

KEY = ["dataset", "unique_id", "model"]
REQUIRED = [*KEY, "mse", "smape", "mase", "rel_mse", "dm_stat", "dm_pvalue", "lagging"]
COLUMNS = [
    "dataset", "model", "n_series", "smape_mean", "smape_median", "mase_mean", "mase_median", "mape_mean",
    "avg_rel_mse", "rel_mse_excluded", "mean_rank", "rank_series", "rank_excluded",
    "friedman_pvalue", "nemenyi_cd", "win_rate_baseline", "win_rate_reference", "share_dm_beats",
    "share_dm_worse", "share_lagging", "crps_mean", "avg_rel_crps", "share_in_mcs", "share_spa_beats",
    "share_any_dm_beats",
]  # fmt: skip


def check_per_series(per_series: pd.DataFrame, rank_by: str = "smape") -> None:
    """Refuse a frame the aggregation would silently get wrong (missing columns, duplicate rows)."""
    missing = [c for c in [*REQUIRED, rank_by] if c not in per_series.columns]
    if missing:
        raise ValueError(f"per-series frame lacks columns {missing}; it needs {REQUIRED} and rank_by")
    dup = per_series.duplicated(KEY)
    if dup.any():
        first = per_series.loc[dup, KEY].iloc[0].tolist()
        raise ValueError(f"per-series frame has more than one row for dataset × unique_id × model {first}")


def avg_rel_mse(rel: pd.Series) -> tuple[float, int]:
    """Geometric mean of the positive finite ratios, and how many ratios were left out (≤ 0 or NaN)."""
    r = pd.to_numeric(rel, errors="coerce").to_numpy(float)
    ok = np.isfinite(r) & (r > 0)
    gm = float(stats.gmean(r[ok])) if ok.any() else float("nan")
    return gm, int((~ok).sum())


def win_rate(mse: pd.Series, other: pd.Series) -> float:
    """Share of series where ``mse`` < ``other`` (aligned by unique_id), ties counting one half.

    Only series where both are finite count; NaN when there are none.
    """
    a, b = mse.align(other, join="inner")
    ok = np.isfinite(a.to_numpy(float)) & np.isfinite(b.to_numpy(float))
    a, b = a.to_numpy(float)[ok], b.to_numpy(float)[ok]
    if not a.size:
        return float("nan")
    return float(np.mean((a < b) + 0.5 * (a == b)))


def rank_table(d: pd.DataFrame, rank_by: str, alpha: float) -> tuple[pd.Series, dict[str, float]]:
    """Mean rank per model on the series where every model has ``rank_by``, plus the block's stats.

    A model with no value on any series of the dataset (failed everywhere) is left out of the
    ranking (its mean rank is NaN) instead of emptying the block for all the others.
    """
    wide = d.pivot(index="unique_id", columns="model", values=rank_by)
    wide = wide.apply(pd.to_numeric, errors="coerce").replace([np.inf, -np.inf], np.nan)
    wide = wide.loc[:, wide.notna().any()]
    block = wide.dropna()
    info = dict(
        rank_series=float(len(block)),
        rank_excluded=float(d["unique_id"].nunique() - len(block)),
        friedman_pvalue=rk.friedman_pvalue(block),
        nemenyi_cd=rk.nemenyi_cd(block.shape[1], len(block), alpha),
    )
    means = rk.block_ranks(block).mean() if len(block) else pd.Series(np.nan, index=block.columns)
    return means, info


def _mean_median(x: pd.Series) -> tuple[float, float]:
    """Mean and median of the finite values (NaN, without numpy's empty-slice warning, if none)."""
    v = pd.to_numeric(x, errors="coerce").to_numpy(float)
    v = v[np.isfinite(v)]
    return (float(np.mean(v)), float(np.median(v))) if v.size else (np.nan, np.nan)


def tries_shares(d: pd.DataFrame, baseline: str, alpha: float) -> dict[str, float]:
    """Of one dataset's series: the share where Hansen's SPA says some model beats the baseline
    (``spa_rejects``: p < alpha/2, one-sided like DM's beats side; an untestable SPA counts as no),
    beside the share where at least one model's own DM verdict says beats_naive — the gap is what
    counting the tries takes away. NaN when the frame has no SPA column (scored before it existed)."""
    if "spa_pvalue" not in d:
        return dict(share_spa_beats=np.nan, share_any_dm_beats=np.nan)
    series = d.groupby("unique_id", sort=False)
    spa = series["spa_pvalue"].first().astype(float)
    others = d[d["model"] != baseline]
    says = [
        verdict(s, p, alpha) == BEATS for s, p in zip(others["dm_stat"], others["dm_pvalue"], strict=True)
    ]
    beats = pd.Series(says, index=others.index, dtype=bool).groupby(others["unique_id"], sort=False).any()
    beats = beats.reindex(spa.index, fill_value=False)
    rejects = [spa_rejects(p, alpha) for p in spa]
    return dict(share_spa_beats=float(np.mean(rejects)), share_any_dm_beats=float(beats.mean()))


def _share_true(x: pd.Series | None) -> float:
    """Share of True among the defined values (NaN when none is defined or the column is absent)."""
    if x is None:
        return np.nan
    v = x.astype("boolean").dropna()
    return float(v.astype(bool).mean()) if len(v) else np.nan


def _dm_share(g: pd.DataFrame, alpha: float, which: str) -> float:
    v = [verdict(s, p, alpha) for s, p in zip(g["dm_stat"], g["dm_pvalue"], strict=True)]
    return float(np.mean([x == which for x in v])) if v else float("nan")


def _crps(g: pd.DataFrame) -> dict[str, float]:
    """Mean CRPS over the series and the geometric mean of the CRPS ratios (NaN without CRPS)."""
    if "crps" not in g or "rel_crps" not in g:
        return {"crps_mean": np.nan, "avg_rel_crps": np.nan}
    return {"crps_mean": _mean_median(g["crps"])[0], "avg_rel_crps": avg_rel_mse(g["rel_crps"])[0]}


def aggregate(
    per_series: pd.DataFrame,
    *,
    baseline: str = "naive",
    reference: str = "arima",
    alpha: float = 0.05,
    rank_by: str = "smape",
) -> pd.DataFrame:
    """One row per dataset × model, in the order of first appearance; columns ``COLUMNS``.

    n_series counts the model's rows; means and medians skip NaN and ±inf (e.g. MASE of a constant training
    series). mean_rank ranks models per series on ``rank_by`` (lower is better, ties averaged)
    over the ``rank_series`` series where every model has a value (``rank_excluded`` left out);
    friedman_pvalue, nemenyi_cd and those counts are per dataset, repeated on each model's row.
    Win rates compare MSE per series with the baseline's and the reference's (NaN for the model
    itself or when that model is absent). share_dm_beats / share_dm_worse count the series where the
    DM test against the baseline is significant at ``alpha`` in either direction (an untestable DM
    counts as neither; NaN for the baseline itself); share_lagging is the share of series flagged
    ``lagging``. crps_mean is the mean of the series' mean CRPS (scale-dependent, like MSE);
    avg_rel_crps the geometric mean of their CRPS ratios to the baseline (as AvgRelMSE); NaN where
    the per-series frame has no CRPS.
    """
    alpha = rk.check_alpha(alpha)
    check_per_series(per_series, rank_by)
    rows = []
    for ds_name, d in per_series.groupby("dataset", sort=False):
        means, info = rank_table(d, rank_by, alpha)
        info.update(tries_shares(d, baseline, alpha))
        mse = {m: g.set_index("unique_id")["mse"].astype(float) for m, g in d.groupby("model", sort=False)}
        for model, g in d.groupby("model", sort=False):
            gm, excluded = avg_rel_mse(g["rel_mse"])
            vs = {
                who: win_rate(mse[model], mse[other]) if other in mse and other != model else np.nan
                for who, other in (("baseline", baseline), ("reference", reference))
            }
            is_base = model == baseline
            (s_mean, s_median), (m_mean, m_median) = _mean_median(g["smape"]), _mean_median(g["mase"])
            p_mean = _mean_median(g["mape"])[0] if "mape" in g else np.nan
            rows.append(
                dict(
                    dataset=ds_name,
                    model=model,
                    n_series=len(g),
                    smape_mean=s_mean,
                    smape_median=s_median,
                    mase_mean=m_mean,
                    mase_median=m_median,
                    mape_mean=p_mean,
                    avg_rel_mse=gm,
                    rel_mse_excluded=excluded,
                    mean_rank=means.get(model, np.nan),
                    **info,
                    win_rate_baseline=vs["baseline"],
                    win_rate_reference=vs["reference"],
                    share_dm_beats=np.nan if is_base else _dm_share(g, alpha, BEATS),
                    share_dm_worse=np.nan if is_base else _dm_share(g, alpha, WORSE),
                    share_lagging=float(g["lagging"].astype("boolean").fillna(False).astype(bool).mean()),
                    **_crps(g),
                    share_in_mcs=_share_true(g.get("in_mcs")),
                )  # fmt: skip
            )
    out = pd.DataFrame(rows, columns=COLUMNS)
    ints = ["n_series", "rel_mse_excluded", "rank_series", "rank_excluded"]
    return out.astype(dict.fromkeys(ints, int))
