"""Differencing orders chosen per series on each refit's training part, as R's ``ndiffs``/``nsdiffs``.

``AutoDifference`` and ``AutoSeasonalDifference`` are chain steps whose ``fit`` decides the order
and then behave exactly like that many fixed :class:`Difference` steps. Put the seasonal step first:
D is chosen before d (R's ``auto.arima`` order), so d is tested on the seasonally differenced series.
"""

from __future__ import annotations

import warnings
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from bench.prep.steps import Difference, Step, apply_steps, invert_steps

SEASONAL_STRENGTH = 0.64  # R nsdiffs' default threshold for its "seas" heuristic


def _constant(x: np.ndarray) -> bool:
    return len(x) == 0 or bool(np.ptp(x) == 0)


def kpss_rejects(x: np.ndarray, alpha: float = 0.05) -> bool:
    """KPSS level-stationarity test rejected at ``alpha``, as R forecast's ``ndiffs`` runs it.

    ``ndiffs`` calls ``urca::ur.kpss(x, type = "mu", use.lag = trunc(3 * sqrt(n) / 13))``; urca's own
    short rule (4 (n/100)^¼, used here before) takes twice the lags on a 100-point series and
    accepted stationarity on 102 of the 1045 M3 series where R differences.
    """
    lags = int(3 * np.sqrt(len(x)) / 13)
    # statsmodels' time-series tools load slowly: imported when an automatic step is fitted.
    from statsmodels.tools.sm_exceptions import InterpolationWarning
    from statsmodels.tsa.stattools import kpss

    with warnings.catch_warnings():
        # statsmodels interpolates its p-value in a table clipped to [0.01, 0.1]: enough at 5 %.
        warnings.simplefilter("ignore", InterpolationWarning)
        return bool(kpss(x, regression="c", nlags=lags, result_object=True).pvalue < alpha)


def ndiffs(y: np.ndarray, alpha: float = 0.05, max_d: int = 2) -> int:
    """Smallest d ≤ ``max_d`` whose d-th difference the KPSS test does not reject (R ``ndiffs``)."""
    x = np.asarray(y, dtype=float)
    d = 0
    if _constant(x):
        return 0
    while d < max_d and len(x) > 3 and kpss_rejects(x, alpha):
        d += 1
        x = np.diff(x)
        if _constant(x):
            break
    return d


def seasonal_strength(y: np.ndarray, period: int) -> float:
    """max(0, 1 − Var(R)/Var(S + R)) of an STL decomposition (Wang, Smith & Hyndman 2006).

    STL as R's ``mstl`` runs it for a single period: seasonal window 11 (7 + 4) and a locally
    constant seasonal smoother (R ``stl``'s ``s.degree = 0``; statsmodels defaults to 1, which moved
    63 of the 1045 M3 series across the 0.64 threshold).
    """
    from statsmodels.tsa.seasonal import STL

    res = STL(np.asarray(y, dtype=float), period=int(period), seasonal=11, seasonal_deg=0).fit()
    rem, seas = np.asarray(res.resid), np.asarray(res.seasonal)
    denom = np.var(rem + seas, ddof=1)
    return 0.0 if denom == 0 else float(max(0.0, min(1.0, 1.0 - np.var(rem, ddof=1) / denom)))


def nsdiffs(y: np.ndarray, period: int, threshold: float = SEASONAL_STRENGTH, max_D: int = 1) -> int:  # noqa: N803
    """Seasonal differences (≤ ``max_D``) while the STL seasonal strength is ≥ ``threshold``.

    R ``nsdiffs``' default test ("seas", threshold 0.64); fewer than two full seasons: D = 0.
    """
    x = np.asarray(y, dtype=float)
    m = int(period)
    D = 0  # noqa: N806
    while D < max_D and m > 1 and len(x) >= 2 * m and not _constant(x):
        if seasonal_strength(x, m) < threshold:
            break
        D += 1  # noqa: N806
        x = x[m:] - x[:-m]
    return D


@dataclass
class _AutoOrder(Step, ABC):
    """Shared machinery: a decided number of fixed Difference steps, inverted like a chain."""

    differences: ClassVar[bool] = True
    lag: int = 1
    max_order: int = 1
    order: int | None = field(default=None, init=False)
    _steps: list = field(default_factory=list, init=False, repr=False)

    @abstractmethod
    def _choose(self, y: np.ndarray) -> int:
        """The order this step applies to the training part ``y``."""

    def fit(self, y: np.ndarray) -> _AutoOrder:
        x = np.asarray(y, dtype=float)
        self.order = min(self._choose(x), self.max_order)
        self._steps = []
        for _ in range(self.order):
            step = Difference(lag=self.lag).fit(x)
            x = step.transform(x)
            self._steps.append(step)
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        return apply_steps(self._steps, y)

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        return invert_steps(self._steps, z_hat, history)

    @property
    def max_lost(self) -> int:
        """The most observations this step could consume (a safe bound before ``fit``)."""
        return self.lag * self.max_order

    @property
    def lags(self) -> list[int]:
        """Lags of the differences applied (empty before ``fit``)."""
        return [s.lag for s in self._steps]


@dataclass
class AutoDifference(_AutoOrder):
    """d ∈ {0, …, max_d} by repeated KPSS tests at ``alpha`` (R ``ndiffs``), then d first differences."""

    max_order: int = 2
    alpha: float = 0.05

    def _choose(self, y: np.ndarray) -> int:
        return ndiffs(y, self.alpha, self.max_order)

    def describe(self) -> str:
        if self.order is None:
            return f"diff(auto, KPSS {self.alpha * 100:g} %)"
        return f"diff(auto → {self.order})"

    def info(self) -> dict:
        return {} if self.order is None else {"d": self.order}


@dataclass
class AutoSeasonalDifference(_AutoOrder):
    """D ∈ {0, 1} at lag ``period``: 1 when the STL seasonal strength is ≥ 0.64 (R ``nsdiffs``)."""

    threshold: float = SEASONAL_STRENGTH

    def _choose(self, y: np.ndarray) -> int:
        return nsdiffs(y, self.lag, self.threshold, self.max_order)

    def describe(self) -> str:
        if self.order is None:
            return f"seasonal_diff({self.lag}, auto, STL strength ≥ {self.threshold:g})"
        return f"seasonal_diff({self.lag}, auto → {self.order})"

    def info(self) -> dict:
        return {} if self.order is None else {"D": self.order}
