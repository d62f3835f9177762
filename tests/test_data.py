"""Built-in datasets load offline and cleanly; synthetic series are seeded and carry their truth."""

from __future__ import annotations

import socket

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from bench.data import package, synthetic
from bench.data.errors import DataError
from bench.data.shipped import sales
from bench.data.validate import Where, clean, gap_notes
from bench.engine.prepare import load
from bench.errors import ConfigError

from conftest import CONF, compose, settings

COLLECTIONS = (
    "bench.data.competitions.", "bench.data.panel.", "bench.data.synthetic.panel",
    "bench.data.synthetic.random_walks",
)  # fmt: skip
BUILTINS = sorted(
    p.stem
    for p in (CONF / "datasets").glob("*.yaml")
    if p.stem != "csv" and not str(OmegaConf.load(p)["_target_"]).startswith(COLLECTIONS)
)
SALES = [2800, 2811, 2832, 2850, 2880, 2910, 2960, 3023, 3039, 3056, 3138, 3150, 3198, 3100, 3029]
SALES += [2950, 2989, 3012, 3050, 3142, 3252, 3342, 3365, 3385, 3340, 3410, 3443, 3428, 3554]
SALES += [3615, 3646, 3614, 3574, 3635, 3738, 3764, 3788, 3820, 3840, 3875, 3900, 3942, 4000]
SALES += [4021, 4055]


@pytest.fixture
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test: datasets must ship with packages."""

    def refuse(*args, **kwargs):
        raise AssertionError("a dataset loader tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_the_suite_has_the_promised_builtins():
    expected = {"sales", "sp500", "sp500_returns", "nasdaq", "sunspots", "co2", "macro_gdp", "sine"}
    expected |= {"random_walk", "ar1", "ar1_diff", "garch"}
    assert expected <= set(BUILTINS)


@pytest.mark.parametrize("name", BUILTINS)
def test_builtin_dataset_loads_offline_as_a_clean_float_series(name, no_network):
    ds_settings = settings([f"datasets=[{name}]"]).datasets[0]
    ds = load(ds_settings)  # the loader alone, suite overrides aside
    y = ds.y
    assert y.dtype == np.float64 and np.isfinite(y.to_numpy()).all()
    assert len(y) >= 30
    if name in compose().datasets:  # the default suite's series stay modest so `make bench` stays fast
        # the volatility duel's prices (sp500_vol) need years of days: 2000 returns, not more
        limit = 2001 if ds_settings.y_target == "returns" else 1100
        assert len(y) <= limit, "default sizes stay modest so the suite stays fast"
    else:  # reference series (e.g. the TATA tutorial's full export) are as their source has them
        assert len(y) <= 10_000
    assert isinstance(y.index, (pd.DatetimeIndex, pd.RangeIndex))
    assert y.index.is_monotonic_increasing and y.index.is_unique
    assert np.ptp(y.to_numpy()) > 0
    assert ds.source and "\n" not in ds.source
    assert ds.period is None or ds.period >= 2
    assert all(isinstance(n, str) and n for n in ds.notes)


def test_random_walks_is_a_seeded_collection_of_independent_walks():
    c = load(settings(["datasets=[random_walks]"]).datasets[0])
    assert c.frame["unique_id"].nunique() == 60 and c.frame.groupby("unique_id").size().eq(300).all()
    steps = c.frame.groupby("unique_id")["y"].diff().dropna()
    assert abs(steps.mean()) < 0.05 and 0.95 < steps.std() < 1.05
    again = synthetic.random_walks(seed=0).frame
    pd.testing.assert_frame_equal(c.frame, again)
    assert not synthetic.random_walks(seed=1).frame["y"].equals(again["y"])


def test_sales_is_the_seed_article_series():
    ds = sales()
    assert ds.y.tolist() == [float(v) for v in SALES] and len(ds.y) == 45
    assert ds.period == 12 and "article" in ds.source


def test_sp500_tail_and_returns_agree():
    prices = package.sp500(tail=101).y
    returns = package.sp500_returns(tail=100).y
    expected = 100 * np.log(prices).diff().iloc[1:]
    np.testing.assert_allclose(returns.to_numpy(), expected.to_numpy(), rtol=1e-12)
    assert (returns.index == prices.index[1:]).all()
    assert len(package.sp500(tail=None).y) > 5000


def test_co2_monthly_gaps_are_interpolated_and_noted():
    ds = package.co2()
    assert ds.freq == "MS" and ds.y.index.to_series().diff().dt.days.max() <= 31
    assert any("interpolated" in n for n in ds.notes)


def test_package_loaders_reject_unknown_columns_and_tails():
    with pytest.raises(DataError, match="realgdp"):
        package.macrodata(column="gdp")
    with pytest.raises(DataError, match="Adj Close"):
        package.sp500(column="Price")
    with pytest.raises(ConfigError, match="tail"):
        package.nasdaq(tail=1)


# --- synthetic generators ------------------------------------------------------------------------

GENERATORS = {
    "sine": synthetic.sine,
    "random_walk": synthetic.random_walk,
    "ar1": synthetic.ar1,
    "ar1_diff": lambda **kw: synthetic.ar1(integrated=True, **kw),
    "garch": synthetic.garch,
}


@pytest.mark.parametrize("name", sorted(GENERATORS))
def test_synthetic_series_are_deterministic_per_seed_and_differ_across_seeds(name):
    make = GENERATORS[name]
    a, b, c = make(seed=3).y, make(seed=3).y, make(seed=4).y
    pd.testing.assert_series_equal(a, b)
    assert not np.allclose(a.to_numpy(), c.to_numpy())
    assert make(seed=3).name == name


def lag1_coef(x: np.ndarray) -> float:
    x = x - x.mean()
    return float(x[1:] @ x[:-1] / (x[:-1] @ x[:-1]))


def test_ar1_recovers_its_coefficient():
    y = synthetic.ar1(n=4000, phi=0.6, seed=1).y.to_numpy()
    assert abs(lag1_coef(y) - 0.6) < 0.05


def test_ar1_in_differences_has_ar1_increments():
    ds = synthetic.ar1(n=4000, phi=0.6, integrated=True, seed=2)
    assert ds.y.iloc[0] == 100.0
    assert abs(lag1_coef(np.diff(ds.y.to_numpy())) - 0.6) < 0.05
    assert "φ = 0.6" in ds.notes[0]


def test_random_walk_increments_are_uncorrelated_with_the_given_sigma():
    d = np.diff(synthetic.random_walk(n=4000, sigma=2.0, seed=5).y.to_numpy())
    assert abs(lag1_coef(d)) < 0.05 and abs(d.std() - 2.0) < 0.1


def test_garch_returns_have_clustered_volatility_and_the_stationary_variance():
    r = synthetic.garch(n=20000, omega=0.05, alpha=0.08, beta=0.9, seed=7).y.to_numpy()
    assert abs(lag1_coef(r)) < 0.05  # no predictable mean
    assert lag1_coef(r**2) > 0.05  # predictable variance
    assert abs(r.var() / (0.05 / (1 - 0.08 - 0.9)) - 1) < 0.25


def test_sine_period_is_its_cycle():
    ds = synthetic.sine(n=200, cycle=20, noise=0.0, seed=0)
    y = ds.y.to_numpy()
    assert ds.period == 20 and np.allclose(y[20:], y[:-20])


@pytest.mark.parametrize(
    "call",
    [
        lambda: synthetic.ar1(phi=1.0),
        lambda: synthetic.garch(alpha=0.2, beta=0.85),
        lambda: synthetic.garch(nu=2),
        lambda: synthetic.sine(n=1),
    ],
)
def test_impossible_synthetic_settings_are_config_errors(call):
    with pytest.raises(ConfigError):
        call()


# --- shared validation on package-style series ---------------------------------------------------


def test_gap_notes_ignore_weekends_but_flag_long_gaps():
    days = pd.bdate_range("2024-01-01", periods=60)
    assert gap_notes(days) == []
    gapped = days[:30].append(days[30:] + pd.Timedelta(days=20))
    assert gap_notes(gapped) == ["gap of 23 days between 2024-02-09 and 2024-03-03 (median spacing 1 day)"]


def test_clean_reports_duplicates_by_date_without_line_numbers():
    idx = pd.to_datetime(["2024-01-01", "2024-01-02", "2024-01-02"])
    with pytest.raises(DataError, match="2024-01-02 appears more than once .observations 2 and 3"):
        clean(pd.Series([1.0, 2.0, 3.0], index=idx), Where("somewhere"))


def test_clean_treats_infinite_values_as_missing():
    y = pd.Series([1.0, np.inf, 3.0])
    out, notes = clean(y, Where("somewhere"), missing="interpolate")
    assert out.tolist() == [1.0, 2.0, 3.0] and "1 missing value(s) linearly interpolated" in notes
