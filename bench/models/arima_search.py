"""Stepwise seasonal ARMA order search by AICc (Hyndman & Khandakar 2008, R's ``auto.arima``).

The shared transform has already differenced ``z``, so the search runs over ARMA(p, q)(P, Q)[s]
with or without a constant. This module holds the search itself (starting models, moves, bounds,
AICc) and the cheap conditional-sum-of-squares (CSS) estimates used as starting values: one
``lfilter`` pass per objective evaluation, about 1 ms per candidate. CSS alone is *not* used to
rank candidates: on a 100-point monthly series it conditions away 24+ observations for a seasonal
AR(2) and misranks it badly against a seasonal MA (seen on M3), which is why R itself uses exact ML
for short series. The caller scores each candidate by a limited-iteration exact likelihood.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import least_squares
from scipy.signal import lfilter

# R's auto.arima drops a model whose AR or MA roots lie within 1.01 of the unit circle.
_MIN_ROOT = 1.01
# R's stepwise default stops after this many models; a hard cap keeps a refit's cost bounded.
_MAX_MODELS = 94


@dataclass(frozen=True, order=True)
class Spec:
    """One candidate: non-seasonal (p, q), seasonal (P, Q) at the search's period, constant or not."""

    p: int
    q: int
    P: int = 0
    Q: int = 0
    constant: bool = True

    def label(self, period: int) -> str:
        """``(p,q)`` or ``(p,q)(P,Q)[s]``: the order as stored in ``Forecast.info``."""
        seasonal = f"({self.P},{self.Q})[{period}]" if period > 1 else ""
        return f"({self.p},{self.q}){seasonal}"

    @property
    def n_coef(self) -> int:
        return self.p + self.q + self.P + self.Q + int(self.constant)


@dataclass(frozen=True)
class Bounds:
    """Largest orders the search may visit (R: max.p, max.q, max.P, max.Q, max.order), and whether
    a constant may be (R allows a mean or drift only while d + D < 2: on a twice-differenced
    series a constant is a quadratic trend, which runs away over a long horizon)."""

    max_p: int = 5
    max_q: int = 5
    max_P: int = 2
    max_Q: int = 2
    max_order: int = 5
    constant: bool = True

    def allows(self, s: Spec) -> bool:
        return (
            (self.constant or not s.constant)
            and 0 <= s.p <= self.max_p
            and 0 <= s.q <= self.max_q
            and 0 <= s.P <= self.max_P
            and 0 <= s.Q <= self.max_Q
            and s.p + s.q + s.P + s.Q <= self.max_order
        )


def for_length(bounds: Bounds, n: int, period: int) -> Bounds:
    """R auto.arima's bounds for a series of ``n`` observations: p, q ≤ n/3 and P, Q ≤ n/(3m), so
    a short series falls back to smaller candidates; with seasonal terms allowed, p, q ≤ m − 1."""
    max_p, max_q = min(bounds.max_p, n // 3), min(bounds.max_q, n // 3)
    max_P, max_Q = min(bounds.max_P, n // 3 // period), min(bounds.max_Q, n // 3 // period)  # noqa: N806
    if period > 1:
        max_p = min(max_p, period - 1) if max_P > 0 else max_p
        max_q = min(max_q, period - 1) if max_Q > 0 else max_q
    return replace(bounds, max_p=max_p, max_q=max_q, max_P=max_P, max_Q=max_Q)


@dataclass(frozen=True)
class Scored:
    """A candidate's CSS estimates (const, ar, ma, seasonal ar, seasonal ma) and its AICc."""

    spec: Spec
    params: np.ndarray
    aicc: float


def polynomials(params: np.ndarray, spec: Spec, period: int) -> tuple[np.ndarray, np.ndarray]:
    """Full lag polynomials φ(B)Φ(B^s) and θ(B)Θ(B^s) (statsmodels / R sign convention)."""
    c = int(spec.constant)
    phi, theta = params[c : c + spec.p], params[c + spec.p : c + spec.p + spec.q]
    sphi = params[c + spec.p + spec.q : c + spec.p + spec.q + spec.P]
    stheta = params[c + spec.p + spec.q + spec.P :]
    ar = np.concatenate(([1.0], -phi))
    ma = np.concatenate(([1.0], theta))
    if spec.P:
        sar = np.zeros(spec.P * period + 1)
        sar[0], sar[period::period] = 1.0, -sphi
        ar = np.convolve(ar, sar)
    if spec.Q:
        sma = np.zeros(spec.Q * period + 1)
        sma[0], sma[period::period] = 1.0, stheta
        ma = np.convolve(ma, sma)
    return ar, ma


def css_residuals(params: np.ndarray, z: np.ndarray, spec: Spec, period: int) -> np.ndarray:
    """Innovations conditional on the first deg φΦ observations and zero pre-sample shocks (R's CSS)."""
    ar, ma = polynomials(params, spec, period)
    x = z - params[0] if spec.constant else z
    w = lfilter(ar, [1.0], x)[len(ar) - 1 :]
    return lfilter([1.0], ma, w)


def _min_root(poly: np.ndarray) -> float:
    poly = np.trim_zeros(poly, "b")
    return float(np.min(np.abs(np.roots(poly[::-1])))) if len(poly) > 1 else np.inf


def css(z: np.ndarray, spec: Spec, period: int, start: np.ndarray | None = None) -> np.ndarray:
    """CSS estimates (Levenberg–Marquardt, bounded evaluations): starting values for the exact fit."""
    x0 = np.zeros(spec.n_coef) if start is None else np.asarray(start, dtype=float)[: spec.n_coef]
    if start is None and spec.constant:
        x0[0] = float(np.mean(z))
    if spec.n_coef == 0:
        return x0
    with np.errstate(all="ignore"):
        fit = least_squares(
            css_residuals,
            x0,
            args=(z, spec, period),
            method="lm",
            max_nfev=15 * (spec.n_coef + 1),
            ftol=1e-4,
            xtol=1e-4,
        )
    return fit.x if np.all(np.isfinite(fit.x)) else x0


def admissible(params: np.ndarray, spec: Spec, period: int) -> bool:
    """R's auto.arima rule: AR and MA roots must lie outside 1.01 · the unit circle."""
    ar, ma = polynomials(np.asarray(params, dtype=float)[: spec.n_coef], spec, period)
    return bool(np.all(np.isfinite(params)) and min(_min_root(ar), _min_root(ma)) >= _MIN_ROOT)


def aicc(loglike: float, spec: Spec, n: int) -> float:
    """AICc with σ² counted as a parameter, as in R's auto.arima; +inf when n is too small."""
    k = spec.n_coef + 1
    if n - k - 1 <= 0 or not np.isfinite(loglike):
        return np.inf
    return float(-2.0 * loglike + 2 * k + 2 * k * (k + 1) / (n - k - 1))


def starts(period: int, bounds: Bounds, short: bool = False) -> list[Spec]:
    """auto.arima's four starting models (capped by the bounds), plus the null model without a
    constant; on a ``short`` series (R: fewer than 10 observations) the first starts at (1, 1)."""
    seasonal = period > 1
    out = [
        Spec(1, 1) if short else Spec(2, 2, 1, 1) if seasonal else Spec(2, 2),
        Spec(0, 0),
        Spec(1, 0, 1, 0) if seasonal else Spec(1, 0),
        Spec(0, 1, 0, 1) if seasonal else Spec(0, 1),
        Spec(0, 0, constant=False),
    ]
    capped = [
        Spec(
            min(s.p, bounds.max_p),
            min(s.q, bounds.max_q),
            min(s.P, bounds.max_P),
            min(s.Q, bounds.max_Q),
            s.constant and bounds.constant,
        )
        for s in out
    ]
    return list(dict.fromkeys(s for s in capped if bounds.allows(s)))


_STEPS = ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))


def neighbours(s: Spec, period: int) -> Iterator[Spec]:
    """auto.arima's moves, in its order: seasonal ±1 (singly, then jointly), non-seasonal, constant."""
    if period > 1:
        for dP, dQ in _STEPS:
            yield replace(s, P=s.P + dP, Q=s.Q + dQ)
    for dp, dq in _STEPS:
        yield replace(s, p=s.p + dp, q=s.q + dq)
    yield replace(s, constant=not s.constant)


def stepwise(
    period: int, bounds: Bounds, visit_one: Callable[[Spec], Scored], short: bool = False
) -> list[Scored]:
    """Every visited candidate, best (lowest AICc) first; ties keep the order they were visited in.

    From the best starting model, the first neighbour that lowers AICc becomes the current model
    and its neighbours are tried from the beginning; the search stops when no neighbour improves.
    ``visit_one`` estimates and scores one candidate (called once per candidate).
    """
    seen: dict[Spec, Scored] = {}

    def visit(s: Spec) -> Scored:
        if s not in seen:
            seen[s] = visit_one(s)
        return seen[s]

    current = min((visit(s) for s in starts(period, bounds, short)), key=lambda r: r.aicc)
    improved = True
    while improved and len(seen) < _MAX_MODELS:
        improved = False
        for cand in neighbours(current.spec, period):
            if not bounds.allows(cand) or cand in seen:
                continue
            result = visit(cand)
            if result.aicc < current.aicc:
                current, improved = result, True
                break
    order = {s: i for i, s in enumerate(seen)}
    return sorted(seen.values(), key=lambda r: (r.aicc, order[r.spec]))
