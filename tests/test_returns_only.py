"""The default suite's volatility duel: sp500_vol with ewma, GARCH and a Gaussian LSTM, and the
``returns_only`` setting that keeps the duel's models off level series."""

from __future__ import annotations

import pytest

from bench.data.synthetic import garch_ohlc_frame
from bench.engine.prepare import prepare
from bench.engine.suite import tasks
from bench.errors import ConfigError

from conftest import run_suite, settings

DUEL = {"ewma", "arima_garch", "lstm_gauss"}


def pairs(s) -> set[tuple[str, str]]:
    """(dataset, model) of every task the suite would run."""
    return {(t.prepared.name, t.name) for t in tasks(s, prepare(s))}


def test_the_default_suite_duels_on_sp500_vol_and_keeps_level_series_as_they_were():
    s = settings([])
    vol = next(d for d in s.datasets if d.name == "sp500_vol")
    assert (vol.y_target, vol.variance_proxy) == ("returns", "garman_klass")
    assert DUEL <= {m.name for m in s.models} and set(s.returns_only) == {"ewma", "lstm_gauss"}
    gauss, lstm = s.model("lstm_gauss"), s.model("lstm")
    assert gauss.params["likelihood"] == "gaussian" and gauss.target == lstm.target
    assert {k: v for k, v in gauss.params.items() if k != "likelihood"} == {
        k: v for k, v in lstm.params.items() if k != "likelihood"
    }  # the default LSTM in every other respect: the head is the only difference
    run = pairs(settings(["datasets=[sp500_vol,sine]"]))  # the default models on a returns and a level set
    others = {m.name for m in s.models} - set(s.returns_only)
    assert {m for d, m in run if d == "sp500_vol"} == others | DUEL
    assert {m for d, m in run if d == "sine"} == others


def write_ohlc(tmp_path, n: int = 300):
    path = tmp_path / "sim.csv"
    garch_ohlc_frame(n, seed=3).drop(columns="true_var").to_csv(path, index=False)
    return path


def test_a_tiny_returns_run_gives_the_gaussian_lstm_a_variance_proxy_crps_and_qlike(tmp_path):
    path = write_ohlc(tmp_path)
    tables = run_suite(
        ["debug=fast", "models=[ewma,arima_garch,lstm_gauss]", "datasets=[csv]",
         f"datasets.csv.path={path}", "datasets.csv.value_col=Close", "datasets.csv.open_col=Open",
         "datasets.csv.high_col=High", "datasets.csv.low_col=Low", "target=returns",
         "variance_proxy=garman_klass", "transform.diff=0", "split.folds=4"],
        tmp_path / "run",
    )  # fmt: skip
    fc = tables["forecasts"]
    duel = fc[fc["model"].isin(DUEL)]
    assert set(duel["model"]) == DUEL and len(duel) == 3 * 4
    assert duel[["y_var", "y_proxy", "crps"]].notna().all().all() and (duel["y_var"] > 0).all()
    assert (duel["y_interval"] == "model").all()  # their own distribution, not conformal
    m = tables["metrics"].set_index("model")
    assert m.loc[sorted(DUEL), ["crps", "qlike", "qlike_proxy"]].notna().all().all()


def test_returns_only_models_skip_level_series_with_a_note():
    s = settings(["models=[naive,arima_garch,ewma]", "datasets=[sine]"])
    assert pairs(s) == {("sine", "naive"), ("sine", "arima_garch")}
    (p,) = prepare(s)
    assert any("not run on this level series: ewma" in n for n in p.collection.notes)
    everywhere = settings(["models=[naive,arima_garch,ewma]", "datasets=[sine]", "returns_only=[]"])
    assert ("sine", "ewma") in pairs(everywhere)


def test_a_level_dataset_left_with_only_the_baseline_is_a_settings_error():
    with pytest.raises(ConfigError, match=r"dataset 'sine' is not returns and returns_only=\[ewma"):
        prepare(settings(["models=[ewma]", "datasets=[sine]"]))
    with pytest.raises(ConfigError, match="names the baseline 'naive'"):
        settings(["models=[naive,ewma]", "datasets=[sine]", "returns_only=[naive]"])
    with pytest.raises(ConfigError, match="returns_only must be a list of model names"):
        settings(["models=[naive]", "datasets=[sine]", "returns_only=3"])


def test_a_loader_that_gives_returns_keeps_its_returns_only_models():
    s = settings(["models=[naive,ewma]", "datasets=[garch]", "split.folds=3"])
    assert s.datasets[0].y_target == "level"  # no target=returns: the loader's series are returns
    assert pairs(s) == {("garch", "naive"), ("garch", "ewma")}
