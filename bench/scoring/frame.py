"""Frame-level scorer: the tidy forecasts frame in, the metrics table and verdicts out.

Pure pandas over the runner's files (forecasts, series); nothing is refitted, and run accounting
(failed folds, fit time) stays with the runner's folds file. Point and interval metrics use every
row of a dataset × model × seed; the lag/honesty diagnostics (DM, lag scan, echo ratio, change and
direction skill, encompassing, differenced-scale errors) use the rows of the first horizon step
present (``diag_h``, normally 1), as each is defined for one fixed h. Seeds are scored separately,
then averaged (``aggregate_seeds``). The verdict rules themselves live in ``bench.scoring.verdict``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.scoring import lag
from bench.scoring import metrics as m
from bench.scoring.verdict import NO_BETTER, beats_reference, lagging_column, verdict, verdict_sentence
from bench.settings import ScoringSettings

DEFAULT = ScoringSettings()
KEYS = ["dataset", "unique_id", "cutoff", "ds", "h"]
GROUP = ["dataset", "unique_id", "model", "seed"]
NOT_AVERAGED = {"seed", "n", "diag_h", "h_max", "best_shift", "lagging", "verdict"}
METRICS = [
    "n", "mse", "mae", "rmse", "mase", "smape", "mape", "rel_mse", "dm_stat", "dm_pvalue",
    "dm_pvalue_vs_ref", "diag_h", "h_max", "best_shift", "shift_gain", "echo_ratio", "change_corr",
    "dir_acc", "dir_pvalue", "enc_b", "enc_c", "enc_b_se", "mse_diff", "mae_diff", "coverage",
    "width", "nll", "qlike",
]  # fmt: skip


def with_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Frames of single-series runs may lack ``unique_id``: the dataset name is the id then."""
    return frame if "unique_id" in frame else frame.assign(unique_id=frame["dataset"])


def _prepare(forecasts: pd.DataFrame, series: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Drop unscored rows; add target position ``pos``, cutoff position and the fold's MASE ``scale``.

    One join for all series (not a mask per series): collections have thousands of them.
    """
    fc = with_ids(forecasts).dropna(subset=["y", "y_hat"])
    s = with_ids(series).sort_values(["dataset", "unique_id", "ds"], kind="stable")
    s = s.assign(pos=s.groupby(["dataset", "unique_id"], sort=False).cumcount())
    full: dict[tuple, np.ndarray] = {}
    scales = []
    for key, g in s.groupby(["dataset", "unique_id"], sort=False):
        y = g["y"].to_numpy(float)
        full[key] = y
        # MASE as in the M-competitions: scaled by the in-sample seasonal naive (lag 1 without a period).
        period = int(g["period"].iloc[0]) if "period" in g and pd.notna(g["period"].iloc[0]) else 1
        scales.append(m.expanding_seasonal_naive_scale(y, max(1, period)))
    s = s.assign(scale=np.concatenate(scales) if scales else np.array([], dtype=float))
    ids = ["dataset", "unique_id"]
    missing = set(map(tuple, fc[ids].drop_duplicates().to_numpy())) - set(full)
    if missing:
        raise ValueError(f"no series for {sorted(missing)[:3]}")
    at_t = s[[*ids, "ds", "pos"]]
    at_cut = s[[*ids, "ds", "scale"]].rename(columns={"ds": "cutoff"})
    out = fc.merge(at_t, on=[*ids, "ds"], how="left").merge(at_cut, on=[*ids, "cutoff"], how="left")
    if out["pos"].isna().any():
        bad = out.loc[out["pos"].isna(), "ds"].iloc[0]
        raise ValueError(f"ds value {bad!r} not in the series")
    return out.astype({"pos": int}), full


def _consensus(fc: pd.DataFrame, model: str, column: str) -> pd.DataFrame:
    """One forecast per key for a comparator (deterministic, so seeds agree; averaged if not)."""
    sub = fc[fc["model"] == model]
    return sub.groupby(KEYS, as_index=False)["y_hat"].mean().rename(columns={"y_hat": column})


def _dm_vs(y: np.ndarray, f: np.ndarray, other: np.ndarray, h: int) -> lag.DMResult:
    ok = ~np.isnan(other)
    return lag.diebold_mariano((y[ok] - f[ok]) ** 2, (y[ok] - other[ok]) ** 2, h=h)


def _score_group(g: pd.DataFrame, y_full: np.ndarray, max_shift: int) -> dict[str, float]:
    """Every metric of one series × model × seed; ``y_hat_b`` / ``y_hat_r`` are the baseline's and
    the reference's forecasts on the same keys (NaN where they have none). Plain arrays, not
    pandas: it runs once per series × model × seed (over 8000 times on M3 monthly)."""
    cols = ("y", "y_hat", "y_hat_b", "y_hat_r", "scale", "y_origin", "y_lo", "y_hi", "y_var")
    c = {k: g[k].to_numpy(float) for k in cols}
    hs, pos = g["h"].to_numpy(int), g["pos"].to_numpy(int)
    y, f = c["y"], c["y_hat"]
    out: dict[str, float] = dict(
        n=len(g), mse=m.mse(y, f), mae=m.mae(y, f), rmse=m.rmse(y, f),
        mase=m.mase(y, f, c["scale"]), smape=m.smape(y, f), mape=m.mape(y, f),
    )  # fmt: skip
    ok = ~np.isnan(c["y_hat_b"])
    base_mse = m.mse(y[ok], c["y_hat_b"][ok])
    out["rel_mse"] = m.mse(y[ok], f[ok]) / base_mse if base_mse > 0 else np.nan
    h = int(hs.min())
    at = np.flatnonzero(hs == h)
    at = at[np.argsort(pos[at], kind="stable")]
    dy, df, do, dpos = y[at], f[at], c["y_origin"][at], pos[at]
    dm = _dm_vs(dy, df, c["y_hat_b"][at], h)
    out.update(
        dm_stat=dm.stat, dm_pvalue=dm.pvalue, dm_pvalue_vs_ref=_dm_vs(dy, df, c["y_hat_r"][at], h).pvalue
    )
    out["diag_h"], out["h_max"] = h, int(hs.max())
    k, mse_k, _ = lag.scan(df, dpos, y_full, max_shift)
    out["best_shift"], out["shift_gain"] = lag.shift_choice(k, mse_k)
    direction = lag.direction_accuracy(dy, df, do)
    enc = lag.encompassing(dy, df, do)
    inc_y, inc_f = lag.increments(dy, dpos), lag.increments(df, dpos)
    out.update(
        echo_ratio=lag.echo_ratio(dy, df, do), change_corr=lag.change_corr(dy, df, do),
        dir_acc=direction.acc, dir_pvalue=direction.pvalue,
        enc_b=enc.b, enc_c=enc.c, enc_b_se=enc.b_se,
        mse_diff=m.mse(inc_y, inc_f), mae_diff=m.mae(inc_y, inc_f),
    )  # fmt: skip
    iv = ~(np.isnan(c["y_lo"]) | np.isnan(c["y_hi"]))
    vv = ~np.isnan(c["y_var"])
    out.update(
        coverage=m.coverage(y[iv], c["y_lo"][iv], c["y_hi"][iv]),
        width=m.interval_width(c["y_lo"][iv], c["y_hi"][iv]),
        nll=m.gaussian_nll(y[vv], f[vv], c["y_var"][vv]), qlike=m.qlike(y[vv], c["y_var"][vv]),
    )  # fmt: skip
    return out


def returns_series(series: pd.DataFrame) -> set[tuple]:
    """(dataset, unique_id) of return series: QLIKE (variance vs y²) is meaningful only for them."""
    s = with_ids(series)
    if "returns" not in s:
        return set()
    flagged = s.loc[s["returns"].astype(bool), ["dataset", "unique_id"]].drop_duplicates()
    return set(map(tuple, flagged.to_numpy()))


def score_seeds(forecasts: pd.DataFrame, series: pd.DataFrame, sc: ScoringSettings = DEFAULT) -> pd.DataFrame:
    """One row per dataset × series × model × seed with every metric, ``lagging`` and ``verdict``."""
    fc, full = _prepare(forecasts, series)
    fc = fc.merge(_consensus(fc, sc.baseline, "y_hat_b"), on=KEYS, how="left")
    fc = fc.merge(_consensus(fc, sc.reference, "y_hat_r"), on=KEYS, how="left")
    rows = []
    for (ds_name, uid, model, seed), g in fc.groupby(GROUP, sort=False, dropna=False):
        stats_ = _score_group(g, full[(ds_name, uid)], sc.max_shift)
        rows.append({"dataset": ds_name, "unique_id": uid, "model": model, "seed": seed, **stats_})
    out = pd.DataFrame(rows, columns=[*GROUP, *METRICS]).astype({**dict.fromkeys(METRICS, float), "n": int})
    returns = returns_series(series)
    is_returns = [(d, u) in returns for d, u in zip(out["dataset"], out["unique_id"], strict=True)]
    out.loc[~np.array(is_returns, dtype=bool), "qlike"] = np.nan
    pairs = zip(out["dm_stat"], out["dm_pvalue"], strict=True)
    out["verdict"] = [verdict(s, p, sc.alpha) for s, p in pairs]
    out["lagging"] = lagging_column(out, sc.echo_threshold, sc.max_shift)
    return out


def _mode_shift(ks: pd.Series) -> float:
    """Most common best shift over seeds; ties go to the smallest |k|."""
    counts = ks.dropna().astype(int).value_counts()
    if counts.empty:
        return np.nan
    top = counts[counts == counts.max()].index
    return float(sorted(top, key=lambda k: (abs(k), k))[0])


def aggregate_seeds(per_seed: pd.DataFrame, sc: ScoringSettings = DEFAULT) -> pd.DataFrame:
    """Mean over seeds plus ``<metric>_std`` (sample std, ddof=1; NaN for one seed).

    best_shift is the modal shift; the verdict is the per-seed verdict when all seeds agree and
    no_better_than_naive otherwise (a result that flips with the seed is not robust); lagging is
    re-derived from the aggregated verdict, modal shift and mean echo ratio. ``beats_ref`` applies
    ``beats_reference`` against the reference model; ``verdict_text`` is the plain-language sentence.
    """
    per_seed = with_ids(per_seed)
    g = per_seed.groupby(["dataset", "unique_id", "model"], sort=False, dropna=False)
    num = [c for c in METRICS if c not in NOT_AVERAGED]
    out = g[["n", "diag_h", "h_max", *num]].mean()
    out.insert(0, "n_seeds", g.size())
    out["best_shift"] = g["best_shift"].agg(_mode_shift)
    out["verdict"] = g["verdict"].agg(lambda v: v.iloc[0] if v.nunique() == 1 else NO_BETTER)
    out["lagging"] = lagging_column(out, sc.echo_threshold, sc.max_shift)
    std = g[[*num, "best_shift"]].std(ddof=1).add_suffix("_std")
    out = out.join(std).reset_index()
    baseline, reference = sc.baseline, sc.reference
    ref = out[out["model"] == reference].set_index(["dataset", "unique_id"])["mse"]
    beats = [
        beats_reference(r.mse, r.mse_std, ref[(r.dataset, r.unique_id)])
        if r.model not in (reference, baseline) and (r.dataset, r.unique_id) in ref.index
        else pd.NA
        for r in out.itertuples()
    ]
    out["beats_ref"] = pd.array(beats, dtype="boolean")
    out["baseline"], out["reference"] = baseline, reference
    out["verdict_text"] = [
        verdict_sentence(r, baseline=baseline, reference=reference, echo_threshold=sc.echo_threshold)
        for r in out.to_dict("records")
    ]
    head = ["dataset", "unique_id", "model", "n_seeds", *METRICS]
    rest = [c for c in out.columns if c not in head and not c.endswith("_std")]
    return out[head + rest + [c for c in out.columns if c.endswith("_std")]]


def score(forecasts: pd.DataFrame, series: pd.DataFrame, sc: ScoringSettings = DEFAULT) -> pd.DataFrame:
    """The per-series metrics table: one row per dataset × series × model, seeds aggregated."""
    return aggregate_seeds(score_seeds(forecasts, series, sc), sc)


def per_horizon(forecasts: pd.DataFrame, *, baseline: str = "naive") -> pd.DataFrame:
    """MSE, MAE and rel_mse per dataset × series × model × h (mean over seeds), for h > 1 plots.

    rel_mse uses only the rows where the baseline also has a forecast (same series, cutoff, ds, h).
    """
    fc = with_ids(forecasts).dropna(subset=["y", "y_hat"])
    fc = fc.merge(_consensus(fc, baseline, "y_hat_b"), on=KEYS, how="left")
    both = fc["y_hat_b"].notna()
    fc = fc.assign(
        se=(fc["y"] - fc["y_hat"]) ** 2,
        ae=(fc["y"] - fc["y_hat"]).abs(),
        se_pair=((fc["y"] - fc["y_hat"]) ** 2).where(both),
        se_base=((fc["y"] - fc["y_hat_b"]) ** 2).where(both),
    )
    g = fc.groupby([*GROUP, "h"], dropna=False)
    per = g.agg(
        n=("se", "size"), mse=("se", "mean"), mae=("ae", "mean"),
        pair=("se_pair", "mean"), base=("se_base", "mean"),
    )  # fmt: skip
    per["rel_mse"] = per["pair"] / per["base"].where(per["base"] > 0)
    keys = ["dataset", "unique_id", "model", "h"]
    out = per.groupby(keys, sort=False)[["n", "mse", "mae", "rel_mse"]].mean()
    return out.reset_index()


def lag_curves(
    forecasts: pd.DataFrame, series: pd.DataFrame, *, max_shift: int = 5, h: int | None = None
) -> pd.DataFrame:
    """The lag scan curve MSE(ŷ_t, y_{t−k}) per dataset × series × model × k (mean over seeds).

    Uses horizon ``h``, or each model's first horizon step when None (the one in the main table).
    """
    fc, full = _prepare(forecasts, series)
    parts = []
    for (ds_name, uid, model, seed), g in fc.groupby(GROUP, sort=False, dropna=False):
        hh = int(g["h"].min()) if h is None else h
        d = g[g["h"] == hh].sort_values("pos")
        if len(d):
            curve = lag.lag_scan(d["y_hat"], d["pos"], full[(ds_name, uid)], max_shift)
            parts.append(curve.assign(dataset=ds_name, unique_id=uid, model=model, seed=seed, h=hh))
    keys = ["dataset", "unique_id", "model", "h", "k"]
    if not parts:
        return pd.DataFrame(columns=[*keys, "mse", "n"])
    curves = pd.concat(parts, ignore_index=True)
    out = curves.groupby(keys, sort=False)[["mse", "n"]].mean()
    return out.reset_index()
