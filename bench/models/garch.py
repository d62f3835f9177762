"""AR(X) mean with GARCH(p, o, q) or EGARCH errors (``arch``), fitted on the shared transformed series.

GARCH leaves the point forecast close to the plain ARMA's; what it adds is a time-varying variance,
so this model is judged on its intervals (``var`` and, for h > 1, simulated ``paths``) and, on
returns, on its variance forecasts against the variance proxy (``bench.scoring.volatility``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from arch import arch_model
from arch.univariate.base import ARCHModelFixedResult, ARCHModelResult
from arch.univariate.mean import HARX

from bench.models.base import ModelBase, ModelError
from bench.types import Forecast

_MEANS = ("ARX", "Constant", "Zero")
_DISTS = ("normal", "t", "skewt")
_VOLS = ("GARCH", "EGARCH")
_ABS_MEAN = float(np.sqrt(2.0 / np.pi))  # E|e| of a standard normal: arch's EGARCH centring for every dist
# arch's optimiser is tuned for data whose variance lies roughly in 1..1000 (percent returns);
# the model works internally on k·z with std(k·z) = _TARGET_STD, whatever the scale of z.
_TARGET_STD = 10.0


@dataclass(frozen=True)
class _State:
    """What the next step needs: history length, last scaled values, residuals and their variances
    (the last ``max(p, o, q, 1)`` of each, oldest first)."""

    n: int
    x: np.ndarray
    eps: np.ndarray
    s2: np.ndarray


class ARIMAGARCH(ModelBase):
    """AR(lags), constant or zero mean plus a GARCH-family variance; normal, Student-t or skew-t shocks.

    ``vol="GARCH"`` with ``o = 0`` is GARCH(p, q); ``o > 0`` adds GJR's asymmetry terms
    γ ε²_{t−j} 1[ε_{t−j} < 0]; ``vol="EGARCH"`` models ln σ² (Nelson 1991, arch's form).

    Rescaling is internal: the training series is multiplied by ``k = 10 / std(z_train)`` before
    fitting (arch's own check is switched off, so no ``DataScaleWarning`` reaches the user) and
    forecasts are mapped back (mean / k, var / k², paths / k). ``update`` runs the fixed-parameter
    recursions on from the last state (same k), so rolling origins between refits cost O(new obs).

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
        o: int = 0,
        vol: str = "GARCH",
    ) -> None:
        if mean not in _MEANS:
            raise ValueError(f"ARIMAGARCH mean must be one of {_MEANS}, got {mean!r}")
        if dist not in _DISTS:
            raise ValueError(f"ARIMAGARCH dist must be one of {_DISTS}, got {dist!r}")
        if mean == "ARX" and lags < 1:
            raise ValueError("ARIMAGARCH mean='ARX' needs lags >= 1 (use mean='Constant' for 0)")
        if vol not in _VOLS:
            raise ValueError(f"ARIMAGARCH vol must be one of {_VOLS}, got {vol!r}")
        if p < 1 or q < 0 or o < 0:
            raise ValueError(f"ARIMAGARCH needs p >= 1 and o, q >= 0, got p={p}, o={o}, q={q}")
        if n_paths < 0 or (vol == "EGARCH" and n_paths == 0):
            raise ValueError("ARIMAGARCH n_paths must be >= 0 (>= 1 for EGARCH: h > 1 is simulated)")
        self.mean = mean
        self.lags = int(lags) if mean == "ARX" else 0
        self.p = int(p)
        self.q = int(q)
        self.o = int(o)
        self.vol = vol
        self.dist = dist
        self.n_paths = int(n_paths)
        self.sim_seed = int(sim_seed)
        self.scale_: float | None = None
        self._params: np.ndarray | None = None
        self._res: ARCHModelResult | ARCHModelFixedResult | None = None
        self._state: _State | None = None
        self._z: np.ndarray | None = None

    def _model(self, z: np.ndarray, scale: float) -> HARX:
        """arch model on ``scale · z`` (ConstantMean and ZeroMean are HARX subclasses)."""
        return arch_model(
            scale * np.asarray(z, dtype=float).reshape(-1),
            mean=self.mean,
            lags=self.lags,
            vol=self.vol,
            p=self.p,
            o=self.o,
            q=self.q,
            dist=self.dist,
            rescale=False,
        )

    def fit(self, z: np.ndarray) -> ARIMAGARCH:
        """Complete estimation on ``z``; a previous fit on this object only seeds arch's optimiser."""
        z = np.asarray(z, dtype=float).reshape(-1)
        std = float(np.std(z))
        if not np.isfinite(std) or std <= 0:
            raise ModelError("ARIMAGARCH: training series is constant or non-finite")
        scale = _TARGET_STD / std
        start = None if self._params is None else self._rescaled(self._params, scale / self.scale_)
        res = self._model(z, scale).fit(disp="off", starting_values=start)
        params = np.asarray(res.params, dtype=float)
        if not np.all(np.isfinite(params)):
            raise ModelError(f"ARIMAGARCH: non-finite parameter estimates {params}")
        self.scale_, self._params, self._res = scale, params, res
        self._state = self._filtered(z, res)
        self._z = z.copy()
        return self

    @property
    def _keep(self) -> int:
        return max(self.p, self.o, self.q, 1)

    def _filtered(self, z: np.ndarray, res: ARCHModelResult | ARCHModelFixedResult) -> _State:
        """The state after arch's filter of the whole history ``z``."""
        k = self._keep
        s2 = np.asarray(res.conditional_volatility, dtype=float) ** 2
        eps = np.asarray(res.resid, dtype=float)
        return _State(n=len(z), x=self.scale_ * z[-max(self.lags, 1) :], eps=eps[-k:], s2=s2[-k:])

    def _rescaled(self, params: np.ndarray, ratio: float) -> np.ndarray:
        """Previous estimates mapped to a new internal scale: mean constant × ratio, ω × ratio²
        (EGARCH: ω + ln ratio² · (1 − Σβ), as ln σ² moves by ln ratio²)."""
        out = params.copy()
        if self.mean != "Zero":
            out[0] *= ratio
        k = self._n_mean
        if self.vol == "EGARCH":
            first_beta = k + 1 + self.p + self.o
            out[k] += np.log(ratio**2) * (1.0 - out[first_beta : first_beta + self.q].sum())
        else:
            out[k] *= ratio**2
        return out

    @property
    def _n_mean(self) -> int:
        return {"ARX": 1 + self.lags, "Constant": 1, "Zero": 0}[self.mean]

    def update(self, z: np.ndarray) -> ARIMAGARCH:
        """Absorb the observations since the last fit/update with parameters and scale held.

        O(new observations): the mean residual and the GARCH(p, q) variance recursions run on from
        the stored last state. A history that does not extend the absorbed one (a sliding window)
        is re-filtered from scratch by arch (``fix``).
        """
        if self._params is None or self.scale_ is None or self._state is None or self._z is None:
            raise ModelError("ARIMAGARCH: call fit() before update()")
        z = np.asarray(z, dtype=float).reshape(-1)
        n = self._state.n
        if len(z) >= n and np.array_equal(z[:n], self._z):
            state = self._state
            for value in self.scale_ * z[n:]:
                state = self._step(state, float(value))
            self._state, self._res = state, None
        else:
            res = self._model(z, self.scale_).fix(self._params)
            self._state, self._res = self._filtered(z, res), res
        self._z = z.copy()
        return self

    def _mean_next(self, state: _State) -> float:
        """Conditional mean of the next (scaled) observation."""
        par = self._params
        if self.mean == "Zero":
            return 0.0
        if self.mean == "Constant":
            return float(par[0])
        return float(par[0] + par[1 : 1 + self.lags] @ state.x[::-1][: self.lags])

    def _var_next(self, state: _State) -> float:
        """The next conditional variance, arch's parameter order ω, α_1..p, γ_1..o, β_1..q.

        GARCH / GJR: ω + Σ α_i ε²_{t+1−i} + Σ γ_j ε²_{t+1−j} 1[ε_{t+1−j} < 0] + Σ β_k σ²_{t+1−k};
        EGARCH: ln σ² = ω + Σ α_i (|e_{t+1−i}| − √(2/π)) + Σ γ_j e_{t+1−j} + Σ β_k ln σ²_{t+1−k},
        e = ε / σ.
        """
        par, k, p, o, q = self._params, self._n_mean, self.p, self.o, self.q
        omega, alpha = par[k], par[k + 1 : k + 1 + p]
        gamma, beta = par[k + 1 + p : k + 1 + p + o], par[k + 1 + p + o : k + 1 + p + o + q]
        eps, s2 = state.eps[::-1], state.s2[::-1]  # most recent first
        if self.vol == "EGARCH":
            e = eps / np.sqrt(s2)
            ln = omega + alpha @ (np.abs(e[:p]) - _ABS_MEAN) + gamma @ e[:o] + beta @ np.log(s2[:q])
            return float(np.exp(ln))
        neg = eps[:o] ** 2 * (eps[:o] < 0)
        return float(omega + alpha @ eps[:p] ** 2 + gamma @ neg + beta @ s2[:q])

    def _step(self, state: _State, value: float) -> _State:
        eps = value - self._mean_next(state)
        s2 = self._var_next(state)
        k = self._keep
        return _State(
            n=state.n + 1,
            x=np.r_[state.x, value][-max(self.lags, 1) :],
            eps=np.r_[state.eps, eps][-k:],
            s2=np.r_[state.s2, s2][-k:],
        )

    def predict(self, h: int) -> Forecast:
        if self._state is None or self.scale_ is None or self._z is None:
            raise ModelError("ARIMAGARCH: call fit() before predict()")
        k = self.scale_
        if h == 1:
            mean = np.array([self._mean_next(self._state)]) / k
            var = np.array([self._var_next(self._state)]) / k**2
            return Forecast(mean=mean, var=var, info=self.info)
        if self._res is None:  # multi-step needs arch's forecaster on the whole absorbed history
            self._res = self._model(self._z, k).fix(self._params)
        sim = None
        if self.n_paths > 0:
            sim = self._res.forecast(
                horizon=h,
                method="simulation",
                simulations=self.n_paths,
                rng=self._shocks(),
                reindex=False,
            )
        # EGARCH has no analytic multi-step variance: arch's (and here the) simulated one stands in.
        fc = sim if self.vol == "EGARCH" else self._res.forecast(horizon=h, reindex=False)
        mean = np.asarray(fc.mean.values[-1], dtype=float) / k
        var = np.asarray(fc.variance.values[-1], dtype=float) / k**2
        paths = None if sim is None else np.asarray(sim.simulations.values[-1], dtype=float) / k
        return Forecast(mean=mean, var=var, paths=paths, info=self.info)

    @property
    def info(self) -> dict[str, object]:
        out = {"mean": self.mean, "lags": self.lags, "p": self.p, "q": self.q, "dist": self.dist}
        if self.o or self.vol != "GARCH":  # today's choices text stays as it was for plain GARCH
            out.update(o=self.o, vol=self.vol)
        return out

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
