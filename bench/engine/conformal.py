"""Conformal intervals for models without a predictive distribution, from their own earlier errors.

Online split-conformal per horizon step: at origin t and step k the calibration set is the signed
errors e = y − ŷ of the same model's k-step forecasts of the same series (same seed) whose target
time is ≤ t — errors known at the origin, made at earlier origins; never one from at or after it.
With n sorted errors e_(1) ≤ … ≤ e_(n) and α = 1 − level the interval is

    [ŷ + e_(⌊(n+1)·α/2⌋), ŷ + e_(⌈(n+1)·(1−α/2)⌉)],

which covers with probability ≥ level when the errors are exchangeable (split conformal, Lei et
al. 2018) and needs n ≥ ``fewest_errors(level)`` (19 at 90 %); origins with fewer errors get
none. Signed errors (not |e|) keep a biased model's interval off-centre, as its errors are.

A conformal row's CRPS is the ensemble CRPS of ŷ + calibration errors: the conformal predictive
distribution whose quantiles the interval is. It scores a whole distribution, on the same scale as a
model's own CRPS (the interval's pinball score would score two quantiles only).

Applied once per run to the stored forecast rows (``bench.benchmark``), after every fold loop: a
(series, model, seed) run with no model-based interval on any row gets conformal ones; runs with
their own (``y_interval == "model"``) are left alone. Pure: rows in, the same rows out.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from bench.engine import crps as cr
from bench.engine.records import CONFORMAL, MODEL, NONE
from bench.settings import fewest_errors

RUN = ["dataset", "unique_id", "model", "seed"]
EPS = 1e-9  # (n+1)·α/2 is an integer for round levels: keep float dust from moving a rank


def ranks(n: int, level: float) -> tuple[int, int]:
    """1-based ranks of the lower and upper order statistics of n calibration errors."""
    alpha = 1.0 - level
    return math.floor((n + 1) * alpha / 2 + EPS), math.ceil((n + 1) * (1 - alpha / 2) - EPS)


def intervals(
    cutoff: np.ndarray,
    ds: np.ndarray,
    h: np.ndarray,
    y: np.ndarray,
    y_hat: np.ndarray,
    level: float,
    min_errors: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, crps) for the rows of one (series, model, seed) run; NaN where too few errors.

    Row i (step k, origin ``cutoff[i]``) is calibrated on the errors of the step-k rows whose
    target ``ds`` is ≤ ``cutoff[i]``. ``y`` of those rows is data up to the origin; row i's own
    ``y`` enters only its CRPS (a score), never its interval.
    """
    y, y_hat = np.asarray(y, dtype=float), np.asarray(y_hat, dtype=float)
    lo, hi, crps = (np.full(len(y), np.nan) for _ in range(3))
    need = max(int(min_errors), fewest_errors(level))
    for k in np.unique(h):
        rows = np.flatnonzero(h == k)
        rows = rows[np.argsort(ds[rows], kind="stable")]
        errors = y[rows] - y_hat[rows]
        known = np.searchsorted(ds[rows], cutoff[rows], side="right")  # errors with target ≤ origin
        for i, n in zip(rows, known, strict=True):
            if n < need:
                continue
            cal = np.sort(errors[:n])
            r_lo, r_hi = ranks(int(n), level)
            lo[i], hi[i] = y_hat[i] + cal[r_lo - 1], y_hat[i] + cal[r_hi - 1]
            crps[i] = cr.ensemble(y[i], y_hat[i] + cal)
    return lo, hi, crps


def apply(forecasts: pd.DataFrame, level: float, min_errors: int) -> pd.DataFrame:
    """The forecast rows with conformal ``y_lo``/``y_hi``/``crps`` for every run that has no
    model-based interval, marked ``y_interval = "conformal"``; other rows unchanged."""
    if forecasts.empty:
        return forecasts
    fc = forecasts.reset_index(drop=True)
    cols = {k: fc[k].to_numpy(copy=True) for k in ("y_lo", "y_hi", "crps", "y_interval")}
    for pos in fc.groupby(RUN, sort=False, dropna=False).indices.values():
        if np.any(cols["y_interval"][pos] == MODEL):
            continue
        g = fc.iloc[pos]
        lo, hi, crps = intervals(
            g["cutoff"].to_numpy(), g["ds"].to_numpy(), g["h"].to_numpy(int), g["y"].to_numpy(float),
            g["y_hat"].to_numpy(float), level, min_errors,
        )  # fmt: skip
        cols["y_lo"][pos], cols["y_hi"][pos], cols["crps"][pos] = lo, hi, crps
        cols["y_interval"][pos] = np.where(np.isfinite(lo), CONFORMAL, NONE)
    return fc.assign(**cols)
