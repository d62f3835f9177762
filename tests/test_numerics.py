"""Numerical safety: inverse transforms stay finite on valid input, and metrics stay finite (and
scale-free ratios unchanged) on series of magnitude 1e9 and 1e-6; arch's rescaling stays inside
the GARCH model (no DataScaleWarning reaches the fold records)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from bench.errors import InputDataError
from bench.prep.transforms import build_pipeline

from conftest import run_suite

CHAINS = hsettings(max_examples=80, deadline=None, derandomize=True, database=None,
                   suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
PERIOD, H = 4, 3


@st.composite
def chains(draw) -> dict:
    positive = draw(st.sampled_from([None, "log", "guerrero", "mle"]))
    return dict(
        diff=draw(st.sampled_from([0, 1, 2, "auto"])),
        seasonal_diff=draw(st.sampled_from([0, 1, "auto"])),
        scale=draw(st.sampled_from(["standard", "minmax", "robust", "none"])),
        log=positive == "log",
        boxcox=positive if positive in ("guerrero", "mle") else False,
        deseasonalize=draw(st.booleans()),
        period=PERIOD,
    )


def positive_series(seed: int, n: int, magnitude: float, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    steps = rng.normal(0, 1, n)
    base = {"walk": np.cumsum(steps), "seasonal": 3 * np.sin(2 * np.pi * t / PERIOD) + steps,
            "trend": 0.5 * t + steps}[kind]  # fmt: skip
    return magnitude * (base - base.min() + 1.0)


@CHAINS
@given(
    opts=chains(), seed=st.integers(0, 2**16), n=st.integers(40, 90), exponent=st.integers(-6, 9),
    kind=st.sampled_from(["walk", "seasonal", "trend"]), noise=st.floats(-3, 3),
)  # fmt: skip
def test_inverting_any_chain_is_finite_and_exact_on_valid_input(opts, seed, n, exponent, kind, noise):
    y = positive_series(seed, n + H, 10.0**exponent, kind)
    train, future = y[:n], y[n:]
    try:
        pipe = build_pipeline(**opts).fit(train)
    except InputDataError as exc:  # e.g. a multiplicative step after a log that went negative
        assert "transform." in str(exc) and "positive" in str(exc)
        return
    z_all = pipe.transform(y)
    z_future = z_all[-H:]
    back = pipe.inverse_forecast(z_future, train)
    assert np.all(np.isfinite(back)), (pipe.describe(), back)
    np.testing.assert_allclose(back, future, rtol=1e-6, err_msg=pipe.describe())
    # a forecast that is off (noise × the training spread) is still a number, except where no level
    # has that transform (Box-Cox with λ < 0 beyond −1/λ: recorded as a failed fold by the runner)
    z_train = pipe.transform(train)
    off = pipe.inverse_forecast(z_future + noise * (np.std(z_train) + 1e-12), train)
    lam = pipe.info().get("lambda")
    if lam is None or lam >= 0:
        assert np.all(np.isfinite(off)), (pipe.describe(), off)
    assert not np.any(np.isnan(pipe.inverse_forecast(np.vstack([z_future, z_future]), train)))


def test_box_cox_below_its_image_is_the_odd_extension_not_nan():
    from bench.prep.boxcox import BoxCox

    bc = BoxCox(method="mle")
    bc.lam = 0.5
    z = np.array([-4.0, -2.0, 0.0, 2.0])  # λz + 1 = -1, 0, 1, 2
    np.testing.assert_allclose(bc.inverse_forecast(z, np.ones(3)), [-1.0, 0.0, 1.0, 4.0])
    bc.lam = -0.5
    assert np.isfinite(bc.inverse_forecast(np.array([1.0]), np.ones(3))).all()  # below −1/λ = 2
    assert not np.isfinite(bc.inverse_forecast(np.array([3.0]), np.ones(3))).all()


MODELS = ["naive", "arima", "arima_garch", "linear"]


def scaled_run(tmp_path, scale: float, name: str) -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(5)
    d = np.zeros(160)
    for t in range(1, 160):
        d[t] = 0.5 * d[t - 1] + rng.normal()
    y = (10 + np.cumsum(d)) * scale
    path = tmp_path / f"{name}.csv"
    pd.DataFrame({"y": y}).to_csv(path, index=False, float_format="%.17g")
    data = ["datasets=[csv]", f"datasets.csv.path={path}", "datasets.csv.value_col=y"]
    args = [f"models=[{','.join(MODELS)}]", *data, "split.folds=12", "split.refit_every=4", "window=5"]
    return run_suite(args, tmp_path / name)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[float, dict[str, pd.DataFrame]]:
    tmp = tmp_path_factory.mktemp("scaled")
    return {s: scaled_run(tmp, s, f"x{s:g}") for s in (1.0, 1e8, 1e-7)}


@pytest.mark.parametrize("scale", [1e8, 1e-7])
def test_metrics_stay_finite_on_series_of_magnitude_1e9_and_1e_minus_6(runs, scale):
    tables = runs[scale]
    folds = tables["folds"]
    assert (folds["status"] == "ok").all(), folds.loc[folds["status"] != "ok", ["model", "error"]]
    m = tables["metrics"].set_index("model")
    assert set(MODELS) <= set(m.index)
    for col in ("mse", "mae", "rmse"):
        assert np.isfinite(m[col]).all() and (m[col] > 0).all(), m[col]
    fc = tables["forecasts"]
    assert np.isfinite(fc["y_hat"]).all()
    assert np.isfinite(fc.loc[fc["model"] == "arima", ["y_lo", "y_hi"]].to_numpy()).all()


@pytest.mark.parametrize("scale", [1e8, 1e-7])
def test_scale_free_results_do_not_depend_on_the_magnitude(runs, scale):
    """Every model sees the standardised series: MSE ratios to persistence equal those at scale 1."""
    ref, got = (runs[s]["metrics"].set_index("model") for s in (1.0, scale))
    ratio = {k: r["mse"] / r.loc["naive", "mse"] for k, r in (("ref", ref), ("got", got))}
    np.testing.assert_allclose(ratio["got"][MODELS], ratio["ref"][MODELS], rtol=1e-4)
    a, b = (runs[s]["forecasts"].sort_values(["model", "cutoff"]) for s in (1.0, scale))
    np.testing.assert_allclose(b["y_hat"].to_numpy() / scale, a["y_hat"].to_numpy(), rtol=1e-5)


@pytest.mark.parametrize("scale", [1.0, 1e8, 1e-7])
def test_arch_rescaling_stays_inside_the_model(runs, scale):
    warnings = runs[scale]["folds"]["warnings"].astype(str)
    assert not warnings.str.contains("DataScaleWarning").any(), warnings[warnings.str.contains("DataScale")]
