"""ARIMA-GARCH adapter: interval coverage on GARCH(1,1) data, invisible rescaling, paths."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from arch.utility.exceptions import DataScaleWarning
from hydra.utils import instantiate
from omegaconf import OmegaConf

from bench.models.base import ModelError
from bench.models.garch import ARIMAGARCH

from conftest import CONF


def simulate_garch(n: int, seed: int, omega=0.05, alpha=0.1, beta=0.85, phi=0.3) -> np.ndarray:
    """AR(1) returns with GARCH(1,1) Gaussian errors, started at the stationary variance."""
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n)
    y = np.zeros(n)
    s2 = omega / (1 - alpha - beta)
    prev_eps = 0.0
    for t in range(n):
        s2 = omega + alpha * prev_eps**2 + beta * s2
        prev_eps = np.sqrt(s2) * e[t]
        y[t] = (phi * y[t - 1] if t else 0.0) + prev_eps
    return y


@pytest.fixture(scope="module")
def garch() -> np.ndarray:
    return simulate_garch(1500, seed=2024)


@pytest.fixture(scope="module")
def rolling(garch) -> tuple[np.ndarray, np.ndarray]:
    """One-step forecasts: fit on the first 1000 points, then update() through the next 500."""
    model = ARIMAGARCH().fit(garch[:1000])
    means, variances = [], []
    for t in range(1000, 1500):
        if t > 1000:
            model.update(garch[:t])
        fc = model.predict(1)
        means.append(fc.mean[0])
        variances.append(fc.var[0])
    return np.array(means), np.array(variances)


def test_one_step_90pct_intervals_cover_near_nominal(garch, rolling):
    mean, var = rolling
    actual = garch[1000:]
    inside = np.abs(actual - mean) <= 1.645 * np.sqrt(var)
    assert 0.85 <= inside.mean() <= 0.95
    # Standardised errors have unit variance if the variance forecasts are calibrated.
    assert np.var((actual - mean) / np.sqrt(var)) == pytest.approx(1.0, abs=0.15)


def test_variance_forecast_tracks_volatility_clusters(garch, rolling):
    mean, var = rolling
    sq_err = (garch[1000:] - mean) ** 2
    assert np.corrcoef(var, sq_err)[0, 1] > 0.1
    assert var.max() / var.min() > 2, "a GARCH variance forecast must move over time"


def test_update_holds_parameters(garch):
    model = ARIMAGARCH().fit(garch[:1000])
    before = model.params.copy()
    a = model.predict(1)
    model.update(garch[:1010])
    np.testing.assert_array_equal(model.params, before)
    assert model.predict(1).mean[0] != a.mean[0]


@pytest.mark.parametrize("scale", [1e-4, 1e4])
def test_rescaling_is_invisible_and_maps_back(garch, scale):
    base = ARIMAGARCH().fit(garch[:800]).predict(3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = ARIMAGARCH().fit(scale * garch[:800])
        fc = model.predict(3)
        model.update(scale * garch[:810]).predict(1)
    assert not [w for w in caught if issubclass(w.category, DataScaleWarning)]
    # Same fit up to optimiser round-off (k·z is the same data whatever the scale of z).
    tol = 1e-4 * scale * garch.std()
    np.testing.assert_allclose(fc.mean, scale * base.mean, rtol=1e-4, atol=tol)
    np.testing.assert_allclose(fc.var, scale**2 * base.var, rtol=1e-4)
    np.testing.assert_allclose(fc.paths, scale * base.paths, rtol=1e-4, atol=tol)
    assert np.all(np.abs(fc.mean) < 10 * scale * garch.std())


def test_multi_step_paths_are_deterministic_and_match_the_mean(garch):
    model = ARIMAGARCH(n_paths=2000).fit(garch[:1000])
    fc = model.predict(4)
    assert fc.paths.shape == (2000, 4)
    assert np.all(fc.var > 0)
    se = np.sqrt(fc.var / 2000)
    assert np.all(np.abs(fc.paths.mean(axis=0) - fc.mean) < 4 * se)
    np.testing.assert_allclose(fc.paths.var(axis=0), fc.var, rtol=0.2)
    np.testing.assert_array_equal(model.predict(4).paths, fc.paths)
    assert model.predict(1).paths is None


@pytest.mark.parametrize(
    "kwargs",
    [{"dist": "t"}, {"mean": "Constant"}, {"mean": "Zero"}, {"dist": "skewt"}, {"o": 1},
     {"vol": "EGARCH", "o": 1, "n_paths": 200}],
)  # fmt: skip
def test_other_specifications_fit_and_forecast(garch, kwargs):
    fc = ARIMAGARCH(**kwargs).fit(garch[:600]).predict(2)
    assert np.all(np.isfinite(fc.mean)) and np.all(fc.var > 0)


@pytest.mark.parametrize(
    "kwargs",
    [{"dist": "ged"}, {"mean": "HAR"}, {"lags": 0}, {"p": 0}, {"o": -1}, {"vol": "FIGARCH"},
     {"vol": "EGARCH", "n_paths": 0}],
)  # fmt: skip
def test_bad_configuration_is_a_clear_error(kwargs):
    with pytest.raises(ValueError, match="ARIMAGARCH"):
        ARIMAGARCH(**kwargs)


def test_constant_series_and_unfitted_use_are_model_errors():
    with pytest.raises(ModelError, match="constant"):
        ARIMAGARCH().fit(np.ones(100))
    with pytest.raises(ModelError, match="fit"):
        ARIMAGARCH().update(np.ones(100))


def test_yaml_instantiates_a_working_model(garch):
    cfg = OmegaConf.load(CONF / "models" / "arima_garch.yaml")
    assert "seed" not in cfg, "ARIMA-GARCH is deterministic: no seed loop"
    model = instantiate(cfg)()
    assert isinstance(model, ARIMAGARCH)
    fc = model.fit(garch[:500]).predict(2)
    assert fc.mean.shape == (2,) and fc.paths.shape == (cfg.n_paths, 2)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"dist": "t"}, {"mean": "Constant", "p": 2}, {"mean": "Zero", "q": 2}, {"lags": 2},
     {"o": 1}, {"o": 1, "dist": "skewt"}, {"vol": "EGARCH"}, {"vol": "EGARCH", "o": 1, "q": 2}],
    ids=["arx-normal", "t", "const-p2", "zero-q2", "ar2", "gjr", "gjr-skewt", "egarch", "egarch-o1-q2"],
)  # fmt: skip
def test_recursive_update_matches_arch_fixed_parameter_filter(garch, kwargs):
    model = ARIMAGARCH(**kwargs).fit(garch[:800])
    for stop in (801, 830, 900):
        model.update(garch[:stop])
    k = model.scale_
    ref = model._model(garch[:900], k).fix(model.params).forecast(horizon=1, reindex=False)
    fc = model.predict(1)
    assert fc.mean[0] == pytest.approx(ref.mean.values[-1, 0] / k, rel=1e-8, abs=1e-10)
    assert fc.var[0] == pytest.approx(ref.variance.values[-1, 0] / k**2, rel=1e-8)


def test_a_warm_started_refit_equals_a_fresh_estimation(garch):
    warm = ARIMAGARCH().fit(garch[:900])
    warm.fit(garch[:1000])
    fresh = ARIMAGARCH().fit(garch[:1000])
    assert warm.scale_ == fresh.scale_
    assert warm._res.loglikelihood == pytest.approx(fresh._res.loglikelihood, abs=1e-3)
    np.testing.assert_allclose(warm.params, fresh.params, rtol=0.02, atol=1e-3)


@pytest.mark.parametrize("kwargs", [{"o": 1}, {"vol": "EGARCH", "o": 1}], ids=["gjr", "egarch"])
def test_a_warm_started_asymmetric_refit_finds_the_fresh_estimate(garch, kwargs):
    warm = ARIMAGARCH(**kwargs).fit(garch[:900])
    warm.fit(garch[:1000])
    fresh = ARIMAGARCH(**kwargs).fit(garch[:1000])
    assert warm._res.loglikelihood == pytest.approx(fresh._res.loglikelihood, abs=1e-2)


def test_default_choices_text_is_unchanged_and_variants_name_themselves():
    assert ARIMAGARCH().info == {"mean": "ARX", "lags": 1, "p": 1, "q": 1, "dist": "normal"}
    assert ARIMAGARCH(vol="EGARCH").info["vol"] == "EGARCH"
    assert ARIMAGARCH(o=1).info["o"] == 1
