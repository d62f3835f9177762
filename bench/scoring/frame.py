"""Frame-level scorer: the tidy forecasts frame in, the metrics table and verdicts out.

Pure pandas over the runner's files (forecasts, series); nothing is refitted, and run accounting
(failed folds, fit time) stays with the runner's folds file. Each dataset × series × model × seed
is scored by the metric functions of ``ScoringSettings.metrics`` (``bench.scoring.scores``: one
signature, one function per metric). Distributional scores need nothing refitted either: the per-row
``crps`` was fixed when the forecast was recorded (paths are not stored). Seeds are scored
separately, then their errors averaged (``aggregate_seeds``); a mean of p-values is no p-value, so a
model run with several seeds takes its tests (DM, direction) and its verdict from its seed ensemble —
the mean forecast over seeds, scored like a model — and counts the seeds that beat the baseline alone.
The verdict rules themselves live in ``bench.scoring.verdict``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bench.scoring import lag
from bench.scoring import metrics as m
from bench.scoring.scores import Metric, Rows, resolve
from bench.scoring.verdict import BEATS, NO_BETTER, beats_reference, lagging_column, verdict, verdict_sentence
from bench.settings import ScoringSettings

DEFAULT = ScoringSettings()
KEYS = ["dataset", "unique_id", "cutoff", "ds", "h"]
GROUP = ["dataset", "unique_id", "model", "seed"]
# Tests of one forecast: never averaged over seeds (taken from the seed ensemble instead).
TESTS = ["dm_stat", "dm_pvalue", "dm_pvalue_vs_ref", "dir_pvalue", "dm_stat_crps", "dm_pvalue_crps"]
NOT_AVERAGED = {"seed", "n", "diag_h", "h_max", "best_shift", "lagging", "verdict", *TESTS}
ENSEMBLE_SEED = -1  # the seed column of the seed-ensemble rows (internal: never written)
# The default metric functions' columns, in order (the table's columns when there is nothing to score).
METRICS = [
    "n", "mse", "mae", "rmse", "mase", "smape", "mape", "rel_mse", "dm_stat", "dm_pvalue",
    "dm_pvalue_vs_ref", "diag_h", "h_max", "best_shift", "shift_gain", "echo_ratio", "change_corr",
    "dir_acc", "dir_pvalue", "enc_b", "enc_c", "enc_b_se", "mse_diff", "mae_diff", "coverage",
    "width", "nll", "qlike", "crps", "rel_crps", "dm_stat_crps", "dm_pvalue_crps", "winkler", "pinball",
]  # fmt: skip
OPTIONAL = {"y_lo": np.nan, "y_hi": np.nan, "y_var": np.nan, "y_df": np.nan, "crps": np.nan, "y_interval": ""}


def with_ids(frame: pd.DataFrame) -> pd.DataFrame:
    """Frames of single-series runs may lack ``unique_id``: the dataset name is the id then."""
    return frame if "unique_id" in frame else frame.assign(unique_id=frame["dataset"])


def _prepare(forecasts: pd.DataFrame, series: pd.DataFrame) -> tuple[pd.DataFrame, dict]:
    """Drop unscored rows; add target position ``pos``, cutoff position and the fold's MASE ``scale``.

    One join for all series (not a mask per series): collections have thousands of them.
    """
    fc = with_ids(forecasts).dropna(subset=["y", "y_hat"])
    fc = fc.assign(**{k: v for k, v in OPTIONAL.items() if k not in fc})  # runs stored before they existed
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


def _consensus(fc: pd.DataFrame, model: str, column: str, value: str = "y_hat") -> pd.DataFrame:
    """One ``value`` per key for a comparator (deterministic, so seeds agree; averaged if not)."""
    sub = fc[fc["model"] == model]
    return sub.groupby(KEYS, as_index=False)[value].mean().rename(columns={value: column})


def _score_group(g: pd.DataFrame, y_full: np.ndarray, metrics: list[Metric], sc: ScoringSettings) -> dict:
    """Every metric of one series × model × seed, in the order of the metric functions. Plain arrays,
    not pandas: it runs once per series × model × seed (over 8000 times on M3 monthly)."""
    rows = Rows(
        **{k: g[k].to_numpy(float) for k in Rows.__dataclass_fields__ if k in g and k not in ("h", "pos")},
        h=g["h"].to_numpy(int), pos=g["pos"].to_numpy(int), y_full=y_full, max_shift=sc.max_shift,
        level=sc.interval_level,
    )  # fmt: skip
    out: dict = {}
    for metric in metrics:
        out.update(metric(rows))
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
    fc = fc.merge(_consensus(fc, sc.baseline, "crps_b", "crps"), on=KEYS, how="left")
    metrics = resolve(sc.metrics)
    rows = []
    for (ds_name, uid, model, seed), g in fc.groupby(GROUP, sort=False, dropna=False):
        stats_ = _score_group(g, full[(ds_name, uid)], metrics, sc)
        rows.append({"dataset": ds_name, "unique_id": uid, "model": model, "seed": seed, **stats_})
    names = list(dict.fromkeys(k for r in rows for k in r if k not in GROUP)) if rows else METRICS
    out = pd.DataFrame(rows, columns=[*GROUP, *names]).astype({**dict.fromkeys(names, float), "n": int})
    returns = returns_series(series)
    is_returns = [(d, u) in returns for d, u in zip(out["dataset"], out["unique_id"], strict=True)]
    if "qlike" in out:
        out.loc[~np.array(is_returns, dtype=bool), "qlike"] = np.nan
    pairs = zip(out["dm_stat"], out["dm_pvalue"], strict=True)
    out["verdict"] = [verdict(s, p, sc.alpha) for s, p in pairs]
    out["lagging"] = lagging_column(out, sc.echo_threshold, sc.max_shift)
    return out


def metric_columns(per_seed: pd.DataFrame) -> list[str]:
    """The metric columns of a per-seed table (whatever the metric functions returned), in order."""
    return [c for c in per_seed.columns if c not in (*GROUP, "verdict", "lagging")]


def _mode_shift(ks: pd.Series) -> float:
    """Most common best shift over seeds; ties go to the smallest |k|."""
    counts = ks.dropna().astype(int).value_counts()
    if counts.empty:
        return np.nan
    top = counts[counts == counts.max()].index
    return float(sorted(top, key=lambda k: (abs(k), k))[0])


def seed_ensemble(forecasts: pd.DataFrame, sc: ScoringSettings = DEFAULT) -> pd.DataFrame | None:
    """The mean forecast over seeds of every series × model run with more than one seed, as rows of
    seed ``ENSEMBLE_SEED``, beside the baseline's and reference's own rows (the scorer compares with
    them); None when no model has several seeds. Only the mean is averaged: the ensemble's variance
    is not the mean of the seeds' variances, so its interval columns are left empty."""
    fc = with_ids(forecasts)
    ids = ["dataset", "unique_id", "model"]
    n_seeds = fc.groupby(ids, sort=False, dropna=False)["seed"].transform("nunique")
    multi = fc[n_seeds > 1]
    if multi.empty:
        return None
    firsts = ["y", "y_origin"]
    # The ensemble's CRPS is the seeds' mean per-row CRPS (the mean of the seeds' losses, a valid
    # loss to test; the mixture's own CRPS would need the distributions, which are not stored).
    means = {c: (c, "mean") for c in ("y_hat", "crps") if c in multi}
    ens = multi.groupby([*KEYS, "model"], sort=False, dropna=False).agg(
        **means, **{c: (c, "first") for c in firsts}
    )
    ens = ens.reset_index().assign(seed=ENSEMBLE_SEED, y_var=np.nan, y_lo=np.nan, y_hi=np.nan)
    compared = fc[fc["model"].isin([sc.baseline, sc.reference]) & (n_seeds == 1)]
    return pd.concat([compared, ens[[c for c in compared.columns if c in ens]]], ignore_index=True)


def aggregate_seeds(
    per_seed: pd.DataFrame, sc: ScoringSettings = DEFAULT, ensemble: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Mean over seeds plus ``<metric>_std`` (sample std, ddof=1; NaN for one seed); tests are not
    averaged.

    With one seed the tests (``TESTS``) and the verdict are that seed's. With several, they are the
    seed ensemble's (``ensemble``: ``score_seeds`` of :func:`seed_ensemble`; its MSE ratio is
    ``ens_rel_mse``) — one forecast, one p-value; without an ensemble row the tests are NaN and the
    verdict is the seeds' when all agree, else no_better_than_naive. ``seeds_beat`` counts the seeds
    whose own DM verdict is beats_naive. best_shift is the modal shift; lagging is re-derived from
    the verdict, modal shift and mean echo ratio. ``beats_ref`` applies ``beats_reference`` against
    the reference model; ``verdict_text`` is the plain-language sentence.
    """
    per_seed = with_ids(per_seed)
    ids = ["dataset", "unique_id", "model"]
    g = per_seed.groupby(ids, sort=False, dropna=False)
    names = metric_columns(per_seed)
    num = [c for c in names if c not in NOT_AVERAGED]
    tests_here = [c for c in TESTS if c in per_seed]
    out = g[["n", "diag_h", "h_max", *num]].mean()
    out.insert(0, "n_seeds", g.size())
    one = out["n_seeds"] == 1
    tests = g[tests_here].first().where(one)
    agreed = g["verdict"].agg(lambda v: v.iloc[0] if v.nunique() == 1 else NO_BETTER)
    out["ens_rel_mse"] = np.nan
    if ensemble is not None and len(ensemble):
        ens = with_ids(ensemble)
        ens = ens[ens["seed"] == ENSEMBLE_SEED].set_index(ids)
        ens = ens[~ens.index.duplicated()].reindex(out.index)
        several = ~one & ens["n"].notna()
        tests = tests.where(~several, ens[tests_here])
        agreed = agreed.where(~several, ens["verdict"])
        out["ens_rel_mse"] = ens["rel_mse"].where(several)
    out[tests_here] = tests
    out["verdict"] = agreed
    out["seeds_beat"] = g["verdict"].agg(lambda v: int((v == BEATS).sum()))
    out["best_shift"] = g["best_shift"].agg(_mode_shift)
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
    head = ["dataset", "unique_id", "model", "n_seeds", *names]
    rest = [c for c in out.columns if c not in head and not c.endswith("_std")]
    return out[head + rest + [c for c in out.columns if c.endswith("_std")]]


def score(forecasts: pd.DataFrame, series: pd.DataFrame, sc: ScoringSettings = DEFAULT) -> pd.DataFrame:
    """The per-series metrics table: one row per dataset × series × model, seeds aggregated (tests
    from the seed ensemble)."""
    ens = seed_ensemble(forecasts, sc)
    ensemble = None if ens is None else score_seeds(ens, series, sc)
    return aggregate_seeds(score_seeds(forecasts, series, sc), sc, ensemble)


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
