import warnings

import numpy as np
import pytest

from bench.engine.runner import backtest
from bench.models.naive import Naive
from bench.prep.splits import rolling_origin
from bench.prep.transforms import build_pipeline
from bench.settings import SplitSettings
from bench.types import Forecast


def _pipe():
    return build_pipeline(diff=1, scale="standard")


def _splits(n, folds=8, horizon=1, **kw):
    return list(rolling_origin(n, SplitSettings(folds=folds, horizon=horizon, **kw), min_train=10))


def test_naive_forecast_equals_last_observed_value(random_walk):
    splits = _splits(len(random_walk), folds=6, horizon=3, step=2)
    res = backtest(random_walk, splits, Naive, _pipe, horizon=3)
    for r, s in zip(res, splits, strict=True):
        assert r.status == "ok"
        np.testing.assert_array_equal(r.y_hat, np.full(3, random_walk[s.origin]))


class MeanOfHistory:
    """A deterministic toy model on the transformed scale (mean of the last 3 values)."""

    levels = False

    def __init__(self, fail_at: int | None = None, warn: bool = False):
        self.fail_at, self.warn, self.updates = fail_at, warn, 0

    def fit(self, z):
        if self.fail_at is not None and len(z) == self.fail_at:
            raise RuntimeError("boom on purpose")
        if self.warn:
            warnings.warn("did not converge", RuntimeWarning, stacklevel=1)
        self.z = np.asarray(z)
        return self

    def update(self, z):
        self.updates += 1
        self.z = np.asarray(z)
        return self

    def predict(self, h):
        return Forecast(mean=np.full(h, self.z[-3:].mean()), var=np.full(h, 0.25))


def test_a_failing_fold_is_recorded_and_the_others_finish(random_walk):
    splits = _splits(len(random_walk), folds=5)
    fail_len = splits[2].train.stop - 1  # length of z after one difference at fold 2
    res = backtest(random_walk, splits, lambda: MeanOfHistory(fail_at=fail_len), _pipe, horizon=1)
    assert [r.status for r in res] == ["ok", "ok", "failed", "ok", "ok"]
    assert "boom on purpose" in res[2].error and res[2].y_hat is None
    with pytest.raises(RuntimeError, match="boom"):
        backtest(random_walk, splits, lambda: MeanOfHistory(fail_len), _pipe, 1, on_error="raise")


def test_non_finite_forecasts_are_failures_not_scores(random_walk):
    class NaNModel(MeanOfHistory):
        def predict(self, h):
            return Forecast(mean=np.full(h, np.nan))

    res = backtest(random_walk, _splits(len(random_walk), folds=3), NaNModel, _pipe, horizon=1)
    assert all(r.status == "failed" and "NaN" in r.error for r in res)


def test_warnings_are_counted_per_fold_not_printed(random_walk):
    with warnings.catch_warnings(record=True) as outside:
        warnings.simplefilter("always")
        res = backtest(random_walk, _splits(len(random_walk), 3), lambda: MeanOfHistory(warn=True),
                       _pipe, horizon=1)  # fmt: skip
    assert [r.warnings for r in res] == [{"RuntimeWarning": 1}] * 3
    assert not outside


def test_refit_every_updates_state_between_refits_with_params_held(random_walk):
    splits = _splits(len(random_walk), folds=6)
    made = []

    def factory():
        made.append(MeanOfHistory())
        return made[-1]

    res = backtest(random_walk, splits, factory, _pipe, horizon=1, refit_every=3, warm_start=False)
    assert [r.refit for r in res] == [True, False, False, True, False, False]
    assert len(made) == 2 and [m.updates for m in made] == [2, 2]
    # Between refits the scaler is held: the forecast uses the fold-0 scaler on the longer history.
    pipe = _pipe().fit(random_walk[splits[0].train])
    z = pipe.transform(random_walk[splits[1].train])
    expected = pipe.inverse_forecast(np.array([z[-3:].mean()]), random_walk[splits[1].train])
    np.testing.assert_allclose(res[1].y_hat, expected)


def test_variance_maps_to_an_interval_on_the_original_scale(random_walk):
    res = backtest(random_walk, _splits(len(random_walk), 2, horizon=2), MeanOfHistory, _pipe, 2)
    r = res[0]
    assert r.y_lo[0] < r.y_hat[0] < r.y_hi[0]
    assert r.y_var[0] > 0
    # Step 2 of a differenced chain needs the error covariance: NaN rather than a wrong band.
    assert np.isnan(r.y_lo[1]) and np.isnan(r.y_var[1])
