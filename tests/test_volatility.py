"""The volatility duel: yardsticks and proxy models, their scale, leakage, scores and the engine path."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.data.synthetic import garch_ohlc_frame
from bench.engine.runner import backtest
from bench.errors import ConfigError
from bench.models.garch import ARIMAGARCH
from bench.models.lstm_rv import LSTMRV
from bench.models.volatility import EWMA, HAR, RollingVariance, har_design
from bench.prep.proxy import garman_klass
from bench.prep.splits import rolling_origin
from bench.prep.transforms import build_pipeline
from bench.scoring import volatility as vol
from bench.settings import ScoringSettings, SplitSettings

from conftest import run_suite, settings

TINY_LSTM = {"window": 10, "hidden_size": 4, "epochs": 2, "batch_size": 64, "calibrate": 60}


@pytest.fixture(scope="module")
def sim() -> dict[str, np.ndarray]:
    """Returns × 100 of a simulated GARCH(1,1) day-by-day path, its GK proxy and the true variance."""
    f = garch_ohlc_frame(1200, seed=5)
    c = f["Close"].to_numpy()
    r = 100 * np.diff(np.log(c))
    gk = garman_klass(
        c[:-1], f["Open"].to_numpy()[1:], f["High"].to_numpy()[1:], f["Low"].to_numpy()[1:], c[1:]
    )
    return {"r": r, "gk": gk, "truth": f["true_var"].to_numpy()[1:]}


def one_step(model, r, start, proxy=None):
    """Variance forecasts for r[start:], refit once at ``start`` and updated day by day."""
    out = []
    for t in range(start, len(r)):
        if proxy is not None:
            model.set_proxy(proxy[:t])
        model.fit(r[:t]) if t == start else model.update(r[:t])
        out.append(model.predict(1).var[0])
    return np.array(out)


def test_ewma_is_the_riskmetrics_recursion(sim):
    r = sim["r"][:300]
    model = EWMA(lam=0.94, init=22).fit(r)
    mu = r.mean()
    s2 = np.mean((r[:22] - mu) ** 2)
    for x in r:
        s2 = 0.94 * s2 + 0.06 * (x - mu) ** 2
    fc = model.predict(3)
    assert fc.var == pytest.approx([s2] * 3) and fc.mean == pytest.approx([mu] * 3)


def test_rolling_variance_is_the_mean_square_of_the_last_window(sim):
    r = sim["r"][:300]
    fc = RollingVariance(window=22).fit(r).predict(2)
    assert fc.var == pytest.approx([np.mean((r[-22:] - r.mean()) ** 2)] * 2)


def test_har_recovers_the_coefficients_of_a_har_process():
    rng = np.random.default_rng(3)
    b = np.array([0.1, 0.35, 0.3, 0.2])
    p = list(np.full(22, 1.0))
    for _ in range(4000):
        x = np.array([1.0, p[-1], np.mean(p[-5:]), np.mean(p[-22:])])
        p.append(x @ b + rng.normal(0, 0.05))
    p = np.array(p)
    model = HAR()
    model.set_proxy(p)
    model.fit(np.zeros_like(p) + rng.normal(0, 1, p.size))
    np.testing.assert_allclose(model._coef, b, atol=0.05)
    x = har_design(p)[-1]
    assert model.predict(1).var[0] == pytest.approx(x @ model._coef)


def test_garch_forecasts_the_true_variance_better_than_ewma(sim):
    """On simulated GARCH(1,1) returns the fitted GARCH is closer to the known variance than EWMA."""
    r, truth, start = sim["r"], sim["truth"], 900
    garch = one_step(ARIMAGARCH(mean="Constant"), r, start)
    ewma = one_step(EWMA(), r, start)
    t = truth[start:]
    assert np.mean((garch - t) ** 2) < np.mean((ewma - t) ** 2)
    assert np.mean(np.abs(np.log(garch / t))) < np.mean(np.abs(np.log(ewma / t)))


def test_lstm_rv_rescales_the_exp_of_the_log_forecast_to_the_proxys_mean():
    # Constant variance 2 with a χ²₁ proxy: exp(E log p) is about 0.28 × 2, the forecast must be ≈ 2.
    rng = np.random.default_rng(0)
    p = 2.0 * rng.standard_normal(800) ** 2
    model = LSTMRV(seed=0, **{**TINY_LSTM, "calibrate": 400})
    model.set_proxy(p)
    var = model.fit(rng.normal(size=p.size)).predict(1).var[0]
    assert var == pytest.approx(2.0, rel=0.25)
    assert model._bias > 2.0, "without the rescaling the forecast would be far too low"


PROXY_MODELS = {"har": lambda: HAR(), "lstm_rv": lambda: LSTMRV(seed=1, **TINY_LSTM)}


def proxy_backtest(make, r, proxy, scale="standard", refit_every=3):
    splits = list(
        rolling_origin(len(r), SplitSettings(folds=8, horizon=2, step=5, refit_every=refit_every), 300)
    )
    res = backtest(r, splits, make, lambda: build_pipeline(diff=0, scale=scale), 2,
                   refit_every=refit_every, on_error="raise", proxy=proxy)  # fmt: skip
    return splits, res


@pytest.mark.parametrize("name", sorted(PROXY_MODELS))
def test_proxy_after_an_origin_never_changes_variance_forecasts_made_there(name, sim):
    r, gk = sim["r"][:400], sim["gk"][:400]
    splits, before = proxy_backtest(PROXY_MODELS[name], r, gk)
    cut = splits[2].origin + 1
    r2, gk2 = r.copy(), gk.copy()
    r2[cut:] *= 3.0
    gk2[cut:] = gk2[cut:] * 9.0 + 1.0
    _, after = proxy_backtest(PROXY_MODELS[name], r2, gk2)
    for s, a, b in zip(splits, before, after, strict=True):
        if s.origin < cut:
            np.testing.assert_array_equal(a.y_var, b.y_var, err_msg=f"fold {s.fold} leaked")
    assert not np.array_equal(before[-1].y_var, after[-1].y_var), "later folds must see the new proxy"


@pytest.mark.parametrize("name", sorted(PROXY_MODELS))
def test_proxy_models_read_the_proxy_not_the_squared_returns(name, sim):
    r, gk = sim["r"][:400], sim["gk"][:400]
    _, with_gk = proxy_backtest(PROXY_MODELS[name], r, gk)
    _, with_double = proxy_backtest(PROXY_MODELS[name], r, 2 * gk)
    ratio = np.concatenate([b.y_var / a.y_var for a, b in zip(with_gk, with_double, strict=True)])
    np.testing.assert_allclose(ratio, 2.0, rtol=0.3 if name == "lstm_rv" else 1e-9)


def test_har_variance_is_the_same_on_the_original_scale_whatever_the_scaler(sim):
    r, gk = sim["r"][:400] + 0.3, sim["gk"][:400]
    _, scaled = proxy_backtest(PROXY_MODELS["har"], r, gk, scale="standard")
    _, raw = proxy_backtest(PROXY_MODELS["har"], r, gk, scale="none")
    for a, b in zip(scaled, raw, strict=True):
        np.testing.assert_allclose(a.y_var, b.y_var, rtol=1e-9)
        np.testing.assert_allclose(a.y_hat, b.y_hat, rtol=1e-9)


def test_qlike_and_mse_of_variance_forecasts():
    p, v = np.array([1.0, 0.0, 4.0]), np.array([2.0, 1.0, 4.0])
    assert vol.qlike(p, v) == pytest.approx(np.mean(np.log(v) + p / v))
    assert vol.mse_var(p, v) == pytest.approx(np.mean((p - v) ** 2))
    assert np.isnan(vol.qlike(p, np.array([1.0, 0.0, 1.0])))


def test_qlike_prefers_the_true_variance_over_a_biased_one(sim):
    gk, truth = sim["gk"], sim["truth"]
    assert vol.qlike(gk, truth) < vol.qlike(gk, 1.5 * truth)
    assert vol.qlike(gk, truth) < vol.qlike(gk, 0.67 * truth)


def frames(sim, forecasts: dict[str, np.ndarray], start: int = 900):
    n = len(sim["r"])
    ds = pd.RangeIndex(n)
    series = pd.DataFrame({"dataset": "d", "unique_id": "d", "ds": ds, "y": sim["r"], "returns": True,
                           "y_proxy": sim["gk"]})  # fmt: skip
    rows = [
        pd.DataFrame(
            {
                "dataset": "d",
                "unique_id": "d",
                "model": m,
                "seed": 0,
                "cutoff": ds[start - 1 : n - 1],
                "ds": ds[start:],
                "h": 1,
                "y_var": v,
                "y_proxy": sim["gk"][start:],
            }
        )  # fmt: skip
        for m, v in forecasts.items()
    ]
    return pd.concat(rows, ignore_index=True), series


def test_the_lag_scan_flags_an_echo_of_yesterdays_proxy_and_not_the_true_variance(sim):
    start = 900
    truth = sim["truth"][start:]
    echo = sim["gk"][start - 1 : -1]
    fc, series = frames(sim, {"arima_garch": truth, "echo": echo, "ewma": one_step(EWMA(), sim["r"], start)})
    out = vol.score(fc, series, ScoringSettings()).set_index("model")
    assert out.loc["echo", "var_best_shift"] == 1 and out.loc["echo", "var_shift_gain"] == pytest.approx(0.0)
    assert bool(out.loc["echo", "var_trails"]) and not bool(out.loc["ewma", "var_trails"])
    assert out.loc["echo", "var_echo_ratio"] == pytest.approx(0.0)
    # The truth beats the EWMA yardstick on QLIKE against the proxy (negative DM statistic).
    assert out.loc["arima_garch", "dm_stat_qlike_vs_vol_baseline"] < 0
    assert out.loc["arima_garch", "qlike_proxy"] < out.loc["ewma", "qlike_proxy"]
    assert "trails realised volatility" in vol.sentence(out.reset_index().iloc[1].to_dict())


def test_level_series_and_point_models_get_no_volatility_scores(sim):
    fc, series = frames(sim, {"ewma": np.ones(len(sim["r"]) - 900)})
    assert vol.score(fc, series.assign(returns=False), ScoringSettings()).empty
    assert vol.score(fc.assign(y_var=np.nan), series, ScoringSettings()).empty


def write_ohlc(tmp_path, n=420):
    path = tmp_path / "sim.csv"
    garch_ohlc_frame(n, seed=4).drop(columns="true_var").to_csv(path, index=False)
    return path


CSV = ["datasets=[csv]", "datasets.csv.value_col=Close", "datasets.csv.open_col=Open",
       "datasets.csv.high_col=High", "datasets.csv.low_col=Low", "target=returns", "transform.diff=0",
       "split.folds=25", "split.refit_every=10", "seeds=[0]"]  # fmt: skip


def test_a_returns_run_stores_the_proxy_and_scores_variance_forecasts_against_it(tmp_path):
    path = write_ohlc(tmp_path)
    models = "models=[ewma,arima_garch,har]"
    tables = run_suite(
        [*CSV, f"datasets.csv.path={path}", models, "variance_proxy=garman_klass"], tmp_path / "run"
    )
    fc = tables["forecasts"]
    assert fc["y_proxy"].notna().all() and fc.loc[fc["model"] != "naive", "y_var"].notna().all()
    assert tables["series"]["y_proxy"].notna().all()
    m = tables["metrics"].set_index("model")
    assert m.loc[["ewma", "arima_garch", "har"], "qlike_proxy"].notna().all()
    assert np.isnan(m.loc["naive", "qlike_proxy"])
    assert m.loc["arima_garch", "vol_baseline"] == "ewma"


def test_proxy_models_are_refused_before_any_fit_where_they_cannot_work(tmp_path):
    from bench.benchmark import run_tables

    path = write_ohlc(tmp_path, n=200)
    base = [*CSV, f"datasets.csv.path={path}", "models=[har]"]
    with pytest.raises(ConfigError, match="transform.diff=0"):
        run_tables(settings([*base, "transform.diff=1"]), tmp_path / "a")
    with pytest.raises(ConfigError, match="only returns datasets have"):
        run_tables(settings([*base, "target=level"]), tmp_path / "b")


def test_dataset_may_set_its_own_target_and_proxy():
    s = settings(["datasets=[sp500_vol,sine]", "models=[naive]"])
    vol_ds, sine = s.datasets
    assert (vol_ds.y_target, vol_ds.variance_proxy) == ("returns", "garman_klass")
    assert (sine.y_target, sine.variance_proxy) == ("level", "squared")
    with pytest.raises(ConfigError, match="datasets.sp500_vol.variance_proxy=yang_zhang"):
        settings(["datasets=[sp500_vol]", "models=[naive]", "datasets.sp500_vol.variance_proxy=yang_zhang"])


def test_cli_range_proxy_without_price_columns_is_exit_2_naming_setting_and_columns(tmp_path):
    import os
    import subprocess
    import sys

    from conftest import ROOT

    path = write_ohlc(tmp_path, n=200)
    args = [a for a in CSV if "_col=" not in a or "value_col" in a]
    run_dir = tmp_path / "bad"
    proc = subprocess.run(
        [sys.executable, "-m", "bench.run", *args, f"datasets.csv.path={path}", "models=[ewma]",
         "variance_proxy=garman_klass", f"hydra.run.dir={run_dir}", "cache=false"],
        cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "variance_proxy=garman_klass" in proc.stderr and "no open, high, low" in proc.stderr
    assert not run_dir.exists()


def test_the_proxy_is_part_of_the_task_cache_key(tmp_path):
    from bench.engine.cache import task_key
    from bench.engine.prepare import prepare
    from bench.engine.suite import task_parts, tasks

    path = write_ohlc(tmp_path, n=200)

    def keys(proxy: str) -> set[str]:
        s = settings([*CSV, f"datasets.csv.path={path}", "models=[ewma]", f"variance_proxy={proxy}"])
        return {task_key(task_parts(t)) for t in tasks(s, prepare(s))}

    assert keys("squared").isdisjoint(keys("garman_klass"))
    assert keys("parkinson") == keys("parkinson")
