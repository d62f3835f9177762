"""AR(X) mean with GARCH(p, q) errors (``arch``), fitted on the shared transformed series.

GARCH leaves the point forecast close to the plain ARMA's; what it adds is a time-varying variance,
so this model is judged on its intervals (``var`` and, for h > 1, simulated ``paths``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

import numpy as np
from arch import arch_model
from arch.univariate.base import ARCHModelFixedResult, ARCHModelResult
from arch.univariate.mean import HARX

from bench.models.base import ModelError
from bench.types import Forecast

_MEANS = ("ARX", "Constant", "Zero")
_DISTS = ("normal", "t")
# arch's optimiser is tuned for data whose variance lies roughly in 1..1000 (percent returns);
# the model works internally on k·z with std(k·z) = _TARGET_STD, whatever the scale of z.
_TARGET_STD = 10.0


class ARIMAGARCH:
    """AR(lags), constant or zero mean plus GARCH(p, q) variance; normal or Student-t shocks.

    Rescaling is internal: the training series is multiplied by ``k = 10 / std(z_train)`` before
    fitting (arch's own check is switched off, so no ``DataScaleWarning`` reaches the user) and
    forecasts are mapped back (mean / k, var / k², paths / k). ``update`` re-filters a new history
    with the estimated parameters and the same k held.

    Non-convergence of the optimiser is *not* an error here: arch emits its own
    ``ConvergenceWarning``, which the runner counts per model, and the estimates are kept.
    Non-finite estimates raise ``ModelError`` (the runner records the fold as failed), as do
    non-finite forecasts through the runner's ``check_forecast``.

    ``predict`` gives the analytic conditional mean and forecast-error variance (including the AR
    propagation for h > 1) and, for h > 1, ``n_paths`` simulated paths drawn with the fixed
    ``sim_seed``, so the model is deterministic.
    """

    levels: ClassVar[bool] = False

    def __init__(
        self,
        mean: str = "ARX",
        lags: int = 1,
        p: int = 1,
        q: int = 1,
        dist: str = "normal",
        n_paths: int = 1000,
        sim_seed: int = 0,
    ) -> None:
        if mean not in _MEANS:
            raise ValueError(f"ARIMAGARCH mean must be one of {_MEANS}, got {mean!r}")
        if dist not in _DISTS:
            raise ValueError(f"ARIMAGARCH dist must be one of {_DISTS}, got {dist!r}")
        if mean == "ARX" and lags < 1:
            raise ValueError("ARIMAGARCH mean='ARX' needs lags >= 1 (use mean='Constant' for 0)")
        if p < 1 or q < 0:
            raise ValueError(f"ARIMAGARCH needs p >= 1 and q >= 0, got p={p}, q={q}")
        if n_paths < 0:
            raise ValueError("ARIMAGARCH n_paths must be >= 0")
        self.mean = mean
        self.lags = int(lags) if mean == "ARX" else 0
        self.p = int(p)
        self.q = int(q)
        self.dist = dist
        self.n_paths = int(n_paths)
        self.sim_seed = int(sim_seed)
        self.scale_: float | None = None
        self._params: np.ndarray | None = None
        self._res: ARCHModelResult | ARCHModelFixedResult | None = None

    def _model(self, z: np.ndarray, scale: float) -> HARX:
        """arch model on ``scale · z`` (ConstantMean and ZeroMean are HARX subclasses)."""
        return arch_model(
            scale * np.asarray(z, dtype=float).reshape(-1),
            mean=self.mean,
            lags=self.lags,
            vol="GARCH",
            p=self.p,
            q=self.q,
            dist=self.dist,
            rescale=False,
        )

    def fit(self, z: np.ndarray) -> ARIMAGARCH:
        z = np.asarray(z, dtype=float).reshape(-1)
        std = float(np.std(z))
        if not np.isfinite(std) or std <= 0:
            raise ModelError("ARIMAGARCH: training series is constant or non-finite")
        self.scale_ = _TARGET_STD / std
        res = self._model(z, self.scale_).fit(disp="off")
        params = np.asarray(res.params, dtype=float)
        if not np.all(np.isfinite(params)):
            raise ModelError(f"ARIMAGARCH: non-finite parameter estimates {params}")
        self._params, self._res = params, res
        return self

    def update(self, z: np.ndarray) -> ARIMAGARCH:
        """Re-run the variance filter over the new history with parameters and scale held."""
        if self._params is None or self.scale_ is None:
            raise ModelError("ARIMAGARCH: call fit() before update()")
        self._res = self._model(z, self.scale_).fix(self._params)
        return self

    def predict(self, h: int) -> Forecast:
        if self._res is None or self.scale_ is None:
            raise ModelError("ARIMAGARCH: call fit() before predict()")
        k = self.scale_
        fc = self._res.forecast(horizon=h, reindex=False)
        mean = np.asarray(fc.mean.values[-1], dtype=float) / k
        var = np.asarray(fc.variance.values[-1], dtype=float) / k**2
        paths = None
        if h > 1 and self.n_paths > 0:
            sim = self._res.forecast(
                horizon=h,
                method="simulation",
                simulations=self.n_paths,
                rng=self._shocks(),
                reindex=False,
            )
            paths = np.asarray(sim.simulations.values[-1], dtype=float) / k
        return Forecast(mean=mean, var=var, paths=paths)

    def _shocks(self) -> Callable[[int | tuple[int, ...]], np.ndarray]:
        """Standardised shock generator of the fitted distribution, freshly seeded per call.

        arch's default draws from a generator that advances with every forecast, so repeated
        predictions would differ; a fresh copy seeded with ``sim_seed`` keeps them identical.
        """
        assert self._res is not None and self._params is not None
        dist = self._res.model.distribution
        fresh = type(dist)(seed=np.random.default_rng(self.sim_seed))
        shape = self._params[len(self._params) - dist.num_params :]  # nu for "t", empty for normal
        return fresh.simulate(shape)

    @property
    def params(self) -> np.ndarray:
        """Estimated parameters on the internal (rescaled) data, in arch's order."""
        if self._params is None:
            raise ModelError("ARIMAGARCH: not fitted")
        return self._params
