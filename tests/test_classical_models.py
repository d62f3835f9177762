import numpy as np
import pytest
from statsmodels.tsa.forecasting.theta import ThetaModel

from bench.models.base import ModelError, capabilities
from bench.models.ets import ETS, Spec, candidates
from bench.models.naive2 import Naive2
from bench.models.theta import Theta

M = 12
SEASON = 1 + 0.3 * np.sin(2 * np.pi * np.arange(M) / M) + 0.1 * np.cos(4 * np.pi * np.arange(M) / M)


def _noisy_seasonal(n: int = 96, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return (200 + t) * SEASON[t % M] * np.exp(rng.normal(0, 0.03, n))


def test_naive2_forecasts_a_purely_seasonal_multiplicative_series_exactly():
    y = 50.0 * SEASON[np.arange(120) % M]
    model = Naive2(period=M).fit(y[:84])
    assert model.seasonal
    np.testing.assert_allclose(model.predict(36).mean, y[84:], rtol=1e-12)
    model.update(y[:90])
    np.testing.assert_allclose(model.predict(5).mean, y[90:95], rtol=1e-12)


def test_naive2_update_holds_the_indices_and_moves_only_the_last_value():
    y = _noisy_seasonal(120)
    model = Naive2(period=M).fit(y[:100])
    held = model.indices.copy()
    changed = np.concatenate([y[:100], np.full(20, 500.0)])
    model.update(changed[:110])
    np.testing.assert_array_equal(model.indices, held)
    assert model.predict(1).mean[0] == pytest.approx(500.0 / held[109 % M] * held[110 % M])


def test_naive2_without_seasonality_is_persistence():
    y = 100 + np.cumsum(np.random.default_rng(1).normal(size=80))
    fc = Naive2(period=M).fit(y).predict(3)
    assert fc.info == {"seasonal": False, "period": M}
    np.testing.assert_array_equal(fc.mean, np.full(3, y[-1]))


def test_naive2_refuses_seasonal_non_positive_data():
    with pytest.raises(ModelError, match="positive"):
        Naive2(period=M).fit(_noisy_seasonal() - 400)


def test_ets_candidates_follow_r_ets_restrictions():
    names = {s.name for s in candidates(100, True, M)}
    assert len(names) == 15 and "ETS(A,N,M)" not in names and "ETS(M,Ad,M)" in names
    assert all("M" not in s.name[4:] for s in candidates(100, False, M))  # no mul for data <= 0
    assert all(s.seasonal is None for s in candidates(100, True, 1))
    assert all(s.seasonal is None for s in candidates(20, True, M))  # not two full seasons
    assert candidates(100, True, M, error="add", trend=None, damped=False, seasonal=None) == [
        Spec("add", None, False, None)
    ]
    with pytest.raises(ValueError, match="ets trend"):
        ETS(period=M, trend="mul")


def test_ets_on_short_series_follows_r_ets_counts():
    """R's etsmodel leaves a form out when what it estimates (smoothing parameters + initial states)
    is >= n - 1; R's ets fits a non-optimised Holt-Winters for n <= npars + 4 of the requested model,
    which lagbench does not: its min_length is npars + 5."""
    seven = {"ETS(A,N,N)", "ETS(M,N,N)", "ETS(A,A,N)", "ETS(M,A,N)"}
    assert {s.name for s in candidates(7, True, 1)} == seven
    assert {s.name for s in candidates(6, True, 1)} == {"ETS(A,N,N)", "ETS(M,N,N)"}  # 4 states: 4 >= 6 - 2
    assert all(s.seasonal is None for s in candidates(7, True, 4))  # two full seasons needed
    assert any(s.seasonal == "add" for s in candidates(10, True, 4))  # A,N,A estimates 6 < 8
    assert ETS(period=1).min_length == 7 and ETS(period=M).min_length == 7  # auto: R's npars 2
    holt = ETS(period=1, error="add", trend="add", damped=False, seasonal=None)
    assert holt.min_length == 9
    assert ETS(period=M, error="add", trend=None, damped=False, seasonal="add").min_length == 2 + M + 5
    y = 100 + np.cumsum(np.random.default_rng(3).normal(1, 2, 7))
    fc = ETS(period=1).fit(y).predict(3)
    assert np.all(np.isfinite(fc.mean)) and fc.info["model"] in seven
    with pytest.raises(ModelError, match="at least 7 points"):
        ETS(period=1).fit(y[:6])


def test_theta_is_non_seasonal_on_two_seasons_or_fewer_as_r_thetaf():
    y = _noisy_seasonal(24)
    fc = Theta(period=M).fit(y).predict(3)  # statsmodels would need two full seasons to decompose
    assert fc.info["seasonal"] is False and np.all(np.isfinite(fc.mean))
    assert Theta(period=M).fit(_noisy_seasonal(60)).predict(3).info["seasonal"] is True
    assert Theta(period=M).min_length == 4
    with pytest.raises(ModelError, match="at least 4 points"):
        Theta(period=1).fit(y[:3])


def test_ets_picks_a_seasonal_form_and_update_holds_its_parameters():
    y = _noisy_seasonal(108)
    model = ETS(period=M, trend=None).fit(y[:96])  # 5 candidates keep the test short
    fc = model.predict(2)
    assert fc.info["model"].endswith(",M)") or fc.info["model"].endswith(",A)")
    params = model._params.copy()
    np.testing.assert_allclose(model.update(y[:96]).predict(2).mean, fc.mean, rtol=1e-10)
    model.update(y[:100])
    np.testing.assert_array_equal(model._params, params)
    assert np.all(np.isfinite(model.predict(3).var))


def test_ses_preset_is_ets_ann():
    y = 100 + np.cumsum(np.random.default_rng(2).normal(size=60))
    fc = ETS(error="add", trend=None, damped=False, seasonal=None).fit(y).predict(3)
    assert fc.info["model"] == "ETS(A,N,N)"
    assert np.ptp(fc.mean) == pytest.approx(0.0)


def test_theta_matches_statsmodels_and_update_reproduces_then_extends_it():
    y = _noisy_seasonal(110)
    model = Theta(period=M).fit(y[:98])
    fc = model.predict(6)
    reference = ThetaModel(y[:98], period=M).fit().forecast(6)
    np.testing.assert_allclose(fc.mean, reference.to_numpy(), rtol=1e-12)
    assert fc.info["seasonal"]
    np.testing.assert_allclose(model.update(y[:98]).predict(6).mean, fc.mean, rtol=1e-10)
    alpha = fc.info["alpha"]
    step = model.update(y[:104]).predict(1)
    assert step.info["alpha"] == alpha and step.mean[0] != pytest.approx(fc.mean[0])


def test_deseasonalised_ses_reseasonalises_with_the_held_naive2_indices():
    y = 50.0 * SEASON[np.arange(120) % M]
    model = ETS(M, error="add", trend=None, damped=False, seasonal=None, deseasonalize=True).fit(y[:84])
    fc = model.predict(12)
    assert fc.info["seasonal"] and fc.info["model"] == "ETS(A,N,N)"
    np.testing.assert_allclose(fc.mean, y[84:96], rtol=1e-6)
    with pytest.raises(ValueError, match="seasonal must be null"):
        ETS(M, seasonal="mul", deseasonalize=True)


@pytest.mark.parametrize("cls", [Naive2, Theta, ETS])
def test_a_dataset_without_a_period_gives_the_non_seasonal_model(cls):
    assert capabilities(cls).needs_period == "optional"
    y = 100 + np.cumsum(np.random.default_rng(3).normal(size=50))
    model = cls(period=None)
    assert model.period == 1
    assert np.all(np.isfinite(model.fit(y).predict(2).mean))
