"""Variance forecasts against the variance proxy: QLIKE, MSE, Diebold–Mariano and the lag scan.

Patton (2011): with a noisy but conditionally unbiased proxy p_t of the variance σ²_t, only losses
of the QLIKE/MSE family rank variance forecasts as the true variance would. Here

    QLIKE = mean(log σ̂²_t + p_t / σ̂²_t)   (Patton's p/σ̂² − log(p/σ̂²) − 1 plus a term free of σ̂²,
                                           finite on days with p_t = 0),
    MSE   = mean((p_t − σ̂²_t)²).

DM on the per-day QLIKE losses asks whether a model beats the volatility yardstick (``vol_baseline``,
EWMA) and the model to beat (``vol_reference``, GARCH) beyond noise. The lag scan MSE(σ̂²_t, p_{t−k})
asks whether a variance forecast trails realised volatility. Caveat, measured on simulated GARCH(1,1)
with a Garman–Klass proxy: even the *true* variance fits yesterday's proxy better than today's
(shift gain 0.85–0.90), because σ²_t is built from p_{t−1}; so a model ``trails`` only when its
gain from shifting is more than ``TRAIL_FACTOR`` × the reference's. Pure pandas/numpy over the
stored forecasts and series; returns datasets only.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import pandas as pd

from bench.scoring import lag
from bench.scoring.frame import with_ids
from bench.scoring.metrics import aligned
from bench.settings import ScoringSettings

KEYS = ["dataset", "unique_id", "cutoff", "ds", "h"]
GROUP = ["dataset", "unique_id", "model", "seed"]
TRAIL_FACTOR = 2.0  # "trails" = shifting helps more than twice as much as it helps the reference
COLUMNS = [
    "n_var", "qlike_proxy", "mse_var", "dm_stat_qlike_vs_vol_baseline", "dm_pvalue_qlike_vs_vol_baseline",
    "dm_stat_qlike_vs_vol_ref", "dm_pvalue_qlike_vs_vol_ref", "var_best_shift", "var_shift_gain",
    "var_echo_ratio",
]  # fmt: skip


def qlike_losses(proxy: npt.ArrayLike, var: npt.ArrayLike) -> np.ndarray:
    """Per-day QLIKE, log σ̂² + p / σ̂² (NaN where σ̂² is not positive)."""
    p, v = aligned(proxy, var)
    out = np.full(p.size, np.nan)
    ok = v > 0
    out[ok] = np.log(v[ok]) + p[ok] / v[ok]
    return out


def qlike(proxy: npt.ArrayLike, var: npt.ArrayLike) -> float:
    """Mean QLIKE of variance forecasts against the proxy; lower is better. NaN if any σ̂² ≤ 0."""
    loss = qlike_losses(proxy, var)
    return float(np.mean(loss)) if loss.size and np.all(np.isfinite(loss)) else float("nan")


def mse_var(proxy: npt.ArrayLike, var: npt.ArrayLike) -> float:
    """Mean squared error of variance forecasts against the proxy (the other robust loss)."""
    p, v = aligned(proxy, var)
    return float(np.mean((p - v) ** 2)) if p.size else float("nan")


def _dm(proxy: np.ndarray, var: np.ndarray, other: np.ndarray, h: int) -> lag.DMResult:
    ok = ~np.isnan(other)
    return lag.diebold_mariano(qlike_losses(proxy[ok], var[ok]), qlike_losses(proxy[ok], other[ok]), h=h)


def score_group(g: pd.DataFrame, proxy_full: np.ndarray, max_shift: int) -> dict[str, float]:
    """Every volatility metric of one series × model × seed (rows with a variance and a proxy)."""
    c = {k: g[k].to_numpy(float) for k in ("y_proxy", "y_var", "var_b", "var_r")}
    hs, pos = g["h"].to_numpy(int), g["pos"].to_numpy(int)
    h = int(hs.min())
    at = np.flatnonzero(hs == h)
    at = at[np.argsort(pos[at], kind="stable")]
    p, v, dpos = c["y_proxy"][at], c["y_var"][at], pos[at]
    base, ref = _dm(p, v, c["var_b"][at], h), _dm(p, v, c["var_r"][at], h)
    k, mse_k, _ = lag.scan(v, dpos, proxy_full, max_shift)
    shift, gain = lag.shift_choice(k, mse_k)
    return {
        "n_var": len(g), "qlike_proxy": qlike(c["y_proxy"], c["y_var"]),
        "mse_var": mse_var(c["y_proxy"], c["y_var"]),
        "dm_stat_qlike_vs_vol_baseline": base.stat, "dm_pvalue_qlike_vs_vol_baseline": base.pvalue,
        "dm_stat_qlike_vs_vol_ref": ref.stat, "dm_pvalue_qlike_vs_vol_ref": ref.pvalue,
        "var_best_shift": shift, "var_shift_gain": gain,
        "var_echo_ratio": lag.echo_ratio(p, v, proxy_full[dpos - h]),
    }  # fmt: skip


def _with_positions(fc: pd.DataFrame, series: pd.DataFrame) -> tuple[pd.DataFrame, dict[tuple, np.ndarray]]:
    s = series.sort_values(["dataset", "unique_id", "ds"], kind="stable")
    s = s.assign(pos=s.groupby(["dataset", "unique_id"], sort=False).cumcount())
    full = {key: g["y_proxy"].to_numpy(float) for key, g in s.groupby(["dataset", "unique_id"], sort=False)}
    out = fc.merge(s[["dataset", "unique_id", "ds", "pos"]], on=["dataset", "unique_id", "ds"], how="inner")
    return out, full


def _consensus(fc: pd.DataFrame, model: str, column: str) -> pd.DataFrame:
    sub = fc[fc["model"] == model]
    return sub.groupby(KEYS, as_index=False)["y_var"].mean().rename(columns={"y_var": column})


def score_seeds(forecasts: pd.DataFrame, series: pd.DataFrame, sc: ScoringSettings) -> pd.DataFrame:
    """One row per returns series × model × seed that has variance forecasts and a proxy."""
    if not {"y_proxy", "returns"} <= set(series) or "y_proxy" not in forecasts:
        return pd.DataFrame(columns=[*GROUP, *COLUMNS])  # a run stored before proxies existed
    series = with_ids(series)[series["returns"].astype(bool).to_numpy()]
    fc = with_ids(forecasts).dropna(subset=["y_var", "y_proxy"])
    if fc.empty or series.empty:
        return pd.DataFrame(columns=[*GROUP, *COLUMNS])
    fc, full = _with_positions(fc, series)
    fc = fc.merge(_consensus(fc, sc.vol_baseline, "var_b"), on=KEYS, how="left")
    fc = fc.merge(_consensus(fc, sc.vol_reference, "var_r"), on=KEYS, how="left")
    rows = [
        {**dict(zip(GROUP, key, strict=True)), **score_group(g, full[key[:2]], sc.max_shift)}
        for key, g in fc.groupby(GROUP, sort=False, dropna=False)
    ]
    return pd.DataFrame(rows, columns=[*GROUP, *COLUMNS])


def _mode(ks: pd.Series) -> float:
    counts = ks.dropna().astype(int).value_counts()
    if counts.empty:
        return np.nan
    top = counts[counts == counts.max()].index
    return float(sorted(top, key=lambda k: (abs(k), k))[0])


def score(forecasts: pd.DataFrame, series: pd.DataFrame, sc: ScoringSettings) -> pd.DataFrame:
    """Per dataset × series × model: the seeds' mean (modal best shift) and ``var_trails``."""
    per_seed = score_seeds(forecasts, series, sc)
    keys = ["dataset", "unique_id", "model"]
    if per_seed.empty:
        return pd.DataFrame(columns=[*keys, *COLUMNS, "var_trails", "vol_baseline", "vol_reference"])
    g = per_seed.groupby(keys, sort=False)
    out = g[[c for c in COLUMNS if c != "var_best_shift"]].mean()
    out["var_best_shift"] = g["var_best_shift"].agg(_mode)
    out = out.reset_index()[[*keys, *COLUMNS]]
    ref = out[out["model"] == sc.vol_reference].set_index(["dataset", "unique_id"])["var_shift_gain"]
    out["var_trails"] = pd.array(
        [trails(r, ref.get((r["dataset"], r["unique_id"]))) for r in out.to_dict("records")], dtype="boolean"
    )
    return out.assign(vol_baseline=sc.vol_baseline, vol_reference=sc.vol_reference)


def trails(row: Mapping, ref_gain: float | None) -> bool | None:
    """Best shift ≥ 1 and 1 − gain > ``TRAIL_FACTOR`` × (1 − the reference's gain); None without one."""
    gain = row["var_shift_gain"]
    if ref_gain is None or not np.isfinite(ref_gain) or not np.isfinite(gain):
        return None
    return bool(row["var_best_shift"] >= 1 and (1.0 - gain) > TRAIL_FACTOR * max(1.0 - ref_gain, 0.0))


def lag_curves(forecasts: pd.DataFrame, series: pd.DataFrame, max_shift: int) -> pd.DataFrame:
    """MSE(σ̂²_t, p_{t−k}) per dataset × series × model × k (first horizon step, mean over seeds)."""
    if "y_proxy" not in forecasts or "y_proxy" not in series:
        return pd.DataFrame(columns=["dataset", "unique_id", "model", "k", "mse"])
    fc, full = _with_positions(with_ids(forecasts).dropna(subset=["y_var", "y_proxy"]), with_ids(series))
    parts = []
    for key, g in fc.groupby(GROUP, sort=False):
        d = g[g["h"] == g["h"].min()].sort_values("pos")
        k, mse, _ = lag.scan(d["y_var"], d["pos"], full[key[:2]], max_shift)
        parts.append(
            pd.DataFrame({"dataset": key[0], "unique_id": key[1], "model": key[2], "k": k, "mse": mse})
        )
    if not parts:
        return pd.DataFrame(columns=["dataset", "unique_id", "model", "k", "mse"])
    curves = pd.concat(parts, ignore_index=True)
    return curves.groupby(["dataset", "unique_id", "model", "k"], sort=False)["mse"].mean().reset_index()


def with_volatility(
    by_series: pd.DataFrame, tables: Mapping[str, pd.DataFrame], sc: ScoringSettings
) -> pd.DataFrame:
    """``by_series`` with the volatility columns appended (NaN for level series and point models)."""
    vol = score(tables["forecasts"], tables["series"], sc)
    return by_series.merge(vol, on=["dataset", "unique_id", "model"], how="left")


def _versus(stat: float, p: float, other: str, alpha: float) -> str:
    if not (np.isfinite(stat) and np.isfinite(p)):
        return f"not compared with {other}"
    if p < alpha:
        return f"{'better' if stat < 0 else 'worse'} than {other} (DM p = {p:.2g})"
    return f"not distinguishable from {other} (DM p = {p:.2g})"


def sentence(row: Mapping, alpha: float = 0.05) -> str:
    """The plain-language verdict on one model's variance forecasts (one metrics row)."""
    model, base, ref = row["model"], row["vol_baseline"], row["vol_reference"]
    if not np.isfinite(row["qlike_proxy"]):
        return f"{model}: no variance forecasts to score against the proxy."
    parts = [f"{model}: QLIKE {row['qlike_proxy']:.3f} against the proxy"]
    if model == base:
        parts[0] += " — the volatility yardstick"
    else:
        parts.append(
            _versus(row["dm_stat_qlike_vs_vol_baseline"], row["dm_pvalue_qlike_vs_vol_baseline"], base, alpha)
        )
    if model not in (base, ref):
        parts.append(_versus(row["dm_stat_qlike_vs_vol_ref"], row["dm_pvalue_qlike_vs_vol_ref"], ref, alpha))
    text = ", ".join(parts)
    k, gain = row["var_best_shift"], row["var_shift_gain"]
    if np.isfinite(k) and k >= 1 and np.isfinite(gain):
        text += (
            f"; its variance forecasts match the proxy of {k:.0f} day{'' if k == 1 else 's'} earlier "
            f"{1 - gain:.0%} better than the same day's"
        )
        trail = row.get("var_trails")
        known = trail is not None and not pd.isna(trail)
        if known and bool(trail):
            text += f", more than {TRAIL_FACTOR:g}× the gain {ref} shows: it trails realised volatility"
        elif known and model != ref:
            text += f", no more than {TRAIL_FACTOR:g}× {ref}'s gain (even the true variance shows one)"
    return text + "."
