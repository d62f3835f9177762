"""The Theta method (Assimakopoulos & Nikolopoulos 2000) as statsmodels' ``ThetaModel`` fits it."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
from statsmodels.tsa.forecasting.theta import ThetaModel, ThetaModelResults
from statsmodels.tsa.holtwinters import ExponentialSmoothing

from bench.models.base import ModelError, NeedsPeriod, as_series
from bench.prep.seasonality import indices_at
from bench.types import Forecast


class Theta:
    """SES with drift b0·(θ − 1)/θ (θ = 2: the M3 winner), on deseasonalised data if seasonal.

    statsmodels runs its own 90 % seasonality test on the lag-``period`` autocorrelation and
    divides by classical multiplicative indices (additive if an index is not positive). ``update``
    holds b0, α, the test's verdict and the indices, and re-runs the SES filter with the held α
    over the longer deseasonalised history (statsmodels' own ``ThetaModelResults`` then forecasts):
    O(n) per update. ``var`` is statsmodels' σ²(1 + (h − 1)(1 + (α − 1)²)), σ² estimated once per
    fit (an ARIMA(0,1,1) with drift on the series, as statsmodels does).

    Defined on the raw series (``levels = True``): the shared differencing and scaling are not
    applied, so the harness never transforms twice.
    """

    levels: ClassVar[bool] = True
    needs_period: ClassVar[NeedsPeriod] = "optional"  # None (a dataset without one): non-seasonal
    min_length: ClassVar[int] = 4  # SES and a trend line; no more than two seasons: not seasonal

    def __init__(self, period: int | None = 1, theta: float = 2.0, deseasonalize: bool = True) -> None:
        period = 1 if period is None else period
        if int(period) < 1:
            raise ValueError(f"theta period must be >= 1, got {period}")
        if float(theta) < 1:
            raise ValueError(f"theta theta must be >= 1, got {theta}")
        self.period = int(period)
        self.theta = float(theta)
        self.deseasonalize = bool(deseasonalize) and self.period > 1
        self._res: ThetaModelResults | None = None
        self._method = "mul"
        self._indices = np.empty(0)  # phase-0 indices when seasonal, else empty
        self._sigma2 = float("nan")

    def fit(self, z: np.ndarray) -> Theta:
        z = as_series(z, "theta")
        if len(z) < self.min_length:
            raise ModelError(f"theta needs at least {self.min_length} points, got {len(z)}")
        # R's thetaf tests for a season only on more than two of them (n > 2m): shorter is non-seasonal.
        seasonal = self.deseasonalize and len(z) > 2 * self.period
        model = ThetaModel(z, period=self.period, deseasonalize=seasonal)
        self._res = model.fit()
        self._method = model.method
        self._indices = np.empty(0)
        if seasonal:
            # The fitted indices through the public forecast components, mapped back to phase 0.
            season = np.asarray(self._res.forecast_components(self.period)["seasonal"])
            neutral = 0.0 if self._method.startswith("add") else 1.0
            if not np.allclose(season, neutral):
                self._indices = np.roll(season, len(z) % self.period)
        self._sigma2 = float(self._res.sigma2)
        return self

    def update(self, z: np.ndarray) -> Theta:
        if self._res is None:
            return self.fit(z)
        z = as_series(z, "theta")
        b0, alpha = (float(v) for v in self._res.params)
        x = z
        if self._indices.size:
            s = indices_at(self._indices, 0, len(z))
            x = z - s if self._method.startswith("add") else z / s
        ses = ExponentialSmoothing(x, initial_level=x[0], initialization_method="known")
        one_step = ses.fit(smoothing_level=alpha, optimized=False).forecast(1)
        model = ThetaModel(
            z, period=self.period, deseasonalize=self.deseasonalize, use_test=False, method=self._method
        )
        self._res = ThetaModelResults(b0, alpha, self._sigma2, one_step, self._indices, False, model)
        return self

    def predict(self, h: int) -> Forecast:
        if self._res is None:
            raise RuntimeError("theta: call fit() before predict()")
        mean = np.asarray(self._res.forecast(h, theta=self.theta), dtype=float)
        alpha = float(self._res.params.iloc[1])
        var = self._sigma2 * (1 + np.arange(h) * (1 + (alpha - 1) ** 2))
        info = {"seasonal": bool(self._indices.size), "method": self._method, "alpha": alpha}
        return Forecast(mean=mean, var=var, info=info)
