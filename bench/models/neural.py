"""What every torch forecaster shares: settings, seeding, the likelihood, forecasting, local fitting.

A net model is an *architecture* (``arch``: builds a fresh ``nn.Module`` mapping ``(batch, window)``
to ``(batch,)``, or to ``(batch, n_params)`` with a likelihood head) plus the settings of the one
training loop (:mod:`bench.models.torch_loop`). The recurrent cells (:mod:`bench.models.recurrent`)
and a user's own module (:mod:`bench.models.torch_module`) differ only in ``arch``, so they share
seeding, early stopping, warm starts, likelihood heads, forecasting and batched training.

Forecasts: a point net (``likelihood: none``) forecasts recursively, feeding its forecasts back in.
With a likelihood the first step is exact (mean, variance; Student-t ν for one-step forecasts);
later steps come from ``n_paths`` ancestral sample paths (each path feeds its own draws back in)
drawn from a numpy generator seeded with the model's seed and the history's length, so intervals
map through the inverse transform exactly and the same inputs give the same paths.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Protocol

import numpy as np
import torch
from torch import nn

from bench.models import torch_loop, tuned
from bench.models.base import ModelBase, ModelError, as_series, check_finite, require_length
from bench.models.likelihoods import likelihood as make_likelihood
from bench.prep.windowing import make_windows, recursive_forecast
from bench.types import Forecast

# Epochs of a warm-started refit (measured: bench/perf/neural_workloads.py). None = from scratch.
FINETUNE_EPOCHS: int | None = 1
N_PATHS = 200  # sample paths of a likelihood net's multi-step forecast
BATCH_SERIES = 256  # local nets trained side by side by fit_batch (1: one at a time)


class Arch(Protocol):
    """A net architecture: builds fresh modules and says which others it can be trained beside."""

    label: str  # names the model in messages (``lstm``, ``torch_module``)
    # K nets' forward from stacked parameters (bench.models.stacked), or None: vmap over the module
    stacked_forward: Callable[..., torch.Tensor] | None

    def build(self, n_out: int, window: int) -> nn.Module:
        """A fresh module (weights from torch's current random state) with ``n_out`` outputs."""
        ...

    def batch_key(self) -> tuple:
        """Equal keys: modules with the same forward and parameter shapes (one stacked batch)."""
        ...

    def stacks(self, k: int, device: torch.device) -> bool:
        """Train ``k`` such nets stacked (else one at a time: where the stack costs more)?"""
        ...


class NetSpec(ModelBase):
    """The settings shared by every torch forecaster, local or global, and their one way to fit.

    Training: ``optimizer`` (``adam`` | ``rmsprop``; ``lr``, ``weight_decay``) on MSE, or on the
    negative log-likelihood with ``likelihood: gaussian | student_t``; batches shuffled with a
    generator seeded from ``seed``, gradient norm clipped at ``grad_clip`` (null: off), lr ×
    ``lr_gamma`` every ``lr_step`` epochs (null: constant), the last ``val_frac`` of the windows held
    out in time order for early stopping with ``patience`` (null: train all ``epochs``).
    ``finetune_epochs``: when ``fit`` is called again on a fitted object (the runner's warm start),
    continue from the current weights for that many epochs (null: from scratch at every refit).
    ``n_paths``: sample paths of a likelihood net's forecast. ``device``: ``auto`` picks CUDA when
    available. ``tune``: search these settings inside the refits (:mod:`bench.models.tuned`).
    """

    stochastic: ClassVar[bool] = True

    def __new__(cls, *args: Any, **kwargs: Any) -> NetSpec:
        # The constructor's settings, so a tuned net can build its candidates (bench.models.tuned).
        self = super().__new__(cls)
        self._settings = dict(kwargs)
        return self

    def __init__(
        self,
        arch: Arch,
        window: int = 20,
        epochs: int = 30,
        batch_size: int = 64,
        lr: float = 3e-3,
        weight_decay: float = 0.0,
        grad_clip: float | None = 1.0,
        lr_step: int | None = None,
        lr_gamma: float = 0.1,
        val_frac: float = 0.1,
        patience: int | None = 5,
        optimizer: str = "adam",
        finetune_epochs: int | None = FINETUNE_EPOCHS,
        likelihood: str = "none",
        n_paths: int = N_PATHS,
        seed: int = 0,
        device: str = "auto",
        tune: Mapping[str, Any] | None = None,
    ) -> None:
        if int(window) < 1:
            raise ValueError(f"window must be >= 1, got {window}")
        if int(n_paths) < 2:
            raise ValueError(f"n_paths must be >= 2 (a sample variance), got {n_paths}")
        self.arch = arch
        self.window = int(window)
        self.n_paths = int(n_paths)
        self.train_config = torch_loop.TrainConfig(
            epochs=int(epochs),
            batch_size=int(batch_size),
            lr=float(lr),
            weight_decay=float(weight_decay),
            grad_clip=None if grad_clip is None else float(grad_clip),
            lr_step=None if lr_step is None else int(lr_step),
            lr_gamma=float(lr_gamma),
            val_frac=float(val_frac),
            patience=None if patience is None else int(patience),
            seed=int(seed),
            optimizer=str(optimizer),
            finetune_epochs=None if finetune_epochs is None else int(finetune_epochs),
            likelihood=str(likelihood),
        )
        self.likelihood = make_likelihood(self.train_config.likelihood)
        self.device = torch_loop.resolve_device(device)
        self.net: nn.Module | None = None
        self.log: torch_loop.TrainLog | None = None
        self.tune = tuned.parse(type(self), tune, self.train_config.val_frac)
        self._tuning = tuned.TuneState()

    @property
    def label(self) -> str:
        return self.arch.label

    @property
    def min_length(self) -> int:
        """Shortest transformed series that gives one training (and one validation) window."""
        return self.window + self.train_config.min_windows()

    def _length_reason(self) -> str:
        why = f"window {self.window} + {self.train_config.min_windows()} one-step window(s) for training"
        if self.train_config.val_frac > 0:
            why += f" and validation (val_frac {self.train_config.val_frac})"
        return why

    def warm(self) -> bool:
        """Whether the next ``fit`` fine-tunes the fitted net (else it trains a fresh one)."""
        return self.net is not None and self.train_config.finetune_epochs is not None

    def new_net(self) -> nn.Module:
        """A fresh net on the model's device; call inside ``torch_loop.reproducible(seed)``."""
        return self.arch.build(self.likelihood.n_params, self.window).to(self.device)

    def _estimate(
        self, fit: Callable[[nn.Module, torch_loop.TrainConfig, bool], torch_loop.TrainLog]
    ) -> None:
        """Train a new net, or fine-tune the fitted one (warm start), inside a seeded torch state.

        ``fit(net, config, warm)`` runs the shared loop on the caller's windows. A failure drops the
        net, so a half-trained one is never forecast from nor warm-started again.
        """
        warm = self.warm()
        cfg = self.train_config.finetune() if warm else self.train_config
        with torch_loop.reproducible(cfg.seed, self.device):
            net = self.net if warm else self.new_net()
            self.net = None
            self.log = fit(net, cfg, warm)
            self.net = net

    @torch.no_grad()
    def _step(self, x: np.ndarray) -> np.ndarray:
        """The net's raw output after windows ``x`` (n, window) in eval mode (dropout off):
        (n,) next values for a point net, (n, n_params) for a likelihood head."""
        if self.net is None:
            raise ModelError(f"{self.label}: forecast before fit()")
        self.net.eval()
        t = torch.as_tensor(np.asarray(x, dtype=np.float32), device=self.device)
        return self.net(t).double().cpu().numpy()

    def _sampled(self, windows: np.ndarray, h: int, key: int) -> list[Forecast]:
        """Likelihood forecasts from each row of ``windows`` (S, window): exact step 1, then
        ``n_paths`` ancestral paths; ``key`` (with the seed) seeds the draws."""
        lik, p = self.likelihood, self.n_paths
        first = self._step(windows)
        rng = np.random.default_rng([self.train_config.seed, int(key)])
        x = np.repeat(np.asarray(windows, dtype=float), p, axis=0)
        raw = np.repeat(first, p, axis=0)
        paths = np.empty((len(x), h))
        for i in range(h):
            if i:
                x = np.concatenate([x[:, 1:], paths[:, i - 1 : i]], axis=1)
                raw = self._step(x)
            paths[:, i] = lik.sample(raw, rng)
        paths = paths.reshape(len(windows), p, h)
        mean, var = paths.mean(axis=1), paths.var(axis=1, ddof=1)
        mean[:, 0], var[:, 0] = lik.mean(first), lik.var(first)
        # Forecast.df makes every step a Student-t; only the first step is one (later steps mix
        # draws through the net), so ν is given for one-step forecasts and the paths carry the rest.
        nu = lik.df(first) if h == 1 else None
        info = self._tuning.info()
        return [
            Forecast(
                mean=mean[s], var=var[s], paths=paths[s], df=None if nu is None else nu[s : s + 1], info=info
            )
            for s in range(len(windows))
        ]


class LocalNet(NetSpec):
    """A net trained one step ahead on windows of length ``window`` of one series (settings:
    :class:`NetSpec`); ``fit_batch`` trains many such models side by side, at most
    ``batch_series`` nets in one stacked batch (1: one at a time, exactly ``fit``)."""

    levels: ClassVar[bool] = False
    scope: ClassVar[str] = "local"
    batchable: ClassVar[bool] = True

    def __init__(self, batch_series: int = BATCH_SERIES, **kwargs: Any) -> None:
        if int(batch_series) < 1:
            raise ValueError(f"batch_series must be >= 1 (1: one net at a time), got {batch_series}")
        super().__init__(**kwargs)
        self.batch_series = int(batch_series)
        self._history: np.ndarray | None = None

    def checked(self, z: np.ndarray) -> np.ndarray:
        """The training series as floats, long enough for this net (else a ``ModelError``)."""
        z = as_series(z, self.label)
        require_length(z, self.min_length, self.label, self._length_reason())
        return z

    def fit(self, z: np.ndarray) -> LocalNet:
        if self.tune is not None:
            err = tuned.fit_local([self], [z], _fit_plain_batch)[0]
            if err is not None:
                raise err
            return self
        return self.fit_plain(z)

    def fit_plain(self, z: np.ndarray) -> LocalNet:
        """``fit`` with the current settings (no search): what a tuned net does between searches."""
        z = self.checked(z)
        X, Y = make_windows(z, self.window, 1)
        # Looked up on the module at call time: one loop for every net (tests count calls).
        self._estimate(lambda net, cfg, warm: torch_loop.train_net(net, X, Y, cfg, self.device, warm=warm))
        self._history = z
        return self

    def trained(self, net: nn.Module | None, log: torch_loop.TrainLog | None, z: np.ndarray) -> None:
        """Take a net trained elsewhere (``fit_batch``) on ``z``; ``None``: its training failed."""
        if net is None:
            self.net = None  # as fit: a half-trained net is never forecast from nor warm-started again
            return
        self.net, self.log, self._history = net, log, z

    @classmethod
    def fit_batch(cls, models: Sequence[LocalNet], zs: Sequence[np.ndarray]) -> list[BaseException | None]:
        """Fit every model on its own series, nets of one architecture trained side by side.

        The same as ``m.fit(z)`` for each pair up to floating-point reassociation (``batch_series``
        1: exactly that); one error or None per model, a failing member never fails the others.
        """
        if any(m.tune is not None for m in models):  # searches for those due, the rest batched
            return tuned.fit_local(models, zs, _fit_plain_batch)
        return _fit_plain_batch(models, zs)

    def update(self, z: np.ndarray) -> LocalNet:
        """Read a new history with the weights held (between refits)."""
        if self.net is None:
            raise ModelError(f"{self.label}: update() before fit()")
        z = as_series(z, self.label)
        require_length(z, self.window, self.label, f"one input window of {self.window}")
        self._history = z
        return self

    def predict(self, h: int) -> Forecast:
        if self.net is None or self._history is None:
            raise ModelError(f"{self.label}: predict() before fit()")
        if self.likelihood.name != "none":
            fc = self._sampled(self._history[None, -self.window :], h, len(self._history))[0]
            check_finite(fc.paths, self.label)
            return fc
        mean = recursive_forecast(self.one_step, self._history, self.window, h)
        return Forecast(mean=check_finite(mean, self.label), info=self._tuning.info())

    def one_step(self, x: np.ndarray) -> float:
        """Next value (the predictive mean) after window ``x`` (oldest first), dropout off."""
        if self.net is None:
            raise ModelError(f"{self.label}: one_step() before fit()")
        return float(self.likelihood.mean(self._step(np.asarray(x)[None, :]))[0])


def _fit_plain_batch(models: Sequence[LocalNet], zs: Sequence[np.ndarray]) -> list[BaseException | None]:
    """The batched trainer on models fitted with their current settings (no search)."""
    from bench.models.batch_fit import fit_batch  # the batched trainer only when batching

    return fit_batch(models, zs)
