"""The one training loop shared by every torch forecaster (RNN, GRU, LSTM, local or global).

Adam (or RMSprop) on MSE — or a likelihood head's negative log-likelihood — over one-step windows,
shuffled with a seeded generator, optional StepLR decay, gradient clipping and early stopping on
the chronological tail of the windows. Keeping a
single loop means the cells differ only in their recurrent layer, so a comparison between them
measures the cell, not incidental training differences. A warm start (``warm=True``) continues
from the net's current weights and counts them as a candidate for early stopping, so a fine-tune
that does not improve on the validation tail keeps the weights it started from.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

import numpy as np
import torch
from torch import nn

from bench.models.base import ModelError
from bench.models.likelihoods import NAMES as LIKELIHOODS
from bench.models.likelihoods import Likelihood
from bench.models.likelihoods import likelihood as make_likelihood

# An epoch whose loss exceeds this multiple of the loss of always forecasting zero (the scaled
# series' mean) has diverged even if it is still finite, e.g. after a far too large lr.
DIVERGED_FACTOR = 1e6
OPTIMIZERS = ("adam", "rmsprop")


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation knobs; ``patience=None`` trains all epochs (validation is then only watched).

    ``finetune_epochs``: epochs of a warm-started refit (``None``: every refit trains from scratch).
    ``likelihood``: ``none`` trains on MSE; ``gaussian`` / ``student_t`` on the head's NLL.
    """

    epochs: int = 30
    batch_size: int = 64
    lr: float = 3e-3
    weight_decay: float = 0.0
    grad_clip: float | None = 1.0
    lr_step: int | None = None
    lr_gamma: float = 0.1
    val_frac: float = 0.1
    patience: int | None = 5
    seed: int = 0
    optimizer: str = "adam"
    finetune_epochs: int | None = None
    likelihood: str = "none"

    def __post_init__(self) -> None:
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError("epochs and batch_size must be >= 1")
        if self.likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {list(LIKELIHOODS)}, got {self.likelihood!r}")
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {list(OPTIMIZERS)}, got {self.optimizer!r}")
        if self.finetune_epochs is not None and self.finetune_epochs < 1:
            raise ValueError(
                f"finetune_epochs must be >= 1 (or null to train from scratch), got {self.finetune_epochs}"
            )
        if not 0.0 <= self.val_frac < 1.0:
            raise ValueError(f"val_frac must be in [0, 1), got {self.val_frac}")
        if self.patience is not None and (self.patience < 1 or self.val_frac == 0.0):
            raise ValueError("early stopping needs patience >= 1 and val_frac > 0")
        if self.lr_step is not None and self.lr_step < 1:
            raise ValueError("lr_step must be >= 1 epochs (or null for a constant lr)")

    def n_val(self, n_windows: int) -> int:
        """Validation windows: the last ``val_frac`` of them, at least one when validating."""
        return math.ceil(self.val_frac * n_windows) if self.val_frac > 0 else 0

    def finetune(self) -> TrainConfig:
        """The settings of a warm-started refit: ``finetune_epochs`` epochs, everything else kept."""
        if self.finetune_epochs is None:
            raise ValueError("finetune_epochs is null: this model trains from scratch at every refit")
        return replace(self, epochs=self.finetune_epochs)

    def min_windows(self) -> int:
        """Fewest windows that leave one for training (and one for validation, if any)."""
        n = 1
        while n - self.n_val(n) < 1:
            n += 1
        return n


@dataclass(frozen=True)
class TrainLog:
    """Per-epoch losses (MSE, or NLL with a likelihood, on the transformed scale) and the kept epoch."""

    train_loss: tuple[float, ...]
    val_loss: tuple[float, ...]
    kept_epoch: int


def resolve_device(device: str) -> torch.device:
    """``auto`` → CUDA when available, else CPU; anything else is passed to torch."""
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(device)


@contextmanager
def reproducible(seed: int, device: torch.device) -> Iterator[None]:
    """Seed torch and force deterministic kernels, restoring the caller's global state after.

    The RNG is forked so that fitting one model never shifts the random stream of anything else.
    """
    devices = [device.index or 0] if device.type == "cuda" else []
    det, warn = (
        torch.are_deterministic_algorithms_enabled(),
        torch.is_deterministic_algorithms_warn_only_enabled(),
    )
    cudnn_det = torch.backends.cudnn.deterministic
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed)
        # warn_only: some CUDA kernels have no deterministic variant; CPU kernels all do.
        torch.use_deterministic_algorithms(True, warn_only=True)
        torch.backends.cudnn.deterministic = True
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(det, warn_only=warn)
            torch.backends.cudnn.deterministic = cudnn_det


def train_net(
    net: nn.Module,
    X: np.ndarray,
    Y: np.ndarray,
    cfg: TrainConfig,
    device: torch.device,
    warm: bool = False,
) -> TrainLog:
    """Fit ``net`` (maps a (batch, window) tensor to (batch,)) on windows ``X`` → ``Y[:, 0]``.

    The last ``cfg.n_val`` windows are held out in time order and never shuffled into training.
    With ``patience`` set, training stops after that many epochs without a validation improvement
    and the best weights are restored. A non-finite or exploding loss raises :class:`ModelError`.
    """
    n_tr = len(X) - cfg.n_val(len(X))
    X, Y = np.asarray(X), np.asarray(Y)
    return train_split(net, X[:n_tr], Y[:n_tr], X[n_tr:], Y[n_tr:], cfg, device, warm)


def train_split(
    net: nn.Module,
    X_tr: np.ndarray,
    Y_tr: np.ndarray,
    X_val: np.ndarray,
    Y_val: np.ndarray,
    cfg: TrainConfig,
    device: torch.device,
    warm: bool = False,
) -> TrainLog:
    """:func:`train_net` with the validation windows given (a global net holds out every series' tail).

    ``warm``: the starting weights are a candidate too (``kept_epoch`` -1 when no epoch beat them).
    """
    x_tr, y_tr = _tensors(X_tr, Y_tr, device)
    x_val, y_val = _tensors(X_val, Y_val, device)
    n_tr = len(x_tr)
    if n_tr < 1:
        raise ModelError(f"{n_tr + len(x_val)} windows leave none for training after validation")

    opt = _optimizer(net, cfg)
    sched = (
        torch.optim.lr_scheduler.StepLR(opt, step_size=cfg.lr_step, gamma=cfg.lr_gamma)
        if cfg.lr_step is not None
        else None
    )
    gen = torch.Generator().manual_seed(cfg.seed)
    lik = make_likelihood(cfg.likelihood)
    limit = DIVERGED_FACTOR * max(1.0, float((y_tr.double() ** 2).mean().item()))
    train_loss: list[float] = []
    val_loss: list[float] = []
    best, best_state, kept, stale = math.inf, None, cfg.epochs - 1, 0
    if warm and cfg.patience is not None and len(x_val):
        best, best_state, kept = (
            evaluate(net, x_val, y_val, cfg.batch_size, lik),
            copy.deepcopy(net.state_dict()),
            -1,
        )

    for epoch in range(cfg.epochs):
        net.train()
        perm = torch.randperm(n_tr, generator=gen).to(device)
        total = 0.0
        for start in range(0, n_tr, cfg.batch_size):
            idx = perm[start : start + cfg.batch_size]
            opt.zero_grad(set_to_none=True)
            loss = lik.loss(net(x_tr[idx]), y_tr[idx])
            value = float(loss.item())
            if not math.isfinite(value):
                raise ModelError(
                    f"training diverged at epoch {epoch + 1}: loss is {value} "
                    f"(lr={cfg.lr}; try a lower lr or grad_clip)"
                )
            loss.backward()
            if cfg.grad_clip is not None:
                nn.utils.clip_grad_norm_(net.parameters(), cfg.grad_clip)
            opt.step()
            total += value * len(idx)
        train_loss.append(total / n_tr)
        if train_loss[-1] > limit:
            raise ModelError(
                f"training diverged at epoch {epoch + 1}: loss {train_loss[-1]:.3g} is over "
                f"{DIVERGED_FACTOR:.0e} x that of a zero forecast (lr={cfg.lr}; try a lower lr)"
            )
        if sched is not None:
            sched.step()
        if len(x_val) == 0:
            continue
        v = evaluate(net, x_val, y_val, cfg.batch_size, lik)
        if not math.isfinite(v):
            raise ModelError(f"training diverged at epoch {epoch + 1}: validation loss is {v}")
        val_loss.append(v)
        if v < best:
            best, kept, stale = v, epoch, 0
            if cfg.patience is not None:
                best_state = copy.deepcopy(net.state_dict())
        else:
            stale += 1
            if cfg.patience is not None and stale >= cfg.patience:
                break

    if best_state is not None:
        net.load_state_dict(best_state)
    else:
        kept = len(train_loss) - 1
    net.eval()
    return TrainLog(tuple(train_loss), tuple(val_loss), kept)


def _tensors(X: np.ndarray, Y: np.ndarray, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    x = torch.as_tensor(np.asarray(X, dtype=np.float32), device=device)
    y = torch.as_tensor(np.asarray(Y, dtype=np.float32)[:, 0], device=device)
    return x, y


def _optimizer(net: nn.Module, cfg: TrainConfig) -> torch.optim.Optimizer:
    """Adam, or RMSprop with Keras' defaults (rho 0.9, eps 1e-7) for Keras-based protocols."""
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(
            net.parameters(), lr=cfg.lr, alpha=0.9, eps=1e-7, weight_decay=cfg.weight_decay
        )
    return torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)


@torch.no_grad()
def evaluate(
    net: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int, lik: Likelihood | None = None
) -> float:
    """MSE (or the likelihood's NLL) over *all* rows: summed per-row losses / n, no dropped last
    batch, no mean of batch means."""
    net.eval()
    total = 0.0
    for start in range(0, len(x), batch_size):
        out, target = net(x[start : start + batch_size]), y[start : start + batch_size]
        if lik is None or lik.name == "none":
            total += float(((out - target).double() ** 2).sum().item())
        else:
            total += float(lik.row_loss(out, target).double().sum().item())
    return total / len(x)
