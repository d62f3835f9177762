"""Right-shift ("persistence in disguise") diagnostics and the Diebold–Mariano test.

A forecast curve that is the actual curve moved one step to the right has a low level MSE and no
skill. These pure functions measure that: the lag scan finds the shift of the actuals the forecast
resembles most, the echo ratio says how far forecasts leave the last observed value, the change
metrics score the predicted *moves*, the encompassing regression asks whether the forecast adds
anything to y_{t−h}, and Diebold–Mariano asks whether a model beats persistence beyond noise.

Notation: t is the target time, h the horizon step, y_{t−h} the last value known at the origin
(``y_origin`` in the forecasts frame), ``pos`` the integer position of t in the full series.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from bench.scoring.metrics import aligned

NAN = float("nan")


def _is_constant(x: np.ndarray, ref: np.ndarray) -> bool:
    """x does not vary, relative to the size of ``ref`` (guards against floating-point dust)."""
    tol = 1e-12 * max(1.0, float(np.max(np.abs(ref), initial=0.0)))
    return x.size == 0 or float(np.ptp(x)) <= tol


def autocovariance(x: npt.ArrayLike, lags: int) -> np.ndarray:
    """γ_k = (1/n) Σ_{t>k} (x_t − x̄)(x_{t−k} − x̄) for k = 0..lags: statsmodels ``acovf(adjusted=False,
    demean=True)``, written out because scoring should not pay statsmodels' import time."""
    x = np.asarray(x, dtype=float) - np.mean(x)
    n = x.size
    return np.array([np.dot(x[k:], x[: n - k]) / n for k in range(lags + 1)])


def lag_scan(
    y_hat: npt.ArrayLike, pos: npt.ArrayLike, y_full: npt.ArrayLike, max_shift: int = 5
) -> pd.DataFrame:
    """MSE(ŷ_t, y_{t−k}) for k = −K..K, against the full actual series.

    Rows whose y_{t−k} falls outside the series are dropped for that k only (so for k < 0 the
    latest targets drop out); ``n`` says how many rows each k used. Returns columns k, mse, n.
    """
    k, mse, n = scan(y_hat, pos, y_full, max_shift)
    return pd.DataFrame({"k": k, "mse": mse, "n": n})


def scan(
    y_hat: npt.ArrayLike, pos: npt.ArrayLike, y_full: npt.ArrayLike, max_shift: int = 5
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`lag_scan` as arrays (k, mse, n): the scorer runs it for every series × model."""
    f, p = aligned(y_hat, pos)
    p = p.astype(int)
    full = np.asarray(y_full, dtype=float)
    ks = np.arange(-max_shift, max_shift + 1)
    mse, n = np.full(ks.size, NAN), np.zeros(ks.size, dtype=int)
    for i, k in enumerate(ks):
        src = p - k
        ok = (src >= 0) & (src < full.size)
        if ok.any():
            err = f[ok] - full[src[ok]]
            mse[i], n[i] = float(np.mean(err**2)), int(ok.sum())
    return ks, mse, n


def best_shift(curve: pd.DataFrame) -> tuple[int, float]:
    """(k*, shift_gain) of a :func:`lag_scan` curve: see :func:`shift_choice`."""
    return shift_choice(curve["k"].to_numpy(int), curve["mse"].to_numpy(float))


def shift_choice(k: np.ndarray, mse: np.ndarray) -> tuple[int, float]:
    """(k*, shift_gain): the shift with the lowest MSE and MSE(k*) / MSE(0).

    Ties go to the smallest |k| (then the smaller k) so that an exactly tied scan does not invent
    a lag. shift_gain < 1 means the forecasts fit the shifted actuals better than the actuals.
    """
    valid = ~np.isnan(mse)
    if not valid.any():
        return 0, NAN
    k, mse = k[valid], mse[valid]
    first = np.lexsort((k, np.abs(k), mse))[0]
    k_star = int(k[first])
    mse0 = mse[k == 0]
    if mse0.size == 0 or mse0[0] == 0:
        return k_star, NAN if mse0.size == 0 else 1.0
    return k_star, float(mse[first] / mse0[0])


def echo_ratio(y: npt.ArrayLike, y_hat: npt.ArrayLike, y_origin: npt.ArrayLike) -> float:
    """RMS(ŷ_t − y_{t−h}) / RMS(y_t − y_{t−h}): how far forecasts move from the last value,
    relative to how far the series moves. 0 = pure echo of the last value (naive); ≈ 1 = moves as
    much as the series. NaN if the series never moves.
    """
    a, f, o = aligned(y, y_hat, y_origin)
    den = np.sqrt(np.mean((a - o) ** 2)) if a.size else 0.0
    return float(np.sqrt(np.mean((f - o) ** 2)) / den) if den > 0 else NAN


def change_corr(y: npt.ArrayLike, y_hat: npt.ArrayLike, y_origin: npt.ArrayLike) -> float:
    """corr(ŷ_t − y_{t−h}, y_t − y_{t−h}): does the predicted move track the actual move?

    NaN when either change is constant (e.g. naive, whose predicted change is always 0).
    """
    a, f, o = aligned(y, y_hat, y_origin)
    dy, df = a - o, f - o
    if dy.size < 2 or _is_constant(df, a) or _is_constant(dy, a):
        return NAN
    return float(np.corrcoef(df, dy)[0, 1])


class DirectionResult(NamedTuple):
    acc: float
    stat: float
    pvalue: float
    n: int


def pesaran_timmermann(actual: npt.ArrayLike, forecast: npt.ArrayLike) -> tuple[float, float]:
    """Pesaran–Timmermann (1992) test of directional accuracy: (statistic, one-sided p-value).

    With P = share of agreeing signs, P_y, P_x the shares of positive actual / forecast changes,
    P* = P_y·P_x + (1−P_y)(1−P_x) (agreement expected under independence),
    V(P) = P*(1−P*)/n, V(P*) = (2P_y−1)²P_x(1−P_x)/n + (2P_x−1)²P_y(1−P_y)/n
    + 4P_yP_x(1−P_y)(1−P_x)/n², S = (P − P*)/√(V(P) − V(P*)) ~ N(0, 1).
    One-sided p = 1 − Φ(S): H1 is *predictive* ability (worse-than-chance is not skill).
    NaN when the variance is not positive (e.g. every forecast points the same way).
    """
    ya, xa = aligned(actual, forecast)
    n = ya.size
    if n < 2:
        return NAN, NAN
    up_y, up_x = ya > 0, xa > 0
    p_hat = float(np.mean(up_y == up_x))
    py, px = float(up_y.mean()), float(up_x.mean())
    p_star = py * px + (1 - py) * (1 - px)
    v_p = p_star * (1 - p_star) / n
    v_star = (
        (2 * py - 1) ** 2 * px * (1 - px) / n
        + (2 * px - 1) ** 2 * py * (1 - py) / n
        + 4 * py * px * (1 - py) * (1 - px) / n**2
    )
    if v_p - v_star <= 0:
        return NAN, NAN
    s = (p_hat - p_star) / np.sqrt(v_p - v_star)
    return float(s), float(stats.norm.sf(s))


def direction_accuracy(y: npt.ArrayLike, y_hat: npt.ArrayLike, y_origin: npt.ArrayLike) -> DirectionResult:
    """Share of rows where sign(ŷ_t − y_{t−h}) = sign(y_t − y_{t−h}), with the PT test.

    Rows where the actual or the predicted change is exactly 0 carry no direction and are left
    out, so a forecast that never moves (naive) gets NaN, not 0 %.
    """
    a, f, o = aligned(y, y_hat, y_origin)
    dy, df = a - o, f - o
    keep = (dy != 0) & (df != 0)
    dy, df = dy[keep], df[keep]
    if dy.size == 0:
        return DirectionResult(NAN, NAN, NAN, 0)
    stat, p = pesaran_timmermann(dy, df)
    return DirectionResult(float(np.mean(np.sign(dy) == np.sign(df))), stat, p, int(dy.size))


class Encompassing(NamedTuple):
    a: float
    b: float
    c: float
    b_se: float  # OLS standard error of b: large when ŷ barely differs from y_{t−h}


def encompassing(y: npt.ArrayLike, y_hat: npt.ArrayLike, y_origin: npt.ArrayLike) -> Encompassing:
    """OLS y_t = a + b·ŷ_t + c·y_{t−h}: does the forecast add anything to the last value?

    A lagging model gives c ≈ 1, b ≈ 0; a skilful one b ≈ 1, c ≈ 0. When ŷ is (almost) an
    affine function of y_{t−h} — naive is exactly y_{t−h} — b and c are not identified and NaN
    is returned instead of numerically arbitrary coefficients (criterion: 1 − corr(ŷ, y_{t−h})²
    < 1e-10, or either regressor constant, or fewer than 4 rows). Near that limit (a forecast
    that echoes y_{t−h} plus a little wobble) the estimates are legal but noisy: read b with b_se.
    """
    a, f, o = aligned(y, y_hat, y_origin)
    nan = Encompassing(NAN, NAN, NAN, NAN)
    if a.size < 4 or _is_constant(f, a) or _is_constant(o, a):
        return nan
    r = np.corrcoef(f, o)[0, 1]
    if not np.isfinite(r) or 1.0 - r**2 < 1e-10:
        return nan
    design = np.column_stack([np.ones_like(a), f, o])
    coef, rss, *_ = np.linalg.lstsq(design, a, rcond=None)
    s2 = float(rss[0]) / (a.size - 3) if rss.size else 0.0
    b_se = float(np.sqrt(s2 * np.linalg.inv(design.T @ design)[1, 1]))
    return Encompassing(*(float(v) for v in coef), b_se)


def increments(values: npt.ArrayLike, pos: npt.ArrayLike) -> np.ndarray:
    """Changes between consecutive targets of one horizon, v_t − v_{t−s}, s = the origin step.

    The origin-anchored change error (ŷ_t − y_{t−h}) − (y_t − y_{t−h}) is just the level error,
    so change accuracy is measured on the forecast curve's own increments instead: Δŷ_t vs Δy_t.
    A curve that is the actuals shifted right has Δŷ_t = Δy_{t−1}, which this exposes.
    Caveat: Δŷ_t spans two origins' information, so this is a curve-shape diagnostic, not a proper
    score: on an AR(1) in differences the optimal forecast scores 2σ², naive 2σ²/(1 + φ).
    Input rows must be sorted by ``pos``; pairs spanning a gap other than the smallest spacing s
    (a failed fold in between) are dropped.
    """
    v, p = aligned(values, pos)
    if v.size < 2:
        return np.empty(0)
    gaps = np.diff(p)
    if np.any(gaps <= 0):
        raise ValueError("rows must be strictly increasing in position (one horizon, one seed)")
    return np.diff(v)[gaps == gaps.min()]


class DMResult(NamedTuple):
    stat: float
    pvalue: float
    n: int


def diebold_mariano(loss_model: npt.ArrayLike, loss_base: npt.ArrayLike, h: int = 1) -> DMResult:
    """Diebold–Mariano test with the Harvey–Leybourne–Newbold (1997) correction.

    d_t = L(model)_t − L(base)_t in time order (negative mean favours the model);
    γ_k = (1/n)Σ_{t>k}(d_t − d̄)(d_{t−k} − d̄) (statsmodels ``acovf``), long-run variance
    V = γ_0 + 2Σ_{k=1}^{h−1} γ_k (h-step errors are MA(h−1)); DM = d̄ / √(V/n);
    DM* = DM·√((n + 1 − 2h + h(h−1)/n) / n); p = 2·P(T_{n−1} > |DM*|) (two-sided Student t).
    If the truncated V is not positive (possible for h > 1) the Bartlett weights 1 − k/h are used,
    which guarantee V ≥ 0. NaN when d is constant (identical forecasts) or V = 0.
    """
    lm, lb = aligned(loss_model, loss_base)
    d = lm - lb
    ok = np.isfinite(d)
    d = d[ok]
    n = d.size
    if n < 2 or h < 1 or np.all(d == d[0]):
        return DMResult(NAN, NAN, n)
    lags = min(h - 1, n - 1)
    gamma = autocovariance(d, lags)
    lrv = gamma[0] + 2.0 * gamma[1:].sum()
    if lrv <= 0:
        weights = 1.0 - np.arange(1, lags + 1) / h
        lrv = gamma[0] + 2.0 * float(np.dot(weights, gamma[1:]))
    hln = (n + 1 - 2 * h + h * (h - 1) / n) / n
    if not lrv > 0 or hln <= 0:
        return DMResult(NAN, NAN, n)
    stat = float(np.mean(d) / np.sqrt(lrv / n) * np.sqrt(hln))
    return DMResult(stat, float(2.0 * stats.t.sf(abs(stat), df=n - 1)), n)
