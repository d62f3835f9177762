"""Likelihood heads: NLL training, exact first-step moments, seeded ancestral paths, no leakage."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

from bench.engine.runner import backtest
from bench.models.base import check_forecast
from bench.models.global_recurrent import GlobalRecurrent
from bench.models.likelihoods import Gaussian, Point, StudentT, likelihood
from bench.models.recurrent import GRU, LSTM
from bench.prep.splits import rolling_origin
from bench.prep.transforms import build_pipeline
from bench.prep.windowing import last_window
from bench.settings import SplitSettings

TINY = {
    "window": 6,
    "hidden_size": 6,
    "epochs": 3,
    "batch_size": 16,
    "lr": 1e-2,
    "device": "cpu",
    "n_paths": 50,
}


@pytest.fixture
def noisy() -> np.ndarray:
    rng = np.random.default_rng(2)
    return np.sin(0.3 * np.arange(120)) + 0.3 * rng.standard_normal(120)


def test_losses_are_the_negative_log_densities():
    raw = torch.tensor([[0.3, -0.5, 1.2], [-1.0, 2.0, -3.0]])
    y = torch.tensor([1.0, -2.5])
    sigma = torch.nn.functional.softplus(raw[:, 1]) + 1e-6
    normal = -torch.distributions.Normal(raw[:, 0], sigma).log_prob(y)
    torch.testing.assert_close(Gaussian().row_loss(raw[:, :2], y), normal)
    nu = 2.0 + 1e-3 + torch.nn.functional.softplus(raw[:, 2])
    student = -torch.distributions.StudentT(nu, raw[:, 0], sigma).log_prob(y)
    torch.testing.assert_close(StudentT().row_loss(raw, y), student)
    torch.testing.assert_close(Point().loss(raw[:, 0], y), torch.nn.MSELoss()(raw[:, 0], y))


def test_moments_and_draws_follow_the_distribution():
    raw = np.array([[0.5, 0.2, 0.7]])
    mu, sigma, nu = StudentT().numpy_params(raw)
    assert StudentT().var(raw)[0] == pytest.approx(stats.t(nu[0], mu[0], sigma[0]).var())
    assert nu[0] > 2 and StudentT().df(raw)[0] == nu[0] and Gaussian().df(raw[:, :2]) is None
    draws = Gaussian().sample(np.repeat(raw[:, :2], 40000, axis=0), np.random.default_rng(0))
    assert draws.mean() == pytest.approx(0.5, abs=0.02)
    assert draws.var() == pytest.approx(Gaussian().var(raw[:, :2])[0], rel=0.03)
    with pytest.raises(ValueError, match="likelihood must be one of"):
        likelihood("poisson")


@pytest.mark.parametrize("name", ["gaussian", "student_t"])
def test_likelihood_net_forecasts_mean_variance_and_paths(name, noisy):
    model = LSTM(**TINY, likelihood=name).fit(noisy)
    fc = check_forecast(model.predict(4), 4)
    assert model.net.head[-1].out_features == {"gaussian": 2, "student_t": 3}[name]
    assert fc.paths.shape == (50, 4) and np.all(fc.var > 0)
    raw = model._step(last_window(noisy, 6)[None, :])
    assert fc.mean[0] == pytest.approx(model.likelihood.mean(raw)[0]) == model.one_step(last_window(noisy, 6))
    assert fc.var[0] == pytest.approx(model.likelihood.var(raw)[0])
    np.testing.assert_allclose(fc.mean[1:], fc.paths[:, 1:].mean(axis=0))
    assert fc.df is None  # four steps: only the first is a Student-t, the paths carry the rest
    one = check_forecast(model.predict(1), 1)
    if name == "student_t":
        assert (
            one.df.shape == (1,) and one.df[0] == pytest.approx(model.likelihood.df(raw)[0]) and one.df[0] > 2
        )
    else:
        assert one.df is None


def test_one_step_forecasts_carry_variance_and_paths(noisy):
    fc = GRU(**TINY, likelihood="gaussian").fit(noisy).predict(1)
    assert fc.var.shape == (1,) and fc.paths.shape == (50, 1)


def test_paths_are_ancestral_each_step_drawn_given_that_paths_own_past(noisy):
    model = LSTM(**{**TINY, "n_paths": 400}, likelihood="gaussian").fit(noisy)
    paths = model.predict(2).paths
    x = np.concatenate([np.tile(last_window(noisy, 6)[1:], (400, 1)), paths[:, :1]], axis=1)
    mu, sigma = model.likelihood.numpy_params(model._step(x))
    z = (paths[:, 1] - mu) / sigma  # standard normal only if step 2 is conditioned on each path's step 1
    assert abs(z.mean()) < 0.2 and 0.75 < z.var() < 1.3


def test_paths_are_seeded_by_the_model_seed_and_the_origin(noisy):
    a = LSTM(**TINY, likelihood="student_t", seed=4).fit(noisy)
    b = LSTM(**TINY, likelihood="student_t", seed=4).fit(noisy)
    np.testing.assert_array_equal(a.predict(3).paths, b.predict(3).paths)
    later = a.predict(3).paths
    a.update(np.append(noisy, noisy[-1]))
    assert not np.array_equal(later, a.predict(3).paths)


def test_none_keeps_the_point_net(noisy):
    model = LSTM(**TINY).fit(noisy)
    fc = model.predict(3)
    assert model.net.head[-1].out_features == 1 and fc.var is None and fc.paths is None and fc.df is None


def test_global_net_gives_every_series_a_distribution(noisy):
    zs = [noisy[:90], noisy[10:], 0.5 * noisy]
    fcs = GlobalRecurrent(**TINY, likelihood="gaussian").fit(zs).predict(3)
    assert len(fcs) == 3 and all(f.paths.shape == (50, 3) and np.all(f.var > 0) for f in fcs)


def test_likelihood_forecasts_and_intervals_never_see_data_after_the_origin(noisy):
    y = 10 + np.cumsum(noisy)
    splits = list(rolling_origin(len(y), SplitSettings(folds=4, horizon=2, step=3), min_train=90))

    def run(values):
        make = lambda: LSTM(**TINY, likelihood="gaussian", seed=1)  # noqa: E731
        return backtest(values, splits, make, lambda: build_pipeline(diff=1), 2, on_error="raise")

    before = run(y)
    changed = y.copy()
    cut = splits[1].origin + 1
    changed[cut:] = changed[cut:] * 3 + 40
    after = run(changed)
    for s, a, b in zip(splits, before, after, strict=True):
        assert np.all(np.isfinite(a.y_lo)) and np.all(a.y_lo < a.y_hat) and np.all(a.y_hat < a.y_hi)
        if s.origin < cut:
            for key in ("y_hat", "y_var", "y_lo", "y_hi"):
                np.testing.assert_array_equal(getattr(a, key), getattr(b, key))
    assert not np.array_equal(before[-1].y_hi, after[-1].y_hi)


def test_likelihood_nets_batch_like_they_train_alone(noisy):
    zs = [noisy, noisy[:80] * 2, noisy[30:]]
    alone = [LSTM(**TINY, likelihood="student_t", seed=s).fit(z) for s, z in enumerate(zs)]
    together = [LSTM(**TINY, likelihood="student_t", seed=s) for s in range(3)]
    assert LSTM.fit_batch(together, zs) == [None] * 3
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_allclose(a.log.train_loss, b.log.train_loss, rtol=1e-4)
        np.testing.assert_allclose(a.predict(1).var, b.predict(1).var, rtol=1e-4)
