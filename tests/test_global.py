"""Global recurrent model and its fold loop: pooled training, per-series pipelines, no leakage."""

from __future__ import annotations

import numpy as np
import pytest
from hydra.utils import instantiate

from bench.engine.runner import backtest_many
from bench.errors import ConfigError
from bench.models import torch_loop
from bench.models.base import capabilities
from bench.models.global_base import GlobalForecaster
from bench.models.global_recurrent import GlobalGRU, GlobalLSTM, GlobalRecurrent, GlobalRNN
from bench.models.recurrent import GRU, LSTM, RNN
from bench.prep.splits import rolling_origin
from bench.prep.transforms import build_pipeline
from bench.settings import SplitSettings
from bench.types import Forecast

from conftest import compose, settings

TINY = {"window": 6, "hidden_size": 6, "epochs": 3, "batch_size": 32, "lr": 1e-2, "device": "cpu"}
FOLDS, H = 5, 2


@pytest.fixture
def walks() -> list[np.ndarray]:
    """Three random walks of different lengths and levels (a tiny collection)."""
    rng = np.random.default_rng(3)
    return [lvl + np.cumsum(rng.normal(0, s, n)) for lvl, s, n in [(50, 1, 90), (500, 10, 110), (5, 0.1, 80)]]


def splits_of(ys: list[np.ndarray], min_train: int = 40) -> list[list]:
    spec = SplitSettings(folds=FOLDS, horizon=H, step=3)
    return [list(rolling_origin(len(y), spec, min_train=min_train)) for y in ys]


def run(ys, seed=0, **kwargs):
    return backtest_many(
        ys, splits_of(ys), lambda: GlobalRecurrent(**TINY, seed=seed), lambda: build_pipeline(diff=1), H,
        on_error=kwargs.pop("on_error", "raise"), **kwargs,
    )  # fmt: skip


def test_one_net_forecasts_every_series_in_order(walks):
    zs = [build_pipeline(diff=1).fit_transform(y) for y in walks]
    model = GlobalRecurrent(**TINY).fit(zs)
    fcs = model.predict(3)
    assert isinstance(model, GlobalForecaster) and model.scope == "global" and not model.levels
    assert [f.mean.shape for f in fcs] == [(3,)] * 3
    first = model._step(np.stack([z[-6:] for z in zs]))
    np.testing.assert_array_equal([f.mean[0] for f in fcs], first)


def test_validation_is_the_chronological_tail_of_each_series(walks, monkeypatch):
    seen = {}
    loop = torch_loop.train_split

    def recording(net, X_tr, Y_tr, X_val, Y_val, cfg, device, warm=False):
        seen.update(X_tr=X_tr, X_val=X_val)
        return loop(net, X_tr, Y_tr, X_val, Y_val, cfg, device, warm)

    monkeypatch.setattr(torch_loop, "train_split", recording)
    zs = [build_pipeline(diff=1).fit_transform(y) for y in walks]
    GlobalRecurrent(**TINY).fit(zs)
    n = [len(z) - 6 for z in zs]  # windows per series: 83, 103, 73 → 9, 11, 8 held out
    tails = [z[len(z) - 6 - int(np.ceil(0.1 * k)) : len(z) - 1] for z, k in zip(zs, n, strict=True)]
    assert len(seen["X_val"]) == sum(int(np.ceil(0.1 * k)) for k in n) == 28
    assert len(seen["X_tr"]) + len(seen["X_val"]) == sum(n)
    np.testing.assert_allclose(seen["X_val"][-1], tails[-1][-6:])  # the last window of the last series
    np.testing.assert_allclose(seen["X_val"][0], tails[0][:6])


def test_each_net_config_builds_its_class_and_scope_is_no_setting():
    classes = {}
    for name in ("rnn", "gru", "lstm", "rnn_global", "gru_global", "lstm_global"):
        node = compose([f"models=[{name}]", "datasets=[]"]).models[name]
        classes[name] = type(instantiate(node)(**TINY))
    assert classes == {"rnn": RNN, "gru": GRU, "lstm": LSTM, "rnn_global": GlobalRNN,
                       "gru_global": GlobalGRU, "lstm_global": GlobalLSTM}  # fmt: skip
    assert capabilities(GlobalLSTM).scope == "global" and capabilities(LSTM).scope == "local"
    assert capabilities(GlobalLSTM).stochastic and capabilities(LSTM).stochastic
    with pytest.raises(ConfigError, match=r"models=\[\.\.\., lstm_global\]"):
        settings(["datasets=[sine]", "models=[naive,lstm]", "+models.lstm.scope=global"])


def test_data_after_an_origin_never_changes_any_series_forecast_made_there(walks):
    before = run(walks)
    i = 1
    changed = [y.copy() for y in walks]
    cut = splits_of(walks)[1][i].origin + 1  # rewrite series 1 strictly after its fold-1 origin
    changed[1][cut:] = changed[1][cut:] * 3.0 + 40.0
    after = run(changed)
    for k in range(len(walks)):
        for fold in range(i + 1):
            np.testing.assert_array_equal(before[k][fold].y_hat, after[k][fold].y_hat, err_msg=f"{k}/{fold}")
    assert not np.array_equal(before[1][-1].y_hat, after[1][-1].y_hat), "later folds must see new data"
    assert not np.array_equal(before[0][-1].y_hat, after[0][-1].y_hat), "the shared net sees it too"


def test_same_seed_gives_identical_forecasts_for_every_series(walks):
    a, b, c = run(walks, seed=2, refit_every=2), run(walks, seed=2, refit_every=2), run(walks, seed=3)
    for ra, rb in zip(a, b, strict=True):
        for x, y in zip(ra, rb, strict=True):
            assert x.status == y.status == "ok" and x.y_hat.shape == (H,)
            np.testing.assert_array_equal(x.y_hat, y.y_hat)
    assert [r.refit for r in a[0]] == [True, False, True, False, True]
    assert not np.array_equal(a[0][0].y_hat, c[0][0].y_hat)


class Recorder:
    """A stub global model: last value of every series; records what it was given."""

    levels = False
    scope = "global"
    made = 0

    def __init__(self) -> None:
        Recorder.made += 1
        self.fits: list[list[np.ndarray]] = []

    def check(self, z):
        from bench.models.base import ModelError

        if len(z) < 50:
            raise ModelError(f"needs 50 points, got {len(z)}")

    def fit(self, zs):
        self.fits.append([z.copy() for z in zs])
        self.zs = zs
        return self

    def update(self, zs):
        self.zs = zs
        return self

    def predict(self, h):
        return [Forecast(mean=np.full(h, z[-1])) for z in self.zs]


def test_each_series_gets_its_own_pipeline_and_warm_start_reuses_the_model(walks):
    Recorder.made = 0
    holder: list[Recorder] = []
    res = backtest_many(walks, splits_of(walks), lambda: holder.append(Recorder()) or holder[-1],
                          lambda: build_pipeline(diff=1), H, refit_every=2)  # fmt: skip
    assert Recorder.made == 1 and len(holder[0].fits) == 3  # folds 0, 2, 4 refit the same object
    for z, y, s in zip(holder[0].fits[0], walks, splits_of(walks), strict=True):
        np.testing.assert_array_equal(z, build_pipeline(diff=1).fit_transform(y[s[0].train]))
    for r, y, s in zip(res, walks, splits_of(walks), strict=True):
        pipe, train = build_pipeline(diff=1), y[s[0].train]
        z = pipe.fit_transform(train)  # inverted with the series' own pipeline
        np.testing.assert_allclose(r[0].y_hat, pipe.inverse_forecast(np.full(H, z[-1]), train))
    backtest_many(walks, splits_of(walks), Recorder, lambda: build_pipeline(diff=1), H, warm_start=False)
    assert Recorder.made == 1 + FOLDS


def test_a_too_short_series_fails_alone_at_that_fold(walks):
    walks[2] = walks[2][:60]  # training parts 46, 49, …, 58 → 45, 48, … transformed; Recorder needs 50
    res = backtest_many(walks, splits_of(walks), Recorder, lambda: build_pipeline(diff=1), H, refit_every=2)
    assert [r.status for r in res[2]] == ["failed", "failed", "ok", "ok", "ok"]
    assert "needs 50 points, got 45" in res[2][0].error
    assert res[2][1].error.startswith("left out since the last refit") and not res[2][1].refit
    assert all(r.status == "ok" for r in res[0] + res[1])


def test_series_with_different_fold_counts_are_refused(walks):
    splits = splits_of(walks)
    splits[0] = splits[0][:-1]
    with pytest.raises(ValueError, match="same number of folds"):
        backtest_many(walks, splits, Recorder, lambda: build_pipeline(diff=1), H)


def test_the_global_fold_loop_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys, bench.engine.runner; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
