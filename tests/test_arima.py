"""ARIMA adapter: parameter recovery, stepwise seasonal order search, d > 0 refusal, update, paths."""

from __future__ import annotations

import numpy as np
import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf
from statsmodels.tsa.arima.model import ARIMA as SMARIMA

from bench.models.arima import ARIMA
from bench.models.arima_search import Spec
from bench.models.base import ModelError

from conftest import CONF


def simulate_arma(phi: list[float], theta: list[float], n: int, seed: int) -> np.ndarray:
    """Zero-mean Gaussian ARMA with a burn-in, so the start-up transient is gone."""
    rng = np.random.default_rng(seed)
    burn = 200
    e = rng.standard_normal(n + burn)
    z = np.zeros(n + burn)
    for t in range(max(len(phi), len(theta)), n + burn):
        z[t] = e[t] + sum(a * z[t - i - 1] for i, a in enumerate(phi))
        z[t] += sum(b * e[t - i - 1] for i, b in enumerate(theta))
    return z[burn:]


@pytest.fixture(scope="module")
def ar1() -> np.ndarray:
    return simulate_arma([0.6], [], n=500, seed=5)


@pytest.fixture(scope="module")
def ar2() -> np.ndarray:
    return simulate_arma([0.6, -0.4], [], n=400, seed=3)


def test_recovers_the_ar_coefficient_of_a_simulated_ar1(ar1):
    params = ARIMA(order=[1, 0]).fit(ar1).params
    # Standard error of φ̂ is sqrt((1 - φ²) / n) ≈ 0.036: allow about 2.5 of them.
    assert params["ar.L1"] == pytest.approx(0.6, abs=0.09)
    assert params["sigma2"] == pytest.approx(1.0, abs=0.15)


def test_auto_order_picks_the_lowest_aic_of_the_documented_grid(ar2):
    model = ARIMA(order="auto", max_p=2, max_q=2).fit(ar2)
    aic = {(p, q): SMARIMA(ar2, order=(p, 0, q), trend="c").fit().aic for p in range(3) for q in range(3)}
    assert model.order_ == min(aic, key=aic.get)
    assert model.order_[0] == 2, "AR(2) data need both AR lags"


def test_auto_order_selection_is_deterministic(ar2):
    a = ARIMA(order="auto").fit(ar2)
    b = ARIMA(order="auto").fit(ar2)
    assert a.order_ == b.order_
    np.testing.assert_array_equal(a.predict(3).mean, b.predict(3).mean)


@pytest.mark.parametrize(
    "kwargs", [{"d": 1}, {"order": [1, 1, 1]}, {"order": [0, 2, 0]}], ids=["d", "order3", "d2"]
)
def test_model_side_differencing_is_refused(kwargs):
    with pytest.raises(ValueError, match="refused.*transform.diff"):
        ARIMA(**kwargs)


@pytest.mark.parametrize("kwargs", [{"order": "best"}, {"order": [1]}, {"trend": "t"}, {"reselect": "maybe"}])
def test_bad_configuration_is_a_clear_error(kwargs):
    with pytest.raises(ValueError, match="ARIMA"):
        ARIMA(**kwargs)


def test_three_element_order_with_d_zero_is_accepted(ar1):
    assert ARIMA(order=[1, 0, 0]).fit(ar1).order_ == (1, 0)


def test_update_holds_parameters_and_conditions_on_the_new_history(ar1):
    model = ARIMA(order=[1, 0]).fit(ar1[:400])
    before = model.params
    first = model.predict(1).mean[0]
    model.update(ar1[:450])
    assert model.params == before
    mu, phi = before["const"], before["ar.L1"]
    # AR(1) with mean μ: the one-step forecast is μ + φ (z_T − μ) for the *new* last value z_T.
    assert model.predict(1).mean[0] == pytest.approx(mu + phi * (ar1[449] - mu), rel=1e-8)
    assert model.predict(1).mean[0] != pytest.approx(first)
    bumped = ar1[:450].copy()
    bumped[-1] += 1.0
    shifted = model.update(bumped).predict(1).mean[0]
    assert shifted - (mu + phi * (ar1[449] - mu)) == pytest.approx(phi, rel=1e-8)


def test_multi_step_forecast_has_variance_and_matching_paths(ar1):
    model = ARIMA(order=[1, 1], n_paths=2000).fit(ar1)
    fc = model.predict(5)
    assert fc.mean.shape == fc.var.shape == (5,)
    assert np.all(fc.var > 0) and np.all(np.diff(fc.var) > 0), "uncertainty grows with h"
    assert fc.paths.shape == (2000, 5)
    se = np.sqrt(fc.var / 2000)
    assert np.all(np.abs(fc.paths.mean(axis=0) - fc.mean) < 4 * se)
    np.testing.assert_allclose(fc.paths.var(axis=0), fc.var, rtol=0.15)
    np.testing.assert_array_equal(model.predict(5).paths, fc.paths)  # fixed sim_seed
    assert model.predict(1).paths is None


def test_predict_before_fit_is_a_model_error():
    with pytest.raises(ModelError, match="fit"):
        ARIMA().predict(1)


@pytest.mark.parametrize("name", ["arima", "arima_auto", "arima_fixed"])
def test_yaml_instantiates_a_working_model(name, ar1):
    cfg = OmegaConf.load(CONF / "models" / f"{name}.yaml")
    assert "seed" not in cfg, "ARIMA is deterministic: no seed loop"
    model = instantiate(cfg)()
    assert isinstance(model, ARIMA)
    fc = model.fit(ar1[:200]).predict(2)
    assert fc.mean.shape == (2,) and np.all(np.isfinite(fc.mean))


def simulate_seasonal_ma(theta: float, period: int, n: int, seed: int) -> np.ndarray:
    e = np.random.default_rng(seed).standard_normal(n + period)
    return e[period:] + theta * e[:-period]


def test_extend_update_equals_refiltering_with_held_parameters(ar1):
    model = ARIMA(order=[1, 1]).fit(ar1[:300])
    params = np.array(list(model.params.values()))
    for stop in (301, 320, 350):
        model.update(ar1[:stop])
    ref = SMARIMA(ar1[:350], order=(1, 0, 1), trend="c").filter(params)
    fc, want = model.predict(3), ref.get_forecast(3)
    np.testing.assert_allclose(fc.mean, want.predicted_mean, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(fc.var, want.var_pred_mean, rtol=1e-8)
    one = model.predict(1)  # the h = 1 shortcut reads the filter's last predicted state
    np.testing.assert_allclose(one.mean, want.predicted_mean[:1], rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(one.var, want.var_pred_mean[:1], rtol=1e-8)


@pytest.mark.parametrize("trend", ["n", "c"])
def test_numpy_kalman_steps_equal_statsmodels_filtering_of_a_seasonal_model(trend):
    """The between-refit update (KalmanState.step) must be the exact filter, not an approximation."""
    z = simulate_seasonal_ma(0.6, 12, n=260, seed=4) + simulate_arma([0.5], [0.3], n=260, seed=8)
    model = ARIMA(order=[1, 1], seasonal_order=[1, 1], period=12, trend=trend).fit(z[:200])
    assert model._state is not None  # time-invariant system: the numpy path is taken
    params = np.array(list(model.params.values()))
    for stop in (201, 230, 260):
        model.update(z[:stop])
        ref = SMARIMA(z[:stop], order=(1, 0, 1), seasonal_order=(1, 0, 1, 12), trend=trend).filter(params)
        want = ref.get_forecast(1)
        one = model.predict(1)
        np.testing.assert_allclose(one.mean, want.predicted_mean, rtol=1e-9, atol=1e-10)
        np.testing.assert_allclose(one.var, want.var_pred_mean, rtol=1e-9)
    assert model._pending  # nothing materialised for h = 1 ...
    np.testing.assert_allclose(model.predict(2).mean, ref.get_forecast(2).predicted_mean, rtol=1e-9)
    assert not model._pending  # ... until a multi-step forecast needs the results object


def test_a_sliding_window_update_refilters_the_whole_history(ar1):
    model = ARIMA(order=[1, 0]).fit(ar1[:300])
    params = np.array(list(model.params.values()))
    model.update(ar1[20:320])  # drops old points: not an extension
    ref = SMARIMA(ar1[20:320], order=(1, 0, 0), trend="c").filter(params).get_forecast(1)
    np.testing.assert_allclose(model.predict(1).mean, ref.predicted_mean, rtol=1e-8)


def test_a_warm_started_refit_equals_a_fresh_estimation(ar1):
    warm = ARIMA(order=[1, 1]).fit(ar1[:400])
    warm.fit(ar1[:450])
    fresh = ARIMA(order=[1, 1]).fit(ar1[:450])
    a, b = warm.params, fresh.params
    for name in a:
        assert a[name] == pytest.approx(b[name], abs=2e-3), name
    assert warm._fitted().llf == pytest.approx(fresh._fitted().llf, abs=1e-4)


def test_seasonal_ma_data_get_a_seasonal_ma_term():
    z = simulate_seasonal_ma(0.7, 12, n=240, seed=11)
    model = ARIMA(order="auto", period=12).fit(z)
    assert model.spec_.Q == 1 and model.spec_.P == 0, model.info
    assert model.params["ma.S.L12"] == pytest.approx(0.7, abs=0.15)


def test_white_noise_gets_the_null_model():
    z = np.random.default_rng(4).standard_normal(300)
    z = (z - z.mean()) / z.std()  # as the shared Scale leaves it: a constant cannot pay its AICc
    fc = ARIMA(order="auto", period=12).fit(z).predict(1)
    assert fc.info == {"order": "(0,0)(0,0)[12]", "constant": False}


def test_seasonal_search_is_deterministic_and_reports_its_choice():
    z = simulate_seasonal_ma(0.6, 4, n=160, seed=1) + 0.5 * simulate_arma([0.5], [], 160, seed=2)
    a = ARIMA(order="auto", period=4).fit(z)
    b = ARIMA(order="auto", period=4).fit(z)
    assert [s.spec for s in a.searched_] == [s.spec for s in b.searched_]
    assert a.predict(1).info == b.predict(1).info
    assert a.searched_[0].aicc == min(s.aicc for s in a.searched_)
    np.testing.assert_array_equal(a.predict(2).mean, b.predict(2).mean)


def test_fixed_seasonal_order_and_its_validation(ar1):
    fc = ARIMA(order=[1, 0], seasonal_order=[0, 1], period=4).fit(ar1[:200]).predict(1)
    assert fc.info == {"order": "(1,0)(0,1)[4]", "constant": True}
    with pytest.raises(ValueError, match="seasonal_order.*period"):
        ARIMA(seasonal_order=[1, 0])
    with pytest.raises(ValueError, match="period"):
        ARIMA(period=0)


def test_a_warm_started_search_ranks_candidates_like_a_fresh_one():
    z = simulate_seasonal_ma(0.6, 4, n=200, seed=8) + 0.5 * simulate_arma([0.5], [], 200, seed=9)
    warm = ARIMA(order="auto", period=4).fit(z[:170])
    warm.fit(z)
    fresh = ARIMA(order="auto", period=4).fit(z)
    assert [(s.spec, s.aicc) for s in warm.searched_] == [(s.spec, s.aicc) for s in fresh.searched_]
    assert warm.info == fresh.info
    assert warm._fitted().llf == pytest.approx(fresh._fitted().llf, abs=1e-4)


def test_auto_drops_the_constant_once_the_transform_differenced_twice():
    """R's auto.arima: a mean or drift only while d + D < 2 (else it is a runaway quadratic trend)."""
    z = simulate_arma([0.5], [], n=200, seed=2) + 3.0  # a clear mean: the constant would win
    once = ARIMA(order="auto", period=1)
    once.set_differences(1)
    assert once.fit(z).info["constant"] is True
    twice = ARIMA(order="auto", period=1)
    twice.set_differences(2)
    twice.fit(z)
    assert twice.info["constant"] is False
    assert all(not s.spec.constant for s in twice.searched_)


def test_the_runner_tells_arima_how_often_the_transform_differenced():
    from bench.engine.runner import backtest
    from bench.prep.splits import rolling_origin
    from bench.prep.transforms import build_pipeline
    from bench.settings import SplitSettings

    rng = np.random.default_rng(0)
    y = np.cumsum(np.cumsum(rng.standard_normal(160) * 0.1 + 0.05))
    splits = list(rolling_origin(len(y), SplitSettings(folds=2)))
    out = backtest(y, splits, lambda: ARIMA(order="auto", period=1), lambda: build_pipeline(2, "standard"), 1)
    assert [r.info["constant"] for r in out] == [False, False] and [r.info["d"] for r in out] == [2, 2]


def test_reselect_false_keeps_the_first_orders_and_re_estimates_their_parameters():
    z = simulate_seasonal_ma(0.7, 12, n=260, seed=11)
    kept = ARIMA(order="auto", period=12, reselect=False).fit(z[:200])
    first, params = kept.info, kept.params
    kept.fit(simulate_arma([0.8], [], n=260, seed=1))  # different data: a new search would move
    assert kept.info == first and kept.params != params and kept.searched_ and len(kept.searched_) > 1
    fresh = ARIMA(order="auto", period=12).fit(simulate_arma([0.8], [], n=260, seed=1))
    assert fresh.info != first


@pytest.mark.parametrize("scale", ["standard", "minmax", "robust"])
def test_a_scaled_transform_does_not_change_arimas_forecasts(scale):
    """ARIMA is scale-equivariant, so the shared scaler must not change its level forecasts: with
    the differences centred, "no constant" used to mean a drift fixed at the training mean (and on
    twice-differenced data a quadratic trend), the no-drift model was out of reach and 18-step
    forecasts ran away. The runner passes ``Chain.zero_change``; the forecasts equal those made on
    the unscaled differences, search included."""
    from bench.engine.runner import backtest
    from bench.prep.splits import rolling_origin
    from bench.prep.transforms import build_pipeline
    from bench.settings import SplitSettings

    rng = np.random.default_rng(4)
    y = 50 + np.cumsum(rng.standard_normal(150) + 0.3)  # a random walk with a small drift
    splits = list(rolling_origin(len(y), SplitSettings(folds=1, horizon=12)))

    def run(kind: str) -> list:
        return backtest(y, splits, lambda: ARIMA(order="auto", period=1), lambda: build_pipeline(1, kind), 12)

    plain, scaled = run("none"), run(scale)
    assert [r.info["order"] for r in scaled] == [r.info["order"] for r in plain]
    assert [r.info["constant"] for r in scaled] == [r.info["constant"] for r in plain]
    np.testing.assert_allclose(scaled[0].y_hat, plain[0].y_hat, rtol=1e-6)


def test_short_series_bound_the_orders_as_r_auto_arima():
    """R: p, q <= n/3, P, Q <= n/(3m), p, q <= m - 1 while seasonal terms are allowed, and a
    series of fewer than 10 points starts the search at (1, 1) without seasonal terms."""
    from bench.models.arima_search import Bounds, for_length, starts

    assert for_length(Bounds(), 7, 1) == Bounds(max_p=2, max_q=2)  # P, Q unused at period 1
    assert for_length(Bounds(), 16, 4) == Bounds(max_p=3, max_q=3, max_P=1, max_Q=1)
    assert for_length(Bounds(), 200, 12) == Bounds()
    assert starts(1, for_length(Bounds(), 8, 1), short=True)[0] == Spec(1, 1)


@pytest.mark.parametrize("n", [3, 4, 6, 9, 13])
def test_auto_arima_falls_back_to_smaller_orders_on_short_series(n):
    """Every candidate too big for a short series is left out (never an error): down to 3 points."""
    z = np.random.default_rng(n).normal(size=n)
    model = ARIMA(order="auto", period=1)
    fc = model.fit(z).predict(2)
    assert np.all(np.isfinite(fc.mean)) and model.min_length == 3
    assert model.spec_.p <= n // 3 and model.spec_.q <= n // 3
    with pytest.raises(ModelError):
        ARIMA(order="auto", period=1).fit(z[:2])


def test_zero_change_is_where_a_difference_of_zero_lands():
    from bench.prep.transforms import build_pipeline

    y = np.cumsum(np.arange(1.0, 41.0))  # differences 2..40, mean 21
    chain = build_pipeline(1, "standard")
    z = chain.fit_transform(y)
    d = np.diff(y)
    assert chain.zero_change == pytest.approx(-d.mean() / d.std())
    assert z.mean() == pytest.approx(0.0, abs=1e-12)
    assert build_pipeline(0, "standard").fit(y).zero_change == 0.0  # no difference: nothing to say
