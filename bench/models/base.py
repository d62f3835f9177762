"""The narrow interface every model implements.

A model only ever sees the *transformed* training series ``z`` (differenced and scaled by the shared
pipeline), so all models get identical inputs. Hydra configs build models with ``_partial_: true``;
the runner calls the resulting factory once per refit, so no state leaks between folds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal, Protocol, runtime_checkable

import numpy as np

from bench.types import Forecast


@runtime_checkable
class Forecaster(Protocol):
    """fit → predict, plus update for origins between refits.

    ``levels`` is True only for baselines defined on the raw series (persistence): the runner then
    hands them the untransformed training data, so "repeat the last value" means exactly that.
    """

    levels: ClassVar[bool]

    def fit(self, z: np.ndarray) -> Forecaster:
        """Estimate parameters on the transformed training series (1-D float array)."""
        ...

    def update(self, z: np.ndarray) -> Forecaster:
        """Condition on a longer history ``z`` (which extends the fitted one) keeping parameters."""
        ...

    def predict(self, h: int) -> Forecast:
        """Forecast the next ``h`` values of the transformed series after the end of the history."""
        ...


@runtime_checkable
class SeesDifferencing(Protocol):
    """A model whose admissible specifications depend on how often the shared transform differenced.

    The runner tells it before every ``fit`` (ARIMA: no constant when d + D ≥ 2, as R's auto.arima),
    with the transformed value of a zero change (a centring scaler moves it off 0).
    """

    def set_differences(self, n: int, zero_change: float = 0.0) -> None: ...


@runtime_checkable
class SeesProxy(Protocol):
    """A model that reads the variance proxy's history (HAR, LSTM-RV), not only the series.

    The runner calls ``set_proxy`` before every ``fit`` and ``update`` with the proxy of the
    training part — up to and including the origin, aligned with the series it is given — mapped
    onto the transformed scale (× the scalers' factor²), so a variance forecast made from it is on
    the scale the runner inverts. Returns datasets only; the suite refuses such a model elsewhere.
    """

    def set_proxy(self, proxy: np.ndarray) -> None: ...


Scope = Literal["local", "global"]
NeedsPeriod = Literal["no", "optional", "required"]


class ModelBase:
    """Optional base: a model's capabilities as class attributes with defaults (read by the engine).

    A plain class with ``fit``/``update``/``predict`` and no lagbench base gets these same defaults
    (``capabilities``): a local, deterministic model on the transformed series that needs no period.

    - ``levels``: True gets the raw series (naive, ETS, Theta), False the shared transform's output.
    - ``scope``: ``local`` (one model per series) or ``global`` (one model fitted on every series of
      a collection: ``fit(zs)``, ``update(zs)``, ``predict(h) -> list[Forecast]``).
    - ``stochastic``: trained once per entry of ``seeds``; the constructor takes ``seed``.
    - ``needs_period``: ``optional`` / ``required`` → the constructor takes ``period``, filled with
      the dataset's period when the config leaves it null (``required`` refuses a dataset without one).
    - ``batchable``: the class trains several instances at once (``fit_batch(models, zs)``, one
      error or None per model), ``batch_series`` of them at a time (an instance attribute).
    - ``min_length``: fewest points of the series the model is given (transformed unless ``levels``)
      that it can be fitted on; a series shorter than that at the first origin is skipped for it.
    - ``remember_fits`` (optional): a fresh fit is costly (a model search) and a function of the
      settings and the data alone, so the engine stores it and loads it when another run makes the
      same fit (:mod:`bench.engine.fit_memo`); ``first_fit_ignores``: settings that only change later
      refits (ARIMA's ``reselect``), left out of that fit's key.
    """

    levels: ClassVar[bool] = False
    scope: ClassVar[Scope] = "local"
    stochastic: ClassVar[bool] = False
    needs_period: ClassVar[NeedsPeriod] = "no"
    batchable: ClassVar[bool] = False
    min_length: int = 3


@dataclass(frozen=True)
class Capabilities:
    """What the engine reads of a model class (defaults from :class:`ModelBase`)."""

    levels: bool
    scope: Scope
    stochastic: bool
    needs_period: NeedsPeriod
    batchable: bool = False


def capabilities(cls: type) -> Capabilities:
    """A class's capabilities, ``ModelBase``'s defaults where it declares none."""
    return Capabilities(
        levels=bool(getattr(cls, "levels", ModelBase.levels)),
        scope=getattr(cls, "scope", ModelBase.scope),
        stochastic=bool(getattr(cls, "stochastic", ModelBase.stochastic)),
        needs_period=getattr(cls, "needs_period", ModelBase.needs_period),
        batchable=bool(getattr(cls, "batchable", ModelBase.batchable)),
    )


class ModelError(RuntimeError):
    """A model could not produce a usable forecast (diverged, non-finite output, …)."""


def check_forecast(fc: Forecast, h: int) -> Forecast:
    """Reject forecasts of the wrong length or with NaN/inf, so failures are recorded, not scored."""
    mean = np.asarray(fc.mean, dtype=float).reshape(-1)
    if mean.shape != (h,):
        raise ModelError(f"forecast has shape {mean.shape}, expected ({h},)")
    if not np.all(np.isfinite(mean)):
        raise ModelError("forecast contains NaN or inf")
    var = None if fc.var is None else np.asarray(fc.var, dtype=float).reshape(-1)
    if var is not None and (var.shape != (h,) or not np.all(np.isfinite(var)) or np.any(var < 0)):
        raise ModelError("forecast variance is malformed, non-finite or negative")
    df = None if fc.df is None else np.asarray(fc.df, dtype=float).reshape(-1)
    if df is not None and (var is None or df.shape != (h,) or not np.all(np.isfinite(df) & (df > 2))):
        raise ModelError("forecast degrees of freedom need a variance and must be finite, > 2, one per step")
    return Forecast(mean=mean, var=var, paths=fc.paths, df=df, info=dict(fc.info or {}))


def as_series(z: np.ndarray, model: str) -> np.ndarray:
    """1-D float copy of ``z``; NaN/inf input is a :class:`ModelError`, not a NaN forecast."""
    z = np.asarray(z, dtype=float).reshape(-1)
    if not np.all(np.isfinite(z)):
        raise ModelError(f"{model}: training series contains NaN or inf")
    return z


def require_length(z: np.ndarray, need: int, model: str, why: str) -> None:
    """Raise a :class:`ModelError` that says how many points are needed and why."""
    if len(z) < need:
        raise ModelError(f"{model} needs at least {need} points ({why}), got {len(z)}")


def check_finite(mean: np.ndarray, model: str) -> np.ndarray:
    """Diverged weights show up as NaN/inf forecasts; fail loudly so the fold is recorded."""
    if not np.all(np.isfinite(mean)):
        raise ModelError(f"{model}: forecast is not finite (the fitted model has diverged)")
    return mean


class ProxyReader(ModelBase):
    """Base of the models that read the variance proxy (:class:`SeesProxy`: HAR, LSTM-RV): keeps
    what the runner hands over and reads it back aligned with the series."""

    _proxy: np.ndarray | None = None

    def set_proxy(self, proxy: np.ndarray) -> None:
        self._proxy = np.asarray(proxy, dtype=float).copy()

    def proxy_of(self, z: np.ndarray, mean: float, model: str) -> np.ndarray:
        """The proxy aligned with ``z``; without one (the model used on its own, outside the runner)
        the squared demeaned series, the proxy's default definition."""
        if self._proxy is None:
            return (z - mean) ** 2
        if self._proxy.shape != z.shape or not np.all(np.isfinite(self._proxy)):
            raise ModelError(
                f"{model}: the proxy ({self._proxy.size} days) must be finite and match the series ({z.size})"
            )
        return self._proxy
