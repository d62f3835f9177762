"""Box-Cox transform with λ chosen on the training part (Guerrero's method or maximum likelihood)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize_scalar
from scipy.special import boxcox, inv_boxcox
from scipy.stats import boxcox_normmax

from bench.errors import InputDataError
from bench.prep.steps import Step, first_non_positive

METHODS = ("guerrero", "mle")
LAMBDA_RANGE = (-1.0, 2.0)  # R forecast's BoxCox.lambda search interval


def guerrero(y: np.ndarray, period: int | None = None) -> float:
    """λ minimising the coefficient of variation of sd/mean^(1−λ) over seasons (R ``BoxCox.lambda``).

    The series is cut into blocks of ``period`` (at least 2) values, the oldest incomplete block
    dropped, as in R's forecast package.
    """
    y = np.asarray(y, dtype=float)
    m = max(2, int(round(period or 2)))
    k = len(y) // m
    if k < 2:
        raise ValueError(f"Guerrero's method needs at least two blocks of {m} values, got {len(y)}")
    blocks = y[len(y) - k * m :].reshape(k, m)
    mean, sd = blocks.mean(axis=1), blocks.std(axis=1, ddof=1)

    def cv(lam: float) -> float:
        ratio = sd / mean ** (1.0 - lam)
        return float(np.std(ratio, ddof=1) / np.mean(ratio))

    return float(minimize_scalar(cv, bounds=LAMBDA_RANGE, method="bounded").x)


@dataclass
class BoxCox(Step):
    """(y^λ − 1)/λ (log y at λ = 0), λ from the training part only; exact inverse.

    ``period`` sets Guerrero's block length (the dataset's period; 2 without one).
    """

    method: str = "guerrero"
    period: int | None = None
    lam: float | None = field(default=None, init=False)

    def fit(self, y: np.ndarray) -> BoxCox:
        y = self._check(y)
        if self.method == "guerrero":
            self.lam = guerrero(y, self.period)
        else:
            self.lam = float(np.clip(boxcox_normmax(y, method="mle"), *LAMBDA_RANGE))
        return self

    def _check(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        bad = first_non_positive(y)
        if bad is not None:
            raise InputDataError(
                f"transform.boxcox needs positive data, but value {y[bad]} sits at position {bad}"
            )
        return y

    def transform(self, y: np.ndarray) -> np.ndarray:
        return boxcox(self._check(y), self.lam)

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        """Exact inverse on the transform's image; below it (λ > 0, λz + 1 < 0) the odd extension
        −|λz + 1|^(1/λ) of R forecast's ``InvBoxCox``, so a forecast under the data's range is a
        finite (poor) forecast that is scored, not NaN. For λ < 0 a z above −1/λ has no finite level
        and stays non-finite: the fold is recorded as failed."""
        z = np.asarray(z_hat, dtype=float)
        out = np.asarray(inv_boxcox(z, self.lam), dtype=float)
        if self.lam > 0:
            xx = self.lam * z + 1.0
            below = xx < 0
            out = np.where(below, -(np.abs(xx) ** (1.0 / self.lam)), out)
        return out

    def describe(self) -> str:
        return f"boxcox({self.method})" if self.lam is None else f"boxcox(λ={self.lam:.3g})"

    def info(self) -> dict:
        return {} if self.lam is None else {"lambda": self.lam}
