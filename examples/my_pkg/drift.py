"""The random walk with drift, written as a lagbench user writes a model: a plain class, no lagbench base.

The model is ``y_t = y_{t-1} + c + e_t`` with ``e_t`` independent N(0, σ²). From ``T`` observations
the drift is estimated by the mean change, ``ĉ = (y_T − y_1) / (T − 1)``, and σ² by the sample
variance of the ``T − 1`` changes (``T − 2`` degrees of freedom). The h-step forecast is
``y_T + h ĉ``; its error ``h (c − ĉ) + e_{T+1} + … + e_{T+h}`` has variance

    σ² h (1 + h / (T − 1))

(h future shocks, plus h times the error of ĉ, whose variance is σ² / (T − 1); the two are independent
because ĉ is made of past shocks only — Hyndman & Athanasopoulos, FPP3 §5.5). With σ² replaced by its
estimate, error / estimated sd is exactly Student-t with T − 2 degrees of freedom (normal shocks:
ĉ and σ̂² are independent), so the forecast says so through ``df``; lagbench's intervals, CRPS and
NLL then use t tails. ``Forecast.var`` is the variance of that t: the scale² × ν / (ν − 2).

Run it beside naive (from a directory holding ``my_pkg/`` and ``conf/models/drift.yaml``):

    PYTHONPATH=. lagbench 'models=[naive,drift]' datasets=[sine] "hydra.searchpath=[file://$PWD/conf]"
"""

from __future__ import annotations

import numpy as np

from bench.types import Forecast


class Drift:
    """Last value plus h times the mean change, with the exact predictive distribution.

    ``levels = True``: the model wants the series as observed, not the shared transform's output
    (by default differenced and standardised, on which a drift would be the wrong model). Every other
    capability keeps its default: local (one model per series), deterministic (run once, not per
    seed), no seasonal period.
    """

    levels = True

    def __init__(self) -> None:
        self.y: np.ndarray | None = None
        self.n_fitted = 0

    def fit(self, z: np.ndarray) -> Drift:
        """Estimate ĉ and σ² from the whole history (refits start from scratch: nothing to warm)."""
        y = np.asarray(z, dtype=float)
        if len(y) < 5:  # T − 2 > 2 degrees of freedom, so the t has a variance; lagbench records the fold
            raise ValueError(f"the drift model needs at least 5 points, got {len(y)}")
        self.y, self.n_fitted = y, len(y)
        changes = np.diff(y)
        self.drift = float(np.mean(changes))
        self.sigma2 = float(np.var(changes, ddof=1))
        return self

    def update(self, z: np.ndarray) -> Drift:
        """A longer history, parameters held (between refits): only the last value moves on."""
        self.y = np.asarray(z, dtype=float)
        return self

    def predict(self, h: int) -> Forecast:
        """Mean, variance and degrees of freedom of the next ``h`` values, one entry per step.

        ``T`` is the history the parameters were estimated on, not the one last given to ``update``:
        between refits ĉ and σ² are held, so their estimation error is that of the fit.
        """
        steps = np.arange(1, h + 1)
        n_changes = self.n_fitted - 1
        dof = n_changes - 1
        scale2 = self.sigma2 * steps * (1.0 + steps / n_changes)
        return Forecast(
            mean=self.y[-1] + self.drift * steps,
            var=scale2 * dof / (dof - 2.0),
            df=np.full(h, float(dof)),
        )
