"""The suite layer (config → datasets × models → tables) without the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bench.engine.prepare import prepare
from bench.errors import ConfigError

from conftest import run_suite, settings


def test_dataset_split_override_and_seasonal_period_from_the_data(tmp_path):
    args = ["datasets=[sales]", "models=[naive,seasonal_naive]", "seeds=[0]"]
    tables = run_suite(args, tmp_path)
    fc = tables["forecasts"]
    assert fc["cutoff"].nunique() == 10  # sales.yaml: split.folds=10, the last 10 months
    series = tables["series"].set_index("ds")["y"]
    sn = fc[fc["model"] == "seasonal_naive"]
    year_before = series.shift(12).loc[sn["ds"]].to_numpy()
    np.testing.assert_array_equal(sn["y_hat"].to_numpy(), year_before)
    for name in ("forecasts.parquet", "folds.parquet", "series.parquet", "metrics.csv", "run.json"):
        assert (tmp_path / name).exists()


def test_dataset_transform_override_applies_to_every_model_on_that_dataset():
    s = settings(["datasets=[sp500_returns,sine,sales]", "+datasets.sales.transform.diff=2"])
    by_name = {p.name: p for p in prepare(s)}
    assert by_name["sp500_returns"].settings.transform.diff == 0  # from its YAML: returns are stationary
    assert by_name["sales"].settings.transform.diff == 2  # from the command line
    assert by_name["sine"].settings.transform.diff == 1  # the suite's default


def test_a_model_that_cannot_be_built_stops_the_run_before_any_fit(tmp_path):
    args = ["datasets=[sine]", "models=[naive,arima]", "models.arima.d=1"]
    with pytest.raises(ConfigError, match="arima"):
        run_suite(args, tmp_path)
    assert not list(tmp_path.iterdir())


def test_seasonal_model_on_a_dataset_without_period_is_a_clear_error(tmp_path):
    args = ["datasets=[random_walk]", "models=[seasonal_naive]"]
    with pytest.raises(ConfigError, match="has none; set models.seasonal_naive.period"):
        run_suite(args, tmp_path)


def test_stochastic_models_run_once_per_seed_and_deterministic_ones_once(tmp_path):
    args = ["datasets=[sine]", "models=[naive,lstm]", "seeds=[0,1]", "split.folds=3", "window=5"]
    args += ["debug=fast"]
    folds = run_suite(args, tmp_path)["folds"]
    seeds = folds.groupby("model")["seed"].apply(lambda s: sorted(s.unique()))
    assert seeds["lstm"] == [0, 1] and seeds["naive"] == [0]
    lstm = pd.read_parquet(tmp_path / "forecasts.parquet").query("model == 'lstm'")
    a, b = (g["y_hat"].to_numpy() for _, g in lstm.groupby("seed"))
    assert not np.array_equal(a, b)


def test_worker_processes_give_the_same_numbers_as_one(tmp_path):
    base = ["datasets=[sine,sales]", "models=[naive,arima,lstm]", "split.folds=3", "window=5"]
    base += ["debug=fast"]
    one = run_suite(base, tmp_path / "one")["forecasts"]
    two = run_suite([*base, "n_jobs=2"], tmp_path / "two")["forecasts"]
    pd.testing.assert_frame_equal(one, two)


def test_a_model_failing_on_one_fold_is_recorded_and_the_run_goes_on(tmp_path):
    from bench.report.render import render

    # sine has 300 points; with 5 folds the origins are 294..298, so z at the third has 296 values.
    args = ["datasets=[sine]", "models=[naive,arima]", "split.folds=5"]
    args += ["+models.flaky._target_=conftest.FailsOnOneFold", "+models.flaky._partial_=true"]
    args += ["+models.flaky.fail_len=296"]
    tables = run_suite(args, tmp_path)
    status = tables["folds"].groupby("model")["status"].apply(lambda s: (s != "ok").sum())
    assert status.to_dict() == {"arima": 0, "flaky": 1, "naive": 0}
    failed = tables["folds"].query("status == 'failed'").iloc[0]
    assert failed["fold"] == 2 and "deliberate failure" in failed["error"]
    metrics = tables["metrics"].set_index("model")
    assert metrics.loc["flaky", "failed"] == 1 and metrics.loc["flaky", "n"] == 4
    assert metrics.loc["arima", "n"] == 5
    report = render(tmp_path).read_text()
    assert "flaky: 1 of 5 folds failed" in report and "deliberate failure on one fold" in report


def test_returns_target_scores_returns_and_shows_qlike(tmp_path):
    args = ["datasets=[sp500]", "models=[naive,arima]", "target=returns", "transform.diff=0", "split.folds=8"]
    tables = run_suite(args, tmp_path)
    y = tables["series"]["y"]
    assert abs(y.mean()) < 1 and 0.3 < y.std() < 3, "log returns × 100 of a stock index"
    m = tables["metrics"].set_index("model")
    assert np.isfinite(m.loc["arima", "qlike"]) and np.isnan(m.loc["naive", "qlike"])
    level = run_suite(["datasets=[sp500]", "models=[arima]", "split.folds=8"], tmp_path / "lvl")
    assert level["metrics"]["qlike"].isna().all(), "QLIKE is meaningless on price levels"


def test_rewriting_the_future_of_a_csv_never_moves_earlier_forecasts(tmp_path):
    """No leakage on the real path: CSV loader → target/dates → transform → every model → rows."""
    rng = np.random.default_rng(3)
    y = 100 + np.cumsum(rng.normal(0, 1, 150))
    dates = pd.date_range("2021-01-01", periods=150, freq="D")
    changed = y.copy()
    changed[145:] = changed[145:] * 2 + 30  # h = 2: origins 138..147, the first seven never see this
    tables = {}
    for name, values in {"a": y, "b": changed}.items():
        path = tmp_path / f"{name}.csv"
        pd.DataFrame({"Date": dates, "Close": values}).iloc[::-1].to_csv(path, index=False)
        args = ["datasets=[csv]", f"datasets.csv.path={path}", "datasets.csv.time_col=Date"]
        args += ["datasets.csv.value_col=Close", "models=[naive,arima,arima_garch,linear,lstm]"]
        args += ["split.folds=10", "split.horizon=2", "window=8", "debug=fast"]
        args += ["interval_level=0.5"]  # conformal intervals from 3 earlier errors on (naive, linear, lstm)
        tables[name] = run_suite(args, tmp_path / name)["forecasts"].set_index(["model", "cutoff", "h"])
    a, b = tables["a"], tables["b"]
    early = a.index.get_level_values("cutoff") < dates[145]
    assert early.sum() == 7 * 5 * 2  # origins × models × steps
    cols = ["y_hat", "y_var", "y_lo", "y_hi", "y_interval"]
    pd.testing.assert_frame_equal(a.loc[early, cols], b.loc[early, cols])
    assert (a.loc[early, "y_interval"] == "conformal").sum() == 3 * (4 + 3)  # 3 models, origins 3–6 / 4–6
    assert not np.allclose(a.loc[~early, "y_hat"], b.loc[~early, "y_hat"])


@pytest.mark.parametrize("override", ["transform.log=true", "target=returns"])
def test_logs_of_non_positive_data_stop_before_any_fit_naming_dataset_and_date(override):
    from bench.errors import InputDataError

    expected = r"dataset 'sunspots' has 0.0 at 1711-01-01 .*the first value <= 0"
    with pytest.raises(InputDataError, match=expected):
        prepare(settings(["datasets=[sunspots]", "models=[naive]", override]))


def test_a_datasets_own_window_replaces_the_runs_for_models_that_follow_it(tmp_path):
    """``window: ${window}`` models take the dataset's window (linear here); a preset with its own
    window keeps it, and so does a model whose window was set on the command line."""
    from bench.engine.suite import tasks

    over = ["datasets=[m3_yearly]", "datasets.m3_yearly.max_series=3", "models=[naive,linear,lstm_sales]"]
    s = settings(over)
    got = {t.name: t.model.params.get("window") for t in tasks(s, prepare(s))}
    assert got == {"naive": None, "linear": 2, "lstm_sales": 3}
    s = settings([*over, "models.linear.window=4"])
    got = {t.name: t.model.params.get("window") for t in tasks(s, prepare(s))}
    assert got["linear"] == 4
