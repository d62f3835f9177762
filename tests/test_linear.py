"""Ridge AR on windows: recovers a known AR coefficient, recursive forecasts, held coefficients."""

from __future__ import annotations

import numpy as np
import pytest
from hydra.utils import instantiate

from bench.models.base import Forecaster, ModelError, check_forecast
from bench.models.linear import RidgeAR
from bench.prep.windowing import last_window

from conftest import compose


def simulate_ar1(phi: float, n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n)
    z = np.zeros(n)
    for t in range(1, n):
        z[t] = phi * z[t - 1] + e[t]
    return z


def test_recovers_the_coefficient_of_a_simulated_ar1():
    z = simulate_ar1(0.6, 2000, seed=3)  # standard error of the estimate ≈ 0.018
    model = RidgeAR(window=1, alpha=1e-8).fit(z)
    assert model.coef_[0] == pytest.approx(0.6, abs=0.06)
    assert model.predict(1).mean[0] == pytest.approx(model.coef_[0] * z[-1] + model.intercept_)


def test_recursive_multi_step_uses_its_own_forecasts():
    z = simulate_ar1(0.6, 300, seed=1)
    model = RidgeAR(window=4, alpha=0.5).fit(z)
    fc = check_forecast(model.predict(3), 3).mean
    x = last_window(z, 4)
    for i in range(3):
        assert fc[i] == pytest.approx(x @ model.coef_ + model.intercept_, abs=1e-12)
        x = np.append(x[1:], fc[i])
    assert isinstance(model, Forecaster) and not model.levels


def test_update_keeps_coefficients_and_reads_the_new_history():
    z = simulate_ar1(0.6, 300, seed=2)
    model = RidgeAR(window=3).fit(z[:200])
    coef, before = model.coef_.copy(), model.predict(2).mean
    model.update(z[:250])
    np.testing.assert_array_equal(model.coef_, coef)
    assert model.predict(1).mean[0] == pytest.approx(model.one_step(last_window(z[:250], 3)))
    assert not np.array_equal(before, model.predict(2).mean)


def test_alpha_shrinks_the_coefficients():
    z = simulate_ar1(0.6, 300, seed=4)
    small = RidgeAR(window=2, alpha=1e-6).fit(z).coef_
    large = RidgeAR(window=2, alpha=1e4).fit(z).coef_
    assert np.linalg.norm(large) < 0.1 * np.linalg.norm(small)


def test_too_short_or_non_finite_series_raises_model_error():
    with pytest.raises(ModelError, match="needs at least 6 points"):
        RidgeAR(window=5).fit(np.arange(5.0))
    with pytest.raises(ModelError, match="NaN or inf"):
        RidgeAR(window=2).fit(np.array([0.0, 1.0, np.inf, 2.0, 3.0]))
    with pytest.raises(ModelError, match="before fit"):
        RidgeAR(window=2).predict(1)


def test_yaml_composes_and_reads_the_shared_window():
    cfg = compose(["models=[linear]", "datasets=[]", "window=7"])
    assert "seed" not in cfg.models.linear  # deterministic: the runner must not loop seeds
    model = instantiate(cfg.models.linear)()
    assert isinstance(model, RidgeAR) and model.window == 7 and model.alpha == 1.0
