"""Fresh fits remembered across runs (bench.engine.fit_memo): loaded where the same fit was made
before, with numbers, warnings and recorded seconds as a new fit would give — and never for a
class whose fit depends on more than its settings and its data."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas.testing as pdt
import pytest

from bench.engine.fit_memo import FitMemo, memoisable
from bench.engine.fleet_base import Outcome
from bench.models.arima import ARIMA
from bench.models.ets import ETS
from bench.models.recurrent import LSTM
from bench.models.theta import Theta
from bench.types import Forecast

from conftest import run_suite

FITS: list[int] = []  # lengths Remembered.fit was called with (n_jobs=1: this process)


def real_fits() -> int:
    """Fits on the data (the protocol check before a run fits a five-point series)."""
    return sum(n > 5 for n in FITS)


class Remembered:
    """A model that asks for its fits to be remembered; each real fit is logged and warns once."""

    levels = True
    remember_fits = True
    first_fit_ignores = frozenset({"later"})

    def __init__(self, later: int = 0) -> None:
        self.later = later

    def fit(self, z: np.ndarray) -> Remembered:
        FITS.append(len(z))
        warnings.warn("fitted", UserWarning, stacklevel=2)
        self.level = float(np.mean(z[-5:]))
        return self

    def update(self, z: np.ndarray) -> Remembered:
        return self

    def predict(self, h: int) -> Forecast:
        return Forecast(mean=np.full(h, self.level + self.later))


def seasonal(n: int = 140, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.cumsum(rng.normal(size=n)) + 10 * np.sin(np.arange(n) * 2 * np.pi / 12) + rng.normal(size=n)


def same_forecasts(a, b, h: int) -> bool:
    fa, fb = a.predict(h), b.predict(h)
    paths = fa.paths is None or np.array_equal(fa.paths, fb.paths)
    return np.array_equal(fa.mean, fb.mean) and np.array_equal(fa.var, fb.var) and paths


def test_arima_pickles_without_its_results_and_rebuilds_them_bit_for_bit():
    z = np.diff(seasonal())
    m = ARIMA(order="auto", period=12)
    m.fit(z[:110])
    assert len(pickle.dumps(m)) < 50_000  # the statsmodels results are not in it
    back = pickle.loads(pickle.dumps(m))
    assert same_forecasts(m, back, 18) and same_forecasts(m, back, 1)
    m.update(z[:115])  # expanding: Kalman steps after the fit's own filter run
    back = pickle.loads(pickle.dumps(m))
    m.update(z[:120])
    back.update(z[:120])
    assert same_forecasts(m, back, 18) and same_forecasts(m, back, 1)
    m.update(z[5:125])  # sliding: re-filtered, so the results are kept whole
    assert same_forecasts(m, pickle.loads(pickle.dumps(m)), 18)


def test_a_remembered_fit_is_loaded_with_its_warnings_seconds_and_the_fresh_models_later_settings(tmp_path):
    FITS.clear()
    memo = FitMemo(tmp_path, "a" * 64)
    z = np.arange(20.0)
    first, again = Outcome(), Outcome()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        a = memo.fit(Remembered(later=0), z, None, first)
    b = memo.fit(Remembered(later=7), z, None, again)
    assert FITS == [20] and b is not a  # fitted once, loaded the second time
    assert b.later == 7 and b.level == a.level  # the setting that steers later refits is the fresh one's
    assert first.warnings == again.warnings == {"UserWarning": 1}
    assert again.seconds > 0
    memo.fit(Remembered(), z + 1, None, Outcome())
    memo.fit(Remembered(), z, (1, 0.0), Outcome())  # told other differences: another fit
    assert FITS == [20, 20, 20]


@pytest.mark.parametrize(
    ("make", "remembered"),
    [
        (lambda: ARIMA(order="auto"), True),  # an order search: seconds
        (lambda: ARIMA(order=(1, 1)), False),  # a fixed order: not worth an entry
        (lambda: ETS(period=12), True),  # a choice among forms
        (lambda: ETS(error="add", trend=None, damped=False, seasonal=None), False),  # SES
        (Remembered, True),
        (Theta, False),  # does not ask
        (lambda: LSTM(epochs=1), False),  # stochastic and batched
    ],
)
def test_only_models_that_ask_and_whose_fit_reads_only_their_data_are_remembered(make, remembered):
    assert memoisable(make()) is remembered


def run(tmp_path: Path, name: str, *extra: str) -> dict:
    args = ["datasets=[ar1]", "datasets.ar1.n=120", "models=[naive]", "split.folds=6",
            "+models.mine._target_=test_fit_memo.Remembered", "+models.mine._partial_=true",
            *extra]  # fmt: skip
    return run_suite(args, tmp_path / name)


def test_another_run_with_the_same_first_fit_loads_it_and_gives_the_same_tables(tmp_path):
    cache = [f"cache_dir={tmp_path / 'cache'}", "cache=true"]
    FITS.clear()
    run(tmp_path, "a", "split.refit_every=6", *cache)
    assert real_fits() == 1
    # Another refit schedule and a setting that only steers later refits: other tasks, same first fit.
    FITS.clear()
    shared = run(tmp_path, "b", "split.refit_every=2", "+models.mine.later=1", *cache)
    assert real_fits() == 2  # the refits at folds 2 and 4 are fitted; the first was loaded
    fresh = run(tmp_path, "c", "split.refit_every=2", "+models.mine.later=1", "cache=false")
    pdt.assert_frame_equal(shared["forecasts"], fresh["forecasts"])
    cols = ["unique_id", "model", "fold", "refit", "status", "n_warnings", "warnings", "choices"]
    pdt.assert_frame_equal(shared["folds"][cols], fresh["folds"][cols])


def test_the_cache_off_remembers_nothing(tmp_path):
    FITS.clear()
    run(tmp_path, "a", "cache=false")
    run(tmp_path, "b", "cache=false")
    assert real_fits() == 2
