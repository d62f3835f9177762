"""One Kalman-filter step in numpy for a fitted, time-invariant state-space model.

Between refits a rolling evaluation only needs the one-step prediction after each new observation,
parameters held. statsmodels' ``results.extend`` does that exactly but builds a new model and
results object per call (about 2 ms, more than all of a refit's filter passes together over a
20-origin block); the same recursion on the last predicted state is a few small matrix products.
The system matrices are read from the fitted statsmodels model, so both agree to rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class KalmanState:
    """Predicted state ``a`` (t | t-1), its covariance ``P``; system y = Z a + d + ε, a' = T a + c + R η."""

    a: np.ndarray
    P: np.ndarray
    Z: np.ndarray
    d: float
    H: float
    T: np.ndarray
    c: np.ndarray
    RQR: np.ndarray

    @classmethod
    def from_results(cls, res: object) -> KalmanState | None:
        """The state after the last filtered observation; None when a system matrix varies over time.

        An observation intercept that is stored per period but equal throughout (statsmodels' trend
        ``"c"``) counts as time-invariant.
        """
        ssm = res.model.ssm
        design, obs_cov, transition = ssm["design"], ssm["obs_cov"], ssm["transition"]
        selection, state_cov, c = ssm["selection"], ssm["state_cov"], ssm["state_intercept"]
        if design.ndim != 2 or design.shape[0] != 1 or obs_cov.ndim != 2 or transition.ndim != 2:
            return None
        if selection.ndim != 2 or state_cov.ndim != 2 or c.ndim != 1:
            return None
        intercept = np.asarray(ssm["obs_intercept"], dtype=float).reshape(-1)
        if intercept.size and not np.all(intercept == intercept[-1]):
            return None
        fr = res.filter_results
        return cls(
            a=np.array(fr.predicted_state[:, -1], dtype=float),
            P=np.array(fr.predicted_state_cov[:, :, -1], dtype=float),
            Z=np.asarray(design[0], dtype=float),
            d=float(intercept[-1]) if intercept.size else 0.0,
            H=float(obs_cov[0, 0]),
            T=np.asarray(transition, dtype=float),
            c=np.asarray(c, dtype=float),
            RQR=np.asarray(selection @ state_cov @ selection.T, dtype=float),
        )

    def step(self, y: float) -> None:
        """Absorb one observation: the predicted state moves to the next period."""
        pz = self.P @ self.Z
        f = float(self.Z @ pz) + self.H
        v = float(y) - float(self.Z @ self.a) - self.d
        gain = self.T @ pz / f
        self.a = self.T @ self.a + self.c + gain * v
        p = self.T @ self.P @ self.T.T - np.outer(gain, gain) * f + self.RQR
        self.P = 0.5 * (p + p.T)

    def one_step(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean and variance of the next observation, shape (1,) each."""
        mean = float(self.Z @ self.a) + self.d
        var = float(self.Z @ self.P @ self.Z) + self.H
        return np.array([mean]), np.array([var])
