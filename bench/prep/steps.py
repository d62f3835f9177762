"""The fixed invertible steps of the shared pipeline: log, differencing, scaling.

Each step learns its parameters in ``fit`` from a fold's training data only. Inversion is pure: it
takes the step's own input history up to the origin, never anything remembered from a longer series.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

from bench.errors import ConfigError, InputDataError


class Transform(Protocol):
    def fit(self, y: np.ndarray) -> Transform: ...

    def transform(self, y: np.ndarray) -> np.ndarray: ...

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        """Map forecasts (shape (h,) or (paths, h)) following ``history`` back to the input scale."""
        ...


class Step:
    """What the chain asks of every step beyond :class:`Transform`, with the defaults of a step that
    neither differences nor chooses anything at fit time; a step overrides what it does differently."""

    differences: ClassVar[bool] = False  # a differencing step: the chain reports d and D when it has one

    @property
    def lags(self) -> list[int]:
        """Lags of the differences this step applied (after ``fit`` for an automatic order)."""
        return []

    @property
    def max_lost(self) -> int:
        """Most observations this step may consume at the start (a safe bound, also before ``fit``)."""
        return 0

    def info(self) -> dict:
        """What ``fit`` chose, for the report (e.g. ``{"lambda": 0.31}``)."""
        return {}

    def describe(self) -> str:
        """The step's name in the pipeline line of the report."""
        return type(self).__name__.lower()


def first_non_positive(y: np.ndarray) -> int | None:
    """Position of the first value <= 0 (where a log is undefined), or None."""
    bad = np.flatnonzero(np.asarray(y, dtype=float) <= 0)
    return int(bad[0]) if len(bad) else None


class Log(Step):
    """Natural log; refuses non-positive data instead of producing NaN."""

    def fit(self, y: np.ndarray) -> Log:
        self.transform(y)
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        bad = first_non_positive(y)
        if bad is not None:
            raise InputDataError(
                f"transform.log needs positive data, but value {y[bad]} sits at position {bad}"
            )
        return np.log(y)

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        return np.exp(z_hat)


@dataclass
class Difference(Step):
    """Lag-``lag`` differencing of order 1; chain two for d = 2. Re-integrates from the history."""

    differences: ClassVar[bool] = True
    lag: int = 1

    @property
    def lags(self) -> list[int]:
        return [self.lag]

    @property
    def max_lost(self) -> int:
        return self.lag

    def describe(self) -> str:
        return "diff" if self.lag == 1 else f"seasonal_diff({self.lag})"

    def fit(self, y: np.ndarray) -> Difference:
        if len(y) <= self.lag:
            raise ValueError(f"differencing at lag {self.lag} needs more than {self.lag} values")
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        return y[self.lag :] - y[: -self.lag]

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        z_hat = np.asarray(z_hat, dtype=float)
        h = z_hat.shape[-1]
        # y_{T+i} = z_{T+i} + y_{T+i-lag}: a forecast beyond one season builds on earlier forecasts.
        tail = np.broadcast_to(np.asarray(history, dtype=float)[-self.lag :], z_hat.shape[:-1] + (self.lag,))
        out = np.concatenate([tail, np.zeros_like(z_hat)], axis=-1)
        for i in range(h):
            out[..., self.lag + i] = z_hat[..., i] + out[..., i]
        return out[..., self.lag :]


_SCALERS = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}


@dataclass
class Scale(Step):
    """A scikit-learn scaler fitted on the fold's (transformed) training data only.

    sklearn estimates the statistics at each refit; applying them is plain numpy in sklearn's own
    operation order (identical numbers), because transform and inverse run at every origin and
    sklearn's per-call input validation cost more than the ARIMA-GARCH update itself.
    """

    kind: str = "standard"
    _scaler: object = field(default=None, init=False, repr=False)
    _shift: float = field(default=0.0, init=False, repr=False)
    _scale: float = field(default=1.0, init=False, repr=False)

    def fit(self, y: np.ndarray) -> Scale:
        if self.kind not in _SCALERS:
            raise ConfigError(f"transform.scale must be one of {sorted(_SCALERS)} or none, not {self.kind!r}")
        s = self._scaler = _SCALERS[self.kind]().fit(np.asarray(y, dtype=float).reshape(-1, 1))
        if isinstance(s, MinMaxScaler):  # sklearn: X * scale_ + min_
            self._shift, self._scale = float(s.min_[0]), float(s.scale_[0])
        else:  # StandardScaler (mean_, scale_), RobustScaler (center_, scale_): (X − c) / s
            self._shift = float(s.mean_[0] if isinstance(s, StandardScaler) else s.center_[0])
            self._scale = float(s.scale_[0])
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        y = np.asarray(y, dtype=float).reshape(-1)
        if self.kind == "minmax":
            return y * self._scale + self._shift
        return (y - self._shift) / self._scale

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        z_hat = np.asarray(z_hat, dtype=float)
        if self.kind == "minmax":
            return (z_hat - self._shift) / self._scale
        return z_hat * self._scale + self._shift

    def describe(self) -> str:
        return f"scale({self.kind})"

    @property
    def factor(self) -> float:
        """Original-units per scaled unit: maps a variance on the scaled series back (× factor²)."""
        return 1.0 / self._scale if self.kind == "minmax" else self._scale


def apply_steps(steps: list, y: np.ndarray) -> np.ndarray:
    """``y`` through ``steps`` in order (their ``transform``)."""
    x = np.asarray(y, dtype=float)
    for step in steps:
        x = step.transform(x)
    return x


def invert_steps(steps: list, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
    """Inverse of :func:`apply_steps` for forecasts: backwards, each step re-anchored on its own input
    (the history pushed through the steps before it), so nothing past the origin is ever used."""
    inputs = [np.asarray(history, dtype=float)]
    for step in steps[:-1]:
        inputs.append(step.transform(inputs[-1]))
    x = np.asarray(z_hat, dtype=float)
    for step, hist in zip(reversed(steps), reversed(inputs[: len(steps)]), strict=True):
        x = step.inverse_forecast(x, hist)
    return x
