"""Proper scores: CRPS (closed forms, ensembles), Student-t and Gaussian NLL, Winkler and pinball.

Every reference value is computed here independently — the textbook closed forms written out with
scipy, or the CRPS integral ∫(F(x) − 1{x ≥ y})² dx by quadrature, or the energy form by brute
force — and compared with what the engine stores (``bench.engine.crps``, via scoringrules) and what
the scorer averages (``bench.scoring.metrics``).
"""

from __future__ import annotations

import numpy as np
import pytest
import scoringrules as sr
from scipy import integrate, stats
from scipy.special import beta as beta_fn

from bench.engine import crps as cr
from bench.engine.predictive import invert
from bench.engine.records import forecast_frame
from bench.engine.runner import backtest
from bench.models.base import ModelError, check_forecast
from bench.prep.splits import rolling_origin
from bench.prep.transforms import Chain, build_pipeline
from bench.scoring import metrics as m
from bench.settings import SplitSettings
from bench.types import Dataset, Forecast

CASES = [(0.3, 0.0, 1.0), (-2.5, 1.0, 4.0), (10.0, 9.0, 0.25), (0.0, 0.0, 2.0)]  # y, mean, var


def crps_integral(cdf, y: float, lo: float, hi: float) -> float:
    """∫ (F(x) − 1{x ≥ y})² dx, split at y where the indicator jumps."""
    below = integrate.quad(lambda x: cdf(x) ** 2, lo, y, limit=200)[0]
    above = integrate.quad(lambda x: (1.0 - cdf(x)) ** 2, y, hi, limit=200)[0]
    return below + above


def gaussian_closed_form(y: float, mu: float, var: float) -> float:
    s = np.sqrt(var)
    z = (y - mu) / s
    return s * (z * (2 * stats.norm.cdf(z) - 1) + 2 * stats.norm.pdf(z) - 1 / np.sqrt(np.pi))


def student_t_closed_form(y: float, mu: float, var: float, nu: float) -> float:
    """Gneiting & Raftery's t CRPS; scale from the variance: s = √(var (ν − 2)/ν)."""
    s = np.sqrt(var * (nu - 2) / nu)
    z = (y - mu) / s
    f, big_f = stats.t.pdf(z, nu), stats.t.cdf(z, nu)
    tail = 2 * np.sqrt(nu) * beta_fn(0.5, nu - 0.5) / ((nu - 1) * beta_fn(0.5, nu / 2) ** 2)
    return s * (z * (2 * big_f - 1) + 2 * f * (nu + z**2) / (nu - 1) - tail)


@pytest.mark.parametrize(("y", "mu", "var"), CASES)
def test_gaussian_crps_matches_the_closed_form_and_the_integral(y, mu, var):
    got = cr.gaussian(y, mu, var)
    assert got == pytest.approx(gaussian_closed_form(y, mu, var), rel=1e-10)
    cdf = stats.norm(mu, np.sqrt(var)).cdf
    assert got == pytest.approx(
        crps_integral(cdf, y, mu - 40 * np.sqrt(var), mu + 40 * np.sqrt(var)), rel=1e-6
    )


@pytest.mark.parametrize("nu", [2.5, 4.0, 30.0])
@pytest.mark.parametrize(("y", "mu", "var"), CASES)
def test_student_t_crps_matches_the_closed_form_and_the_integral(y, mu, var, nu):
    got = cr.student_t(y, mu, var, nu)
    assert got == pytest.approx(student_t_closed_form(y, mu, var, nu), rel=1e-9)
    dist = stats.t(nu, loc=mu, scale=np.sqrt(var * (nu - 2) / nu))
    assert got == pytest.approx(crps_integral(dist.cdf, y, -np.inf, np.inf), rel=1e-5)


def test_student_t_crps_approaches_the_gaussian_one_as_df_grows():
    assert cr.student_t(1.3, 0.0, 2.0, 1e6) == pytest.approx(cr.gaussian(1.3, 0.0, 2.0), rel=1e-5)


def test_ensemble_crps_is_the_crps_of_the_members_empirical_distribution():
    rng = np.random.default_rng(3)
    members = rng.normal(size=(4, 37))
    y = np.array([0.1, -3.0, 2.0, members[3, 5]])  # last: y equal to a member
    brute = [
        np.mean(np.abs(x - yy)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :]))
        for x, yy in zip(members, y, strict=True)
    ]
    np.testing.assert_allclose(cr.ensemble(y, members), brute, rtol=1e-12)


def test_missing_inputs_give_nan_and_a_point_mass_gives_the_absolute_error():
    assert np.isnan(cr.gaussian(1.0, 0.0, np.nan)) and np.isnan(cr.student_t(1.0, 0.0, 1.0, np.nan))
    assert np.isnan(cr.ensemble(1.0, [0.0, np.nan]))
    assert cr.gaussian(3.0, 1.0, 0.0) == 2.0


def lognormal_closed_form(y: float, mu: float, sigma: float) -> float:
    """CRPS of LN(μ, σ²) (Baran & Lerch 2015)."""
    z = (np.log(y) - mu) / sigma
    n = stats.norm.cdf
    return y * (2 * n(z) - 1) - 2 * np.exp(mu + sigma**2 / 2) * (n(z - sigma) + n(sigma / np.sqrt(2)) - 1)


def test_a_log_chain_gets_quantile_members_whose_crps_is_the_lognormal_one():
    """A Gaussian on the log scale is a log-normal on the original one: not Gaussian, so the inverted
    forecast carries quantile members and the stored CRPS is the log-normal's (to the grid's error)."""
    pipe = build_pipeline(diff=0, scale="none", log=True)
    history = np.exp(np.linspace(0.0, 1.0, 30))
    pipe.fit(history)
    mu, var = np.array([1.2, 1.5]), np.array([0.04, 0.25])
    out = invert(Forecast(mean=mu, var=var), pipe, history, level=0.9)
    assert out.dist is not None and out.dist.members.shape == (200, 2)
    np.testing.assert_allclose(out.lo, np.exp(mu - 1.6448536269514722 * np.sqrt(var)), rtol=1e-9)
    y = np.array([3.1, 6.0])
    got = cr.fold_crps(y, out.mean, out.var, out.dist)
    want = [lognormal_closed_form(yy, a, np.sqrt(v)) for yy, a, v in zip(y, mu, var, strict=True)]
    np.testing.assert_allclose(got, want, rtol=5e-3)


def test_an_affine_chain_keeps_the_closed_form_and_a_t_forecast_gets_t_intervals():
    pipe = build_pipeline(diff=1, scale="standard")
    history = np.cumsum(np.random.default_rng(0).normal(size=50)) + 20
    pipe.fit(history)
    fc = check_forecast(Forecast(mean=np.array([0.1, 0.2, 0.3]), var=np.full(3, 0.5), df=np.full(3, 5.0)), 3)
    out = invert(fc, pipe, history, level=0.9)
    assert out.dist is not None and out.dist.members is None  # affine: closed form at record time
    np.testing.assert_array_equal(np.isfinite(out.dist.df), [True, False, False])  # exact step only
    sd = (out.hi[0] - out.lo[0]) / 2 / stats.t.ppf(0.95, 5) / np.sqrt(3 / 5)  # t quantile in sd units
    assert out.var[0] == pytest.approx(sd**2, rel=1e-9)
    gauss = invert(Forecast(mean=fc.mean, var=fc.var), pipe, history, level=0.9)
    assert out.var[0] == pytest.approx(gauss.var[0], rel=1e-9)  # same variance …
    t99, g99 = (invert(f, pipe, history, level=0.99) for f in (fc, Forecast(mean=fc.mean, var=fc.var)))
    assert t99.hi[0] - t99.lo[0] > g99.hi[0] - g99.lo[0]  # … heavier tails: wider far out


@pytest.mark.parametrize(
    "df", [np.full(2, 2.0), np.array([5.0, np.nan]), np.full(3, 5.0)], ids=["df<=2", "nan", "shape"]
)
def test_malformed_degrees_of_freedom_are_a_model_error(df):
    with pytest.raises(ModelError, match="degrees of freedom"):
        check_forecast(Forecast(mean=np.zeros(2), var=np.ones(2), df=df), 2)
    with pytest.raises(ModelError, match="degrees of freedom"):
        check_forecast(Forecast(mean=np.zeros(2), df=np.full(2, 5.0)), 2)  # a t needs its variance


class StudentT:
    """A fixed predictive on the transformed scale: mean 0, variance 1, t with 4 df."""

    levels = False

    def fit(self, z):
        return self

    def update(self, z):
        return self

    def predict(self, h):
        return Forecast(mean=np.zeros(h), var=np.ones(h), df=np.full(h, 4.0))


def test_records_store_the_closed_form_crps_and_the_df_of_every_row(random_walk):
    splits = list(rolling_origin(len(random_walk), SplitSettings(folds=6, horizon=1), min_train=20))
    res = backtest(random_walk, splits, StudentT, lambda: build_pipeline(diff=1, scale="none"), 1)
    ds = Dataset("rw", __import__("pandas").Series(random_walk))
    f = forecast_frame(ds, "t", 0, res, 1)
    assert (f["y_df"] == 4.0).all() and (f["y_interval"] == "model").all()
    want = [student_t_closed_form(r.y, r.y_hat, r.y_var, 4.0) for r in f.itertuples()]
    np.testing.assert_allclose(f["crps"], want, rtol=1e-9)
    assert m.predictive_nll(f["y"], f["y_hat"], f["y_var"], f["y_df"]) == pytest.approx(
        -np.mean(stats.t.logpdf(f["y"] - f["y_hat"], 4.0, scale=np.sqrt(0.5)))
    )


def test_paths_are_scored_as_an_ensemble_and_a_plain_forecast_has_no_crps(random_walk):
    class Paths(StudentT):
        def predict(self, h):
            paths = np.random.default_rng(0).normal(size=(300, h))
            return Forecast(mean=np.zeros(h), var=np.ones(h), paths=paths)

    class Point(StudentT):
        def predict(self, h):
            return Forecast(mean=np.zeros(h))

    splits = list(rolling_origin(len(random_walk), SplitSettings(folds=3, horizon=2), min_train=20))
    pipe = lambda: build_pipeline(diff=1, scale="none")  # noqa: E731
    ds = Dataset("rw", __import__("pandas").Series(random_walk))
    res = backtest(random_walk, splits, Paths, pipe, 2)
    f = forecast_frame(ds, "p", 0, res, 2)
    members = np.concatenate([r.dist.members.T for r in res])  # inverted paths, one row per step
    np.testing.assert_allclose(f["crps"], sr.crps_ensemble(f["y"].to_numpy(), members, estimator="nrg"))
    point = forecast_frame(ds, "n", 0, backtest(random_walk, splits, Point, pipe, 2), 2)
    assert point["crps"].isna().all() and (point["y_interval"] == "").all() and point["y_df"].isna().all()


def test_nll_is_gaussian_without_df_and_student_t_with_it():
    y, mu, var = np.array([0.5, -1.0, 2.0]), np.zeros(3), np.array([1.0, 2.0, 0.5])
    df = np.array([np.nan, 6.0, np.nan])
    gauss = -stats.norm.logpdf(y, mu, np.sqrt(var))
    t_row = -stats.t.logpdf(-1.0, 6.0, scale=np.sqrt(2.0 * 4 / 6))
    assert m.predictive_nll(y, mu, var, df) == pytest.approx(np.mean([gauss[0], t_row, gauss[2]]))
    assert m.predictive_nll(y, mu, var, np.full(3, np.nan)) == pytest.approx(m.gaussian_nll(y, mu, var))


def test_winkler_is_scoringrules_interval_score_and_pinball_a_quarter_alpha_of_it():
    rng = np.random.default_rng(1)
    y = rng.normal(size=50)
    lo, hi = -1.0 + 0.1 * rng.normal(size=50), 1.0 + 0.1 * rng.normal(size=50)
    w = m.winkler(y, lo, hi, 0.1)
    assert w == pytest.approx(np.mean(sr.interval_score(y, lo, hi, 0.1)))
    hand = np.mean((hi - lo) + 20 * np.maximum(lo - y, 0) + 20 * np.maximum(y - hi, 0))
    assert w == pytest.approx(hand)
    assert m.interval_pinball(y, lo, hi, 0.1) == pytest.approx(0.1 / 4 * w)
    assert m.interval_pinball(y, lo, hi, 0.1) == pytest.approx(
        np.mean(sr.quantile_score(y, lo, 0.05) + sr.quantile_score(y, hi, 0.95)) / 2
    )


def test_identity_chain_gaussian_interval_is_unchanged_by_the_new_fields():
    """No df, affine chain: the interval and variance are today's Gaussian ones, bit for bit."""
    out = invert(Forecast(mean=np.array([1.0]), var=np.array([4.0])), Chain([]), np.arange(5.0), 0.9)
    q = stats.norm.ppf(0.95)
    assert (out.lo[0], out.hi[0]) == (1.0 - q * 2.0, 1.0 + q * 2.0) and out.var[0] == pytest.approx(4.0)
    assert out.dist is None
