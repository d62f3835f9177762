"""Synthetic series with known truth, each generated from a seed (``np.random.default_rng``).

These are what the honesty checks run on: on a random walk nothing can beat persistence; on an AR(1)
in differences a linear model should; GARCH returns have no predictable mean but predictable
variance. Series have a RangeIndex (no calendar) and the true parameters in their notes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from bench.data.validate import Where, load_series
from bench.errors import ConfigError
from bench.types import Collection, Dataset


def _check_n(n: int, minimum: int = 2) -> int:
    if int(n) < minimum:
        raise ConfigError(f"synthetic series need n >= {minimum}, not {n}")
    return int(n)


def _dataset(name: str, values: np.ndarray, seed: int, truth: str, period: int | None = None):
    return load_series(
        name,
        pd.Series(values),
        Where(f"synthetic {name}"),
        period=period,
        source=f"synthetic {name}, bench.data.synthetic, seed {seed}",
        notes=[f"known truth: {truth}"],
    )


def sine(
    n: int = 300,
    cycle: int = 25,
    amplitude: float = 1.0,
    noise: float = 0.1,
    level: float = 0.0,
    seed: int = 0,
) -> Dataset:
    """A noisy sine (the PyTorch RNN tutorial's toy) with a seed-drawn phase: fast and learnable."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0, 2 * np.pi)
    t = np.arange(n)
    y = level + amplitude * np.sin(2 * np.pi * t / cycle + phase) + rng.normal(0, noise, n)
    truth = f"{amplitude:g}·sin(2πt/{cycle} + {phase:.3f}) + N(0, {noise:g}²)"
    return _dataset("sine", y, seed, truth, period=cycle)


def random_walk(n: int = 500, sigma: float = 1.0, start: float = 100.0, seed: int = 0) -> Dataset:
    """y_t = y_{t-1} + ε_t: persistence is the optimal forecast, so no model should beat it."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    y = start + np.concatenate([[0.0], np.cumsum(rng.normal(0, sigma, n - 1))])
    return _dataset("random_walk", y, seed, f"random walk, ε ~ N(0, {sigma:g}²), y_0 = {start:g}")


def mackey_glass(
    n: int = 600,
    tau: int = 17,
    beta: float = 0.2,
    gamma: float = 0.1,
    power: float = 10.0,
    noise: float = 0.02,
    burn: int = 300,
    seed: int = 0,
) -> Dataset:
    """The Mackey–Glass delay equation dx/dt = β x(t−τ) / (1 + x(t−τ)^power) − γ x(t), chaotic at
    τ = 17, sampled once per time unit (RK4 at step 0.1, the delayed value held over a step) after
    ``burn`` units from a seed-drawn start, plus N(0, noise²) observation noise: the classic
    nonlinear benchmark where a net's capacity and training matter (a linear AR does poorly)."""
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    sub = 10  # integration steps per time unit
    dt, lag = 1.0 / sub, int(tau) * sub
    total = (int(burn) + n) * sub
    x = np.empty(total + lag + 1)
    x[: lag + 1] = 1.2 + rng.uniform(-0.1, 0.1)

    def f(now: float, delayed: float) -> float:
        return beta * delayed / (1.0 + delayed**power) - gamma * now

    for i in range(lag, lag + total):
        d = x[i - lag]
        k1 = f(x[i], d)
        k2 = f(x[i] + 0.5 * dt * k1, d)
        k3 = f(x[i] + 0.5 * dt * k2, d)
        k4 = f(x[i] + dt * k3, d)
        x[i + 1] = x[i] + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    y = x[lag + 1 + int(burn) * sub :: sub][:n] + rng.normal(0, noise, n)
    truth = f"Mackey–Glass τ={tau}, β={beta:g}, γ={gamma:g}, n={power:g}, + N(0, {noise:g}²)"
    return _dataset("mackey_glass", y, seed, truth)


def random_walks(n_series: int = 60, n: int = 300, sigma: float = 1.0, seed: int = 0) -> Collection:
    """``n_series`` independent Gaussian random walks of ``n`` points: a collection where nothing can
    beat persistence, so any share of series where a model "beats naive" is the tests' false alarms."""
    if n_series < 1:
        raise ConfigError(f"random_walks needs n_series >= 1, not {n_series}")
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    steps = rng.normal(0, sigma, (int(n_series), n - 1))
    parts = [
        pd.DataFrame(
            {
                "unique_id": f"RW{i:03d}",
                "ds": np.arange(n),
                "y": 100.0 + np.concatenate([[0.0], np.cumsum(s)]),
            }
        )
        for i, s in enumerate(steps)
    ]
    return Collection(
        name="random_walks", frame=pd.concat(parts, ignore_index=True),
        source=f"synthetic collection of {n_series} random walks, bench.data.synthetic, seed {seed}",
        notes=(f"known truth: random walks, ε ~ N(0, {sigma:g}²): persistence is optimal on every series",),
    )  # fmt: skip


def ar1_path(n: int, phi: float, sigma: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary zero-mean AR(1) path, started from its stationary distribution (no burn-in)."""
    if not -1 < phi < 1:
        raise ConfigError(f"AR(1) needs |phi| < 1 to be stationary, not {phi}")
    e = rng.normal(0, sigma, n)
    x = np.empty(n)
    x[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


def ar1(
    n: int = 500,
    phi: float = 0.6,
    sigma: float = 1.0,
    mean: float = 0.0,
    integrated: bool = False,
    start: float = 100.0,
    seed: int = 0,
) -> Dataset:
    """AR(1) x_t = φ x_{t-1} + ε_t around ``mean``.

    With ``integrated`` the series is the running sum of such increments from ``start``: an
    ARIMA(1,1,0), "AR(1) in differences".
    """
    n = _check_n(n)
    rng = np.random.default_rng(seed)
    if integrated:
        d = mean + ar1_path(n - 1, phi, sigma, rng)
        y = start + np.concatenate([[0.0], np.cumsum(d)])
        name, truth = (
            "ar1_diff",
            f"Δy_t = {mean:g} + AR(1) with φ = {phi:g}, σ = {sigma:g}; y_0 = {start:g}",
        )
    else:
        y = mean + ar1_path(n, phi, sigma, rng)
        name, truth = "ar1", f"AR(1) around {mean:g} with φ = {phi:g}, σ = {sigma:g}"
    return _dataset(name, y, seed, truth)


def garch(
    n: int = 1000,
    mu: float = 0.0,
    omega: float = 0.05,
    alpha: float = 0.08,
    beta: float = 0.9,
    nu: float | None = None,
    burn: int = 500,
    seed: int = 0,
) -> Dataset:
    """GARCH(1,1) returns r_t = μ + σ_t z_t, σ²_t = ω + α (r_{t-1} − μ)² + β σ²_{t-1}.

    ``z`` is standard normal, or Student-t with ``nu`` degrees of freedom scaled to unit variance.
    Defaults give daily-return-like data in percent (unconditional sd ≈ 1.6).
    """
    n = _check_n(n)
    if omega <= 0 or alpha < 0 or beta < 0 or alpha + beta >= 1:
        raise ConfigError("GARCH(1,1) needs omega > 0, alpha, beta >= 0 and alpha + beta < 1")
    if nu is not None and nu <= 2:
        raise ConfigError(f"Student-t innovations need nu > 2 for a finite variance, not {nu}")
    rng = np.random.default_rng(seed)
    total = n + int(burn)
    if nu is None:
        z = rng.standard_normal(total)
    else:
        z = rng.standard_t(nu, total) * np.sqrt((nu - 2) / nu)
    var = omega / (1 - alpha - beta)
    eps = np.empty(total)
    for t in range(total):
        eps[t] = np.sqrt(var) * z[t]
        var = omega + alpha * eps[t] ** 2 + beta * var
    dist = "normal" if nu is None else f"standardised t({nu:g})"
    truth = f"GARCH(1,1) μ = {mu:g}, ω = {omega:g}, α = {alpha:g}, β = {beta:g}, {dist} innovations"
    return replace(_dataset("garch", mu + eps[burn:], seed, truth), returns=True)


def panel(
    n_series: int = 20,
    min_len: int = 60,
    max_len: int = 120,
    phi: float = 0.5,
    period: int = 12,
    seasonal: float = 2.0,
    seed: int = 0,
) -> Collection:
    """A collection of integrated AR(1) series with a multiplicative-looking season, lengths drawn
    from ``[min_len, max_len]``: the smallest stand-in for an M3-like collection, for fast tests."""
    if n_series < 1 or min_len < 2 or max_len < min_len:
        raise ConfigError("panel needs n_series >= 1 and 2 <= min_len <= max_len")
    rng = np.random.default_rng(seed)
    parts = []
    for i in range(int(n_series)):
        n = int(rng.integers(min_len, max_len + 1))
        t = np.arange(n)
        level = 100 + np.cumsum(ar1_path(n, phi, 1.0, rng))
        y = level + seasonal * np.sin(2 * np.pi * t / period + rng.uniform(0, 2 * np.pi))
        parts.append(pd.DataFrame({"unique_id": f"S{i:03d}", "ds": t, "y": y}))
    truth = f"Δy = AR(1) φ = {phi:g} plus a sine of period {period} and amplitude {seasonal:g}"
    return Collection(
        name="panel", frame=pd.concat(parts, ignore_index=True), period=period,
        source=f"synthetic panel of {n_series} series, bench.data.synthetic, seed {seed}",
        notes=(f"known truth: {truth}",),
    )  # fmt: skip


def garch_ohlc_frame(
    n: int = 2500,
    mu: float = 0.0,
    omega: float = 0.05,
    alpha: float = 0.08,
    beta: float = 0.9,
    steps: int = 390,
    start: float = 100.0,
    burn: int = 500,
    seed: int = 0,
) -> pd.DataFrame:
    """Daily OHLC prices whose close-to-close log returns × 100 are GARCH(1,1), with the true variance.

    Each day is a Brownian path of ``steps`` increments whose variance adds up to that day's σ²_t
    (opening at the previous close, so there is no overnight gap): the day's return is exactly the
    GARCH return, and the range-based proxies (Parkinson, Garman–Klass) of that path have σ²_t as
    their expectation, up to the small downward bias of sampling the high and low ``steps`` times
    a day. Columns: Date (business days from 2000-01-03), Open, High, Low, Close, true_var (σ²_t of
    the return ending at that close; NaN on the first row, which has no return).
    """
    n = _check_n(n)
    if omega <= 0 or alpha < 0 or beta < 0 or alpha + beta >= 1:
        raise ConfigError("GARCH(1,1) needs omega > 0, alpha, beta >= 0 and alpha + beta < 1")
    rng = np.random.default_rng(seed)
    total = n - 1 + int(burn)
    var = omega / (1 - alpha - beta)
    sig2 = np.empty(total)
    z = rng.standard_normal(total)
    for t in range(total):
        sig2[t] = var
        var = omega + alpha * sig2[t] * z[t] ** 2 + beta * var
    sig2, z = sig2[burn:], z[burn:]
    # Intraday increments: a standard normal walk rescaled so that each day's sum is exactly z_t.
    walk = rng.standard_normal((n - 1, int(steps))) / np.sqrt(steps)
    walk += (z - walk.sum(axis=1))[:, None] / steps
    path = np.cumsum(walk, axis=1) * np.sqrt(sig2)[:, None] + mu * np.arange(1, steps + 1) / steps
    close = np.log(start) + np.concatenate([[0.0], np.cumsum(path[:, -1])]) / 100.0
    opens = np.r_[close[0], close[:-1]]
    # The extremes include the open and the close themselves (no rounding may put them outside).
    high = np.maximum.reduce([opens, close, np.r_[close[0], close[:-1] + path.max(axis=1) / 100.0]])
    low = np.minimum.reduce([opens, close, np.r_[close[0], close[:-1] + path.min(axis=1) / 100.0]])
    return pd.DataFrame(
        {
            "Date": pd.bdate_range("2000-01-03", periods=n),
            "Open": np.exp(opens),
            "High": np.exp(high),
            "Low": np.exp(low),
            "Close": np.exp(close),
            "true_var": np.r_[np.nan, sig2],
        }  # fmt: skip
    )
