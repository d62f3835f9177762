"""Batched training of local nets (``fit_batch``): every net as if trained alone, failures isolated."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from bench.models.base import ModelError
from bench.models.recurrent import GRU, LSTM, RNN
from bench.models.stacked import StackedOptimizer

TINY = {"window": 6, "hidden_size": 6, "epochs": 4, "batch_size": 16, "lr": 1e-2, "device": "cpu"}
# Measured: forecasts of batched and lone nets differ by ≤ 1e-6 after tens of epochs (float32
# reassociation: a batched matmul cell vs torch's fused one); 1e-4 leaves room, a bug is ≫ that.
TOL = 1e-4


@pytest.fixture
def series() -> list[np.ndarray]:
    """Six noisy sines of very different lengths (so nets have different numbers of batches)."""
    rng = np.random.default_rng(11)
    return [
        np.sin(0.3 * np.arange(n) + rng.uniform(0, 6)) + 0.1 * rng.standard_normal(n)
        for n in (20, 35, 60, 90, 130, 47)
    ]


def weights(model) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in model.net.parameters()]


def assert_close(alone, together) -> None:
    for a, b in zip(alone, together, strict=True):
        assert len(a.log.train_loss) == len(b.log.train_loss) and a.log.kept_epoch == b.log.kept_epoch
        np.testing.assert_allclose(a.log.train_loss, b.log.train_loss, rtol=TOL, atol=TOL)
        np.testing.assert_allclose(a.predict(3).mean, b.predict(3).mean, rtol=TOL, atol=TOL)


# Members of one batch that differ in everything that does not change the shapes.
MIXED = [
    {"seed": 0},
    {"seed": 1, "lr": 3e-2, "epochs": 6, "patience": 2},
    {"seed": 2, "batch_size": 5, "weight_decay": 1e-3, "grad_clip": None},
    {"seed": 3, "lr_step": 2, "lr_gamma": 0.5, "patience": None, "dropout": 0.3},
    {"seed": 4, "val_frac": 0.0, "patience": None, "epochs": 2},
    {"seed": 0, "grad_clip": 0.05, "dropout": 0.1, "epochs": 5},
]


@pytest.mark.parametrize("cls", [RNN, GRU, LSTM])
def test_batched_nets_match_the_same_nets_trained_alone(cls, series):
    alone = [cls(**{**TINY, **kw}).fit(z) for kw, z in zip(MIXED, series, strict=True)]
    together = [cls(**{**TINY, **kw}) for kw in MIXED]
    assert cls.fit_batch(together, series) == [None] * len(series)
    assert_close(alone, together)


def test_rmsprop_two_layers_and_a_dense_head_match_alone(series):
    kw = {**TINY, "optimizer": "rmsprop", "num_layers": 2, "head": [5], "dropout": 0.2}
    alone = [LSTM(**kw, seed=s).fit(z) for s, z in enumerate(series)]
    together = [LSTM(**kw, seed=s) for s in range(len(series))]
    LSTM.fit_batch(together, series)
    assert_close(alone, together)


def test_batch_series_one_is_exactly_fit(series):
    alone = [GRU(**TINY, seed=s).fit(z) for s, z in enumerate(series)]
    one = [GRU(**TINY, seed=s, batch_series=1) for s in range(len(series))]
    GRU.fit_batch(one, series)
    for a, b in zip(alone, one, strict=True):
        np.testing.assert_array_equal(a.predict(3).mean, b.predict(3).mean)


def test_same_batch_gives_identical_numbers(series):
    def fitted():
        models = [LSTM(**TINY, seed=s) for s in range(len(series))]
        LSTM.fit_batch(models, series)
        return np.stack([m.predict(2).mean for m in models])

    np.testing.assert_array_equal(fitted(), fitted())


def test_batches_are_cut_at_batch_series_and_split_by_architecture(series, monkeypatch):
    from bench.models import batch_fit

    sizes: list[int] = []
    chunk = batch_fit._fit_chunk
    monkeypatch.setattr(batch_fit, "_fit_chunk", lambda ms, zs: sizes.append(len(ms)) or chunk(ms, zs))
    models = [LSTM(**TINY, seed=s, batch_series=4) for s in range(5)] + [GRU(**TINY, seed=6, batch_series=4)]
    assert LSTM.fit_batch(models, series) == [None] * 6
    assert sizes == [4]  # four LSTMs stacked; the fifth LSTM and the GRU alone are plain fits


@pytest.mark.parametrize(
    ("cls", "hidden", "k", "stacked"),
    [
        (LSTM, 32, 3, False),
        (LSTM, 32, 8, True),
        (LSTM, 64, 8, False),
        (LSTM, 6, 3, True),
        (LSTM, 16, 8, True),
        (LSTM, 16, 4, False),
        (GRU, 32, 2, True),
        (LSTM, 6, 1, False),
    ],
)
def test_stacks_only_where_it_pays_on_cpu(cls, hidden, k, stacked, monkeypatch):
    """Arch.stacks: a few 32-unit LSTMs on CPU train one at a time (torch's own LSTM is cheaper)."""
    from bench.models import batch_fit

    calls = {"stack": 0, "one": 0}
    chunk, one = batch_fit._fit_chunk, batch_fit._fit_one
    monkeypatch.setattr(
        batch_fit, "_fit_chunk", lambda ms, zs: calls.update(stack=calls["stack"] + 1) or chunk(ms, zs)
    )
    monkeypatch.setattr(batch_fit, "_fit_one", lambda m, z: calls.update(one=calls["one"] + 1) or one(m, z))
    z = np.sin(np.arange(60) / 3.0)
    models = [cls(**{**TINY, "hidden_size": hidden, "epochs": 1}, seed=s) for s in range(k)]
    assert cls.fit_batch(models, [z] * k) == [None] * k
    assert calls == ({"stack": 1, "one": 0} if stacked else {"stack": 0, "one": k})


def test_a_diverging_member_fails_alone(series):
    settings = [{"seed": 0}, {"seed": 1, "lr": 1e10}, {"seed": 2}]
    models = [GRU(**{**TINY, **kw}) for kw in settings]
    errors = GRU.fit_batch(models, series[:3])
    assert errors[0] is None and errors[2] is None
    assert isinstance(errors[1], ModelError) and "diverged" in str(errors[1]) and models[1].net is None
    alone = [GRU(**{**TINY, **settings[k]}).fit(series[k]) for k in (0, 2)]
    assert_close(alone, [models[0], models[2]])


def test_a_nan_loss_fails_only_its_net(series, monkeypatch):
    from bench.models import stacked

    original = stacked.recurrent_forward

    def poisoned(arch, params, x, drop):  # at the first step (all three nets) net 1's outputs are NaN
        out = original(arch, params, x, drop)
        if out.shape[0] == 3:
            out = torch.cat([out[:1], torch.full_like(out[1:2], torch.nan), out[2:]])
        return out

    models = [LSTM(**TINY, seed=s) for s in range(3)]
    monkeypatch.setattr(stacked, "recurrent_forward", poisoned)
    errors = LSTM.fit_batch(models, series[:3])
    monkeypatch.setattr(stacked, "recurrent_forward", original)
    assert errors[0] is None and errors[2] is None and "diverged at epoch 1: loss is nan" in str(errors[1])
    assert_close([LSTM(**TINY, seed=s).fit(series[s]) for s in (0, 2)], [models[0], models[2]])


def test_a_too_short_series_fails_alone(series):
    models = [RNN(**TINY, seed=s) for s in range(3)]
    errors = RNN.fit_batch(models, [series[0], np.linspace(0, 1, 5), series[2]])
    assert errors[0] is None and errors[2] is None and "needs at least" in str(errors[1])


def test_warm_and_fresh_members_share_a_batch(series):
    kw = {**TINY, "finetune_epochs": 2}
    warm_alone = LSTM(**kw, seed=1).fit(series[4][:100]).fit(series[4])
    fresh_alone = LSTM(**kw, seed=2).fit(series[3])
    warm = LSTM(**kw, seed=1).fit(series[4][:100])
    fresh = LSTM(**kw, seed=2)
    assert LSTM.fit_batch([warm, fresh], [series[4], series[3]]) == [None, None]
    assert len(warm.log.train_loss) <= 2 < len(fresh.log.train_loss)
    assert_close([warm_alone, fresh_alone], [warm, fresh])


def test_a_net_without_a_batch_does_not_move_not_even_its_moments():
    torch.manual_seed(0)
    flat = torch.randn(2, 5, requires_grad=True)
    opt = StackedOptimizer(flat, "adam", [0.1, 0.1], [0.0, 0.0])
    before = flat.detach().clone()
    flat.grad = torch.ones(2, 5)
    opt.step(torch.tensor([True, False]))
    assert not torch.equal(flat[0], before[0]) and torch.equal(flat[1], before[1])
    assert torch.equal(opt.m[1], torch.zeros(5)) and opt.steps.tolist() == [1.0, 0.0]


@pytest.mark.parametrize("kind", ["adam", "rmsprop"])
def test_stacked_optimizer_follows_torch_formulas(kind):
    torch.manual_seed(1)
    lone = [torch.nn.Parameter(torch.randn(7)) for _ in range(2)]
    flat = torch.stack([p.detach() for p in lone]).requires_grad_(True)
    wd, lr = [0.0, 1e-2], [1e-2, 3e-3]
    make = {
        "adam": torch.optim.Adam,
        "rmsprop": lambda ps, **k: torch.optim.RMSprop(ps, alpha=0.9, eps=1e-7, **k),
    }
    opts = [make[kind]([p], lr=lr[k], weight_decay=wd[k]) for k, p in enumerate(lone)]
    stacked = StackedOptimizer(flat, kind, lr, wd)
    for step in range(5):
        grads = torch.randn(2, 7)
        for k, p in enumerate(lone):
            if step != 2 or k == 0:  # net 1 skips step 2
                p.grad = grads[k].clone()
                opts[k].step()
        flat.grad = grads.clone()
        stacked.step(torch.tensor([True, step != 2]))
    np.testing.assert_allclose(
        flat.detach().numpy(), torch.stack([p.detach() for p in lone]).numpy(), rtol=1e-6, atol=1e-7
    )


def test_gradient_clipping_uses_each_nets_own_norm():
    flat = torch.zeros(2, 4, requires_grad=True)
    opt = StackedOptimizer(flat, "adam", [0.1, 0.1], [0.0, 0.0])
    flat.grad = torch.tensor([[3.0, 4.0, 0.0, 0.0], [0.3, 0.4, 0.0, 0.0]])
    opt.clip(torch.tensor([1.0, 1.0]))
    np.testing.assert_allclose(flat.grad.norm(dim=1).numpy(), [1.0, 0.5], rtol=1e-5)
