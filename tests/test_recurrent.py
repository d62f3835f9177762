"""Recurrent forecasters: one training loop for all cells, determinism, recursion, failure modes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from torch import nn

from bench.models import recurrent, torch_loop
from bench.models.base import Forecaster, ModelError, check_forecast
from bench.models.recurrent import GRU, LSTM, RNN, Recurrent, RecurrentNet
from bench.prep.windowing import last_window, make_windows

from conftest import compose

CELLS = [RNN, GRU, LSTM]
TINY = {"window": 8, "hidden_size": 8, "epochs": 3, "batch_size": 32, "lr": 1e-2, "device": "cpu"}


@pytest.fixture
def sine() -> np.ndarray:
    """The PyTorch tutorial's toy: a noisy sine on a unit scale, like a transformed series."""
    rng = np.random.default_rng(5)
    t = np.arange(120)
    return np.sin(0.3 * t) + 0.1 * rng.standard_normal(len(t))


def weights(model: Recurrent) -> dict[str, torch.Tensor]:
    assert model.net is not None
    return {k: v.detach().clone() for k, v in model.net.state_dict().items()}


@pytest.mark.parametrize("cls", CELLS)
def test_each_cell_fits_and_forecasts_h_finite_values(cls, sine):
    model = cls(**TINY).fit(sine)
    fc = check_forecast(model.predict(5), 5)
    assert isinstance(model, Forecaster) and not model.levels
    assert fc.mean.shape == (5,) and np.all(np.isfinite(fc.mean)) and fc.var is None
    assert isinstance(model.net.rnn, {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[model.cell])


def test_rnn_cell_is_tanh(sine):
    assert RNN(**TINY).fit(sine).net.rnn.nonlinearity == "tanh"


@pytest.mark.parametrize("cls", CELLS)
def test_same_seed_gives_bitwise_identical_forecasts(cls, sine):
    a = cls(**TINY, seed=4).fit(sine)
    b = cls(**TINY, seed=4).fit(sine)
    np.testing.assert_array_equal(a.predict(4).mean, b.predict(4).mean)
    for key, value in weights(a).items():
        assert torch.equal(value, weights(b)[key])


def test_different_seeds_give_different_forecasts(sine):
    a = LSTM(**TINY, seed=0).fit(sine).predict(3).mean
    b = LSTM(**TINY, seed=1).fit(sine).predict(3).mean
    assert not np.array_equal(a, b)


def test_fit_leaves_global_torch_state_untouched(sine):
    torch.manual_seed(123)
    state = torch.random.get_rng_state()
    deterministic = torch.are_deterministic_algorithms_enabled()
    LSTM(**TINY).fit(sine)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert torch.are_deterministic_algorithms_enabled() == deterministic


@pytest.mark.parametrize("cls", CELLS)
def test_update_reads_the_new_history_with_weights_held(cls, sine):
    model = cls(**TINY).fit(sine[:100])
    before, w0 = model.predict(2).mean, weights(model)
    model.update(sine[:110])
    after = model.predict(2).mean
    assert not np.array_equal(before, after)
    assert after[0] == pytest.approx(model.one_step(last_window(sine[:110], 8)), abs=0)
    for key, value in weights(model).items():
        assert torch.equal(value, w0[key])


def test_recursive_forecast_feeds_back_its_own_forecasts(sine):
    model = LSTM(**TINY).fit(sine)
    fc = model.predict(3).mean
    x = last_window(sine, 8)
    expected = []
    for _ in range(3):
        expected.append(model.one_step(x))
        x = np.append(x[1:], expected[-1])
    np.testing.assert_array_equal(fc, expected)
    assert fc[0] == model.predict(1).mean[0]


def test_too_short_series_says_how_many_points_are_needed():
    # window 8 + 2 windows (one to train, one to validate with val_frac 0.1) = 10 points
    with pytest.raises(ModelError, match="needs at least 10 points"):
        LSTM(**TINY).fit(np.linspace(0, 1, 9))
    LSTM(**TINY, val_frac=0.0, patience=None).fit(np.linspace(0, 1, 9))  # 1 window suffices


def test_exploding_training_raises_model_error(sine):
    with pytest.raises(ModelError, match="diverged"):
        GRU(**{**TINY, "lr": 1e10}).fit(sine)


def test_nan_loss_raises_model_error(sine, monkeypatch):
    original = RecurrentNet.forward
    monkeypatch.setattr(RecurrentNet, "forward", lambda self, x: original(self, x) * np.nan)
    with pytest.raises(ModelError, match="diverged at epoch 1: loss is nan"):
        RNN(**TINY).fit(sine)


def test_non_finite_forecast_or_input_raises_model_error(sine):
    model = LSTM(**TINY).fit(sine)
    with torch.no_grad():
        model.net.head[-1].bias.fill_(float("inf"))
    with pytest.raises(ModelError, match="not finite"):
        model.predict(2)
    with pytest.raises(ModelError, match="NaN or inf"):
        LSTM(**TINY).fit(np.where(np.arange(len(sine)) == 50, np.nan, sine))


def test_the_three_cells_share_one_training_loop(sine, monkeypatch):
    calls: list[type] = []
    loop = torch_loop.train_net

    def counting(net, *args, **kwargs):
        calls.append(type(net.rnn))
        return loop(net, *args, **kwargs)

    monkeypatch.setattr(torch_loop, "train_net", counting)
    for cls in CELLS:
        cls(**TINY).fit(sine)
    assert calls == [nn.RNN, nn.GRU, nn.LSTM]
    assert RNN.fit is GRU.fit is LSTM.fit is Recurrent.fit
    assert not [n for n in vars(recurrent) if "train" in n.lower()], "no cell-specific loop"


def test_validation_tail_is_never_trained_on_and_every_train_row_is_used(sine, monkeypatch):
    seen: list[torch.Tensor] = []
    original = RecurrentNet.forward

    def recording(self, x):
        if self.training:
            seen.append(x.detach().clone())
        return original(self, x)

    monkeypatch.setattr(RecurrentNet, "forward", recording)
    LSTM(**{**TINY, "epochs": 1, "batch_size": 30}).fit(sine)  # 112 windows: 12 val, 100 train
    X, _ = make_windows(sine, 8, 1)
    rows = torch.cat(seen).double().numpy()
    assert [len(b) for b in seen] == [30, 30, 30, 10]  # one epoch, all rows, short batch kept
    train = {tuple(np.float32(r)) for r in X[:100]}
    assert {tuple(np.float32(r)) for r in rows} == train
    assert not train & {tuple(np.float32(r)) for r in X[100:]}


def test_early_stopping_restores_the_best_weights(sine):
    model = LSTM(**{**TINY, "epochs": 40, "patience": 2, "lr": 5e-2}).fit(sine)
    log = model.log
    assert len(log.train_loss) < 40, "patience 2 should stop before 40 epochs"
    assert log.kept_epoch == int(np.argmin(log.val_loss))
    X, Y = make_windows(sine, 8, 1)
    xv = torch.as_tensor(X[-12:], dtype=torch.float32)  # ceil(0.1 * 112) = 12 validation windows
    yv = torch.as_tensor(Y[-12:, 0], dtype=torch.float32)
    assert torch_loop.evaluate(model.net, xv, yv, 5) == pytest.approx(min(log.val_loss), rel=1e-5)


def test_step_lr_decays_by_gamma_every_lr_step_epochs(sine, monkeypatch):
    made: list[torch.optim.Optimizer] = []
    adam = torch.optim.Adam

    def capture(*args, **kwargs):
        made.append(adam(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(torch.optim, "Adam", capture)
    LSTM(**{**TINY, "epochs": 5, "lr_step": 2, "lr_gamma": 0.1, "patience": None}).fit(sine)
    assert made[0].param_groups[0]["lr"] == pytest.approx(1e-2 * 0.1**2)


def test_dense_head_and_stacked_layers_follow_the_config(sine):
    model = LSTM(**{**TINY, "num_layers": 2, "head": [6, 4], "dropout": 0.2}).fit(sine)
    dense = [m for m in model.net.head if isinstance(m, nn.Linear)]
    assert [(d.in_features, d.out_features) for d in dense] == [(8, 6), (6, 4), (4, 1)]
    assert sum(isinstance(m, nn.ReLU) for m in model.net.head) == 2
    assert model.net.rnn.num_layers == 2 and model.net.rnn.dropout == 0.2


@pytest.mark.parametrize(
    ("name", "cls", "window"),
    [
        ("lstm", LSTM, 7),
        ("gru", GRU, 7),
        ("rnn", RNN, 7),
        ("rnn_tata", RNN, 60),
        ("lstm_sales", LSTM, 3),
    ],
)
def test_yaml_composes_and_instantiates(name, cls, window):
    cfg = compose([f"models=[{name}]", "datasets=[]", "window=7", "seed=9"])
    model = instantiate(cfg.models[name])(seed=2)  # the runner overrides the seed per seed
    assert type(model) is cls and model.window == window and model.scope == "local"
    assert model.train_config.seed == 2 and cfg.models[name].seed == 9


def test_presets_match_their_sources():
    tata = instantiate(compose(["models=[rnn_tata]", "datasets=[]"]).models.rnn_tata)()
    assert (tata.hidden_size, tata.num_layers, tata.head) == (5, 1, ())
    c = tata.train_config
    assert (c.epochs, c.batch_size, c.lr, c.val_frac, c.patience) == (100, 100, 1e-3, 0.1, None)
    sales = instantiate(compose(["models=[lstm_sales]", "datasets=[]"]).models.lstm_sales)()
    assert (sales.hidden_size, sales.num_layers, sales.head) == (128, 2, (64, 32))
    c = sales.train_config
    assert (c.lr, c.lr_step, c.lr_gamma) == (1e-3, 100, 0.1)


def test_second_fit_warm_starts_from_the_fitted_weights(sine, monkeypatch):
    seen: list[tuple[int, bool]] = []
    loop = torch_loop.train_net

    def recording(net, X, Y, cfg, device, warm=False):
        seen.append((cfg.epochs, warm))
        return loop(net, X, Y, cfg, device, warm=warm)

    monkeypatch.setattr(torch_loop, "train_net", recording)
    model = LSTM(**{**TINY, "finetune_epochs": 2}).fit(sine[:100])
    net, w0 = model.net, weights(model)
    model.fit(sine)
    assert seen == [(3, False), (2, True)]
    assert model.net is net and len(model.log.train_loss) <= 2
    assert any(not torch.equal(v, w0[k]) for k, v in weights(model).items()) or model.log.kept_epoch == -1


def test_finetune_null_trains_from_scratch_at_every_refit(sine):
    refit = LSTM(**{**TINY, "finetune_epochs": None}).fit(sine[:100]).fit(sine)
    fresh = LSTM(**{**TINY, "finetune_epochs": None}).fit(sine)
    np.testing.assert_array_equal(refit.predict(3).mean, fresh.predict(3).mean)
    assert len(refit.log.train_loss) == len(fresh.log.train_loss)


def test_warm_refits_are_deterministic_and_differ_from_scratch(sine):
    def twice():
        return LSTM(**{**TINY, "finetune_epochs": 2, "seed": 3}).fit(sine[:100]).fit(sine).predict(3).mean

    np.testing.assert_array_equal(twice(), twice())
    assert not np.array_equal(twice(), LSTM(**{**TINY, "seed": 3}).fit(sine).predict(3).mean)


def test_warm_start_keeps_the_start_weights_if_no_epoch_beats_them(sine, monkeypatch):
    model = LSTM(**{**TINY, "finetune_epochs": 1, "patience": 1}).fit(sine[:100])
    w0 = weights(model)

    def start_is_best(net, x, y, batch_size, *_):  # validation loss 0 for the starting weights only
        return 0.0 if all(torch.equal(v, w0[k]) for k, v in net.state_dict().items()) else 1.0

    monkeypatch.setattr(torch_loop, "evaluate", start_is_best)
    model.fit(sine)
    assert model.log.kept_epoch == -1
    for key, value in weights(model).items():
        assert torch.equal(value, w0[key])


def test_a_failed_refit_drops_the_net_so_the_next_fit_starts_fresh(sine, monkeypatch):
    model = LSTM(**{**TINY, "finetune_epochs": 2}).fit(sine[:100])
    original = RecurrentNet.forward
    monkeypatch.setattr(RecurrentNet, "forward", lambda self, x: original(self, x) * np.nan)
    with pytest.raises(ModelError, match="diverged"):
        model.fit(sine)
    assert model.net is None
    monkeypatch.setattr(RecurrentNet, "forward", original)
    np.testing.assert_array_equal(
        model.fit(sine).predict(2).mean, LSTM(**{**TINY, "finetune_epochs": 2}).fit(sine).predict(2).mean
    )


def test_rmsprop_is_built_with_keras_defaults(sine, monkeypatch):
    made: list[torch.optim.Optimizer] = []
    rms = torch.optim.RMSprop
    monkeypatch.setattr(torch.optim, "RMSprop", lambda *a, **k: made.append(rms(*a, **k)) or made[-1])
    LSTM(**{**TINY, "optimizer": "rmsprop"}).fit(sine)
    group = made[0].param_groups[0]
    assert (group["alpha"], group["eps"], group["lr"]) == (0.9, 1e-7, 1e-2)


@pytest.mark.parametrize(
    ("setting", "value", "match"),
    [
        ("optimizer", "sgd", "optimizer must be one of"),
        ("finetune_epochs", 0, "finetune_epochs must be >= 1"),
    ],
)
def test_bad_training_settings_name_the_setting(setting, value, match):
    with pytest.raises(ValueError, match=match):
        LSTM(**{**TINY, setting: value})


def test_cli_help_does_not_import_torch():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bench.run", "--help"],
        capture_output=True, text=True, check=True, cwd=str(__import__("conftest").ROOT),
    )  # fmt: skip
    imported = {line.split("|")[-1].strip() for line in out.stderr.splitlines() if "|" in line}
    assert "bench.run" in imported or "bench" in imported
    assert not {m for m in imported if m == "torch" or m.startswith("torch.")}
