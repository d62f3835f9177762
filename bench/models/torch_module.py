"""Bring your own ``nn.Module``: any module mapping windows ``(batch, window)`` to ``(batch,)``.

``conf/models/torch_module.yaml`` builds this model; its ``net:`` node names the module, built by
Hydra's ``instantiate`` with ``_partial_: true`` so that every fresh model (each fold, series and
seed) calls it anew under its own seed. The module's constructor gets ``window`` (the input
length) from the config; add your own keys with ``+models.torch_module.net.<key>=<value>``. The
shared loop trains it like the recurrent nets: seeds, windows, early stopping, warm starts,
device, likelihood heads and batched training (``vmap``; a module ``vmap`` cannot run, e.g. one
with dropout or batch norm, is trained one net at a time, with the same results).

Likelihood heads (``likelihood: gaussian | student_t``): a module whose output is ``(batch,)`` is
the location, and a small MLP on the window (``ScaleHead``) adds the scale (and the Student-t
degrees of freedom); a module that outputs ``(batch, n_params)`` (2 for gaussian, 3 for
student_t) gives every raw parameter itself. A module *instance* (a node without ``_partial_``)
is deep-copied and its ``reset_parameters()`` re-run under each model's seed, so no weights are
shared between models; parameters of layers without ``reset_parameters`` keep the instance's.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import nn

from bench.models.neural import LocalNet

NetFactory = Callable[..., nn.Module] | nn.Module


class MLP(nn.Module):
    """The default module: dense ReLU layers of widths ``hidden`` on the window → the next value."""

    def __init__(self, window: int, hidden: Sequence[int] = (32, 32)) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = int(window)
        for units in hidden:
            layers += [nn.Linear(width, int(units)), nn.ReLU()]
            width = int(units)
        layers.append(nn.Linear(width, 1))
        self.layers = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.layers(x).squeeze(-1)


class ScaleHead(nn.Module):
    """A location-only module plus a small ReLU MLP on the window for the other raw parameters."""

    def __init__(self, module: nn.Module, window: int, n_extra: int, width: int = 16) -> None:
        super().__init__()
        self.module = module
        self.scale = nn.Sequential(nn.Linear(window, width), nn.ReLU(), nn.Linear(width, n_extra))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.module(x).unsqueeze(-1), self.scale(x)], dim=-1)


class ModuleArch:
    """The architecture of a user module: how to build a fresh one and which modules batch together."""

    label = "torch_module"
    stacked_forward = None  # no K-net forward of its own: batched under vmap (bench.models.stacked)

    def __init__(self, net: NetFactory | Mapping[str, Any] | None) -> None:
        if isinstance(net, Mapping):  # a config node not built yet (plain Python, older engines)
            from hydra.utils import instantiate

            net = instantiate(dict(net), _convert_="all")
        self.net = net

    def build(self, n_out: int, window: int) -> nn.Module:
        module = self._fresh(window)
        with torch.no_grad():
            was = module.training
            out = module.eval()(torch.zeros(2, window))
            module.train(was)
        if n_out == 1 and out.shape == (2,):
            return module
        if n_out > 1 and out.shape == (2,):
            return ScaleHead(module, window, n_out - 1)
        if n_out > 1 and out.shape == (2, n_out):
            return module
        want = "(batch,)" if n_out == 1 else f"(batch,) or (batch, {n_out}) for this likelihood"
        raise ValueError(
            f"torch_module: net {self._name()} maps (batch, window) to {tuple(out.shape)}, expected {want}"
        )

    def stacks(self, k: int, device: torch.device) -> bool:
        """Any two or more (a user module's costs are unknown; ``batch_series: 1`` turns it off)."""
        return k >= 2

    def batch_key(self) -> tuple:
        # Same factory and arguments → the same forward; an instance batches only with its copies.
        net = self.net
        if isinstance(net, functools.partial):
            return ("partial", _qualname(net.func), repr(net.args), repr(sorted(net.keywords.items())))
        if isinstance(net, nn.Module):
            return ("instance", id(net))
        return ("callable", _qualname(net) if net is not None else "MLP")

    def _fresh(self, window: int) -> nn.Module:
        if self.net is None:
            return MLP(window)
        if isinstance(self.net, nn.Module):  # one object handed to every model: copy it, new weights
            module = copy.deepcopy(self.net)
            for m in module.modules():
                reset = getattr(m, "reset_parameters", None)
                if callable(reset):
                    reset()
            return module
        module = self.net()
        if not isinstance(module, nn.Module):
            raise TypeError(
                f"torch_module: net {self._name()} built a {type(module).__name__}, not a torch.nn.Module"
            )
        return module

    def _name(self) -> str:
        net = self.net
        return _qualname(
            net.func
            if isinstance(net, functools.partial)
            else type(net)
            if isinstance(net, nn.Module)
            else net
        )


def _qualname(obj: Any) -> str:
    return f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"


class TorchModule(LocalNet):
    """A user's ``nn.Module`` trained one step ahead on windows of one series by the shared loop.

    ``net``: a factory of fresh modules (Hydra ``_partial_: true``), or a module instance (copied
    and re-initialised per model); null: :class:`MLP`. The other settings are the recurrent nets'
    (:class:`~bench.models.neural.NetSpec`, ``batch_series``).
    """

    def __init__(self, net: NetFactory | Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(arch=ModuleArch(net), **kwargs)
