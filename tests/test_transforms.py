import numpy as np
import pytest

from bench.errors import ConfigError, InputDataError
from bench.prep.transforms import Chain, Difference, Scale, Step, build_pipeline


def _series(n: int = 80, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + np.cumsum(rng.normal(0.2, 1, n)) + 5 * np.sin(2 * np.pi * t / 12)


OPTIONS = [
    dict(diff=0, scale="none"),
    dict(diff=1, scale="standard"),
    dict(diff=2, scale="minmax"),
    dict(diff=1, scale="robust"),
    dict(diff=1, scale="standard", log=True),
    dict(diff=1, scale="standard", seasonal_diff=1, period=12),
    dict(diff=0, scale="none", seasonal_diff=1, period=12, log=True),
    dict(diff="auto", scale="standard"),
    dict(diff="auto", scale="none", seasonal_diff="auto", period=12),
    dict(diff=1, scale="standard", boxcox="guerrero", period=12),
    dict(diff=0, scale="minmax", boxcox="mle"),
    dict(diff=1, scale="none", deseasonalize=True, period=12),
    dict(diff="auto", scale="minmax", boxcox="guerrero", deseasonalize=True, seasonal_diff="auto", period=12),
]


@pytest.mark.parametrize("opts", OPTIONS)
def test_inverting_the_true_future_gives_back_the_series(opts):
    y = _series()
    train, future = y[:60], y[60:66]
    pipe = build_pipeline(**opts).fit(train)
    # The transformed future, computed from the whole series with the train-fitted parameters.
    z_all = pipe.transform(y)
    z_future = z_all[len(z_all) - len(y) + 60 : len(z_all) - len(y) + 66]
    np.testing.assert_allclose(pipe.inverse_forecast(z_future, train), future, rtol=1e-10)
    # And paths (n_paths × h) invert row by row.
    paths = np.vstack([z_future, z_future])
    np.testing.assert_allclose(pipe.inverse_forecast(paths, train), np.vstack([future, future]))


def test_transform_drops_what_differencing_consumes():
    pipe = build_pipeline(diff=2, scale="none", seasonal_diff=1, period=4)
    assert pipe.lost == 6
    assert len(pipe.fit_transform(_series(30))) == 24


def test_scaler_sees_only_training_data():
    y = _series()
    a = build_pipeline(diff=1, scale="standard").fit(y[:50])
    b = build_pipeline(diff=1, scale="standard").fit(np.concatenate([y[:50], y[50:] * 10]))
    c = build_pipeline(diff=1, scale="standard").fit(y[:50].copy())
    assert a.transform(y[:50]) == pytest.approx(c.transform(y[:50]))
    assert not np.allclose(a.transform(y[:50]), b.transform(y[:50]))


def test_difference_inverse_uses_only_the_given_history():
    d = Difference(1).fit(np.arange(5.0))
    np.testing.assert_allclose(d.inverse_forecast(np.array([1.0, 2.0]), np.array([3.0, 10.0])), [11, 13])


def test_seasonal_inverse_beyond_one_season_builds_on_forecasts():
    d = Difference(3).fit(np.arange(9.0))
    out = d.inverse_forecast(np.ones(5), np.array([0.0, 10.0, 20.0, 30.0]))
    np.testing.assert_allclose(out, [11, 21, 31, 12, 22])


def test_log_refuses_non_positive_data():
    with pytest.raises(InputDataError, match="positive"):
        build_pipeline(diff=1, log=True).fit(np.array([1.0, 2.0, 0.0, 3.0]))


# Settings that need the dataset (its period) fail when the chain is built for it; the values
# themselves are checked once, by the parser.
BAD = [
    dict(scale="zscore"),
    dict(seasonal_diff=1, period=None),
    dict(seasonal_diff=1, period=1),
]
BAD_VALUES = [
    dict(diff=3),
    dict(diff="yes"),
    dict(seasonal_diff=2),
    dict(boxcox="ols"),
    dict(log=True, boxcox="mle"),
]


@pytest.mark.parametrize("opts", BAD)
def test_impossible_transform_settings_are_config_errors(opts):
    with pytest.raises(ConfigError):
        build_pipeline(**opts).fit(_series())


@pytest.mark.parametrize("opts", BAD_VALUES)
def test_impossible_transform_values_are_refused_by_the_parser_naming_the_key(opts):
    from bench.parse import parse_transform

    with pytest.raises(ConfigError, match=f"transform.{next(iter(opts))}"):
        parse_transform(opts)


@pytest.mark.parametrize("period", [None, 1])
def test_automatic_seasonal_steps_are_nothing_without_a_period(period):
    """R's nsdiffs answers D = 0 for non-seasonal data: seasonal_diff=auto and deseasonalize=true
    at period 1 (or none) build the same chain as without them."""
    y = _series()
    plain = build_pipeline(diff="auto", period=period)
    seasonal = build_pipeline(diff="auto", seasonal_diff="auto", deseasonalize=True, period=period)
    assert seasonal.describe() == plain.describe() and seasonal.lost == plain.lost
    np.testing.assert_array_equal(seasonal.fit_transform(y), plain.fit_transform(y))


@pytest.mark.parametrize("kind", ["standard", "minmax", "robust"])
def test_scale_applies_sklearn_statistics_with_identical_numbers(kind):
    from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler

    cls = {"standard": StandardScaler, "minmax": MinMaxScaler, "robust": RobustScaler}[kind]
    rng = np.random.default_rng(1)
    y, z = rng.normal(5, 3, 300), rng.normal(0, 1, (7, 5))
    ours, theirs = Scale(kind).fit(y), cls().fit(y.reshape(-1, 1))
    np.testing.assert_array_equal(ours.transform(y), theirs.transform(y.reshape(-1, 1)).reshape(-1))
    np.testing.assert_array_equal(
        ours.inverse_forecast(z, y), theirs.inverse_transform(z.reshape(-1, 1)).reshape(z.shape)
    )


class Double(Step):
    """A step with nothing but the three Transform methods: the Step defaults do the rest."""

    def fit(self, y: np.ndarray) -> "Double":
        return self

    def transform(self, y: np.ndarray) -> np.ndarray:
        return 2 * np.asarray(y, dtype=float)

    def inverse_forecast(self, z_hat: np.ndarray, history: np.ndarray) -> np.ndarray:
        return np.asarray(z_hat, dtype=float) / 2


def test_a_step_with_only_the_step_defaults_joins_a_chain():
    y = np.cumsum(np.arange(20.0))
    chain = Chain([Double(), Difference(lag=1)]).fit(y)
    assert (chain.describe(), chain.lags, chain.lost) == ("double → diff", [1], 1)
    assert chain.info() == {"d": 1, "D": 0}
    assert Chain([Double()]).fit(y).info() == {} and Chain([]).describe() == "identity"
    np.testing.assert_allclose(chain.inverse_forecast(chain.transform(y)[-3:], y[:-3]), y[-3:])


@pytest.mark.parametrize("opts", OPTIONS)
def test_every_built_in_step_is_a_step(opts):
    assert all(isinstance(s, Step) for s in build_pipeline(**opts).steps)
