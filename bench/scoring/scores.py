"""The metric list: pure functions of one series × model × seed's forecast rows, one signature.

Each metric takes a :class:`Rows` and returns ``{column: value}`` (several columns where one
computation gives them, e.g. a test's statistic and p-value). The scorer calls the functions named
in ``ScoringSettings.metrics`` in order, one row per group, and aggregation over seeds and series is
a separate step (``bench.scoring.frame.aggregate_seeds``, ``bench.scoring.aggregate``) — the shape of
utilsforecast's ``evaluate(df, metrics=[...])``. Adding a metric is adding a function (here, or in
your own module, named by import path in ``metrics:``).

Point and interval metrics use every row; the lag/honesty diagnostics (DM, lag scan, echo ratio,
change and direction skill, encompassing, differenced-scale errors) use the rows of the first
horizon step present (``diag_h``, normally 1), each defined for one fixed h. Distributional
columns: ``crps`` is the mean of the per-row CRPS fixed at record time (``bench.engine.crps``,
conformal rows ``bench.engine.conformal``); ``nll`` the mean negative log predictive density
(Student-t where the row has ``y_df``, Gaussian otherwise); ``winkler`` and ``pinball`` score the
interval alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from bench.parse_scoring import import_path
from bench.scoring import lag
from bench.scoring import metrics as m

COLUMNS = (
    "y", "y_hat", "y_hat_b", "y_hat_r", "scale", "y_origin", "y_lo", "y_hi", "y_var", "y_df", "crps",
    "crps_b",
)  # fmt: skip


@dataclass(frozen=True)
class Rows:
    """One series × model × seed: aligned row arrays (``y_hat_b``/``crps_b``, ``y_hat_r``: the
    baseline's and the reference's on the same keys, NaN where they have none), the target
    positions ``pos``, the full series and the run's scoring settings."""

    y: np.ndarray
    y_hat: np.ndarray
    y_hat_b: np.ndarray
    y_hat_r: np.ndarray
    scale: np.ndarray
    y_origin: np.ndarray
    y_lo: np.ndarray
    y_hi: np.ndarray
    y_var: np.ndarray
    y_df: np.ndarray
    crps: np.ndarray
    crps_b: np.ndarray
    h: np.ndarray
    pos: np.ndarray
    y_full: np.ndarray
    max_shift: int = 5
    level: float = 0.9

    @cached_property
    def diag(self) -> np.ndarray:
        """Indices of the first horizon step's rows in time order (the diagnostics' rows)."""
        at = np.flatnonzero(self.h == int(self.h.min()))
        return at[np.argsort(self.pos[at], kind="stable")]

    @property
    def diag_h(self) -> int:
        return int(self.h.min())


Metric = Callable[[Rows], Mapping[str, float]]


def resolve(paths: tuple[str, ...]) -> list[Metric]:
    """The metric functions named by import path (checked when the settings were parsed)."""
    return [import_path(p) for p in paths]


def point(r: Rows) -> dict[str, float]:
    """Row count and the point errors over every row; MASE with each fold's own scale; MAPE (the
    Tourism competition's measure, NaN where an actual is 0)."""
    y, f = r.y, r.y_hat
    return dict(
        n=len(y), mse=m.mse(y, f), mae=m.mae(y, f), rmse=m.rmse(y, f), mase=m.mase(y, f, r.scale),
        smape=m.smape(y, f), mape=m.mape(y, f),
    )  # fmt: skip


def relative(r: Rows) -> dict[str, float]:
    """MSE / the baseline's MSE on the rows both have."""
    ok = ~np.isnan(r.y_hat_b)
    base = m.mse(r.y[ok], r.y_hat_b[ok])
    return {"rel_mse": m.mse(r.y[ok], r.y_hat[ok]) / base if base > 0 else np.nan}


def _dm_vs(y: np.ndarray, f: np.ndarray, other: np.ndarray, h: int) -> lag.DMResult:
    ok = ~np.isnan(other)
    return lag.diebold_mariano((y[ok] - f[ok]) ** 2, (y[ok] - other[ok]) ** 2, h=h)


def diebold_mariano(r: Rows) -> dict[str, float]:
    """DM on squared errors against the baseline (stat, p) and the reference (p), at ``diag_h``."""
    at, h = r.diag, r.diag_h
    dm = _dm_vs(r.y[at], r.y_hat[at], r.y_hat_b[at], h)
    vs_ref = _dm_vs(r.y[at], r.y_hat[at], r.y_hat_r[at], h)
    return dict(dm_stat=dm.stat, dm_pvalue=dm.pvalue, dm_pvalue_vs_ref=vs_ref.pvalue)


def horizon(r: Rows) -> dict[str, float]:
    """The diagnostics' step and the longest step scored."""
    return dict(diag_h=r.diag_h, h_max=int(r.h.max()))


def lag_scan(r: Rows) -> dict[str, float]:
    """Best shift of the actuals the forecasts match, and MSE(best) / MSE(0)."""
    k, mse_k, _ = lag.scan(r.y_hat[r.diag], r.pos[r.diag], r.y_full, r.max_shift)
    best, gain = lag.shift_choice(k, mse_k)
    return dict(best_shift=best, shift_gain=gain)


def change(r: Rows) -> dict[str, float]:
    """How the forecasts move away from the last known value: echo, change and direction skill,
    encompassing, errors on the differenced scale."""
    at = r.diag
    dy, df, do, dpos = r.y[at], r.y_hat[at], r.y_origin[at], r.pos[at]
    direction = lag.direction_accuracy(dy, df, do)
    enc = lag.encompassing(dy, df, do)
    inc_y, inc_f = lag.increments(dy, dpos), lag.increments(df, dpos)
    return dict(
        echo_ratio=lag.echo_ratio(dy, df, do), change_corr=lag.change_corr(dy, df, do),
        dir_acc=direction.acc, dir_pvalue=direction.pvalue, enc_b=enc.b, enc_c=enc.c, enc_b_se=enc.b_se,
        mse_diff=m.mse(inc_y, inc_f), mae_diff=m.mae(inc_y, inc_f),
    )  # fmt: skip


def _has_interval(r: Rows) -> np.ndarray:
    return ~(np.isnan(r.y_lo) | np.isnan(r.y_hi))


def interval(r: Rows) -> dict[str, float]:
    """Coverage and mean width of the rows with an interval (model-based or conformal)."""
    iv = _has_interval(r)
    lo, hi = r.y_lo[iv], r.y_hi[iv]
    return dict(coverage=m.coverage(r.y[iv], lo, hi), width=m.interval_width(lo, hi))


def nll(r: Rows) -> dict[str, float]:
    """Mean negative log predictive density of the rows with a variance: Student-t where the row has
    degrees of freedom, Gaussian otherwise."""
    vv = ~np.isnan(r.y_var)
    if np.isnan(r.y_df[vv]).all():
        return {"nll": m.gaussian_nll(r.y[vv], r.y_hat[vv], r.y_var[vv])}
    return {"nll": m.predictive_nll(r.y[vv], r.y_hat[vv], r.y_var[vv], r.y_df[vv])}


def qlike(r: Rows) -> dict[str, float]:
    """QLIKE of the variance forecasts against y² (kept only for return series by the scorer)."""
    vv = ~np.isnan(r.y_var)
    return {"qlike": m.qlike(r.y[vv], r.y_var[vv])}


def crps(r: Rows) -> dict[str, float]:
    """Mean CRPS of the rows that have one; its ratio to the baseline's on the rows both have; DM on
    per-row CRPS against the baseline at ``diag_h`` (a distributional "beats persistence")."""
    ok = ~np.isnan(r.crps)
    both = ok & ~np.isnan(r.crps_b)
    base = m.mean(r.crps_b[both])
    at = r.diag[both[r.diag]]
    dm = lag.diebold_mariano(r.crps[at], r.crps_b[at], h=r.diag_h)
    return dict(
        crps=m.mean(r.crps[ok]), rel_crps=m.mean(r.crps[both]) / base if base > 0 else np.nan,
        dm_stat_crps=dm.stat, dm_pvalue_crps=dm.pvalue,
    )  # fmt: skip


def interval_score(r: Rows) -> dict[str, float]:
    """Winkler (interval) score and the interval's quantile (pinball) score at the run's level."""
    iv = _has_interval(r)
    a = 1.0 - r.level
    args = (r.y[iv], r.y_lo[iv], r.y_hi[iv], a)
    return dict(winkler=m.winkler(*args), pinball=m.interval_pinball(*args))
