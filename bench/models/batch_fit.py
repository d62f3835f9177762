"""``fit_batch`` of the local torch nets: many (model, series) pairs fitted by the batched trainer.

Each model keeps its own seed, settings and warm-start state: a fresh net is built exactly as
``fit`` builds it (under ``torch_loop.reproducible(seed)``, so its initial weights are those it
would get alone), a fitted one with ``finetune_epochs`` is fine-tuned. Models whose nets can run
stacked (same architecture, window, likelihood, optimizer, device and ``batch_series``) share a
batch of at most ``batch_series`` nets; ``batch_series: 1`` is ``fit`` one model at a time, and so
is a user module that ``vmap`` cannot batch, a lone net, and a batch the architecture says would cost
more stacked than alone (``Arch.stacks``: e.g. fewer than 8 LSTMs of 32 units on CPU, where
torch's LSTM alone is compute-bound). The caller fixes the batch composition, and with it
the numbers: the same list in the same order gives identical results.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np
import torch
from torch import nn

from bench.models import torch_loop
from bench.models.batched import Job, NotBatchable, train_batch
from bench.models.torch_loop import TrainLog
from bench.prep.windowing import make_windows


class LocalNet(Protocol):
    """What fit_batch uses of a local net model (:class:`bench.models.neural.LocalNet`)."""

    arch: Any
    window: int
    batch_series: int
    device: torch.device
    train_config: torch_loop.TrainConfig
    net: nn.Module | None

    def checked(self, z: np.ndarray) -> np.ndarray: ...
    def warm(self) -> bool: ...
    def new_net(self) -> nn.Module: ...
    def fit_plain(self, z: np.ndarray) -> Any: ...
    def trained(self, net: nn.Module | None, log: TrainLog | None, z: np.ndarray) -> None: ...


def fit_batch(models: Sequence[LocalNet], zs: Sequence[np.ndarray]) -> list[BaseException | None]:
    """Fit ``models[i]`` on ``zs[i]`` for every i; one error (or None) per model, in order."""
    if len(models) != len(zs):
        raise ValueError(f"fit_batch got {len(models)} models and {len(zs)} series")
    errors: list[BaseException | None] = [None] * len(models)
    groups: dict[tuple, list[tuple[int, np.ndarray]]] = {}
    for i, (m, z) in enumerate(zip(models, zs, strict=True)):
        if m.batch_series <= 1:
            errors[i] = _fit_one(m, z)
            continue
        try:
            z = m.checked(z)
        except Exception as exc:  # noqa: BLE001 - recorded for this model, the others go on
            errors[i] = exc
            continue
        groups.setdefault(batch_key(m), []).append((i, z))
    for members in groups.values():
        size = models[members[0][0]].batch_series
        for start in range(0, len(members), size):
            chunk = members[start : start + size]
            ms, cz = [models[i] for i, _ in chunk], [z for _, z in chunk]
            if ms[0].arch.stacks(len(ms), ms[0].device):
                got = _fit_chunk(ms, cz)
            else:  # the stack would cost more than the nets one at a time (Arch.stacks)
                got = [_fit_one(m, z) for m, z in zip(ms, cz, strict=True)]
            for (i, _), err in zip(chunk, got, strict=True):
                errors[i] = err
    return errors


def batch_key(m: LocalNet) -> tuple:
    """Models with equal keys can be trained as one stacked batch."""
    cfg = m.train_config
    return (
        type(m),
        m.arch.batch_key(),
        m.window,
        cfg.likelihood,
        cfg.optimizer,
        str(m.device),
        m.batch_series,
    )


def _fit_one(m: LocalNet, z: np.ndarray) -> BaseException | None:
    try:
        m.fit_plain(z)  # never a search: a tuned net's searches call this trainer
    except Exception as exc:  # noqa: BLE001 - recorded for this model, the others go on
        return exc
    return None


def _fit_chunk(models: Sequence[LocalNet], zs: Sequence[np.ndarray]) -> list[BaseException | None]:
    """Train one stacked batch; write each model's net, log and history (or drop its net on failure)."""
    nets, jobs = [], []
    for m, z in zip(models, zs, strict=True):
        warm = m.warm()
        cfg = m.train_config.finetune() if warm else m.train_config
        X, Y = make_windows(z, m.window, 1)
        n_tr = len(X) - cfg.n_val(len(X))
        with torch_loop.reproducible(cfg.seed, m.device):
            nets.append(m.net if warm else m.new_net())
            state = torch.random.get_rng_state()  # where the net's dropout stream starts when alone
        dropout = float(getattr(m.arch, "dropout", 0.0))
        jobs.append(Job(X[:n_tr], Y[:n_tr, 0], X[n_tr:], Y[n_tr:, 0], cfg, warm, state, dropout))
    device = models[0].device
    try:
        with torch_loop.reproducible(jobs[0].cfg.seed, device):
            results = train_batch(models[0].arch, nets, jobs, device)
    except NotBatchable:
        return [_fit_one(m, z) for m, z in zip(models, zs, strict=True)]
    except Exception as exc:  # noqa: BLE001 - e.g. out of memory: one at a time instead, never all failed
        warnings.warn(
            f"batched training failed ({type(exc).__name__}: {exc}); fitting one net at a time", stacklevel=2
        )
        return [_fit_one(m, z) for m, z in zip(models, zs, strict=True)]
    errors: list[BaseException | None] = []
    for m, z, net, res in zip(models, zs, nets, results, strict=True):
        if isinstance(res, TrainLog):
            m.trained(net, res, z)
            errors.append(None)
        else:
            m.trained(None, None, z)  # as fit: a half-trained net is never forecast from nor warmed again
            errors.append(res)
    return errors
