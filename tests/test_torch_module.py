"""torch_module: a user's nn.Module trained by the shared loop, a fresh module per model and seed."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from hydra.utils import instantiate
from torch import nn

from bench.models.neural import LocalNet
from bench.models.recurrent import Recurrent
from bench.models.torch_module import MLP, ScaleHead, TorchModule

from conftest import ROOT, compose

TINY = {"window": 6, "epochs": 3, "batch_size": 16, "lr": 1e-2, "device": "cpu"}


@pytest.fixture
def sine() -> np.ndarray:
    rng = np.random.default_rng(4)
    return np.sin(0.3 * np.arange(100)) + 0.1 * rng.standard_normal(100)


@pytest.fixture
def user_package(monkeypatch):
    """examples/my_pkg importable, as a user's own package on PYTHONPATH would be."""
    monkeypatch.syspath_prepend(str(ROOT / "examples"))


def params(model: TorchModule) -> list[torch.Tensor]:
    return [p.detach().clone() for p in model.net.parameters()]


def test_recurrent_nets_and_user_modules_share_one_local_path():
    assert issubclass(Recurrent, LocalNet) and issubclass(TorchModule, LocalNet)
    assert (
        TorchModule.fit is Recurrent.fit is LocalNet.fit
        and TorchModule.fit_batch.__func__ is LocalNet.fit_batch.__func__
    )


def test_yaml_builds_a_fresh_default_module_per_model_and_seed(sine):
    make = instantiate(compose(["models=[torch_module]", "datasets=[]", "window=6"]).models.torch_module)
    a, b, c = make(seed=1).fit(sine), make(seed=1).fit(sine), make(seed=2).fit(sine)
    assert isinstance(a.net, MLP) and a.net is not b.net and a.window == 6
    assert all(torch.equal(x, y) for x, y in zip(params(a), params(b), strict=True))
    assert not all(torch.equal(x, y) for x, y in zip(params(a), params(c), strict=True))
    np.testing.assert_array_equal(a.predict(3).mean, b.predict(3).mean)


def test_the_issue_override_trains_the_users_tcn(sine, user_package):
    target = "models.torch_module.net._target_=my_pkg.tcn.TinyTCN"
    cfg = compose(
        ["models=[torch_module]", "datasets=[]", "window=6", target, "+models.torch_module.net.channels=16"]
    )
    model = instantiate(cfg.models.torch_module)(seed=0, epochs=2).fit(sine)
    assert type(model.net).__name__ == "TinyTCN" and model.net.blocks[0].conv.out_channels == 16
    assert np.all(np.isfinite(model.predict(4).mean))


def test_a_module_instance_is_copied_and_reinitialised_under_each_seed(sine):
    shared = MLP(6, hidden=[8])
    start = [p.detach().clone() for p in shared.parameters()]
    a = TorchModule(net=shared, seed=0, **TINY).fit(sine)
    b = TorchModule(net=shared, seed=1, **TINY).fit(sine)
    a2 = TorchModule(net=shared, seed=0, **TINY).fit(sine)
    assert a.net is not shared and b.net is not shared
    assert all(torch.equal(x, y) for x, y in zip(start, shared.parameters(), strict=True)), (
        "the instance is untouched"
    )
    assert not torch.equal(params(a)[0], params(b)[0])
    np.testing.assert_array_equal(a.predict(2).mean, a2.predict(2).mean)


def test_a_module_with_the_wrong_output_shape_is_named():
    class Wide(nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(ValueError, match=r"Wide maps \(batch, window\) to \(2, 6\), expected \(batch,\)"):
        TorchModule(net=Wide, **TINY).fit(np.linspace(0, 1, 40))


def test_likelihood_heads_on_user_modules(sine):
    located = TorchModule(net=functools.partial(MLP, 6, [8]), likelihood="gaussian", **TINY).fit(sine)
    assert isinstance(located.net, ScaleHead) and located.predict(2).var.shape == (2,)

    class ThreeParams(nn.Module):  # a module that emits every raw Student-t parameter itself
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(6, 3)

        def forward(self, x):
            return self.lin(x)

    own = TorchModule(net=ThreeParams, likelihood="student_t", **TINY).fit(sine)
    assert isinstance(own.net, ThreeParams) and own.predict(1).df[0] > 2


def test_user_modules_batch_under_vmap_like_they_train_alone(sine, user_package):
    from my_pkg.tcn import TinyTCN

    net = functools.partial(TinyTCN, window=6, channels=4)
    zs = [sine, sine[:70] * 2, sine[20:]]
    alone = [TorchModule(net=net, seed=s, **TINY).fit(z) for s, z in enumerate(zs)]
    together = [TorchModule(net=net, seed=s, **TINY) for s in range(3)]
    assert TorchModule.fit_batch(together, zs) == [None] * 3
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_allclose(a.predict(3).mean, b.predict(3).mean, rtol=1e-4, atol=1e-4)


def test_a_module_with_dropout_is_fitted_one_at_a_time_with_identical_results(sine):
    class Dropped(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin, self.drop = nn.Linear(6, 1), nn.Dropout(0.2)

        def forward(self, x):
            return self.lin(self.drop(x)).squeeze(-1)

    zs = [sine, sine[10:]]
    alone = [TorchModule(net=Dropped, seed=s, **TINY).fit(z) for s, z in enumerate(zs)]
    together = [TorchModule(net=Dropped, seed=s, **TINY) for s in range(2)]
    assert TorchModule.fit_batch(together, zs) == [None, None]
    for a, b in zip(alone, together, strict=True):
        np.testing.assert_array_equal(a.predict(2).mean, b.predict(2).mean)
